package dialect

import (
	"database/sql/driver"
	"errors"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// min/max over an exact numeric (a product or sum computed by pg_nmul and
// friends, a wide constant) compare the values' exact texts as numbers:
// SQLite's own min/max would read them as REALs and round past 15 digits
// (max(balance * score) of 26512143548862948.30 gave 26512143548862900.00).
func init() {
	sqlite.MustRegisterFunction("pg_nmaxagg", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, MakeAggregate: newExtremeAgg(1)})
	sqlite.MustRegisterFunction("pg_nminagg", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, MakeAggregate: newExtremeAgg(-1)})
}

type extremeAgg struct {
	sign int
	seen bool
	best sqltypes.Decimal
}

func newExtremeAgg(sign int) func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
	return func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
		return &extremeAgg{sign: sign}, nil
	}
}

func (a *extremeAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if args[0] == nil {
		return nil
	}
	d, err := toDecimal(args[0], -1)
	if err != nil {
		return err
	}
	if !a.seen || d.Cmp(a.best)*a.sign > 0 {
		a.best, a.seen = d, true
	}
	return nil
}

func (a *extremeAgg) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("pgerr:0A000:min/max over an exact numeric as a moving window")
}

func (a *extremeAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if !a.seen {
		return nil, nil
	}
	return a.best.String(), nil
}

func (a *extremeAgg) Final(*sqlite.FunctionContext) {}

// exactExtreme is min/max(x) of an exact numeric x, or false.
func (t *translator) exactExtreme(name string, a ex) (ex, bool) {
	raw, ok := t.exact[a.sql]
	if !ok || a.t.cat() != sqltypes.CatNumeric {
		return ex{}, false
	}
	return t.exactAgg("pg_n"+name+"agg("+raw+")", a.t.computed()), true
}
