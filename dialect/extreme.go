package dialect

import (
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
	"modernc.org/sqlite"
)

// min/max over an exact numeric (a product or sum computed by pg_nmul and
// friends, a wide constant) compare the values' exact texts as numbers:
// SQLite's own min/max would read them as REALs and round past 15 digits
// (max(balance * score) of 26512143548862948.30 gave 26512143548862900.00).
func init() {
	registerAggregate("pg_nmaxagg", 1, newExtremeAgg(1))
	registerAggregate("pg_nminagg", 1, newExtremeAgg(-1))
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

// Comparisons and ORDER BY keys of exact numerics compare their exact
// texts as numbers too: pg_ncmp(a, b) is -1, 0 or 1 (NULL with a NULL),
// and the collation pg_numeric orders such texts (a REAL would tie or
// misorder values that differ past the 15th digit).
func init() {
	registerScalar("pg_ncmp", 2, numericCmp)
	sqlite.MustRegisterCollationUtf8("pg_numeric", numericCollate)
}

func numericCmp(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	a, err := toDecimal(args[0], -1)
	if err != nil {
		return nil, err
	}
	b, err := toDecimal(args[1], -1)
	if err != nil {
		return nil, err
	}
	return int64(a.Cmp(b)), nil
}

func numericCollate(x, y string) int {
	a, err1 := sqltypes.ParseDecimal(x)
	b, err2 := sqltypes.ParseDecimal(y)
	if err1 != nil || err2 != nil {
		return strings.Compare(x, y)
	}
	return a.Cmp(b)
}

// exactCompare is l op r over exact numerics by their texts, or false
// when neither side is one (or a side is a float, compared as float8).
func (t *translator) exactCompare(op string, l, r ex, ln, rn *pg.Node) (ex, bool) {
	_, le := t.exact[l.sql]
	_, re := t.exact[r.sql]
	if !le && !re || isFloat(l.t) || isFloat(r.t) || !isExactNum(l.t) || !isExactNum(r.t) {
		return ex{}, false
	}
	return ex{"(pg_ncmp(" + t.exactOperand(l, ln) + ", " + t.exactOperand(r, rn) + ") " + op + " 0)", mk(sqltypes.OIDBool)}, true
}

// exactSortKey is the ORDER BY key of an exact numeric, or false.
func (t *translator) exactSortKey(e ex) (string, bool) {
	raw, ok := t.exact[e.sql]
	if !ok {
		return "", false
	}
	return raw + " COLLATE pg_numeric", true
}

// exactGroupKey groups an exact numeric by its text when every value has
// the same display scale (then equal values are equal texts), or false.
func (t *translator) exactGroupKey(e ex) (string, bool) {
	raw, ok := t.exact[e.sql]
	if !ok || e.t.dscale() < 0 {
		return "", false
	}
	return raw, true
}

// anyExact reports whether one of es is an exact numeric and all are
// integers or numerics (a float makes the comparison float8's).
func (t *translator) anyExact(es ...ex) bool {
	found := false
	for _, e := range es {
		if !isExactNum(e.t) {
			return false
		}
		if _, ok := t.exact[e.sql]; ok {
			found = true
		}
	}
	return found
}

// exactIn is l [NOT] IN (items) by exact comparisons, or false.
func (t *translator) exactIn(l ex, items []ex, ln *pg.Node, nodes []*pg.Node, not bool) (ex, bool) {
	if !t.anyExact(append([]ex{l}, items...)...) {
		return ex{}, false
	}
	var terms []string
	for i, e := range items {
		terms = append(terms, "pg_ncmp("+t.exactOperand(l, ln)+", "+t.exactOperand(e, nodes[i])+") = 0")
	}
	s := "(" + strings.Join(terms, " OR ") + ")"
	if not {
		s = "(NOT " + s + ")"
	}
	return ex{s, mk(sqltypes.OIDBool)}, true
}

// exactBetween is l [NOT] BETWEEN lo AND hi by exact comparisons, or false.
func (t *translator) exactBetween(l, lo, hi ex, ln *pg.Node, bounds []*pg.Node, not bool) (ex, bool) {
	if !t.anyExact(l, lo, hi) {
		return ex{}, false
	}
	ls := t.exactOperand(l, ln)
	s := "(pg_ncmp(" + ls + ", " + t.exactOperand(lo, bounds[0]) + ") >= 0 AND pg_ncmp(" + ls + ", " + t.exactOperand(hi, bounds[1]) + ") <= 0)"
	if not {
		s = "(NOT " + s + ")"
	}
	return ex{s, mk(sqltypes.OIDBool)}, true
}
