package hunt

// Select items and aggregates.

// genItem makes one select item of a plain query.
func (g *huntGen) genItem(rels []*hRel) hItem {
	r := rels[g.r.Intn(len(rels))]
	c := r.cols[g.r.Intn(len(r.cols))]
	switch x := g.r.Float64(); {
	case x < 0.1 && g.on("const_targets", 1):
		return hItem{Expr: g.pick([]string{"1", "2.50", "true", "'x'", "NULL", "NULL::int", "-9223372036854775808", "9007199254740993", "'Zoë'", "1.0e2", "DATE '2024-02-29'"}), F: []string{"const_targets"}}
	case x < 0.2 && g.on("case_expr", 1):
		then := g.pick([]string{"'yes' ELSE 'no'", "'yes' ELSE NULL", "1 ELSE NULL", "1 ELSE 0", "NULL ELSE 2.5", "NULL ELSE NULL", "true ELSE false", r.ref(c) + " ELSE NULL"})
		e := "CASE WHEN " + g.compare(r.ref(c), c.Type) + " THEN " + then + " END"
		return hItem{Expr: e, Alias: g.maybeAlias(), F: []string{"case_expr"}}
	case x < 0.28 && g.on("numeric_int_mul", 1):
		if e, ok := g.numMul(rels); ok {
			return hItem{Expr: e, Alias: g.maybeAlias(), F: []string{"numeric_int_mul"}}
		}
	case x < 0.33 && g.on("scalar_subquery", 1) && g.depth == 0:
		e := g.pick([]string{"(SELECT count(*) FROM plans)", "(SELECT max(t.id) FROM tenants t WHERE t.id = " + g.pick(hTenantIDs) + ")", "(SELECT p.label FROM plans p WHERE p.code = 'pro')"})
		return hItem{Expr: e, Alias: g.maybeAlias(), F: []string{"scalar_subquery"}}
	case x < 0.43 && g.on("scalar_funcs", 1):
		e := g.pick(funcsFor(c.Type))
		return hItem{Expr: replaceX(e, r.ref(c)), Alias: g.maybeAlias(), F: []string{"scalar_funcs"}}
	case x < 0.5 && g.on("shadow_alias", 1):
		// An alias that names another input column: ORDER BY it sorts the
		// output, not the column.
		o := r.cols[g.r.Intn(len(r.cols))]
		return hItem{Expr: r.ref(c), Alias: o.Name, F: []string{"shadow_alias"}}
	}
	return hItem{Expr: r.ref(c)}
}

func (g *huntGen) maybeAlias() string {
	if g.r.Intn(2) == 0 {
		return ""
	}
	return g.newAlias("c")
}

// funcsFor lists expressions over X of the given type.
func funcsFor(typ string) []string {
	switch typ {
	case "text":
		return []string{"upper(X)", "length(X)", "coalesce(X, 'none')", "X || '!'", "lower(X)"}
	case "int4", "int8":
		return []string{"X / 10", "X % 3", "abs(X)", "X::text", "coalesce(X, -1)", "-X", "X::numeric / 4"}
	case "num", "float":
		return []string{"round(X)", "X / 3", "coalesce(X, 0)", "X::int", "-X"}
	case "bool":
		return []string{"NOT X", "coalesce(X, false)", "X::int"}
	}
	return []string{"X", "X::text"}
}

func replaceX(e, col string) string {
	out := ""
	for _, ch := range e {
		if ch == 'X' {
			out += col
		} else {
			out += string(ch)
		}
	}
	return out
}

// numMul multiplies a numeric column by an integer column or literal.
func (g *huntGen) numMul(rels []*hRel) (string, bool) {
	var nums, ints []string
	for _, r := range rels {
		for _, c := range r.cols {
			switch c.Type {
			case "num":
				nums = append(nums, r.ref(c))
			case "int4":
				ints = append(ints, r.ref(c))
			}
		}
	}
	if len(nums) == 0 {
		return "", false
	}
	ints = append(ints, "2", "3")
	return g.pick(nums) + " * " + g.pick(ints), true
}

// genAgg makes an aggregate over rels.
func (g *huntGen) genAgg(rels []*hRel) hItem {
	r := rels[g.r.Intn(len(rels))]
	var nums, any, texts, bools []string
	for _, c := range r.cols {
		any = append(any, r.ref(c))
		switch {
		case isNumType(c.Type):
			nums = append(nums, r.ref(c))
		case c.Type == "text":
			texts = append(texts, r.ref(c))
		case c.Type == "bool":
			bools = append(bools, r.ref(c))
		}
	}
	if len(nums) == 0 {
		nums = []string{"1"}
	}
	switch x := g.r.Float64(); {
	case x < 0.12 && g.on("agg_distinct", 1):
		return hItem{Expr: g.pick([]string{"count", "sum", "avg"}) + "(DISTINCT " + g.pick(nums) + ")", Alias: g.maybeAlias(), F: []string{"agg_distinct"}}
	case x < 0.22 && g.on("agg_filter", 1):
		p := g.genPred([]*hRel{r})
		e := g.pick([]string{"count(*)", "sum(" + g.pick(nums) + ")", "max(" + g.pick(any) + ")"})
		return hItem{Expr: e + " FILTER (WHERE " + p.S + ")", Alias: g.maybeAlias(), F: append(p.F, "agg_filter")}
	case x < 0.3 && len(texts) > 0 && g.on("agg_string", 1):
		t := g.pick(texts)
		return hItem{Expr: "string_agg(" + t + ", ',' ORDER BY " + t + ")", Alias: g.maybeAlias(), F: []string{"agg_string"}}
	case x < 0.36 && g.on("agg_bool", 1):
		b := g.compare(g.pick(nums), "int4")
		if len(bools) > 0 && g.r.Intn(2) == 0 {
			b = g.pick(bools)
		}
		return hItem{Expr: g.pick([]string{"bool_and", "bool_or", "every"}) + "(" + b + ")", Alias: g.maybeAlias(), F: []string{"agg_bool"}}
	case x < 0.42 && g.on("numeric_int_mul", 1):
		if e, ok := g.numMul(rels); ok {
			return hItem{Expr: g.pick([]string{"sum", "max", "avg"}) + "(" + e + ")", Alias: g.maybeAlias(), F: []string{"numeric_int_mul", "agg_basic"}}
		}
	}
	e := g.pick([]string{"count(*)", "count(" + g.pick(any) + ")", "sum(" + g.pick(nums) + ")", "avg(" + g.pick(nums) + ")", "min(" + g.pick(any) + ")", "max(" + g.pick(any) + ")"})
	return hItem{Expr: e, Alias: g.maybeAlias(), F: []string{"agg_basic"}}
}
