package hunt

import (
	"slices"
	"strings"
)

// FROM clauses: a base source, then up to three joins of every kind, with
// ON on and off the vindex columns.

// genFrom fills q.From (and q.With for CTEs) and returns the relations.
func (g *huntGen) genFrom(q *hSelect) []*hRel {
	var base hFrom
	var rel *hRel
	switch x := g.r.Float64(); {
	case x < 0.12 && g.on("shadow_cte", 1):
		base, rel = g.shadowCTE(q)
	case x < 0.2 && g.on("cte", 1):
		body, cols := g.derivedBody()
		name := g.newAlias("c")
		q.With = append(q.With, hCTE{Name: name, Body: body, F: []string{"cte"}})
		rel = &hRel{alias: g.newAlias("t"), cols: cols, derived: true}
		base = hFrom{Src: name, Alias: rel.alias}
	case x < 0.3 && g.on("derived_table", 1):
		base, rel = g.derivedSource()
	case x < 0.4:
		base, rel = g.tableSource(hReference[g.r.Intn(len(hReference))])
	case x < 0.46 && g.on("join_values", 1):
		base, rel = g.valuesSource()
	case x < 0.5 && g.on("join_series", 1):
		base, rel = g.seriesSource()
	default:
		base, rel = g.tableSource(hSharded[g.r.Intn(len(hSharded))])
	}
	base.Join = ""
	q.From = []hFrom{base}
	rels := []*hRel{rel}
	for n := g.joinCount(); n > 0; n-- {
		f, r := g.joinSource()
		g.addJoin(q, &rels, f, r)
	}
	return rels
}

func (g *huntGen) joinCount() int {
	switch x := g.r.Float64(); {
	case x < 0.4:
		return 0
	case x < 0.75:
		return 1
	case x < 0.93:
		return 2
	}
	return 3
}

func (g *huntGen) joinSource() (hFrom, *hRel) {
	switch x := g.r.Float64(); {
	case x < 0.15 && g.on("join_reference", 1):
		f, r := g.tableSource(hReference[g.r.Intn(len(hReference))])
		f.F = append(f.F, "join_reference")
		return f, r
	case x < 0.25 && g.on("join_values", 1):
		return g.valuesSource()
	case x < 0.32 && g.on("join_series", 1):
		return g.seriesSource()
	case x < 0.38 && g.on("derived_table", 1):
		return g.derivedSource()
	}
	return g.tableSource(hSharded[g.r.Intn(len(hSharded))])
}

func (g *huntGen) tableSource(t *hTab) (hFrom, *hRel) {
	rel := &hRel{alias: g.newAlias("t"), tab: t, cols: t.Cols}
	return hFrom{Src: t.Name, Alias: rel.alias}, rel
}

func (g *huntGen) valuesSource() (hFrom, *hRel) {
	rows := []string{"(1, 'one')", "(3, 'Zoë')", "(NULL, 'null')", "(9007199254740993, 'big')", "(-1, 'neg')", "(5, '東京')", "(3, 'dup')", "(99, 'none')"}
	g.r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	a := g.newAlias("v")
	rel := &hRel{alias: a, cols: []hCol{{"k", "int8", "tenant"}, {"label", "text", ""}}}
	return hFrom{Src: "(VALUES " + strings.Join(rows[:2+g.r.Intn(4)], ", ") + ")", Alias: a + "(k, label)", F: []string{"join_values"}}, rel
}

func (g *huntGen) seriesSource() (hFrom, *hRel) {
	a := g.newAlias("g")
	lo := g.r.Intn(5) - 2
	rel := &hRel{alias: a, cols: []hCol{{"n", "int4", "tenant"}}}
	return hFrom{Src: "generate_series(" + itoa(lo) + ", " + itoa(lo+g.r.Intn(8)) + ")", Alias: a + "(n)", F: []string{"join_series"}}, rel
}

func (g *huntGen) derivedSource() (hFrom, *hRel) {
	body, cols := g.derivedBody()
	rel := &hRel{alias: g.newAlias("d"), cols: cols, derived: true}
	return hFrom{Sub: body, Alias: rel.alias, F: []string{"derived_table"}}, rel
}

// derivedBody makes a subquery for a derived table or CTE: a filtered
// projection or a per-tenant aggregate.
func (g *huntGen) derivedBody() (*hSelect, []hCol) {
	t := hSharded[g.r.Intn(len(hSharded))]
	_, rel := g.tableSource(t)
	q := &hSelect{From: []hFrom{{Src: t.Name, Alias: rel.alias}}}
	if g.r.Intn(2) == 0 {
		q.Where = append(q.Where, g.genPred([]*hRel{rel}))
	}
	var cols []hCol
	if g.r.Intn(2) == 0 {
		for _, c := range t.Cols {
			if c.Tag != "" || g.r.Intn(2) == 0 {
				q.Items = append(q.Items, hItem{Expr: rel.ref(c), Alias: c.Name})
				cols = append(cols, c)
			}
		}
		return q, cols
	}
	key := hCol{"tenant_id", "int8", "tenant"}
	if t == hTenants || t == hItems {
		key = t.Cols[0]
	}
	q.Items = []hItem{{Expr: rel.ref(key), Alias: key.Name}, {Expr: "count(*)", Alias: "n"}}
	q.GroupBy = []hExpr{{S: rel.ref(key)}}
	return q, []hCol{key, {"n", "int8", ""}}
}

// shadowCTE names a CTE after the table it filters, so the statement's
// "users" is the CTE, not the table.
func (g *huntGen) shadowCTE(q *hSelect) (hFrom, *hRel) {
	t := hSharded[g.r.Intn(len(hSharded))]
	inner := &hRel{alias: t.Name, tab: t, cols: t.Cols}
	body := &hSelect{Star: true, From: []hFrom{{Src: t.Name}}}
	body.Where = []hExpr{g.genPred([]*hRel{inner})}
	q.With = append(q.With, hCTE{Name: t.Name, Body: body, F: []string{"shadow_cte"}})
	rel := &hRel{alias: g.newAlias("t"), tab: t, cols: t.Cols, derived: true}
	if g.r.Intn(2) == 0 {
		rel.alias = t.Name // FROM users, unaliased
		return hFrom{Src: t.Name}, rel
	}
	return hFrom{Src: t.Name, Alias: rel.alias}, rel
}

// addJoin joins src to the relations so far.
func (g *huntGen) addJoin(q *hSelect, rels *[]*hRel, src hFrom, right *hRel) {
	kinds := []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"}
	feats := []string{"join_inner", "join_left", "join_right", "join_full", "join_cross"}
	k := 0
	for tries := 0; tries < 5; tries++ {
		k = []int{0, 0, 1, 1, 2, 3, 4}[g.r.Intn(7)]
		if !g.off[feats[k]] {
			break
		}
		k = 0
	}
	left := *rels
	leftSh, rightSh := anySharded(left), anySharded([]*hRel{right})
	// An outer join whose preserved side reads no sharded table.
	nonSharded := (k == 1 && !leftSh) || (k == 2 && !rightSh) || (k == 3 && (!leftSh || !rightSh))
	if nonSharded && g.off["outer_nonsharded_preserved"] {
		k = 0
	}
	src.Join = kinds[k]
	src.F = slices.Clone(src.F)
	if nonSharded && k != 0 {
		src.F = append(src.F, "outer_nonsharded_preserved")
	}
	if k != 4 {
		src.On = g.genOn(left, right)
		if len(src.On) == 0 {
			src.Join, k = "CROSS JOIN", 4
		}
	}
	if k == 1 || k == 3 {
		right.nullable = true
	}
	if k == 2 || k == 3 {
		for _, l := range left {
			l.nullable = true
		}
	}
	if k == 4 && leftSh && rightSh {
		src.F = append(src.F, "join_noncolocated")
	}
	q.From = append(q.From, src)
	*rels = append(*rels, right)
}

// anySharded tells whether some relation reads a sharded table.
func anySharded(rels []*hRel) bool {
	for _, r := range rels {
		if r.derived || r.tab != nil && r.tab.sharded() {
			return true
		}
	}
	return false
}
