package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
)

// maintainLookups wraps an UPDATE or DELETE route of a table with lookup
// vindexes in a LookupDML when the statement changes looked-up values.
func (b *builder) maintainLookups(pl *engine.Plan, n *pg_query.Node, t *router.Table, r *engine.Route) (*engine.Plan, error) {
	if len(t.Lookups) == 0 || t.Type != router.Sharded {
		return pl, nil
	}
	var rel *pg_query.RangeVar
	var where *pg_query.Node
	d := &engine.LookupDML{Write: r, Table: t}
	add := func(l *router.Lookup, newValue *engine.Value) error {
		lt, err := b.lookupTable(l)
		if err != nil {
			return err
		}
		colType, err := b.colType(t.Name, l.Column)
		if err != nil {
			return err
		}
		d.Lookups = append(d.Lookups, engine.DMLLookup{LT: lt, ColType: colType, New: newValue})
		return nil
	}
	if u := n.GetUpdateStmt(); u != nil {
		rel, where, d.Command = u.Relation, u.WhereClause, "UPDATE"
		for _, tgt := range u.TargetList {
			rt := tgt.GetResTarget()
			for _, l := range t.Lookups {
				if rt.Name != l.Column {
					continue
				}
				if len(rt.Indirection) > 0 || rt.Val.GetMultiAssignRef() != nil {
					return nil, unsupported("UPDATE of lookup vindex column %s.%s in a multiple-column or subscripted assignment", t.Name, l.Column)
				}
				v, ok := engine.RouteValue(rt.Val)
				if !ok {
					return nil, unsupported("UPDATE of lookup vindex column %s.%s: the new value must be a constant or a parameter", t.Name, l.Column)
				}
				if err := add(l, &v); err != nil {
					return nil, err
				}
			}
		}
		if len(d.Lookups) == 0 {
			return pl, nil
		}
		if len(u.FromClause) > 0 {
			return nil, unsupported("UPDATE ... FROM of table %s, which has lookup vindexes", t.Name)
		}
	} else {
		del := n.GetDeleteStmt()
		rel, where, d.Command = del.Relation, del.WhereClause, "DELETE"
		if len(del.UsingClause) > 0 {
			return nil, unsupported("DELETE ... USING of table %s, which has lookup vindexes", t.Name)
		}
		for _, l := range t.Lookups {
			if err := add(l, nil); err != nil {
				return nil, err
			}
		}
	}
	if where != nil && hasCurrentOf(where) {
		return nil, unsupported("WHERE CURRENT OF on table %s, which has lookup vindexes", t.Name)
	}
	var err error
	if d.VColType, err = b.colType(t.Name, t.VindexColumn()); err != nil {
		return nil, err
	}
	// The read: the vindex column and the old lookup values of the rows
	// the statement's WHERE picks.
	qual := rvAlias(rel)
	sel := &pg_query.SelectStmt{
		FromClause:    []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(rel).(*pg_query.RangeVar)}}},
		LockingClause: []*pg_query.Node{{Node: &pg_query.Node_LockingClause{LockingClause: &pg_query.LockingClause{Strength: pg_query.LockClauseStrength_LCS_FORUPDATE, WaitPolicy: pg_query.LockWaitPolicy_LockWaitBlock}}}},
	}
	cols := []string{t.VindexColumn()}
	for _, l := range d.Lookups {
		cols = append(cols, l.LT.L.Column)
	}
	for _, c := range cols {
		sel.TargetList = append(sel.TargetList, pg_query.MakeResTargetNodeWithVal(pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(qual), pg_query.MakeStrNode(c)}, -1), -1))
	}
	if where != nil {
		sel.WhereClause = proto.Clone(where).(*pg_query.Node)
	}
	d.ReadArgs = renumberAll(sel)
	sql, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}})
	if err != nil {
		return nil, err
	}
	read := *r
	read.SQL, read.Passthrough, read.Direct, read.Fields, read.EmptyTag = sql, false, false, nil, "SELECT 0"
	d.Read = &read
	pl.Root = d
	pl.Type += "_lookup"
	return pl, nil
}

// renumberAll rewrites the $n of stmt as $1..$k in the order they are met
// and returns, for each new number, the 0-based index of the argument it
// takes.
func renumberAll(stmt proto.Message) []int {
	renum := map[int32]int32{}
	var out []int
	pgast.Walk(stmt, func(m proto.Message) bool {
		p, ok := m.(*pg_query.ParamRef)
		if !ok || p.Number < 1 {
			return true
		}
		n, seen := renum[p.Number]
		if !seen {
			out = append(out, int(p.Number)-1)
			n = int32(len(out))
			renum[p.Number] = n
		}
		p.Number = n
		return true
	})
	return out
}

func hasCurrentOf(n *pg_query.Node) bool {
	return containsNode(n, func(m proto.Message) bool {
		_, ok := m.(*pg_query.CurrentOfExpr)
		return ok
	})
}
