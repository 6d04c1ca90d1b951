package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
)

// placement describes where the rows of a FROM item live, so the planner
// can tell whether running the item on every shard and concatenating the
// answers gives the rows one database holding everything would give.
//
// A replicated item (reference tables, VALUES, set-returning functions,
// CTEs and subqueries over them) has the same rows on every shard. A
// sharded item has each of its rows on exactly one shard; keys are the
// "alias.col" vindex columns whose value, when not NULL, names that shard,
// and nonNull the keys that are never NULL in the item's rows (a table on
// the nullable side of an outer join is NULL-extended, so its key is not).
type placement struct {
	sharded bool
	first   *tableRef // a sharded table of the item, for vindex checks and messages
	keys    map[string]bool
	nonNull map[string]bool
}

func replicated() *placement { return &placement{} }

func (p *placement) names(r *tableRef) {
	if p.first == nil {
		p.first = r
	}
}

// merge adds q's sharded tables to p (an inner join of two co-located items).
func (p *placement) merge(q *placement, keepNonNull bool) {
	if !q.sharded {
		return
	}
	if !p.sharded {
		p.sharded, p.first = true, q.first
		p.keys, p.nonNull = map[string]bool{}, map[string]bool{}
	}
	for k := range q.keys {
		p.keys[k] = true
	}
	if keepNonNull {
		for k := range q.nonNull {
			p.nonNull[k] = true
		}
	}
}

// placeFrom places a FROM list (or one side of an outer join). Inner joins
// are flattened into one set of items; their ON conditions and cond (the
// WHERE conjuncts, when every row of this level must satisfy them) say
// which items are co-located. All sharded items must end up in one group.
func (b *builder) placeFrom(from []*pg_query.Node, cond []*pg_query.Node, col *colocation) (*placement, error) {
	var items []*pg_query.Node
	pool := append([]*pg_query.Node(nil), cond...)
	var flatten func(n *pg_query.Node)
	flatten = func(n *pg_query.Node) {
		if j := n.GetJoinExpr(); j != nil && j.Jointype == pg_query.JoinType_JOIN_INNER {
			flatten(j.Larg)
			flatten(j.Rarg)
			pool = append(pool, joinEqualities(j)...)
			return
		}
		items = append(items, n)
	}
	for _, n := range from {
		flatten(n)
	}
	var places []*placement
	for _, it := range items {
		p, err := b.placeItem(it, pool, col)
		if err != nil {
			return nil, err
		}
		places = append(places, p)
	}
	return combine(places, pool, col)
}

// joinEqualities are a join's ON conjuncts plus its USING columns as
// left.col = right.col.
func joinEqualities(j *pg_query.JoinExpr) []*pg_query.Node {
	out := conjuncts(j.Quals)
	if len(j.UsingClause) == 0 {
		return out
	}
	l, r := sideAliases(j.Larg), sideAliases(j.Rarg)
	for _, u := range pgast.Strings(j.UsingClause) {
		for _, la := range l {
			for _, ra := range r {
				out = append(out, pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode("=")},
					pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(la), pg_query.MakeStrNode(u)}, -1),
					pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(ra), pg_query.MakeStrNode(u)}, -1), -1))
			}
		}
	}
	return out
}

// sideAliases lists the table aliases of a join subtree.
func sideAliases(n *pg_query.Node) []string {
	if rv := n.GetRangeVar(); rv != nil {
		return []string{rvAlias(rv)}
	}
	if j := n.GetJoinExpr(); j != nil {
		return append(sideAliases(j.Larg), sideAliases(j.Rarg)...)
	}
	return nil
}

// placeItem places one FROM item that is not an inner join.
func (b *builder) placeItem(n *pg_query.Node, pool []*pg_query.Node, col *colocation) (*placement, error) {
	if rv := n.GetRangeVar(); rv != nil {
		r := col.byRangeVar(rv)
		if r == nil {
			return replicated(), nil // reference or catalog table, or a CTE
		}
		k := r.alias + "." + r.table.VindexColumn()
		return &placement{sharded: true, first: r, keys: map[string]bool{k: true}, nonNull: map[string]bool{k: true}}, nil
	}
	j := n.GetJoinExpr()
	if j == nil {
		// VALUES, functions, subqueries and CTEs: sharded tables inside them
		// were refused before, so their rows are the same on every shard.
		return replicated(), nil
	}
	// Conditions every output row satisfies hold for the preserved side's
	// rows too, so they may co-locate that side; never the nullable side.
	var lcond, rcond []*pg_query.Node
	switch j.Jointype {
	case pg_query.JoinType_JOIN_LEFT:
		lcond = pool
	case pg_query.JoinType_JOIN_RIGHT:
		rcond = pool
	}
	l, err := b.placeFrom([]*pg_query.Node{j.Larg}, lcond, col)
	if err != nil {
		return nil, err
	}
	r, err := b.placeFrom([]*pg_query.Node{j.Rarg}, rcond, col)
	if err != nil {
		return nil, err
	}
	return outerJoin(j, l, r, col, b.p.UnsoundOuterJoins.Load())
}

// outerJoin places a LEFT, RIGHT or FULL join. The preserved side must be
// sharded whenever the nullable side is (else each shard adds its own
// NULL-extended copy of an unmatched row), and the ON condition must equate
// a key of each side (so a row's matches are all on its shard).
func outerJoin(j *pg_query.JoinExpr, l, r *placement, col *colocation, unsound bool) (*placement, error) {
	if !l.sharded && !r.sharded {
		return replicated(), nil
	}
	kind := map[pg_query.JoinType]string{pg_query.JoinType_JOIN_LEFT: "LEFT", pg_query.JoinType_JOIN_RIGHT: "RIGHT", pg_query.JoinType_JOIN_FULL: "FULL"}[j.Jointype]
	if kind == "" {
		return nil, unsupported("join type %s over sharded tables", j.Jointype)
	}
	preserved, nullable := l, r
	if j.Jointype == pg_query.JoinType_JOIN_RIGHT {
		preserved, nullable = r, l
	}
	if j.Jointype == pg_query.JoinType_JOIN_FULL && (!l.sharded || !r.sharded) {
		sh := l
		if !l.sharded {
			sh = r
		}
		return nil, unsupported("FULL JOIN of sharded table %s with a side that is not sharded: each shard would add its own NULL-extended rows", sh.first.table.Name)
	}
	if !preserved.sharded && unsound {
		return nullable, nil // the bug this rule fixes, for the hunter's own test
	}
	if !preserved.sharded {
		return nil, unsupported("%s JOIN whose preserved side is not sharded, with sharded table %s on its nullable side: each shard would add its own NULL-extended copy of every unmatched row", kind, nullable.first.table.Name)
	}
	if !nullable.sharded {
		return preserved, nil
	}
	if !router.SameVindex(l.first.table.Vindex, r.first.table.Vindex) {
		return nil, unsupported("%s JOIN between %s and %s: their vindexes differ (%s, %s), a cross-shard join", kind, l.first.table.Name, r.first.table.Name, l.first.table.VindexType, r.first.table.VindexType)
	}
	if !linked(joinEqualities(j), l, r, col) {
		return nil, unsupported("cross-shard %s JOIN between %s and %s: its ON must equate their vindex columns", kind, l.first.table.Name, r.first.table.Name)
	}
	out := &placement{}
	out.merge(preserved, true)
	out.merge(nullable, false)
	if j.Jointype == pg_query.JoinType_JOIN_FULL {
		out.nonNull = map[string]bool{}
	}
	return out, nil
}

// linked reports whether conds hold an equality between a key of l and a
// key of r.
func linked(conds []*pg_query.Node, l, r *placement, col *colocation) bool {
	for _, c := range conds {
		x, y, ok := keyEquality(c, col)
		if ok && ((l.keys[x] && r.keys[y]) || (l.keys[y] && r.keys[x])) {
			return true
		}
	}
	return false
}

// keyEquality matches "a = b" between two sharded tables' vindex columns.
func keyEquality(c *pg_query.Node, col *colocation) (string, string, bool) {
	e := c.GetAExpr()
	if e == nil || e.Kind != pg_query.A_Expr_Kind_AEXPR_OP || opName(e) != "=" {
		return "", "", false
	}
	_, x, ok1 := col.resolve(e.Lexpr)
	_, y, ok2 := col.resolve(e.Rexpr)
	return x, y, ok1 && ok2
}

// combine joins the items of one inner-join level: the sharded ones must be
// co-located through equalities of the pool, with the same vindex.
func combine(places []*placement, pool []*pg_query.Node, col *colocation) (*placement, error) {
	var sh []*placement
	for _, p := range places {
		if p.sharded {
			sh = append(sh, p)
		}
	}
	if len(sh) == 0 {
		return replicated(), nil
	}
	for _, p := range sh[1:] {
		if !router.SameVindex(p.first.table.Vindex, sh[0].first.table.Vindex) {
			return nil, unsupported("join between %s and %s: their vindexes differ (%s, %s), a cross-shard join", sh[0].first.table.Name, p.first.table.Name, sh[0].first.table.VindexType, p.first.table.VindexType)
		}
	}
	// Union-find over the items, joined by key equalities.
	parent := make([]int, len(sh))
	for i := range parent {
		parent[i] = i
	}
	var find func(i int) int
	find = func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	out := &placement{}
	var equated []string
	for _, c := range pool {
		x, y, ok := keyEquality(c, col)
		if !ok {
			continue
		}
		i, k := owner(sh, x), owner(sh, y)
		if i < 0 || k < 0 {
			continue
		}
		parent[find(i)] = find(k)
		equated = append(equated, x, y) // = is strict: both are not NULL
	}
	for i, p := range sh {
		if find(i) != find(0) {
			a, z := sh[0].first, p.first
			return nil, unsupported("cross-shard join between %s and %s: join them on their vindex columns (%s.%s = %s.%s)",
				a.table.Name, z.table.Name, a.alias, a.table.VindexColumn(), z.alias, z.table.VindexColumn())
		}
		out.merge(p, true)
	}
	for _, k := range equated {
		out.nonNull[k] = true
	}
	return out, nil
}

// owner is the index of the item holding key k, or -1.
func owner(places []*placement, k string) int {
	for i, p := range places {
		if p.keys[k] {
			return i
		}
	}
	return -1
}

// groupsOnOneShard reports whether grouping by exprs (or DISTINCT over
// them) puts every group on one shard: one of them must be a key that is
// never NULL, since a NULL key (a NULL-extended row) exists on many shards.
func (p *placement) groupsOnOneShard(exprs []*pg_query.Node, col *colocation) bool {
	for _, e := range exprs {
		if _, k, ok := col.resolve(e); ok && p.nonNull[k] {
			return true
		}
	}
	return false
}
