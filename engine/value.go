package engine

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/pgast"
)

// ConstValue returns the Go value of a literal or parameter: (value, param, ok).
func ConstValue(n *pg_query.Node) (Value, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		return ConstValue(tc.Arg)
	}
	if p := n.GetParamRef(); p != nil {
		return Value{Param: int(p.Number)}, true
	}
	c := n.GetAConst()
	if c == nil {
		return Value{}, false
	}
	if c.Isnull {
		return Value{Lit: nil}, true
	}
	switch {
	case c.GetIval() != nil:
		return Value{Lit: int64(c.GetIval().Ival)}, true
	case c.GetFval() != nil:
		if i, err := strconv.ParseInt(c.GetFval().Fval, 10, 64); err == nil {
			return Value{Lit: i}, true
		}
		return Value{Lit: NumericLit(c.GetFval().Fval)}, true
	case c.GetSval() != nil:
		return Value{Lit: c.GetSval().Sval}, true
	case c.GetBoolval() != nil:
		return Value{Lit: c.GetBoolval().Boolval}, true
	}
	return Value{}, false
}

// RouteValue returns a literal or parameter whose value the gate may hash
// or compare itself: uncast, or cast to a type that cannot change it
// (integers to an integer type that holds them, text to text or varchar,
// numbers to numeric). 2.5::int is 3 and 9007199254740993::float8 equals
// 9007199254740992: such values are computed only by a shard.
func RouteValue(n *pg_query.Node) (Value, bool) {
	tc := n.GetTypeCast()
	if tc == nil {
		return ConstValue(n)
	}
	if tc.Arg.GetTypeCast() != nil || tc.TypeName == nil || len(tc.TypeName.Typmods) > 0 || len(tc.TypeName.ArrayBounds) > 0 {
		return Value{}, false
	}
	v, ok := ConstValue(tc.Arg)
	if !ok {
		return Value{}, false
	}
	names := pgast.Strings(tc.TypeName.Names)
	typ := names[len(names)-1]
	if v.Param > 0 || v.Lit == nil {
		switch typ {
		case "int2", "int4", "int8", "text", "varchar", "numeric":
			return v, true // a parameter's value arrives as the client typed it
		}
		return Value{}, false
	}
	switch typ {
	case "int2", "int4", "int8":
		bits := map[string]int{"int2": 16, "int4": 32, "int8": 64}[typ]
		var i int64
		switch x := v.Lit.(type) {
		case int64:
			i = x
		case string:
			p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return Value{}, false
			}
			i = p
		default:
			return Value{}, false
		}
		if bits < 64 && (i < -(1<<(bits-1)) || i >= 1<<(bits-1)) {
			return Value{}, false
		}
		return Value{Lit: i}, true
	case "text", "varchar":
		if s, ok := v.Lit.(string); ok {
			return Value{Lit: s}, true
		}
	case "numeric":
		switch v.Lit.(type) {
		case int64, NumericLit:
			return v, true
		}
	}
	return Value{}, false
}
