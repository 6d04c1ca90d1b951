package dialect

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

func (t *translator) aexpr(a *pg.A_Expr, sc *scope, hint typ) ex {
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			return t.prefixOp(a, sc, hint)
		}
		return t.binaryOp(a, sc, hint)
	case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r := t.pair(a.Lexpr, a.Rexpr, sc, unknownT)
		checkComparable("=", l.t, r.t)
		l, r = floatPair(l, r)
		op := " IS NOT "
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_DISTINCT {
			op = " IS "
		}
		return ex{"(" + l.sql + op + r.sql + ")", boolT}
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		l, r := t.pair(a.Lexpr, a.Rexpr, sc, hint.bare())
		checkComparable("=", l.t, r.t)
		return ex{"nullif(" + l.sql + ", " + r.sql + ")", l.t}
	case pg.A_Expr_Kind_AEXPR_IN:
		return t.inList(a, sc)
	case pg.A_Expr_Kind_AEXPR_LIKE:
		return t.like(a, opName(a.Name), sc)
	case pg.A_Expr_Kind_AEXPR_ILIKE:
		return t.like(a, opName(a.Name), sc)
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		return t.between(a, sc)
	}
	unsupported("expression kind %s", a.Kind)
	return ex{}
}

var boolT = mk(sqltypes.OIDBool)

// prefixOp is - x and + x.
func (t *translator) prefixOp(a *pg.A_Expr, sc *scope, hint typ) ex {
	op := opName(a.Name)
	e := t.expr(a.Rexpr, sc, hint)
	switch op {
	case "-":
		if c := e.t.cat(); e.t.oid != 0 && c != sqltypes.CatInt && c != sqltypes.CatFloat && c != sqltypes.CatNumeric {
			fail(sqltypes.UndefinedFunction, "operator does not exist: - %s", sqltypes.TypeName(e.t.oid))
		}
		if e.t.cat() == sqltypes.CatInt {
			return ex{intOp("(- "+e.sql+")", e.t.oid), e.t.computed()}
		}
		if _, exact := t.exact[e.sql]; exact {
			return t.numericArith("-", ex{"0", mk(sqltypes.OIDInt4)}, e, nil, a.Rexpr, e.t.computed())
		}
		if e.t.cat() == sqltypes.CatFloat {
			// SQLite computes -x as 0 - x, which turns 0 into 0
			// where Postgres gives -0
			return ex{"(" + e.sql + " * -1.0)", e.t.computed()}
		}
		return ex{"(- " + e.sql + ")", e.t.computed()}
	case "+":
		return e
	}
	unsupported("prefix operator %s", op)
	return ex{}
}

// binaryOp is a comparison, arithmetic, || or a LIKE operator.
func (t *translator) binaryOp(a *pg.A_Expr, sc *scope, hint typ) ex {
	op := opName(a.Name)
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		t.compare(a.Lexpr, a.Rexpr)
		l, r := t.pair(a.Lexpr, a.Rexpr, sc, unknownT)
		checkComparable(op, l.t, r.t)
		if op == "!=" {
			op = "<>"
		}
		if e, ok := t.exactCompare(op, l, r, a.Lexpr, a.Rexpr); ok {
			return e
		}
		l, r = floatPair(l, r)
		return ex{"(" + l.sql + " " + op + " " + r.sql + ")", boolT}
	case "+", "-", "*", "/", "%":
		return t.arith(a, op, sc, hint)
	case "||":
		l, r := t.pair(a.Lexpr, a.Rexpr, sc, mk(sqltypes.OIDText))
		textOperand(l.t)
		textOperand(r.t)
		return ex{"(" + l.sql + " || " + r.sql + ")", mk(sqltypes.OIDText)}
	case "~~", "!~~", "~~*", "!~~*":
		return t.like(a, op, sc)
	}
	unsupported("operator %s", op)
	return ex{}
}

// inList is x IN (list) and x NOT IN (list).
func (t *translator) inList(a *pg.A_Expr, sc *scope) ex {
	l := t.expr(a.Lexpr, sc, unknownT)
	list := a.Rexpr.GetList()
	if list == nil {
		unsupported("IN with a non-list")
	}
	var es []ex
	anyFloat := isFloat(l.t)
	t.compare(list.Items...)
	for _, it := range list.Items {
		e := t.expr(it, sc, l.t.bare())
		checkComparable("=", l.t, e.t)
		if l.t.oid == 0 && isUnknownLiteral(a.Lexpr) {
			l = t.expr(a.Lexpr, sc, e.t.bare())
		}
		anyFloat = anyFloat || isFloat(e.t)
		es = append(es, e)
	}
	if e, ok := t.exactIn(l, es, a.Lexpr, list.Items, opName(a.Name) == "<>"); ok && !anyFloat {
		return e
	}
	var items []string
	for _, e := range es {
		if anyFloat {
			// the common type of the list is float8
			e = asFloat8(e)
		}
		items = append(items, e.sql)
	}
	if anyFloat {
		l = asFloat8(l)
	}
	op := " IN "
	if opName(a.Name) == "<>" {
		op = " NOT IN "
	}
	return ex{"(" + l.sql + op + "(" + strings.Join(items, ", ") + "))", boolT}
}
