package hunt

import (
	"math/rand"
	"slices"
	"strconv"
	"strings"
)

// The hunter's schema (testdata/hunt): column types are int4, int8, num,
// float, text, bool, date; a tag names what an integer or text column
// holds, so joins compare like with like.
type hCol struct{ Name, Type, Tag string }

type hTab struct {
	Name  string
	Cols  []hCol
	VCol  string // primary vindex column, "" for reference and unsharded tables
	Group string // tables of one group with equal VCol values share a shard
}

func (t *hTab) sharded() bool { return t.VCol != "" }

var (
	hTenants  = &hTab{"tenants", []hCol{{"id", "int8", "tenant"}, {"name", "text", ""}, {"plan", "text", "plan"}, {"score", "int4", ""}, {"created", "date", ""}}, "id", "tenant"}
	hUsers    = &hTab{"users", []hCol{{"id", "int8", "user"}, {"tenant_id", "int8", "tenant"}, {"name", "text", ""}, {"email", "text", "email"}, {"age", "int4", ""}, {"balance", "num", ""}, {"rating", "float", ""}, {"active", "bool", ""}}, "tenant_id", "tenant"}
	hOrders   = &hTab{"orders", []hCol{{"id", "int8", "order"}, {"tenant_id", "int8", "tenant"}, {"user_id", "int8", "user"}, {"amount", "num", ""}, {"qty", "int4", ""}, {"status", "text", ""}}, "tenant_id", "tenant"}
	hItems    = &hTab{"items", []hCol{{"id", "int8", "item"}, {"tenant_id", "int8", "tenant"}, {"sku", "text", ""}, {"price", "num", ""}, {"weight", "float", ""}}, "id", "items"}
	hPayments = &hTab{"payments", []hCol{{"id", "int8", "pay"}, {"tenant_id", "int8", "tenant"}, {"amount", "num", ""}, {"method", "text", ""}}, "tenant_id", "chash"}
	hPlans    = &hTab{"plans", []hCol{{"code", "text", "plan"}, {"label", "text", ""}, {"price", "num", ""}, {"seats", "int4", ""}}, "", "ref"}
	hRegions  = &hTab{"regions", []hCol{{"id", "int4", "region"}, {"name", "text", ""}, {"tenant_id", "int8", "tenant"}}, "", "ref"}
	hSettings = &hTab{"uk.settings", []hCol{{"k", "text", ""}, {"v", "text", ""}, {"n", "int4", "tenant"}}, "", "uk"}

	hSharded   = []*hTab{hTenants, hUsers, hUsers, hOrders, hOrders, hItems, hPayments}
	hReference = []*hTab{hPlans, hRegions}
	hDMLTables = []*hTab{hTenants, hUsers, hOrders, hItems, hPayments, hPlans, hRegions, hSettings}
)

// huntFeatures names every generator feature; -hunt.disable turns them off.
var huntFeatures = []string{
	"join_inner", "join_left", "join_right", "join_full", "join_cross",
	"join_values", "join_series", "join_reference", "join_noncolocated",
	"join_offvindex", "join_multi", "join_on_filter", "outer_nonsharded_preserved",
	"derived_table", "cte", "shadow_cte", "subquery_in", "subquery_exists",
	"scalar_subquery", "setop", "cast_vindex", "float_vindex", "null_eq",
	"in_list", "lookup_where", "or_pred", "params", "group_by", "having",
	"distinct", "order_by", "limit_offset", "shadow_alias",
	"group_nullable_vindex", "agg_basic", "agg_distinct", "agg_filter",
	"agg_string", "agg_bool", "zero_column", "const_targets", "case_expr",
	"numeric_int_mul", "scalar_funcs", "star", "unsharded", "dml_insert", "dml_update",
	"dml_delete", "dml_upsert", "dml_returning", "dml_reference",
	"dml_vindex_update", "escape_string", "having_time",
}

// huntKnownOpen lists, per engine, the features disabled by default because
// main still answers them wrongly; empty means everything is hunted.
var huntKnownOpen = map[string][]string{}

// hRel is one FROM entry as expressions see it.
type hRel struct {
	alias    string
	tab      *hTab // nil for VALUES, functions and derived tables
	cols     []hCol
	nullable bool // on the nullable side of an outer join
	derived  bool // a derived table or CTE over sharded tables
}

func (r *hRel) ref(c hCol) string { return r.alias + "." + c.Name }

func (r *hRel) vcol() (hCol, bool) {
	if r.tab == nil || !r.tab.sharded() {
		return hCol{}, false
	}
	for _, c := range r.cols {
		if c.Name == r.tab.VCol {
			return c, true
		}
	}
	return hCol{}, false
}

type huntGen struct {
	r     *rand.Rand
	off   map[string]bool
	args  []any
	alias int
	depth int
}

func newHuntGen(seed int64, off map[string]bool) *huntGen {
	return &huntGen{r: rand.New(rand.NewSource(seed)), off: off}
}

// on tells whether to use feature f this time: it is enabled and a coin
// with probability p came up.
func (g *huntGen) on(f string, p float64) bool { return !g.off[f] && g.r.Float64() < p }

func (g *huntGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *huntGen) newAlias(prefix string) string {
	g.alias++
	return prefix + strconv.Itoa(g.alias)
}

// Stmt generates one statement that uses no disabled feature: the guards
// in the generator make that likely, the check here makes it sure.
func (g *huntGen) Stmt() *hStmt {
	for range 100 {
		s := g.stmt()
		if !slices.ContainsFunc(s.Features(), func(f string) bool { return g.off[f] }) {
			return s
		}
	}
	return &hStmt{Sel: &hSelect{Items: []hItem{{Expr: "t1.id"}}, From: []hFrom{{Src: "tenants", Alias: "t1"}}}}
}

func (g *huntGen) stmt() *hStmt {
	g.args, g.alias, g.depth = nil, 0, 0
	var s *hStmt
	if g.r.Float64() < 0.15 {
		if d := g.genDML(); d != nil {
			s = &hStmt{DML: d}
		}
	}
	if s == nil {
		s = &hStmt{Sel: g.genTop()}
	}
	s.Args = g.args
	return s
}

func (g *huntGen) genTop() *hSelect {
	switch {
	case g.on("setop", 0.08):
		return g.genSetOp()
	case g.on("unsharded", 0.07):
		q := &hSelect{}
		rel := &hRel{alias: g.newAlias("t"), tab: hSettings, cols: hSettings.Cols}
		q.From = []hFrom{{Src: hSettings.Name, Alias: rel.alias, F: []string{"unsharded"}}}
		rels := []*hRel{rel}
		if g.r.Intn(3) == 0 {
			f, r := g.valuesSource()
			g.addJoin(q, &rels, f, r)
		}
		g.fillSelect(q, rels)
		return q
	}
	q := &hSelect{}
	rels := g.genFrom(q)
	g.fillSelect(q, rels)
	return q
}

// fillSelect adds targets, WHERE, grouping and ordering over rels.
func (g *huntGen) fillSelect(q *hSelect, rels []*hRel) {
	for n := g.r.Intn(4); n > 0 && g.r.Intn(3) > 0; n-- {
		q.Where = append(q.Where, g.genPred(rels))
	}
	switch {
	case g.on("zero_column", 0.06):
		if g.on("group_by", 0.2) {
			q.GroupBy = append(q.GroupBy, g.groupKey(rels, nil))
		}
	case g.r.Float64() < 0.4:
		g.fillAggregate(q, rels)
	default:
		g.fillPlain(q, rels)
	}
	g.addOrder(q)
}

func (g *huntGen) fillPlain(q *hSelect, rels []*hRel) {
	if g.on("star", 0.05) {
		q.Star = true
		q.F = append(q.F, "star")
	} else {
		for n := 1 + g.r.Intn(4); n > 0; n-- {
			q.Items = append(q.Items, g.genItem(rels))
		}
	}
	if g.on("distinct", 0.12) {
		q.Distinct = true
		// DISTINCT over the vindex column of an outer join's nullable side:
		// its NULLs come from every shard.
		for _, r := range rels {
			if c, ok := r.vcol(); ok && r.nullable && g.on("group_nullable_vindex", 0.5) {
				q.Items = append(q.Items, hItem{Expr: r.ref(c), F: []string{"group_nullable_vindex"}})
				break
			}
		}
	}
}

func (g *huntGen) fillAggregate(q *hSelect, rels []*hRel) {
	if g.on("group_by", 0.7) {
		for n := 1 + g.r.Intn(2); n > 0; n-- {
			var it hItem
			key := g.groupKey(rels, &it)
			q.GroupBy = append(q.GroupBy, key)
			q.Items = append(q.Items, it)
		}
	}
	for n := 1 + g.r.Intn(3); n > 0; n-- {
		q.Items = append(q.Items, g.genAgg(rels))
	}
	if len(q.GroupBy) > 0 && g.on("having", 0.3) {
		a := g.genAgg(rels)
		op := g.pick([]string{"> 1", ">= 0", "IS NOT NULL", "< 100", "<> 2"})
		if !strings.HasPrefix(a.Expr, "count") && !strings.HasPrefix(a.Expr, "sum") {
			op = "IS NOT NULL"
		}
		q.Having = append(q.Having, hExpr{a.Expr + " " + op, a.F})
		if e, ok := g.havingTime(rels); ok {
			q.Having = append(q.Having, e)
		}
	}
	if g.on("distinct", 0.05) {
		q.Distinct = true
	}
}

// havingTime compares an aggregate of a date column with a literal the
// gate must read as that type (a bare ISO date, which it once refused).
func (g *huntGen) havingTime(rels []*hRel) (hExpr, bool) {
	for _, r := range rels {
		for _, c := range r.cols {
			if c.Type == "date" && g.on("having_time", 0.5) {
				e := g.pick([]string{"max", "min"}) + "(" + r.ref(c) + ")" + g.pick([]string{" > '2022-06-01'", " <= '2023-01-15'", " = '2021-03-04'"})
				return hExpr{e, []string{"having_time"}}, true
			}
		}
	}
	return hExpr{}, false
}

// groupKey picks a grouping key; when it is not nil, *it gets the matching
// select item.
func (g *huntGen) groupKey(rels []*hRel, it *hItem) hExpr {
	var nullable []*hRel
	for _, r := range rels {
		if _, ok := r.vcol(); ok && r.nullable {
			nullable = append(nullable, r)
		}
	}
	if len(nullable) > 0 && g.on("group_nullable_vindex", 0.5) {
		r := nullable[g.r.Intn(len(nullable))]
		c, _ := r.vcol()
		if it != nil {
			*it = hItem{Expr: r.ref(c)}
		}
		return hExpr{r.ref(c), []string{"group_nullable_vindex"}}
	}
	r := rels[g.r.Intn(len(rels))]
	c := r.cols[g.r.Intn(len(r.cols))]
	if v, ok := r.vcol(); ok && g.r.Intn(3) == 0 {
		c = v
	}
	if isNumType(c.Type) && c.Type != "float" && g.on("shadow_alias", 0.3) {
		// SELECT t.age / 10 AS age ... GROUP BY age groups by the input
		// column, while ORDER BY age sorts the output column.
		if it != nil {
			*it = hItem{Expr: r.ref(c) + " / 10", Alias: c.Name, F: []string{"shadow_alias"}}
		}
		return hExpr{c.Name, []string{"shadow_alias"}}
	}
	if it != nil {
		*it = hItem{Expr: r.ref(c)}
	}
	return hExpr{S: r.ref(c)}
}

// addOrder adds ORDER BY (total or partial) and LIMIT/OFFSET when the
// order is total.
func (g *huntGen) addOrder(q *hSelect) {
	if q.Star || len(q.Items) == 0 || !g.on("order_by", 0.55) {
		return
	}
	perm := g.r.Perm(len(q.Items))
	if g.r.Intn(4) == 0 {
		perm = perm[:1+g.r.Intn(len(perm))]
	}
	for _, i := range perm {
		it := q.Items[i]
		key := itoa(i + 1)
		switch {
		case it.Alias != "" && g.r.Intn(2) == 0:
			key = it.Alias
		case it.Alias == "" && q.Right == nil && g.r.Intn(3) == 0:
			key = it.Expr
		}
		key += g.pick([]string{"", " DESC", " NULLS FIRST", " DESC NULLS LAST", " ASC"})
		q.OrderBy = append(q.OrderBy, hOrder{S: key, Pos: i + 1, F: it.F})
	}
	if q.totalOrder() && g.on("limit_offset", 0.5) {
		switch g.r.Intn(3) {
		case 0:
			q.Limit = itoa(g.r.Intn(12))
		case 1:
			q.Limit, q.Offset = itoa(1+g.r.Intn(10)), itoa(g.r.Intn(6))
		default:
			q.Offset = itoa(g.r.Intn(30))
		}
	}
}

// genSetOp combines two single-table selects whose columns have the same
// type classes.
func (g *huntGen) genSetOp() *hSelect {
	classes := []string{g.pick([]string{"int", "text"})}
	if g.r.Intn(2) == 0 {
		classes = append(classes, g.pick([]string{"int", "text"}))
	}
	side := func() *hSelect {
		q := &hSelect{}
		tabs := append(append([]*hTab{}, hSharded...), hReference...)
		t := tabs[g.r.Intn(len(tabs))]
		rel := &hRel{alias: g.newAlias("t"), tab: t, cols: t.Cols}
		q.From = []hFrom{{Src: t.Name, Alias: rel.alias}}
		for _, cl := range classes {
			q.Items = append(q.Items, hItem{Expr: g.colOfClass(rel, cl)})
		}
		for n := g.r.Intn(3); n > 0; n-- {
			q.Where = append(q.Where, g.genPred([]*hRel{rel}))
		}
		return q
	}
	q := side()
	q.SetOp = g.pick([]string{"UNION", "UNION ALL", "INTERSECT", "EXCEPT", "INTERSECT ALL", "EXCEPT ALL"})
	q.Right = side()
	g.addOrder(q)
	return q
}

// colOfClass names a column of rel of class int or text, or a constant.
func (g *huntGen) colOfClass(rel *hRel, class string) string {
	var cs []string
	for _, c := range rel.cols {
		if (class == "int" && (c.Type == "int4" || c.Type == "int8")) || (class == "text" && c.Type == "text") {
			cs = append(cs, rel.ref(c))
		}
	}
	if len(cs) == 0 {
		if class == "int" {
			return "7"
		}
		return "'x'"
	}
	return g.pick(cs)
}

func isNumType(t string) bool { return t == "int4" || t == "int8" || t == "num" || t == "float" }

func itoa(i int) string { return strconv.Itoa(i) }
