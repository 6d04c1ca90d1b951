package dialect

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// fcall is one function call being translated: the call, where it is, and
// the helpers every function's translation uses.
type fcall struct {
	t        *translator
	f        *pg.FuncCall
	sc       *scope
	hint     typ
	name     string
	distinct string // "DISTINCT " for agg(DISTINCT x)
}

// funcs translates each supported function by name; the aggregates among
// them are in aggregates (aggregates.go). Filled in init: the handlers
// reach funcCall again through t.expr.
var funcs map[string]func(c *fcall) ex

func init() {
	funcs = map[string]func(c *fcall) ex{
		"count": countCall, "sum": sumCall, "avg": avgCall, "min": extremeCall, "max": extremeCall,
		"lower": caseCall, "upper": caseCall,
		"length": lengthCall, "char_length": lengthCall, "character_length": lengthCall,
		"abs": absCall, "round": roundCall, "substr": substrCall, "substring": substrCall,
		"btrim": trimCall, "ltrim": trimCall, "rtrim": trimCall,
		"replace": replaceCall, "concat": concatCall,
		"coalesce": formCall, "greatest": formCall, "least": formCall, "nullif": formCall,
		"now": nowCall, "transaction_timestamp": nowCall, "statement_timestamp": nowCall, "clock_timestamp": nowCall,
	}
}

// catalogName is the name of a function or type (what, for the refusal):
// one name, pg_catalog's or unqualified.
func catalogName(qualified []*pg.Node, what string) string {
	var names []string
	for _, n := range qualified {
		names = append(names, n.GetString_().GetSval())
	}
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	if len(names) != 1 {
		unsupported("%s %s", what, strings.Join(names, "."))
	}
	return names[0]
}

func (t *translator) funcCall(f *pg.FuncCall, sc *scope, hint typ) ex {
	name := catalogName(f.Funcname, "function")
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
	c := &fcall{t: t, f: f, sc: sc, hint: hint, name: name}
	if f.AggDistinct {
		if !aggregates[name] {
			fail(sqltypes.WrongObjectType, "DISTINCT specified, but %s is not an aggregate function", name)
		}
		c.distinct = "DISTINCT "
	}
	if fn, ok := funcs[name]; ok {
		return fn(c)
	}
	unsupported("function %s", name)
	return ex{}
}

// args translates the arguments, the i-th with hints[i] as its type hint.
func (c *fcall) args(hints ...typ) []ex {
	var out []ex
	for i, a := range c.f.Args {
		h := unknownT
		if i < len(hints) {
			h = hints[i]
		}
		out = append(out, c.t.expr(a, c.sc, h))
	}
	return out
}

// nargs refuses a call without lo to hi arguments, as Postgres finds no
// such function.
func (c *fcall) nargs(lo, hi int) {
	if len(c.f.Args) < lo || len(c.f.Args) > hi {
		fail(sqltypes.UndefinedFunction, "function %s with %d arguments does not exist", c.name, len(c.f.Args))
	}
}

// num refuses an argument that is not a number (or untyped).
func (c *fcall) num(e ex) {
	cat := e.t.cat()
	if e.t.oid != 0 && cat != sqltypes.CatInt && cat != sqltypes.CatFloat && cat != sqltypes.CatNumeric {
		c.noSuch(e)
	}
}

func (c *fcall) noSuch(e ex) {
	fail(sqltypes.UndefinedFunction, "function %s(%s) does not exist", c.name, sqltypes.TypeName(e.t.oid))
}

func joinSQL(es []ex) string {
	var s []string
	for _, e := range es {
		s = append(s, e.sql)
	}
	return strings.Join(s, ", ")
}

var textT = mk(sqltypes.OIDText)

func caseCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args(textT)[0]
	textOperand(a.t)
	// SQLite's lower/upper fold ASCII only
	return ex{"pg_" + c.name + "(" + a.sql + ")", textT}
}

func lengthCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args(textT)[0]
	if a.t.oid != 0 && a.t.cat() != sqltypes.CatString {
		unsupported("length of %s", sqltypes.TypeName(a.t.oid))
	}
	if a.t.oid == sqltypes.OIDBPChar {
		return ex{"length(rtrim(" + a.sql + ", ' '))", mk(sqltypes.OIDInt4)}
	}
	return ex{"length(" + a.sql + ")", mk(sqltypes.OIDInt4)}
}

func absCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args(c.hint)[0]
	c.num(a)
	if a.t.cat() == sqltypes.CatInt {
		// abs of the type's minimum is out of its range in Postgres
		return ex{intOp("abs("+a.sql+")", a.t.oid), a.t.computed()}
	}
	return ex{"abs(" + a.sql + ")", a.t.computed()}
}

func roundCall(c *fcall) ex {
	c.nargs(1, 2)
	as := c.args(mk(sqltypes.OIDNumeric), mk(sqltypes.OIDInt4))
	c.num(as[0])
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
	if k := c.f.Args[1].GetAConst(); k != nil {
		if iv, ok := k.Val.(*pg.A_Const_Ival); ok {
			ty = numT(max(int(iv.Ival.Ival), 0))
		}
	}
	return ex{"pg_round(" + as[0].sql + ", " + as[1].sql + ")", ty}
}

func substrCall(c *fcall) ex {
	c.nargs(2, 3)
	as := c.args(textT, mk(sqltypes.OIDInt4), mk(sqltypes.OIDInt4))
	textOperand(as[0].t)
	if as[0].t.oid == sqltypes.OIDBPChar {
		unsupported("substr of character(n)")
	}
	// pg_substr: SQLite counts a negative start from the end
	return ex{"pg_substr(" + joinSQL(as) + ")", textT}
}

func trimCall(c *fcall) ex {
	c.nargs(1, 2)
	as := c.args(textT, textT)
	textOperand(as[0].t)
	fn := map[string]string{"btrim": "trim", "ltrim": "ltrim", "rtrim": "rtrim"}[c.name]
	if len(as) == 1 {
		return ex{fn + "(" + as[0].sql + ", ' ')", textT}
	}
	return ex{fn + "(" + as[0].sql + ", " + as[1].sql + ")", textT}
}

func replaceCall(c *fcall) ex {
	c.nargs(3, 3)
	as := c.args(textT, textT, textT)
	textOperand(as[0].t)
	return ex{"replace(" + joinSQL(as) + ")", textT}
}

func concatCall(c *fcall) ex {
	as := c.args()
	if len(as) == 0 {
		fail(sqltypes.UndefinedFunction, "function concat() does not exist")
	}
	for _, a := range as {
		textOperand(a.t)
	}
	return ex{"concat(" + joinSQL(as) + ")", textT}
}

// formCall: the parser gives these their own node types; a FuncCall by
// these names is a form the translation does not know.
func formCall(c *fcall) ex {
	unsupported("function %s in this form", c.name)
	return ex{}
}

func nowCall(c *fcall) ex {
	c.nargs(0, 0)
	return ex{nowSQL, mk(sqltypes.OIDTimestamptz)}
}
