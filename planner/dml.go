package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// dmlPlan routes UPDATE and DELETE by the vindex predicates in WHERE.
func (b *builder) dmlPlan(n *pg_query.Node) (*engine.Plan, error) {
	var rel *pg_query.RangeVar
	var where *pg_query.Node
	var setCols []string
	typ := "update"
	if u := n.GetUpdateStmt(); u != nil {
		rel, where = u.Relation, u.WhereClause
		for _, t := range u.TargetList {
			setCols = append(setCols, t.GetResTarget().Name)
		}
		if u.WithClause != nil {
			return nil, unsupported("WITH ... UPDATE")
		}
	} else {
		d := n.GetDeleteStmt()
		rel, where = d.Relation, d.WhereClause
		typ = "delete"
		if d.WithClause != nil {
			return nil, unsupported("WITH ... DELETE")
		}
	}
	if !b.ks.Sharded {
		return b.passthrough("unsharded", engine.Unsharded)
	}
	t, ok := b.ks.Table(rel.Relname)
	if !ok {
		return nil, sqltypes.Errorf(sqltypes.UndefinedTable, "relation \"%s\" does not exist", rel.Relname)
	}
	for _, c := range setCols {
		if t.Type == router.Sharded && c == t.VindexColumn() {
			return nil, unsupported("UPDATE of vindex column %s.%s (it would move the row to another shard)", t.Name, c)
		}
	}
	var stmt proto.Message = n.GetUpdateStmt()
	if stmt == (*pg_query.UpdateStmt)(nil) {
		stmt = n.GetDeleteStmt()
	}
	refs, err := b.refs(stmt, []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rel}}})
	if err != nil {
		return nil, err
	}
	col := newColocation(refs)
	for _, r := range col.sharded {
		if !r.top {
			return nil, unsupported("%s of %s naming sharded table %s in a subquery, FROM or USING", typ, t.Name, r.table.Name)
		}
	}
	switch t.Type {
	case router.Reference:
		r, params, err := b.describedRoute(engine.AllShards)
		if err != nil {
			return nil, err
		}
		r.OneTag = true
		return &engine.Plan{Type: typ + "_reference", Root: &engine.RefWrite{Route: r}, Fields: r.Fields, ParamOIDs: params, SQL: b.sql}, nil
	}
	ch := col.vindexRoute(conjuncts(where))
	r, params, err := b.describedRoute(ch.op)
	if err != nil {
		return nil, err
	}
	if err := b.applyChoice(r, ch); err != nil {
		return nil, err
	}
	pl := &engine.Plan{Type: typ + "_" + ch.op.String(), Root: r, Fields: r.Fields, ParamOIDs: params, SQL: b.sql}
	return b.maintainLookups(pl, n, t, r)
}
