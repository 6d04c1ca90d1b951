package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

// aggLayout collects the group keys and aggregates a scatter aggregation
// merges at the gate. Gate rows are [keys..., aggregates...].
type aggLayout struct {
	keys     []*pg_query.Node
	keyText  []string
	aggs     []*pg_query.FuncCall
	aggText  []string
	partials []*pg_query.Node // pushed target expressions after the keys
	specs    []engine.AggSpec
}

func (l *aggLayout) keyIndex(n *pg_query.Node) int {
	t := exprText(n)
	for i, k := range l.keyText {
		if k == t {
			return i
		}
	}
	return -1
}

// aggIndex returns the gate column of an aggregate call, adding it.
func (l *aggLayout) aggIndex(fc *pg_query.FuncCall) (int, error) {
	name := funcName(fc)
	f, ok := mergeable[name]
	if !ok {
		return 0, unsupported("aggregate %s() over several shards", name)
	}
	if fc.AggDistinct {
		return 0, unsupported("%s(DISTINCT ...) over several shards", name)
	}
	if fc.AggFilter != nil || len(fc.AggOrder) > 0 || fc.AggWithinGroup {
		return 0, unsupported("%s() with FILTER or ORDER BY over several shards", name)
	}
	t := exprText(&pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}})
	for i, a := range l.aggText {
		if a == t {
			return len(l.keys) + i, nil
		}
	}
	l.aggs = append(l.aggs, fc)
	l.aggText = append(l.aggText, t)
	spec := engine.AggSpec{Func: f, Col: len(l.keys) + len(l.partials), Label: t}
	call := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: proto.Clone(fc).(*pg_query.FuncCall)}}
	if f == engine.AggAvg {
		sum := proto.Clone(fc).(*pg_query.FuncCall)
		sum.Funcname = []*pg_query.Node{pg_query.MakeStrNode("sum")}
		cnt := proto.Clone(fc).(*pg_query.FuncCall)
		cnt.Funcname = []*pg_query.Node{pg_query.MakeStrNode("count")}
		l.partials = append(l.partials, &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: sum}}, &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: cnt}})
		spec.CountCol = spec.Col + 1
	} else {
		l.partials = append(l.partials, call)
	}
	l.specs = append(l.specs, spec)
	return len(l.keys) + len(l.aggs) - 1, nil
}

// keyDependent reports whether n is computed from the group keys alone
// (SELECT age / 10 ... GROUP BY age): every column it names is a key, so
// each shard computes the same value for a group.
func (l *aggLayout) keyDependent(n *pg_query.Node) bool {
	ok := true
	pgast.Walk(n, func(m proto.Message) bool {
		switch x := m.(type) {
		case *pg_query.ColumnRef:
			ok = l.isKeyColumn(&pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: x}})
			return false
		case *pg_query.SubLink, *pg_query.SelectStmt:
			ok = false
		case *pg_query.FuncCall:
			if x.Over != nil {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// isKeyColumn reports whether a column reference names a group key column:
// t.id and id are the same column when either is unqualified (were id
// ambiguous, the shard would refuse the grouping itself).
func (l *aggLayout) isKeyColumn(n *pg_query.Node) bool {
	if l.keyIndex(n) >= 0 {
		return true
	}
	q, c, ok := colRef(n)
	if !ok {
		return false
	}
	for _, k := range l.keys {
		kq, kc, ok := colRef(k)
		if ok && kc == c && (kq == q || kq == "" || q == "") {
			return true
		}
	}
	return false
}

// firstIndex returns the gate column of a key-dependent expression: the
// shards compute it per group and the gate keeps the first shard's value.
func (l *aggLayout) firstIndex(n *pg_query.Node) int {
	t := "\x00first " + exprText(n)
	for i, a := range l.aggText {
		if a == t {
			return len(l.keys) + i
		}
	}
	l.aggs = append(l.aggs, nil)
	l.aggText = append(l.aggText, t)
	l.specs = append(l.specs, engine.AggSpec{Func: engine.AggFirst, Col: len(l.keys) + len(l.partials), Label: "first(" + exprText(n) + ")"})
	l.partials = append(l.partials, n)
	return len(l.keys) + len(l.aggs) - 1
}

// gateColumn maps an expression of the select list, HAVING or ORDER BY to a
// gate column: a group key or a (possibly new) aggregate.
func (l *aggLayout) gateColumn(n *pg_query.Node) (int, error) {
	if fc := n.GetFuncCall(); fc != nil && isAggregate(fc) {
		return l.aggIndex(fc)
	}
	if i := l.keyIndex(n); i >= 0 {
		return i, nil
	}
	if containsAggregate(n) {
		return 0, unsupported("expression over aggregates across shards: %s", exprText(n))
	}
	if l.keyDependent(n) {
		return l.firstIndex(n), nil
	}
	return 0, sqltypes.Errorf(sqltypes.GroupingError, "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function", exprText(n))
}

// aggSortItem is an ORDER BY item over the gate's output columns.
type aggSortItem struct {
	col      int
	desc, nf bool
}

// aggOutputs is where the select list, HAVING and ORDER BY land among the
// gate columns.
type aggOutputs struct {
	outCols []int // select list, then hidden sort columns
	having  *engine.FilterExpr
	items   []aggSortItem
}

func (b *builder) aggregateSelect(sel *pg_query.SelectStmt, route *engine.Route, visible []sqltypes.Field, groups []*pg_query.Node) (*engine.Plan, error) {
	l, err := newAggLayout(sel, groups)
	if err != nil {
		return nil, err
	}
	out, err := l.outputs(sel)
	if err != nil {
		return nil, err
	}
	count, offset, err := limitValues(sel)
	if err != nil {
		return nil, err
	}
	params, partialFields, err := b.pushAggregation(sel, route, l)
	if err != nil {
		return nil, err
	}
	gateFields, keyOIDs, err := b.gateAggFields(sel, l, partialFields)
	if err != nil {
		return nil, err
	}
	var input engine.Operator = route
	if len(l.keys) > 0 {
		var mk []engine.SortKey
		for i := range l.keys {
			mk = append(mk, engine.SortKey{Col: i, OID: keyOIDs[i]})
		}
		input = &engine.MergeSort{Input: route, Keys: mk}
	}
	var root engine.Operator = &engine.Aggregate{Input: input, NumKeys: len(l.keys), KeyOIDs: keyOIDs, Aggs: l.specs, Fields: gateFields}
	if root, err = b.finishAggregate(sel, root, out, gateFields, visible); err != nil {
		return nil, err
	}
	if count != nil || offset != nil {
		root = &engine.Limit{Input: root, Count: count, Offset: offset}
	}
	if len(out.outCols) > len(visible) {
		cols := make([]int, len(visible))
		for i := range cols {
			cols[i] = i
		}
		root = &engine.Project{Input: root, Cols: cols, Fields: visible}
	}
	return &engine.Plan{Type: "scatter_aggregate", Root: root, Fields: visible, ParamOIDs: params, SQL: b.sql}, nil
}

// newAggLayout refuses what the gate cannot merge and collects the
// distinct group keys.
func newAggLayout(sel *pg_query.SelectStmt, groups []*pg_query.Node) (*aggLayout, error) {
	if hasStar(sel) {
		return nil, unsupported("SELECT * with aggregates over several shards")
	}
	if sel.GroupDistinct {
		return nil, unsupported("GROUP BY DISTINCT over several shards")
	}
	l := &aggLayout{}
	for _, g := range groups {
		if g.GetGroupingSet() != nil {
			return nil, unsupported("GROUPING SETS, ROLLUP and CUBE over several shards")
		}
		if containsAggregate(g) {
			return nil, sqltypes.Errorf(sqltypes.GroupingError, "aggregate functions are not allowed in GROUP BY")
		}
		if l.keyIndex(g) >= 0 {
			continue
		}
		l.keys = append(l.keys, g)
		l.keyText = append(l.keyText, exprText(g))
	}
	return l, nil
}

// outputs maps the select list, HAVING and ORDER BY to gate columns,
// adding the aggregates they need.
func (l *aggLayout) outputs(sel *pg_query.SelectStmt) (*aggOutputs, error) {
	out := &aggOutputs{}
	for _, t := range sel.TargetList {
		c, err := l.gateColumn(t.GetResTarget().Val)
		if err != nil {
			return nil, err
		}
		out.outCols = append(out.outCols, c)
	}
	if sel.HavingClause != nil {
		var err error
		if out.having, err = compileFilter(sel.HavingClause, l); err != nil {
			return nil, err
		}
	}
	for _, item := range sel.SortClause {
		sb := item.GetSortBy()
		desc, nf, err := sortDir(sb)
		if err != nil {
			return nil, err
		}
		idx := position(sb.Node, len(out.outCols))
		if idx < 0 {
			c, err := l.gateColumn(targetFor(sel, sb.Node))
			if err != nil {
				return nil, err
			}
			idx = out.column(c)
		}
		out.items = append(out.items, aggSortItem{idx, desc, nf})
	}
	return out, nil
}

// column returns the output position of gate column c, adding it as a
// hidden column when the select list lacks it.
func (o *aggOutputs) column(c int) int {
	for i, oc := range o.outCols {
		if oc == c {
			return i
		}
	}
	o.outCols = append(o.outCols, c)
	return len(o.outCols) - 1
}

// pushAggregation rewrites the route's query to return the keys and
// partial aggregates, grouped and sorted by the keys.
func (b *builder) pushAggregation(sel *pg_query.SelectStmt, route *engine.Route, l *aggLayout) ([]uint32, []sqltypes.Field, error) {
	pushed := proto.Clone(sel).(*pg_query.SelectStmt)
	pushed.TargetList = nil
	for _, k := range l.keys {
		pushed.TargetList = append(pushed.TargetList, pg_query.MakeResTargetNodeWithVal(k, -1))
	}
	for _, p := range l.partials {
		pushed.TargetList = append(pushed.TargetList, pg_query.MakeResTargetNodeWithVal(p, -1))
	}
	pushed.GroupClause = nil
	pushed.SortClause = nil
	for i := range l.keys {
		pushed.GroupClause = append(pushed.GroupClause, pgast.IntConst(int64(i+1)))
		pushed.SortClause = append(pushed.SortClause, pg_query.MakeSortByNode(pgast.IntConst(int64(i+1)), pg_query.SortByDir_SORTBY_ASC, pg_query.SortByNulls_SORTBY_NULLS_LAST, -1))
	}
	pushed.HavingClause = nil
	pushed.LimitCount, pushed.LimitOffset = nil, nil
	pushed.DistinctClause = nil
	sql, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: pushed}})
	if err != nil {
		return nil, nil, err
	}
	params, partialFields, err := b.describe(sql)
	if err != nil {
		return nil, nil, err
	}
	if len(partialFields) != len(l.keys)+len(l.partials) {
		return nil, nil, fmt.Errorf("pushed aggregation returned %d columns, want %d", len(partialFields), len(l.keys)+len(l.partials))
	}
	if sql, err = b.bytewiseGroups(pushed, sql, partialFields[:len(l.keys)]); err != nil {
		return nil, nil, err
	}
	route.SQL = sql
	route.Passthrough = false
	route.Fields = partialFields
	route.EmptyTag = "SELECT 0"
	return params, partialFields, nil
}

// gateAggFields types the gate's rows after merging, [keys..., aggregates...],
// and fills in each aggregate's input and output types.
func (b *builder) gateAggFields(sel *pg_query.SelectStmt, l *aggLayout, partialFields []sqltypes.Field) ([]sqltypes.Field, []uint32, error) {
	gateFields := append([]sqltypes.Field(nil), partialFields[:len(l.keys)]...)
	var keyOIDs []uint32
	for _, f := range gateFields {
		keyOIDs = append(keyOIDs, f.OID)
	}
	for i := range l.specs {
		s := &l.specs[i]
		in := partialFields[s.Col]
		s.InOID = in.OID
		if s.Func == engine.AggMin || s.Func == engine.AggMax {
			if err := b.gateTextOrder(sel, in.OID, string(s.Func)+"()"); err != nil {
				return nil, nil, err
			}
		}
		out := in
		switch s.Func {
		case engine.AggCount:
			out = sqltypes.NewField(in.Name, sqltypes.OIDInt8)
		case engine.AggAvg:
			out = sqltypes.NewField("avg", sqltypes.OIDNumeric)
			if sqltypes.CategoryOf(in.OID) == sqltypes.CatFloat {
				out = sqltypes.NewField("avg", sqltypes.OIDFloat8)
			}
		}
		s.Out = out
		gateFields = append(gateFields, out)
	}
	return gateFields, keyOIDs, nil
}

// finishAggregate puts HAVING, the select list, DISTINCT and ORDER BY over
// the gate aggregation.
func (b *builder) finishAggregate(sel *pg_query.SelectStmt, root engine.Operator, out *aggOutputs, gateFields, visible []sqltypes.Field) (engine.Operator, error) {
	if out.having != nil {
		out.having.Fields = gateFields
		for _, c := range out.having.Ordered {
			if err := b.gateTextOrder(sel, gateFields[c].OID, "HAVING comparison"); err != nil {
				return nil, err
			}
		}
		root = &engine.Filter{Input: root, Cond: out.having}
	}
	projFields := make([]sqltypes.Field, len(out.outCols))
	for i, c := range out.outCols {
		projFields[i] = gateFields[c]
		if i < len(visible) {
			projFields[i] = visible[i]
		}
	}
	root = &engine.Project{Input: root, Cols: out.outCols, Fields: projFields}
	if len(sel.DistinctClause) > 0 {
		if len(out.outCols) > len(visible) {
			return nil, sqltypes.Errorf(sqltypes.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		root = &engine.Distinct{Input: root}
	}
	if len(out.items) > 0 {
		var sortKeys []engine.SortKey
		for _, it := range out.items {
			if err := b.gateTextOrder(sel, projFields[it.col].OID, "ORDER BY"); err != nil {
				return nil, err
			}
			sortKeys = append(sortKeys, engine.SortKey{Col: it.col, Desc: it.desc, NullsFirst: it.nf, OID: projFields[it.col].OID})
		}
		root = &engine.Sort{Input: root, Keys: sortKeys}
	}
	return root, nil
}
