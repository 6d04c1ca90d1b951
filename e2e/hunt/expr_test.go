package hunt

import (
	"strings"
)

// Expressions: ON conditions, predicates (vindex values with casts, lookup
// values, subqueries), select items and aggregates.

var (
	hTenantIDs = []string{"-3", "-1", "1", "2", "3", "4", "5", "7", "9", "12", "99", "9007199254740993", "9007199254740992", "9223372036854775807", "-9223372036854775808", "4294967296"}
	hCastIDs   = []string{"3.7::int", "2.5::int", "'5'::bigint", "4.0", "4.5", "'-1'::int2", "(2 + 1)", "5::numeric", "CAST('7' AS int8)", "-(3)", "9007199254740993::numeric"}
	hFloatIDs  = []string{"9007199254740992::float8", "9007199254740993::float8", "4::float8", "4.5::float8", "'3'::float4", "1e0"}
	hNullIDs   = []string{"NULL", "NULL::int", "NULL::bigint"}
	hTexts     = []string{"'Ann'", "'Zoë'", "'東京'", "'O''Brien'", "''", "'ann'", "'BOB'", "'Émile'", "'pro'", "'free'", "'new'", "'paid'", "'card'"}
	hEmails    = []string{"'u1@x.io'", "'u2@x.io'", "'dup@x.io'", "'zoë@x.io'", "'nobody@x.io'", "'U1@x.io'"}
	hInts      = []string{"0", "3", "17", "42", "-5", "2147483647", "-2147483648", "1"}
	hNums      = []string{"0", "10.50", "-3.25", "99999.99", "0.01", "1e3"}
)

// genOn makes ON conjuncts joining right to the relations on its left:
// an equality on like-tagged columns (the vindex columns when it can), at
// times a second one to another left relation and a filter.
func (g *huntGen) genOn(left []*hRel, right *hRel) []hExpr {
	order := g.r.Perm(len(left))
	var on []hExpr
	first := -1
	for _, i := range order {
		if e, ok := g.equiJoin(left[i], right); ok {
			on, first = append(on, e), i
			break
		}
	}
	if first < 0 {
		return nil
	}
	if len(left) >= 2 && g.on("join_multi", 0.35) {
		for _, i := range order {
			if i == first {
				continue
			}
			if e, ok := g.equiJoin(left[i], right); ok {
				e.F = append(e.F, "join_multi")
				on = append(on, e)
				break
			}
		}
	}
	if g.on("join_on_filter", 0.2) {
		p := g.genPred([]*hRel{right})
		p.F = append(p.F, "join_on_filter")
		on = append(on, p)
	}
	return on
}

// equiJoin picks l.a = r.b over columns with the same tag.
func (g *huntGen) equiJoin(l, r *hRel) (hExpr, bool) {
	type pair struct {
		a, b  hCol
		feats []string
	}
	var vindex, other []pair
	for _, a := range l.cols {
		for _, b := range r.cols {
			if a.Tag == "" || a.Tag != b.Tag {
				continue
			}
			p := pair{a, b, joinFeats(l, a, r, b)}
			if len(p.feats) == 0 {
				vindex = append(vindex, p)
			} else if !g.off[p.feats[0]] {
				other = append(other, p)
			}
		}
	}
	var ps []pair
	switch {
	case len(vindex) > 0 && (len(other) == 0 || g.r.Intn(3) > 0):
		ps = vindex
	case len(other) > 0:
		ps = other
	default:
		return hExpr{}, false
	}
	p := ps[g.r.Intn(len(ps))]
	return hExpr{l.ref(p.a) + " = " + r.ref(p.b), p.feats}, true
}

// joinFeats classes an equality between two relations: none when it is
// between co-located vindex columns or does not join two sharded tables.
func joinFeats(l *hRel, a hCol, r *hRel, b hCol) []string {
	if l.tab == nil || r.tab == nil || !l.tab.sharded() || !r.tab.sharded() {
		return nil
	}
	if l.tab.Group != r.tab.Group {
		return []string{"join_noncolocated"}
	}
	if a.Name != l.tab.VCol || b.Name != r.tab.VCol {
		return []string{"join_offvindex"}
	}
	return nil
}

// genPred makes one WHERE conjunct over rels.
func (g *huntGen) genPred(rels []*hRel) hExpr {
	r := rels[g.r.Intn(len(rels))]
	if v, ok := r.vcol(); ok && g.r.Float64() < 0.4 {
		return g.vindexPred(r, v)
	}
	x := g.r.Float64()
	switch {
	case x < 0.08 && r.tab == hUsers && g.on("lookup_where", 1):
		e := r.alias + ".email = " + g.pick(hEmails)
		if g.on("in_list", 0.4) {
			e = r.alias + ".email IN (" + g.pick(hEmails) + ", " + g.pick(hEmails) + ")"
		}
		return hExpr{e, []string{"lookup_where"}}
	case x < 0.16 && g.on("or_pred", 1) && g.depth < 2:
		g.depth++
		a, b := g.genPred(rels), g.genPred(rels)
		g.depth--
		return hExpr{"(" + a.S + " OR " + b.S + ")", append(append([]string{"or_pred"}, a.F...), b.F...)}
	case x < 0.24 && g.depth < 1:
		if e, ok := g.subqueryPred(r); ok {
			return e
		}
	}
	c := r.cols[g.r.Intn(len(r.cols))]
	if c.Type == "text" && g.on("escape_string", 0.08) {
		// PostgreSQL 15 reads E'\v' as v; 16 and later as a vertical tab.
		return hExpr{r.ref(c) + g.pick([]string{" = E'pro\\v'", " <> E'a\\vb'", " >= E'\\v'", " = E'p\\x72o'", " < E'\\u00c9mile'"}), []string{"escape_string"}}
	}
	if g.r.Intn(6) == 0 {
		return hExpr{S: r.ref(c) + g.pick([]string{" IS NULL", " IS NOT NULL"})}
	}
	return hExpr{S: g.compare(r.ref(c), c.Type)}
}

// compare makes a comparison of the expression e of type typ.
func (g *huntGen) compare(e, typ string) string {
	switch typ {
	case "text":
		if g.r.Intn(3) == 0 {
			return e + g.pick([]string{" LIKE 'A%'", " LIKE '%o%'", " ILIKE 'z%'", " NOT LIKE '%a%'"})
		}
		return e + g.pick([]string{" = ", " <> ", " < ", " >= "}) + g.pick(hTexts)
	case "bool":
		return g.pick([]string{e, "NOT " + e, e + " IS NOT TRUE", e + " = false"})
	case "date":
		return e + g.pick([]string{" < ", " >= "}) + g.pick([]string{"'2021-01-01'", "'2023-06-15'", "DATE '2022-02-02'"})
	case "num", "float":
		return e + g.pick([]string{" > ", " <= ", " = ", " <> "}) + g.pick(hNums)
	}
	if g.r.Intn(4) == 0 {
		return e + " BETWEEN " + g.pick(hInts) + " AND " + g.pick(hInts)
	}
	return e + g.pick([]string{" > ", " <= ", " = ", " <> "}) + g.pick(hInts)
}

// vindexPred compares a vindex column with a value the gate must turn
// into a keyspace id exactly as Postgres compares it.
func (g *huntGen) vindexPred(r *hRel, c hCol) hExpr {
	col := r.ref(c)
	if g.on("in_list", 0.3) {
		n := 1 + g.r.Intn(4)
		var vals []string
		var feats []string
		for range n {
			v, f := g.vindexValue()
			vals, feats = append(vals, v), append(feats, f...)
		}
		op := " IN ("
		if g.r.Intn(6) == 0 {
			op = " NOT IN ("
		}
		return hExpr{col + op + strings.Join(vals, ", ") + ")", append(feats, "in_list")}
	}
	v, f := g.vindexValue()
	op := " = "
	if g.r.Intn(8) == 0 {
		op = g.pick([]string{" <> ", " < ", " >= "})
	}
	if g.r.Intn(10) == 0 {
		op = " IS NOT DISTINCT FROM "
	}
	return hExpr{col + op + v, f}
}

// vindexValue is a literal for a vindex column: plain, cast, float, NULL
// or a parameter.
func (g *huntGen) vindexValue() (string, []string) {
	switch x := g.r.Float64(); {
	case x < 0.2 && g.on("cast_vindex", 1):
		return g.pick(hCastIDs), []string{"cast_vindex"}
	case x < 0.3 && g.on("float_vindex", 1):
		return g.pick(hFloatIDs), []string{"float_vindex"}
	case x < 0.36 && g.on("null_eq", 1):
		return g.pick(hNullIDs), []string{"null_eq"}
	case x < 0.46 && g.on("params", 1):
		v := g.pick(hTenantIDs)
		var arg any = v
		if g.r.Intn(2) == 0 {
			arg = parseInt64(v)
		}
		g.args = append(g.args, arg)
		return paramMark + itoa(len(g.args)-1) + paramMark, []string{"params"}
	}
	return g.pick(hTenantIDs), nil
}

func parseInt64(s string) int64 {
	var n int64
	neg := strings.HasPrefix(s, "-")
	for _, c := range strings.TrimPrefix(s, "-") {
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// subqueryPred filters r by a subquery: IN over tenants, or a correlated
// EXISTS on the tenant id.
func (g *huntGen) subqueryPred(r *hRel) (hExpr, bool) {
	var tc *hCol
	for _, c := range r.cols {
		if c.Tag == "tenant" {
			tc = &c
			break
		}
	}
	if tc == nil {
		return hExpr{}, false
	}
	g.depth++
	defer func() { g.depth-- }()
	if g.on("subquery_in", 0.5) {
		f, in := g.tableSource([]*hTab{hTenants, hRegions, hOrders}[g.r.Intn(3)])
		sub := &hSelect{From: []hFrom{f}, Where: []hExpr{g.genPred([]*hRel{in})}}
		sub.Items = []hItem{{Expr: in.alias + "." + map[bool]string{true: "id", false: "tenant_id"}[in.tab == hTenants]}}
		not := g.pick([]string{"", "", "NOT "})
		return hExpr{r.ref(*tc) + " " + not + "IN (" + sub.SQL() + ")", []string{"subquery_in"}}, true
	}
	if g.on("subquery_exists", 1) {
		f, in := g.tableSource([]*hTab{hOrders, hUsers, hPayments}[g.r.Intn(3)])
		sub := &hSelect{Items: []hItem{{Expr: "1"}}, From: []hFrom{f}, Where: []hExpr{{S: in.alias + ".tenant_id = " + r.ref(*tc)}, g.genPred([]*hRel{in})}}
		return hExpr{g.pick([]string{"", "NOT "}) + "EXISTS (" + sub.SQL() + ")", []string{"subquery_exists"}}, true
	}
	return hExpr{}, false
}
