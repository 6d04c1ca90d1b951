package planner

import (
	"errors"
	"math"

	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

func (b *builder) selectPlan(n *pg_query.Node) (*engine.Plan, error) {
	sel := n.GetSelectStmt()
	if sel.IntoClause != nil {
		return nil, unsupported("SELECT INTO")
	}
	if !b.ks.Sharded {
		return b.passthrough("unsharded", engine.Unsharded)
	}
	refs, err := b.refs(sel, sel.FromClause)
	if err != nil {
		return nil, err
	}
	col := newColocation(refs)
	for _, r := range refs {
		if r.table.Type == catalogTable && len(col.sharded) > 0 {
			return nil, unsupported("query joining catalog %s with sharded table %s", r.table.Name, col.sharded[0].table.Name)
		}
	}
	if len(col.sharded) == 0 {
		typ := "reference"
		if len(refs) == 0 {
			typ = "any_shard"
		}
		return b.passthrough(typ, engine.AnyShard)
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		return nil, unsupported("UNION/INTERSECT/EXCEPT over sharded table %s", col.sharded[0].table.Name)
	}
	for _, r := range col.sharded {
		if !r.top {
			return nil, unsupported("subquery or CTE on sharded table %s (it would run on each shard alone)", r.table.Name)
		}
	}
	where := conjuncts(sel.WhereClause)
	place, err := b.placeFrom(sel.FromClause, where, col)
	if err != nil {
		return nil, err
	}
	ch := col.vindexRoute(where)
	route := b.route(ch.op, b.sql)
	route.Passthrough = !b.rewritten // until a merge rewrites it
	if err := b.applyChoice(route, ch); err != nil {
		return nil, err
	}
	if ch.op == engine.SingleShard {
		params, fields, err := b.describe(b.sql)
		if err != nil {
			return nil, err
		}
		route.Fields, route.EmptyTag = fields, "SELECT 0"
		// The shard described this text with these parameter types: it
		// may run so (when it was normalized from a client's literals).
		route.BindsLiterals = b.isPostgres(b.ks.Shards[0]) && literalsBindable(sel)
		return &engine.Plan{Type: "single_shard", Root: route, Fields: fields, ParamOIDs: params, SQL: b.sql}, nil
	}
	return b.scatterSelect(sel, route, col, place)
}

// scatterSelect plans a SELECT that runs on several shards and merges.
func (b *builder) scatterSelect(sel *pg_query.SelectStmt, route *engine.Route, col *colocation, place *placement) (*engine.Plan, error) {
	if containsWindow(sel) {
		return nil, unsupported("window functions over several shards")
	}
	if len(sel.DistinctClause) > 0 && sel.DistinctClause[0].GetNode() != nil {
		return nil, unsupported("DISTINCT ON over several shards")
	}
	if sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return nil, unsupported("FETCH ... WITH TIES over several shards")
	}
	if len(sel.LockingClause) > 0 && (sel.LimitCount != nil || sel.LimitOffset != nil) {
		return nil, unsupported("FOR UPDATE with LIMIT over several shards")
	}
	groups, err := b.resolveTargetRefs(sel, sel.GroupClause)
	if err != nil {
		return nil, err
	}
	hasAgg := len(sel.GroupClause) > 0 || sel.HavingClause != nil || containsAggregate(&pg_query.SelectStmt{TargetList: sel.TargetList, SortClause: sel.SortClause})
	// Aggregates merge at the gate unless every group lives on one shard.
	mergeAgg := hasAgg && !(len(sel.GroupClause) > 0 && place.groupsOnOneShard(groups, col))
	if mergeAgg {
		if err := checkMergeable(sel); err != nil {
			return nil, err
		}
	}
	_, visible, err := b.describe(b.sql)
	if err != nil {
		return nil, err
	}
	typ := "scatter"
	if route.Opcode == engine.MultiShard {
		typ = "multi_shard"
	}
	if mergeAgg {
		return b.aggregateSelect(sel, route, visible, groups)
	}
	distinct := len(sel.DistinctClause) > 0
	if distinct && place.groupsOnOneShard(targetExprs(sel), col) {
		distinct = false // equal rows share the vindex value, so one shard
	}
	return b.mergeSelect(sel, route, visible, distinct, typ)
}

func targetExprs(sel *pg_query.SelectStmt) []*pg_query.Node {
	var out []*pg_query.Node
	for _, t := range sel.TargetList {
		if rt := t.GetResTarget(); rt != nil {
			out = append(out, rt.Val)
		}
	}
	return out
}

// resolveTargetRefs resolves GROUP BY items as Postgres does: a number is
// a position in the select list; a bare name is an input column when the
// FROM clause has one of that name, else an output column's alias (ORDER BY
// is the other way round: there the alias wins).
func (b *builder) resolveTargetRefs(sel *pg_query.SelectStmt, items []*pg_query.Node) ([]*pg_query.Node, error) {
	var out []*pg_query.Node
	for _, it := range items {
		if q, c, ok := colRef(it); ok && q == "" && aliased(sel, c) {
			in, err := b.isInputColumn(sel, c)
			if err != nil {
				return nil, err
			}
			if in {
				out = append(out, it)
				continue
			}
		}
		out = append(out, targetFor(sel, it))
	}
	return out, nil
}

// aliased reports whether a select list item is named name with AS.
func aliased(sel *pg_query.SelectStmt, name string) bool {
	for _, t := range sel.TargetList {
		if rt := t.GetResTarget(); rt != nil && rt.Name == name {
			return true
		}
	}
	return false
}

// isInputColumn asks a shard whether the statement's FROM clause provides a
// column named name (an ambiguous name counts: Postgres then refuses it).
func (b *builder) isInputColumn(sel *pg_query.SelectStmt, name string) (bool, error) {
	probe := &pg_query.SelectStmt{
		TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(name)}, -1), -1)},
		FromClause: sel.FromClause, WithClause: sel.WithClause,
	}
	sql, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: probe}})
	if err != nil {
		return false, err
	}
	_, _, err = b.describe(sql)
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &pe) && pe.Code == sqltypes.UndefinedColumn:
		return false, nil
	case errors.As(err, &pe) && pe.Code == sqltypes.AmbiguousColumn:
		return true, nil
	}
	return false, err
}

func targetFor(sel *pg_query.SelectStmt, it *pg_query.Node) *pg_query.Node {
	if v, ok := engine.ConstValue(it); ok && v.Param == 0 {
		if i, ok := v.Lit.(int64); ok && i >= 1 && int(i) <= len(sel.TargetList) {
			if !hasStar(sel) {
				return sel.TargetList[i-1].GetResTarget().Val
			}
		}
	}
	if _, c, ok := colRef(it); ok {
		if q, _, _ := colRef(it); q == "" && !hasStar(sel) {
			for _, t := range sel.TargetList {
				if rt := t.GetResTarget(); rt != nil && rt.Name == c {
					return rt.Val
				}
			}
		}
	}
	return it
}

func isStar(t *pg_query.Node) bool {
	rt := t.GetResTarget()
	if rt == nil {
		return false
	}
	cr := rt.Val.GetColumnRef()
	if cr == nil {
		return false
	}
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return true
		}
	}
	return false
}

func hasStar(sel *pg_query.SelectStmt) bool {
	for _, t := range sel.TargetList {
		if isStar(t) {
			return true
		}
	}
	return false
}

// sortKeyFor resolves an ORDER BY item to an output column of the pushed
// query, adding a hidden target when the item is not in the select list.
func sortDir(sb *pg_query.SortBy) (desc, nullsFirst bool, err error) {
	switch sb.SortbyDir {
	case pg_query.SortByDir_SORTBY_DESC:
		desc = true
	case pg_query.SortByDir_SORTBY_USING:
		return false, false, unsupported("ORDER BY ... USING over several shards")
	}
	nullsFirst = desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return desc, nullsFirst, nil
}

// limitValues reads LIMIT/OFFSET as values (literals or parameters).
func limitValues(sel *pg_query.SelectStmt) (count, offset *engine.Value, err error) {
	if count, err = limitValue(sel.LimitCount, "LIMIT"); err != nil {
		return nil, nil, err
	}
	if offset, err = limitValue(sel.LimitOffset, "OFFSET"); err != nil {
		return nil, nil, err
	}
	return count, offset, nil
}

// limitValue reads one LIMIT or OFFSET clause; nil when absent or NULL.
func limitValue(n *pg_query.Node, clause string) (*engine.Value, error) {
	if n == nil {
		return nil, nil
	}
	v, ok := engine.ConstValue(n)
	if !ok {
		return nil, unsupported("%s expression over several shards (use a constant or $n)", clause)
	}
	if v.Param > 0 || v.Lit != nil {
		return &v, nil
	}
	return nil, nil
}

// pushedLimit is the LIMIT each shard gets: offset+count rows.
func pushedLimit(count, offset *engine.Value) *pg_query.Node {
	if count == nil {
		return nil
	}
	node := func(v *engine.Value) *pg_query.Node {
		if v.Param > 0 {
			// Typed, so that the sum's operands are not "unknown + unknown".
			return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
				Arg:      pg_query.MakeParamRefNode(int32(v.Param), -1),
				TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("int8")}, Typemod: -1},
			}}}
		}
		if i, ok := v.Lit.(int64); ok && i <= math.MaxInt32 {
			return pgast.IntConst(i)
		}
		return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Fval{Fval: &pg_query.Float{Fval: valueString(v)}}}}}
	}
	if offset == nil {
		return node(count)
	}
	if count.Param == 0 && offset.Param == 0 {
		c, ok1 := count.Lit.(int64)
		o, ok2 := offset.Lit.(int64)
		if ok1 && ok2 {
			return node(&engine.Value{Lit: c + o})
		}
	}
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode("+")}, node(count), node(offset), -1)
}

func valueString(v *engine.Value) string {
	if s, ok := v.Lit.(string); ok {
		return s
	}
	if s, ok := v.Lit.(engine.NumericLit); ok {
		return string(s)
	}
	return v.String()
}

// mergeSelect plans a scatter whose shard rows are final: merge-sort them,
// drop duplicates, apply LIMIT at the gate.
func (b *builder) mergeSelect(sel *pg_query.SelectStmt, route *engine.Route, visible []sqltypes.Field, distinct bool, typ string) (*engine.Plan, error) {
	pushed := proto.Clone(sel).(*pg_query.SelectStmt)
	nVisible := len(visible)
	type pending struct {
		col      int
		desc, nf bool
	}
	var keys []pending
	hidden := 0
	star := hasStar(sel)
	for _, item := range sel.SortClause {
		sb := item.GetSortBy()
		desc, nf, err := sortDir(sb)
		if err != nil {
			return nil, err
		}
		idx := position(sb.Node, nVisible)
		if idx < 0 && !star {
			target := targetFor(sel, sb.Node)
			want := exprText(target)
			for i, t := range sel.TargetList {
				if exprText(t.GetResTarget().Val) == want {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			if distinct {
				return nil, sqltypes.Errorf(sqltypes.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			pushed.TargetList = append(pushed.TargetList, pg_query.MakeResTargetNodeWithVal(targetFor(sel, sb.Node), -1))
			idx = nVisible + hidden
			hidden++
		}
		keys = append(keys, pending{idx, desc, nf})
	}
	count, offset, err := limitValues(sel)
	if err != nil {
		return nil, err
	}
	if count != nil || offset != nil {
		pushed.LimitCount = pushedLimit(count, offset)
		pushed.LimitOffset = nil
	}
	changed := hidden > 0 || count != nil || offset != nil
	sql := b.sql
	if changed {
		if sql, err = pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: pushed}}); err != nil {
			return nil, err
		}
		route.Passthrough = false
	}
	params, fields, err := b.describe(sql)
	if err != nil {
		return nil, err
	}
	route.SQL = sql
	route.Fields = fields
	route.EmptyTag = "SELECT 0"
	var root engine.Operator = route
	if len(keys) > 0 {
		var sk []engine.SortKey
		for _, k := range keys {
			if err := b.gateTextOrder(sel, fields[k.col].OID, "ORDER BY"); err != nil {
				return nil, err
			}
			sk = append(sk, engine.SortKey{Col: k.col, Desc: k.desc, NullsFirst: k.nf, OID: fields[k.col].OID})
		}
		root = &engine.MergeSort{Input: route, Keys: sk}
	}
	if distinct {
		root = &engine.Distinct{Input: root}
	}
	if count != nil || offset != nil {
		root = &engine.Limit{Input: root, Count: count, Offset: offset}
	}
	if hidden > 0 {
		cols := make([]int, nVisible)
		for i := range cols {
			cols[i] = i
		}
		root = &engine.Project{Input: root, Cols: cols, Fields: fields[:nVisible]}
	}
	return &engine.Plan{Type: typ, Root: root, Fields: fields[:nVisible], ParamOIDs: params, SQL: b.sql}, nil
}

// checkMergeable refuses aggregates the gate cannot merge before any shard
// is asked, so the refusal names the construct rather than a shard error.
func checkMergeable(sel *pg_query.SelectStmt) error {
	for _, g := range sel.GroupClause {
		if g.GetGroupingSet() != nil {
			return unsupported("GROUPING SETS, ROLLUP and CUBE over several shards")
		}
	}
	var err error
	for _, n := range []proto.Message{&pg_query.SelectStmt{TargetList: sel.TargetList, SortClause: sel.SortClause, HavingClause: sel.HavingClause}} {
		pgast.Walk(n, func(m proto.Message) bool {
			if err != nil {
				return false
			}
			if _, ok := m.(*pg_query.SelectStmt); ok && m != n {
				return false
			}
			fc, ok := m.(*pg_query.FuncCall)
			if !ok || !isAggregate(fc) {
				return true
			}
			name := funcName(fc)
			switch {
			case mergeable[name] == "":
				err = unsupported("aggregate %s() over several shards", name)
			case fc.AggDistinct:
				err = unsupported("%s(DISTINCT ...) over several shards", name)
			case fc.AggFilter != nil || len(fc.AggOrder) > 0 || fc.AggWithinGroup:
				err = unsupported("%s() with FILTER or ORDER BY over several shards", name)
			}
			return false
		})
	}
	return err
}

// position resolves ORDER BY k (1-based) against n output columns; -1 when
// the item is not a position.
func position(n *pg_query.Node, cols int) int {
	if v, ok := engine.ConstValue(n); ok && v.Param == 0 {
		if i, ok := v.Lit.(int64); ok && i >= 1 && int(i) <= cols {
			return int(i) - 1
		}
	}
	return -1
}
