package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// tableRef is one occurrence of a table in a statement.
type tableRef struct {
	alias string // alias, or the table name
	table *router.Table
	top   bool // in the top-level FROM (not inside a subquery or CTE)
	rv    *pg_query.RangeVar
}

// refs finds every table the statement names. Top-level FROM tables are
// marked, so that sharded tables inside subqueries can be refused. A name
// in scope of a WITH that defines it is the CTE, not a table.
func (b *builder) refs(stmt proto.Message, topFrom []*pg_query.Node) ([]*tableRef, error) {
	top := map[*pg_query.RangeVar]bool{}
	var markTop func(n *pg_query.Node)
	markTop = func(n *pg_query.Node) {
		if rv := n.GetRangeVar(); rv != nil {
			top[rv] = true
		}
		if j := n.GetJoinExpr(); j != nil {
			markTop(j.Larg)
			markTop(j.Rarg)
		}
	}
	for _, n := range topFrom {
		markTop(n)
	}
	var out []*tableRef
	var err error
	walkScoped(stmt, nil, func(rv *pg_query.RangeVar, cte bool) {
		if err != nil || cte {
			return
		}
		var r *tableRef
		if r, err = b.tableRef(rv); r != nil {
			r.top, r.rv = top[rv], rv
			out = append(out, r)
		}
	})
	return out, err
}

// tableRef resolves one table name of a statement.
func (b *builder) tableRef(rv *pg_query.RangeVar) (*tableRef, error) {
	if isCatalog(rv) {
		if _, declared := b.ks.Table(rv.Relname); !declared || rv.Schemaname != "" {
			return &tableRef{alias: rv.Relname, table: &router.Table{Name: rv.Relname, Type: catalogTable}}, nil
		}
	}
	if rv.Schemaname != "" && rv.Schemaname != "public" && rv.Schemaname != b.ks.Name {
		return nil, unsupported("table %s.%s: only tables of keyspace %s can be named here", rv.Schemaname, rv.Relname, b.ks.Name)
	}
	t, found := b.ks.Table(rv.Relname)
	if !found {
		if b.ks.Sharded {
			return nil, sqltypes.Errorf(sqltypes.UndefinedTable, "relation \"%s\" does not exist", rv.Relname)
		}
		t = &router.Table{Name: rv.Relname, Type: router.Unsharded}
	}
	return &tableRef{alias: rvAlias(rv), table: t}, nil
}

// rvAlias is the name a table is known by in its statement: its alias, or
// its own name.
func rvAlias(rv *pg_query.RangeVar) string {
	if rv.Alias != nil && rv.Alias.Aliasname != "" {
		return rv.Alias.Aliasname
	}
	return rv.Relname
}

// catalogTable marks the system catalogs: the same on every shard, read from
// one (psql's \d commands, drivers' type lookups).
const catalogTable router.TableType = "catalog"

func isCatalog(rv *pg_query.RangeVar) bool {
	switch rv.Schemaname {
	case "pg_catalog", "information_schema":
		return true
	case "":
		return strings.HasPrefix(rv.Relname, "pg_")
	}
	return false
}

// colocation maps column references to the sharded tables of a query
// and finds the vindex predicates that narrow the shards.
type colocation struct {
	sharded []*tableRef
}

// resolve maps a column reference to "alias.col" of a sharded table, when the
// column is that table's vindex column.
func (c *colocation) resolve(n *pg_query.Node) (*tableRef, string, bool) {
	qual, col, ok := colRef(n)
	if !ok {
		return nil, "", false
	}
	var hit *tableRef
	for _, r := range c.sharded {
		if r.table.VindexColumn() != col {
			continue
		}
		if qual != "" && qual != r.alias {
			continue
		}
		if hit != nil {
			return nil, "", false // ambiguous
		}
		hit = r
	}
	if hit == nil {
		return nil, "", false
	}
	return hit, hit.alias + "." + col, true
}

func newColocation(refs []*tableRef) *colocation {
	c := &colocation{}
	for _, r := range refs {
		if r.table.Type == router.Sharded {
			c.sharded = append(c.sharded, r)
		}
	}
	return c
}

func (c *colocation) byRangeVar(rv *pg_query.RangeVar) *tableRef {
	for _, r := range c.sharded {
		if r.rv == rv {
			return r
		}
	}
	return nil
}

// vindexChoice is how WHERE narrows a statement's shards.
type vindexChoice struct {
	op     engine.Opcode
	ref    *tableRef // the table whose vindex routes
	col    string    // the routing column
	vals   []engine.Value
	lookup *router.Lookup      // set when a lookup vindex routes
	lows   []engine.RangeValue // range vindex: lower ends (col > v, col >= v)
	highs  []engine.RangeValue // and upper ends
}

// vindexRoute picks the best vindex predicate among the WHERE conjuncts:
// equality on the primary vindex column, then an IN list on it, then a
// lookup vindex (unique before non-unique), then range predicates on a
// range vindex column; else the statement scatters.
func (c *colocation) vindexRoute(where []*pg_query.Node) vindexChoice {
	var multi, lookupUnique, lookupAny, ranged *vindexChoice
	for _, cond := range where {
		e := cond.GetAExpr()
		if e == nil {
			continue
		}
		switch {
		case e.Kind == pg_query.A_Expr_Kind_AEXPR_OP && opName(e) == "=":
			for _, pair := range [][2]*pg_query.Node{{e.Lexpr, e.Rexpr}, {e.Rexpr, e.Lexpr}} {
				v, ok := engine.RouteValue(pair[1])
				if !ok {
					continue
				}
				if ref, _, ok := c.resolve(pair[0]); ok {
					return vindexChoice{op: engine.SingleShard, ref: ref, col: ref.table.VindexColumn(), vals: []engine.Value{v}}
				}
				if ref, l, ok := c.resolveLookup(pair[0]); ok {
					ch := &vindexChoice{op: engine.MultiShard, ref: ref, col: l.Column, vals: []engine.Value{v}, lookup: l}
					if l.Unique {
						ch.op = engine.SingleShard
						lookupUnique = ch
					} else if lookupAny == nil {
						lookupAny = ch
					}
				}
			}
		case e.Kind == pg_query.A_Expr_Kind_AEXPR_IN && opName(e) == "=":
			vals := constList(e.Rexpr)
			if vals == nil {
				continue
			}
			if ref, _, ok := c.resolve(e.Lexpr); ok && multi == nil {
				multi = &vindexChoice{op: engine.MultiShard, ref: ref, col: ref.table.VindexColumn(), vals: vals}
			} else if ref, l, ok := c.resolveLookup(e.Lexpr); ok {
				ch := &vindexChoice{op: engine.MultiShard, ref: ref, col: l.Column, vals: vals, lookup: l}
				if l.Unique && lookupUnique == nil {
					lookupUnique = ch
				} else if lookupAny == nil {
					lookupAny = ch
				}
			}
		case e.Kind == pg_query.A_Expr_Kind_AEXPR_OP:
			op := opName(e)
			col, val := e.Lexpr, e.Rexpr
			if _, ok := engine.RouteValue(col); ok {
				col, val, op = val, col, flipComparison(op)
			}
			ref, ok := c.rangeColumn(col)
			v, isConst := engine.RouteValue(val)
			if !ok || !isConst {
				continue
			}
			var lows, highs []engine.RangeValue
			switch op {
			case ">", ">=":
				lows = []engine.RangeValue{{Value: v, Inclusive: op == ">="}}
			case "<", "<=":
				highs = []engine.RangeValue{{Value: v, Inclusive: op == "<="}}
			}
			ranged = addRange(ranged, ref, lows, highs)
		case e.Kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN:
			ref, ok := c.rangeColumn(e.Lexpr)
			list := e.Rexpr.GetList()
			if !ok || list == nil || len(list.Items) != 2 {
				continue
			}
			lo, ok1 := engine.RouteValue(list.Items[0])
			hi, ok2 := engine.RouteValue(list.Items[1])
			if !ok1 || !ok2 {
				continue
			}
			ranged = addRange(ranged, ref, []engine.RangeValue{{Value: lo, Inclusive: true}}, []engine.RangeValue{{Value: hi, Inclusive: true}})
		}
	}
	for _, ch := range []*vindexChoice{multi, lookupUnique, lookupAny} {
		if ch != nil {
			return *ch
		}
	}
	if ranged != nil && (len(ranged.lows) > 0 || len(ranged.highs) > 0) {
		return *ranged
	}
	return vindexChoice{op: engine.Scatter}
}

// addRange adds the bounds of a range predicate on ref's vindex column to
// ranged, starting it with the first predicate; predicates on another
// table's column are passed over.
func addRange(ranged *vindexChoice, ref *tableRef, lows, highs []engine.RangeValue) *vindexChoice {
	if ranged == nil {
		ranged = &vindexChoice{op: engine.MultiShard, ref: ref, col: ref.table.VindexColumn()}
	} else if ranged.ref != ref {
		return ranged
	}
	ranged.lows = append(ranged.lows, lows...)
	ranged.highs = append(ranged.highs, highs...)
	return ranged
}

// constList returns the values of an IN list of literals and parameters.
func constList(n *pg_query.Node) []engine.Value {
	list := n.GetList()
	if list == nil {
		return nil
	}
	var vals []engine.Value
	for _, item := range list.Items {
		v, ok := engine.RouteValue(item)
		if !ok {
			return nil
		}
		vals = append(vals, v)
	}
	return vals
}

func flipComparison(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// rangeColumn resolves a column reference to a table whose primary vindex
// is an integer range vindex on that column. Ranges of strings are not
// pruned: the shards compare text in their collation, the vindex in bytes.
func (c *colocation) rangeColumn(n *pg_query.Node) (*tableRef, bool) {
	ref, _, ok := c.resolve(n)
	if !ok {
		return nil, false
	}
	rv, isRange := ref.table.Vindex.(*router.Range)
	return ref, isRange && (!rv.Text() || rv.Times())
}

// resolveLookup maps a column reference to a sharded table with a lookup
// vindex on that column.
func (c *colocation) resolveLookup(n *pg_query.Node) (*tableRef, *router.Lookup, bool) {
	qual, col, ok := colRef(n)
	if !ok {
		return nil, nil, false
	}
	var hit *tableRef
	var hitL *router.Lookup
	for _, r := range c.sharded {
		if qual != "" && qual != r.alias {
			continue
		}
		for _, l := range r.table.Lookups {
			if l.Column == col {
				if hit != nil {
					return nil, nil, false // ambiguous
				}
				hit, hitL = r, l
			}
		}
	}
	return hit, hitL, hit != nil
}
