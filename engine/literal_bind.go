package engine

import (
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
)

// A simple-protocol statement is planned from its normalized text (its
// literals taken out as $n, typed as Postgres types them: the Bound's
// ParamOIDs). When the route passes it through to one Postgres shard, the
// normalized text may run there with the literals bound as text
// parameters of those types instead of the client's text: each backend
// then prepares the statement's shape once. The planner says when
// (Route.BindsLiterals): the shard described that text with those types,
// and no literal stands for a column position.

// bindable returns the Bound that runs r's normalized statement with its
// literals as parameters, when r may (raw: the shards take the client's
// formats).
func bindable(r *Route, raw bool, b *sqltypes.Bound) (*sqltypes.Bound, bool) {
	if !raw || !r.BindsLiterals {
		return nil, false
	}
	return boundLiterals(b)
}

// boundLiterals is the Bound that runs a normalized statement with the
// client's literals (b.Args) as text parameters; false for a literal of a
// kind it does not know (the client's text is sent then).
func boundLiterals(b *sqltypes.Bound) (*sqltypes.Bound, bool) {
	if len(b.ParamOIDs) != len(b.Args) {
		return nil, false
	}
	nb := &sqltypes.Bound{Raw: make([][]byte, len(b.Args)), ParamOIDs: b.ParamOIDs, ResultFormats: b.ResultFormats}
	for i, a := range b.Args {
		switch x := a.(type) {
		case int64:
			nb.Raw[i] = strconv.AppendInt(nil, x, 10)
		case NumericLit:
			nb.Raw[i] = []byte(x)
		case string:
			nb.Raw[i] = []byte(x)
		default:
			return nil, false
		}
	}
	return nb, true
}
