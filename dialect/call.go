package dialect

import (
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

func (t *translator) funcCall(f *pg.FuncCall, sc *scope, hint typ) ex {
	var names []string
	for _, n := range f.Funcname {
		names = append(names, n.GetString_().GetSval())
	}
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	if len(names) != 1 {
		unsupported("function %s", strings.Join(names, "."))
	}
	name := names[0]
	if f.Over != nil {
		unsupported("window functions")
	}
	if f.AggFilter != nil {
		unsupported("aggregate FILTER")
	}
	if len(f.AggOrder) > 0 || f.AggWithinGroup {
		unsupported("ordered aggregates")
	}
	if f.FuncVariadic {
		unsupported("VARIADIC")
	}
	args := func(hints ...typ) []ex {
		var out []ex
		for i, a := range f.Args {
			h := unknownT
			if i < len(hints) {
				h = hints[i]
			}
			out = append(out, t.expr(a, sc, h))
		}
		return out
	}
	nargs := func(lo, hi int) {
		if len(f.Args) < lo || len(f.Args) > hi {
			fail(sqltypes.UndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
		}
	}
	join := func(es []ex) string {
		var s []string
		for _, e := range es {
			s = append(s, e.sql)
		}
		return strings.Join(s, ", ")
	}
	distinct := ""
	if f.AggDistinct {
		distinct = "DISTINCT "
	}
	isAgg := false
	defer func() {
		if f.AggDistinct && !isAgg {
			fail(sqltypes.WrongObjectType, "DISTINCT specified, but %s is not an aggregate function", name)
		}
	}()
	textT := mk(sqltypes.OIDText)
	num := func(e ex) {
		c := e.t.cat()
		if e.t.oid != 0 && c != sqltypes.CatInt && c != sqltypes.CatFloat && c != sqltypes.CatNumeric {
			fail(sqltypes.UndefinedFunction, "function %s(%s) does not exist", name, sqltypes.TypeName(e.t.oid))
		}
	}
	switch name {
	case "count":
		isAgg = true
		if f.AggStar {
			return ex{"count(*)", mk(sqltypes.OIDInt8)}
		}
		nargs(1, 1)
		return ex{"count(" + distinct + join(args()) + ")", mk(sqltypes.OIDInt8)}
	case "sum", "avg", "min", "max":
		isAgg = true
		nargs(1, 1)
		a := args()[0]
		ty := a.t.computed()
		switch name {
		case "sum":
			num(a)
			switch a.t.oid {
			case sqltypes.OIDInt2, sqltypes.OIDInt4:
				ty = mk(sqltypes.OIDInt8)
			case sqltypes.OIDInt8, sqltypes.OIDNumeric:
				if f.AggDistinct {
					return t.distinctExact("pg_sum1", a, f.Args[0], numT(a.t.dscale()))
				}
				// exact, keeping the largest display scale of the values
				return t.exactAgg("pg_sum("+distinct+t.exactOperand(a, f.Args[0])+", "+strconv.Itoa(a.t.dscale())+")", numT(a.t.dscale()))
			case 0:
				ty = mk(sqltypes.OIDNumeric)
			}
		case "avg":
			num(a)
			switch a.t.cat() {
			case sqltypes.CatFloat:
				ty = mk(sqltypes.OIDFloat8)
			case sqltypes.CatInt, sqltypes.CatNumeric:
				if f.AggDistinct {
					return t.distinctExact("pg_avg1", a, f.Args[0], numT(-1))
				}
				// exact; the display scale depends on the values (DivAvg)
				return t.exactAgg("pg_avg("+distinct+t.exactOperand(a, f.Args[0])+", "+strconv.Itoa(a.t.dscale())+")", numT(-1))
			default:
				ty = mk(sqltypes.OIDNumeric)
			}
		default:
			if e, ok := t.exactExtreme(name, a); ok {
				return e
			}
			if a.t.oid == sqltypes.OIDBool || a.t.oid == sqltypes.OIDJSON || a.t.oid == sqltypes.OIDJSONB {
				fail(sqltypes.UndefinedFunction, "function %s(%s) does not exist", name, sqltypes.TypeName(a.t.oid))
			}
			if a.t.oid == sqltypes.OIDBPChar {
				// Postgres returns the value padded to its column's width,
				// typed character without a typmod to pad it by
				unsupported("%s over character(n)", name)
			}
			if a.t.oid == sqltypes.OIDVarchar {
				// min/max(varchar) resolve to min/max(text)
				ty = mk(sqltypes.OIDText)
			}
		}
		return ex{name + "(" + distinct + a.sql + ")", ty}
	case "lower", "upper":
		nargs(1, 1)
		a := args(textT)[0]
		textOperand(a.t)
		// SQLite's lower/upper fold ASCII only
		return ex{"pg_" + name + "(" + a.sql + ")", textT}
	case "length", "char_length", "character_length":
		nargs(1, 1)
		a := args(textT)[0]
		if a.t.oid != 0 && a.t.cat() != sqltypes.CatString {
			unsupported("length of %s", sqltypes.TypeName(a.t.oid))
		}
		if a.t.oid == sqltypes.OIDBPChar {
			return ex{"length(rtrim(" + a.sql + ", ' '))", mk(sqltypes.OIDInt4)}
		}
		return ex{"length(" + a.sql + ")", mk(sqltypes.OIDInt4)}
	case "abs":
		nargs(1, 1)
		a := args(hint)[0]
		num(a)
		if a.t.cat() == sqltypes.CatInt {
			// abs of the type's minimum is out of its range in Postgres
			return ex{intOp("abs("+a.sql+")", a.t.oid), a.t.computed()}
		}
		return ex{"abs(" + a.sql + ")", a.t.computed()}
	case "round":
		nargs(1, 2)
		as := args(mk(sqltypes.OIDNumeric), mk(sqltypes.OIDInt4))
		num(as[0])
		if as[0].t.cat() == sqltypes.CatFloat {
			if len(as) == 2 {
				fail(sqltypes.UndefinedFunction, "function round(double precision, integer) does not exist")
			}
			unsupported("round(double precision)")
		}
		if len(as) == 1 {
			return ex{"pg_round(" + as[0].sql + ", 0)", numT(0)}
		}
		// the result's display scale is the rounding scale (never below 0)
		ty := numT(-1)
		if c := f.Args[1].GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
				ty = numT(max(int(iv.Ival.Ival), 0))
			}
		}
		return ex{"pg_round(" + as[0].sql + ", " + as[1].sql + ")", ty}
	case "substr", "substring":
		nargs(2, 3)
		as := args(textT, mk(sqltypes.OIDInt4), mk(sqltypes.OIDInt4))
		textOperand(as[0].t)
		if as[0].t.oid == sqltypes.OIDBPChar {
			unsupported("substr of character(n)")
		}
		// pg_substr: SQLite counts a negative start from the end
		return ex{"pg_substr(" + join(as) + ")", textT}
	case "btrim", "ltrim", "rtrim":
		nargs(1, 2)
		as := args(textT, textT)
		textOperand(as[0].t)
		fn := map[string]string{"btrim": "trim", "ltrim": "ltrim", "rtrim": "rtrim"}[name]
		if len(as) == 1 {
			return ex{fn + "(" + as[0].sql + ", ' ')", textT}
		}
		return ex{fn + "(" + as[0].sql + ", " + as[1].sql + ")", textT}
	case "replace":
		nargs(3, 3)
		as := args(textT, textT, textT)
		textOperand(as[0].t)
		return ex{"replace(" + join(as) + ")", textT}
	case "concat":
		as := args()
		if len(as) == 0 {
			fail(sqltypes.UndefinedFunction, "function concat() does not exist")
		}
		for _, a := range as {
			textOperand(a.t)
		}
		return ex{"concat(" + join(as) + ")", textT}
	case "coalesce", "greatest", "least", "nullif":
		unsupported("function %s in this form", name)
	case "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		nargs(0, 0)
		return ex{nowSQL, mk(sqltypes.OIDTimestamptz)}
	}
	unsupported("function %s", name)
	return ex{}
}

// exactAgg is an exact sum/avg aggregate (pg_sum/pg_avg, see funcs.go),
// whose TEXT result the outermost SELECT returns as is. Anywhere else
// (comparisons, sorting, arithmetic, subqueries) it is cast to a number so
// that SQLite compares it as one.
func (t *translator) exactAgg(call string, ty typ) ex {
	e := ex{"CAST(" + call + " AS NUMERIC)", ty}
	if t.exact == nil {
		t.exact = map[string]string{}
	}
	t.exact[e.sql] = call
	return e
}

// distinctExact is sum/avg(DISTINCT x) over integers or numerics: x as an
// integer or as its text with its column's display scale, so that equal
// values are equal texts for DISTINCT.
func (t *translator) distinctExact(fn string, a ex, n *pg.Node, ty typ) ex {
	arg := a.sql
	if a.t.cat() == sqltypes.CatNumeric {
		s, ok := t.numText(a, n)
		if !ok || a.t.dscale() < 0 {
			unsupported("%s(DISTINCT) over a numeric whose display scale varies", fn[3:6])
		}
		arg = s
	}
	return t.exactAgg(fn+"(DISTINCT "+arg+")", ty)
}
