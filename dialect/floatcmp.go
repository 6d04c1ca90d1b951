package dialect

import (
	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// Postgres compares an integer or numeric with a float by converting it to
// float8 (int8 9007199254740993 equals 9007199254740992::float8); SQLite
// compares INTEGER with REAL exactly. asFloat8 converts such an operand.

func isFloat(t typ) bool { return t.cat() == sqltypes.CatFloat }

func isExactNum(t typ) bool {
	c := t.cat()
	return c == sqltypes.CatInt || c == sqltypes.CatNumeric
}

func asFloat8(e ex) ex {
	if isExactNum(e.t) {
		e.sql = "CAST(" + e.sql + " AS REAL)"
	}
	return e
}

// floatPair converts the integer or numeric side of a comparison with a
// float to float8.
func floatPair(l, r ex) (ex, ex) {
	if isFloat(l.t) && isExactNum(r.t) {
		return l, asFloat8(r)
	}
	if isFloat(r.t) && isExactNum(l.t) {
		return asFloat8(l), r
	}
	return l, r
}

// between prints BETWEEN; with a float on a side, each bound is its own
// comparison (Postgres resolves l >= lo and l <= hi separately).
func (t *translator) between(a *pg.A_Expr, sc *scope) ex {
	l := t.expr(a.Lexpr, sc, unknownT)
	bounds := a.Rexpr.GetList().GetItems()
	if len(bounds) != 2 {
		unsupported("BETWEEN form")
	}
	lo := t.expr(bounds[0], sc, l.t.bare())
	hi := t.expr(bounds[1], sc, l.t.bare())
	checkComparable(">=", l.t, lo.t)
	checkComparable("<=", l.t, hi.t)
	if isFloat(l.t) || isFloat(lo.t) || isFloat(hi.t) {
		// each bound is its own comparison, converted to float8 when
		// one of its sides is a float
		l1, lo1 := floatPair(l, lo)
		l2, hi2 := floatPair(l, hi)
		s := "(" + l1.sql + " >= " + lo1.sql + " AND " + l2.sql + " <= " + hi2.sql + ")"
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			s = "(NOT " + s + ")"
		}
		return ex{s, boolT}
	}
	if e, ok := t.exactBetween(l, lo, hi, a.Lexpr, bounds, a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN); ok {
		return e
	}
	op := " BETWEEN "
	if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN {
		op = " NOT BETWEEN "
	}
	return ex{"(" + l.sql + op + lo.sql + " AND " + hi.sql + ")", boolT}
}
