package hunt

import "slices"

// Shrinking: a failing statement is replaced by a smaller variant (one part
// removed or simplified) as long as the variant still fails the same way;
// the reference decides validity, since a variant it rejects is skipped and
// so never counts as failing.

// shrink returns the smallest statement found for which fails holds, trying
// at most budget variants.
func shrink(s *hStmt, fails func(*hStmt) bool, budget int) *hStmt {
	cur := s
	for progress := true; progress && budget > 0; {
		progress = false
		for _, v := range stmtVariants(cur) {
			if budget--; budget < 0 {
				break
			}
			if fails(v) {
				cur, progress = v, true
				break
			}
		}
	}
	return cur
}

func stmtVariants(s *hStmt) []*hStmt {
	var out []*hStmt
	if s.DML != nil {
		for _, d := range dmlVariants(s.DML) {
			out = append(out, &hStmt{DML: d, Args: s.Args})
		}
		return out
	}
	for _, q := range selectVariants(s.Sel) {
		out = append(out, &hStmt{Sel: q, Args: s.Args})
	}
	return out
}

// dropEach returns copies of xs with one element removed, for each element.
func dropEach[T any](xs []T) [][]T {
	var out [][]T
	for i := range xs {
		c := slices.Clone(xs[:i])
		out = append(out, append(c, xs[i+1:]...))
	}
	return out
}

func dmlVariants(d *hDML) []*hDML {
	var out []*hDML
	with := func(f func(c *hDML)) {
		c := *d
		f(&c)
		out = append(out, &c)
	}
	for _, w := range dropEach(d.Where) {
		with(func(c *hDML) { c.Where = w })
	}
	for _, r := range dropEach(d.Returning) {
		with(func(c *hDML) { c.Returning = r })
	}
	if len(d.Rows) > 1 {
		for _, r := range dropEach(d.Rows) {
			with(func(c *hDML) { c.Rows = r })
		}
	}
	if len(d.Set) > 1 {
		for _, s := range dropEach(d.Set) {
			with(func(c *hDML) { c.Set = s })
		}
	}
	if d.Conflict != nil {
		with(func(c *hDML) { c.Conflict = nil })
	}
	return out
}

// selectVariants lists the one-step simplifications of q, biggest first.
func selectVariants(q *hSelect) []*hSelect {
	var out []*hSelect
	with := func(f func(c *hSelect)) {
		c := *q
		f(&c)
		// LIMIT/OFFSET without a total order would make both sides'
		// answers arbitrary, so such variants are not tried.
		if (c.Limit != "" || c.Offset != "") && !c.totalOrder() {
			return
		}
		out = append(out, &c)
	}
	if q.Right != nil {
		with(func(c *hSelect) { c.Right, c.SetOp = nil, "" })
		for _, r := range selectVariants(q.Right) {
			with(func(c *hSelect) { c.Right = r })
		}
	}
	for _, w := range dropEach(q.With) {
		with(func(c *hSelect) { c.With = w })
	}
	for i := len(q.From) - 1; i >= 1; i-- {
		with(func(c *hSelect) { c.From = slices.Delete(slices.Clone(q.From), i, i+1) })
	}
	out = append(out, fromVariants(q, with)...)
	for _, w := range dropEach(q.Where) {
		with(func(c *hSelect) { c.Where = w })
	}
	for _, h := range dropEach(q.Having) {
		with(func(c *hSelect) { c.Having = h })
	}
	for _, g := range dropEach(q.GroupBy) {
		with(func(c *hSelect) { c.GroupBy = g })
	}
	if q.Limit != "" {
		with(func(c *hSelect) { c.Limit = "" })
	}
	if q.Offset != "" {
		with(func(c *hSelect) { c.Offset = "" })
	}
	for _, o := range dropEach(q.OrderBy) {
		with(func(c *hSelect) { c.OrderBy = o })
	}
	if q.Distinct {
		with(func(c *hSelect) { c.Distinct = false })
	}
	out = append(out, itemVariants(q, with)...)
	for i, c := range q.With {
		for _, b := range selectVariants(c.Body) {
			with(func(s *hSelect) {
				s.With = slices.Clone(q.With)
				s.With[i].Body = b
			})
		}
	}
	return out
}

// fromVariants drops ON conjuncts (keeping at least one) and simplifies
// derived tables.
func fromVariants(q *hSelect, with func(func(*hSelect))) []*hSelect {
	for i, f := range q.From {
		if len(f.On) > 1 {
			for _, on := range dropEach(f.On) {
				with(func(c *hSelect) {
					c.From = slices.Clone(q.From)
					c.From[i].On = on
				})
			}
		}
		if f.Join != "" && f.Join != "JOIN" && f.Join != "CROSS JOIN" {
			with(func(c *hSelect) {
				c.From = slices.Clone(q.From)
				c.From[i].Join = "JOIN"
				c.From[i].F = slices.DeleteFunc(slices.Clone(f.F), func(s string) bool { return s == "outer_nonsharded_preserved" })
			})
		}
		if f.Sub != nil {
			for _, sub := range selectVariants(f.Sub) {
				with(func(c *hSelect) {
					c.From = slices.Clone(q.From)
					c.From[i].Sub = sub
				})
			}
		}
	}
	return nil
}

// itemVariants drops select items, fixing ORDER BY positions.
func itemVariants(q *hSelect, with func(func(*hSelect))) []*hSelect {
	if q.Right != nil {
		return nil // both sides must keep the same columns
	}
	for i := range q.Items {
		with(func(c *hSelect) {
			c.Items = slices.Delete(slices.Clone(q.Items), i, i+1)
			c.OrderBy = nil
			for _, o := range q.OrderBy {
				switch {
				case o.Pos == i+1:
					continue
				case o.Pos > i+1 && isPosition(o.S, o.Pos):
					o.Pos--
					o.S = itoa(o.Pos) + o.S[len(itoa(o.Pos+1)):]
				case o.Pos > i+1:
					o.Pos--
				}
				c.OrderBy = append(c.OrderBy, o)
			}
		})
	}
	return nil
}

// isPosition tells whether an ORDER BY key is written as its position.
func isPosition(s string, pos int) bool {
	p := itoa(pos)
	return len(s) >= len(p) && s[:len(p)] == p && (len(s) == len(p) || s[len(p)] == ' ')
}
