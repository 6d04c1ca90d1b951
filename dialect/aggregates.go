package dialect

import (
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// aggregates are the functions DISTINCT may qualify.
var aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true}

func countCall(c *fcall) ex {
	if c.f.AggStar {
		return ex{"count(*)", mk(sqltypes.OIDInt8)}
	}
	c.nargs(1, 1)
	return ex{"count(" + c.distinct + joinSQL(c.args()) + ")", mk(sqltypes.OIDInt8)}
}

func sumCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args()[0]
	ty := a.t.computed()
	c.num(a)
	switch a.t.oid {
	case sqltypes.OIDInt2, sqltypes.OIDInt4:
		ty = mk(sqltypes.OIDInt8)
	case sqltypes.OIDInt8, sqltypes.OIDNumeric:
		if c.f.AggDistinct {
			return c.t.distinctExact("pg_sum1", a, c.f.Args[0], numT(a.t.dscale()))
		}
		// exact, keeping the largest display scale of the values
		return c.t.exactAgg("pg_sum("+c.distinct+c.t.exactOperand(a, c.f.Args[0])+", "+strconv.Itoa(a.t.dscale())+")", numT(a.t.dscale()))
	case 0:
		ty = mk(sqltypes.OIDNumeric)
	}
	return ex{c.name + "(" + c.distinct + a.sql + ")", ty}
}

func avgCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args()[0]
	var ty typ
	c.num(a)
	switch a.t.cat() {
	case sqltypes.CatFloat:
		ty = mk(sqltypes.OIDFloat8)
	case sqltypes.CatInt, sqltypes.CatNumeric:
		if c.f.AggDistinct {
			return c.t.distinctExact("pg_avg1", a, c.f.Args[0], numT(-1))
		}
		// exact; the display scale depends on the values (DivAvg)
		return c.t.exactAgg("pg_avg("+c.distinct+c.t.exactOperand(a, c.f.Args[0])+", "+strconv.Itoa(a.t.dscale())+")", numT(-1))
	default:
		ty = mk(sqltypes.OIDNumeric)
	}
	return ex{c.name + "(" + c.distinct + a.sql + ")", ty}
}

// extremeCall is min and max.
func extremeCall(c *fcall) ex {
	c.nargs(1, 1)
	a := c.args()[0]
	ty := a.t.computed()
	if e, ok := c.t.exactExtreme(c.name, a); ok {
		return e
	}
	if a.t.oid == sqltypes.OIDBool || a.t.oid == sqltypes.OIDJSON || a.t.oid == sqltypes.OIDJSONB {
		c.noSuch(a)
	}
	if a.t.oid == sqltypes.OIDBPChar {
		// Postgres returns the value padded to its column's width,
		// typed character without a typmod to pad it by
		unsupported("%s over character(n)", c.name)
	}
	if a.t.oid == sqltypes.OIDVarchar {
		// min/max(varchar) resolve to min/max(text)
		ty = mk(sqltypes.OIDText)
	}
	return ex{c.name + "(" + c.distinct + a.sql + ")", ty}
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
