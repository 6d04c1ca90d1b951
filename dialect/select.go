package dialect

import (
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

type selResult struct {
	sql  string
	cols []outCol
}

// selectStmt prints a SELECT (or VALUES, or set operation). parent is the
// enclosing query's scope for correlated references.
func (t *translator) selectStmt(s *pg.SelectStmt, parent *scope, top bool) selResult {
	if s == nil {
		unsupported("empty query")
	}
	sc := &scope{parent: parent}
	var b strings.Builder
	if s.WithClause != nil {
		b.WriteString(t.with(s.WithClause, sc))
	}
	if s.IntoClause != nil {
		unsupported("SELECT INTO")
	}
	var res selResult
	switch {
	case s.Op != pg.SetOperation_SETOP_NONE && s.Op != pg.SetOperation_SET_OPERATION_UNDEFINED:
		res = t.setOp(s, sc)
	case len(s.ValuesLists) > 0:
		res = t.values(s.ValuesLists, sc, nil)
	default:
		res = t.simpleSelect(s, sc, top)
	}
	b.WriteString(res.sql)
	// ORDER BY / LIMIT of the whole statement
	if len(s.SortClause) > 0 {
		b.WriteString(" ORDER BY ")
		for i, n := range s.SortClause {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t.sortItem(n, sc, s, res.cols))
		}
	}
	b.WriteString(t.limit(s, sc))
	res.sql = b.String()
	return res
}

func (t *translator) with(w *pg.WithClause, sc *scope) string {
	if w.Recursive {
		unsupported("WITH RECURSIVE")
	}
	sc.ctes = map[string][]col{}
	var parts []string
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			unsupported("CTE %s", nodeName(n))
		}
		sel := cte.Ctequery.GetSelectStmt()
		if sel == nil {
			unsupported("data-modifying statement in WITH")
		}
		if cte.SearchClause != nil || cte.CycleClause != nil {
			unsupported("CTE SEARCH/CYCLE")
		}
		r := t.selectStmt(sel, sc, false)
		cols := make([]col, len(r.cols))
		var names []string
		for i, c := range r.cols {
			cols[i] = col{c.name, c.t}
			if i < len(cte.Aliascolnames) {
				cols[i].name = cte.Aliascolnames[i].GetString_().GetSval()
			}
			names = append(names, ident(cols[i].name))
		}
		sc.ctes[cte.Ctename] = cols
		parts = append(parts, ident(cte.Ctename)+"("+strings.Join(names, ", ")+") AS ("+r.sql+")")
	}
	return "WITH " + strings.Join(parts, ", ") + " "
}

// valuesType is the type of a VALUES column whose rows so far have type
// have and the next row type next (Postgres's select_common_type): the
// promoted type, with a typmod and display scale only when all rows share
// them.
func valuesType(have, next typ) typ {
	switch {
	case have.oid == 0:
		return next
	case next.oid == 0 || next == have:
		return have
	case !comparable(have, next):
		fail(sqltypes.DatatypeMismatch, "VALUES types %s and %s cannot be matched", sqltypes.TypeName(have.oid), sqltypes.TypeName(next.oid))
	}
	ty := promote(have, next, true)
	if ty.oid == have.oid && ty.oid == next.oid && have.mod != next.mod {
		ty.mod = -1
	}
	if ty.oid == sqltypes.OIDNumeric && ty.mod < 0 {
		ty = numT(sameScale(have, next))
	}
	return ty
}

// shortScale tells whether a SQLite number for e shows e's display scale
// by itself: an integer, a numeric of scale 0, or a numeric literal without
// trailing zeros in its fraction (1.5, not 1.50).
func shortScale(e ex, n *pg.Node) bool {
	if e.t.oid != sqltypes.OIDNumeric || e.t.dscale() == 0 {
		return true
	}
	if c := n.GetAConst(); c != nil {
		if f, ok := c.Val.(*pg.A_Const_Fval); ok {
			return !strings.ContainsAny(f.Fval.Fval, "eE") && !strings.HasSuffix(f.Fval.Fval, "0")
		}
	}
	return false
}

func (t *translator) setOp(s *pg.SelectStmt, sc *scope) selResult {
	branch := func(b *pg.SelectStmt, right bool) selResult {
		r := t.selectStmt(b, sc, false)
		nested := b.Op != pg.SetOperation_SETOP_NONE && b.Op != pg.SetOperation_SET_OPERATION_UNDEFINED
		if (nested && right) || len(b.SortClause) > 0 || b.LimitCount != nil || b.LimitOffset != nil || b.WithClause != nil {
			r.sql = "SELECT * FROM (" + r.sql + ")"
		}
		return r
	}
	l := branch(s.Larg, false)
	r := branch(s.Rarg, true)
	if len(l.cols) != len(r.cols) {
		fail(sqltypes.SyntaxError, "each %s query must have the same number of columns", setOpName(s.Op))
	}
	op := setOpName(s.Op)
	if s.All {
		if s.Op != pg.SetOperation_SETOP_UNION {
			unsupported("%s ALL", op)
		}
		op += " ALL"
	}
	cols := make([]outCol, len(l.cols))
	for i := range l.cols {
		ty := l.cols[i].t
		if ty.oid == 0 {
			ty = r.cols[i].t
		} else if r.cols[i].t.oid != 0 && r.cols[i].t != ty {
			ty = promote(ty, r.cols[i].t, true)
			if ty.oid == sqltypes.OIDNumeric && ty.mod < 0 {
				ty = numT(sameScale(l.cols[i].t, r.cols[i].t))
				if ty.dscale() < 0 && (l.cols[i].t.dscale() != 0 || r.cols[i].t.dscale() != 0) {
					// each row would need its own display scale, which the
					// REALs have dropped (12.50 would read 12.5)
					unsupported("%s of numerics with different display scales", op)
				}
			}
		}
		cols[i] = outCol{sql: ident(l.cols[i].name), name: l.cols[i].name, t: ty}
	}
	return selResult{sql: l.sql + " " + op + " " + r.sql, cols: cols}
}

func setOpName(op pg.SetOperation) string {
	switch op {
	case pg.SetOperation_SETOP_UNION:
		return "UNION"
	case pg.SetOperation_SETOP_INTERSECT:
		return "INTERSECT"
	}
	return "EXCEPT"
}

// values prints a VALUES list; hints give the target column types (INSERT).
func (t *translator) values(lists []*pg.Node, sc *scope, hints []typ) selResult {
	var rows []string
	var cols []outCol
	var zeros []bool // per column: a value whose display scale a REAL loses
	for ri, l := range lists {
		items := l.GetList().GetItems()
		if ri > 0 && len(items) != len(cols) {
			fail(sqltypes.SyntaxError, "VALUES lists must all be the same length")
		}
		var parts []string
		for i, it := range items {
			h := unknownT
			if i < len(hints) {
				h = hints[i]
			} else if ri > 0 {
				h = cols[i].t.bare()
			}
			e := t.expr(it, sc, h)
			if i < len(hints) {
				// INSERT: the assignment coercion to the column's type
				parts = append(parts, assignSQL(h, e))
			} else {
				parts = append(parts, e.sql)
			}
			if ri == 0 {
				cols = append(cols, outCol{name: "column" + strconv.Itoa(i+1), t: e.t})
				zeros = append(zeros, false)
			} else {
				cols[i].t = valuesType(cols[i].t, e.t)
			}
			zeros[i] = zeros[i] || !shortScale(e, it)
		}
		rows = append(rows, "("+strings.Join(parts, ", ")+")")
	}
	for i := len(hints); i < len(cols); i++ {
		if cols[i].t.oid == sqltypes.OIDNumeric && cols[i].t.dscale() < 0 && zeros[i] {
			// each value would need its own display scale; SQLite's REAL
			// has dropped the trailing zeros (2.50 would read 2.5)
			unsupported("VALUES column of numerics with different display scales")
		}
	}
	for i := range cols {
		cols[i].sql = ident(cols[i].name)
	}
	return selResult{sql: "VALUES " + strings.Join(rows, ", "), cols: cols}
}

func (t *translator) simpleSelect(s *pg.SelectStmt, sc *scope, top bool) selResult {
	var b strings.Builder
	b.WriteString("SELECT ")
	if len(s.DistinctClause) > 0 {
		if len(s.DistinctClause) > 1 || s.DistinctClause[0] != nil && s.DistinctClause[0].Node != nil {
			unsupported("DISTINCT ON")
		}
		b.WriteString("DISTINCT ")
	}
	if len(s.WindowClause) > 0 {
		unsupported("WINDOW")
	}
	from := t.fromList(s.FromClause, sc)
	cols := t.targetList(s.TargetList, sc)
	var parts []string
	for i, c := range cols {
		if raw, ok := t.exact[c.sql]; ok && top {
			if len(s.DistinctClause) > 0 && c.t.dscale() < 0 {
				// equal values of varying scale (2.0000, 2.00) are distinct texts
				unsupported("SELECT DISTINCT over a numeric whose display scale varies (a quotient or average)")
			}
			// the statement's result: the exact aggregate's text, sorted as a number
			cols[i].key, cols[i].sql = c.sql, raw
			c.sql = raw
		}
		parts = append(parts, c.sql+" AS "+ident(c.name))
	}
	if len(parts) == 0 {
		parts = []string{"NULL"} // SELECT FROM t: rows of no columns; SQLite needs one
	}
	b.WriteString(strings.Join(parts, ", "))
	if from != "" {
		b.WriteString(" FROM " + from)
	}
	if s.WhereClause != nil {
		b.WriteString(" WHERE " + t.cond(s.WhereClause, sc))
	}
	if len(s.GroupClause) > 0 {
		if s.GroupDistinct {
			unsupported("GROUP BY DISTINCT")
		}
		var g []string
		for _, n := range s.GroupClause {
			g = append(g, t.groupItem(n, sc, s, cols))
		}
		b.WriteString(" GROUP BY " + strings.Join(g, ", "))
	}
	if s.HavingClause != nil {
		if len(s.GroupClause) == 0 {
			unsupported("HAVING without GROUP BY")
		}
		b.WriteString(" HAVING " + t.cond(s.HavingClause, sc))
	}
	for _, l := range s.LockingClause {
		if lc := l.GetLockingClause(); lc != nil && len(lc.LockedRels) > 0 {
			unsupported("FOR UPDATE OF")
		}
	}
	return selResult{sql: b.String(), cols: cols}
}

func (t *translator) targetList(list []*pg.Node, sc *scope) []outCol {
	var cols []outCol
	for _, n := range list {
		rt := resTarget(n, "target", "indirection in target list")
		if cr := rt.Val.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			if _, star := cr.Fields[len(cr.Fields)-1].Node.(*pg.Node_AStar); star {
				cols = append(cols, t.star(cr, sc)...)
				continue
			}
		}
		e := t.expr(rt.Val, sc, unknownT)
		name := rt.Name
		if name == "" {
			name, _ = figureName(rt.Val)
		}
		cols = append(cols, outCol{sql: e.sql, name: name, t: e.t})
	}
	return cols
}

func (t *translator) star(cr *pg.ColumnRef, sc *scope) []outCol {
	if len(cr.Fields) == 1 {
		if len(sc.rels) == 0 {
			fail(sqltypes.SyntaxError, "SELECT * with no tables specified is not valid")
		}
		return sc.star()
	}
	if len(cr.Fields) != 2 {
		unsupported("qualified *")
	}
	name := cr.Fields[0].GetString_().GetSval()
	for s := sc; s != nil; s = s.parent {
		for _, r := range s.rels {
			if r.name == name {
				var out []outCol
				for _, c := range r.cols {
					out = append(out, outCol{sql: s.colSQL(r, c.name), name: c.name, t: c.t})
				}
				return out
			}
		}
	}
	fail(sqltypes.UndefinedTable, "missing FROM-clause entry for table %q", name)
	return nil
}

// star lists the columns "*" stands for in scope sc, in Postgres's order.
func (sc *scope) star() []outCol {
	var out []outCol
	for _, it := range sc.items {
		out = append(out, it...)
	}
	return out
}

// ---- FROM ----

// fromList prints the FROM clause and fills sc with what it makes visible.
func (t *translator) fromList(list []*pg.Node, sc *scope) string {
	var parts []string
	for _, n := range list {
		sqlText, star := t.fromItem(n, sc)
		parts = append(parts, sqlText)
		sc.items = append(sc.items, star)
	}
	return strings.Join(parts, ", ")
}

// fromItem prints one FROM item, adds its relations to sc and returns the
// columns it contributes to "*".
func (t *translator) fromItem(n *pg.Node, sc *scope) (string, []outCol) {
	switch x := n.Node.(type) {
	case *pg.Node_RangeVar:
		rv := x.RangeVar
		refuseQualified(rv)
		var cols []col
		if c, ok := sc.cte(rv.Relname); ok && rv.Schemaname == "" {
			cols = append(cols, c...)
		} else {
			cols = t.tableCols(rv.Relname)
		}
		name, sqlText := rv.Relname, ident(rv.Relname)
		if rv.Alias != nil {
			name = rv.Alias.Aliasname
			sqlText += " AS " + ident(name)
			renameCols(cols, rv.Alias.Colnames)
		}
		r := &rel{name: name, sqlRef: ident(name), cols: cols}
		sc.rels = append(sc.rels, r)
		return sqlText, relStar(sc, r)
	case *pg.Node_RangeSubselect:
		rs := x.RangeSubselect
		if rs.Lateral {
			unsupported("LATERAL")
		}
		// not LATERAL: the subquery sees the outer queries and the CTEs, not its siblings
		sub := t.selectStmt(rs.Subquery.GetSelectStmt(), &scope{parent: sc.parent, ctes: sc.ctes}, false)
		t.nsub++
		name, alias := "", "unnamed_subquery_"+strconv.Itoa(t.nsub)
		if rs.Alias != nil {
			name, alias = rs.Alias.Aliasname, rs.Alias.Aliasname
		}
		cols := make([]col, len(sub.cols))
		for i, c := range sub.cols {
			cols[i] = col{c.name, c.t}
		}
		if rs.Alias != nil {
			renameCols(cols, rs.Alias.Colnames)
		}
		// name the subquery's columns explicitly so the outer references hold
		sqlText := "(" + sub.sql + ") AS " + ident(alias)
		if rs.Alias != nil && len(rs.Alias.Colnames) > 0 {
			var sel []string
			for i, c := range sub.cols {
				sel = append(sel, ident(c.name)+" AS "+ident(cols[i].name))
			}
			sqlText = "(SELECT " + strings.Join(sel, ", ") + " FROM (" + sub.sql + ")) AS " + ident(alias)
		}
		r := &rel{name: name, sqlRef: ident(alias), cols: cols}
		sc.rels = append(sc.rels, r)
		return sqlText, relStar(sc, r)
	case *pg.Node_JoinExpr:
		return t.join(x.JoinExpr, sc)
	}
	unsupported("FROM item %s", nodeName(n))
	return "", nil
}

func renameCols(cols []col, names []*pg.Node) {
	if len(names) > len(cols) {
		fail(sqltypes.InvalidColumnReference, "table has %d columns available but %d columns specified", len(cols), len(names))
	}
	for i, n := range names {
		cols[i].name = n.GetString_().GetSval()
	}
}

func relStar(sc *scope, r *rel) []outCol {
	out := make([]outCol, len(r.cols))
	for i, c := range r.cols {
		out[i] = outCol{sql: sc.colSQL(r, c.name), name: c.name, t: c.t}
	}
	return out
}

func (t *translator) join(j *pg.JoinExpr, sc *scope) (string, []outCol) {
	if j.IsNatural {
		unsupported("NATURAL JOIN")
	}
	if j.Alias != nil || j.JoinUsingAlias != nil {
		unsupported("alias on a JOIN")
	}
	lsql, lstar := t.fromItem(j.Larg, sc)
	rsql, rstar := t.fromItem(j.Rarg, sc)
	var kw string
	switch j.Jointype {
	case pg.JoinType_JOIN_INNER:
		kw = "JOIN"
		if j.Quals == nil && len(j.UsingClause) == 0 {
			kw = "CROSS JOIN"
		}
	case pg.JoinType_JOIN_LEFT:
		kw = "LEFT JOIN"
	case pg.JoinType_JOIN_RIGHT:
		kw = "RIGHT JOIN"
	case pg.JoinType_JOIN_FULL:
		kw = "FULL JOIN"
	default:
		unsupported("join type %s", j.Jointype)
	}
	out := lsql + " " + kw + " "
	if _, isJoin := j.Rarg.Node.(*pg.Node_JoinExpr); isJoin {
		out += "(" + rsql + ")"
	} else {
		out += rsql
	}
	if len(j.UsingClause) > 0 {
		var names []string
		var merged []outCol
		used := map[string]bool{}
		for _, u := range j.UsingClause {
			name := u.GetString_().GetSval()
			l, lok := findCol(lstar, name)
			r, rok := findCol(rstar, name)
			if !lok || !rok {
				fail(sqltypes.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, map[bool]string{true: "right", false: "left"}[lok])
			}
			m := outCol{sql: l.sql, name: name, t: l.t}
			switch j.Jointype {
			case pg.JoinType_JOIN_RIGHT:
				m.sql = r.sql
			case pg.JoinType_JOIN_FULL:
				m.sql = "coalesce(" + l.sql + ", " + r.sql + ")"
			}
			merged = append(merged, m)
			used[name] = true
			names = append(names, ident(name))
		}
		out += " USING (" + strings.Join(names, ", ") + ")"
		sc.merged = append(sc.merged, merged...)
		star := merged
		for _, c := range lstar {
			if !used[c.name] {
				star = append(star, c)
			}
		}
		for _, c := range rstar {
			if !used[c.name] {
				star = append(star, c)
			}
		}
		return out, star
	}
	if j.Quals != nil {
		out += " ON " + t.cond(j.Quals, sc)
	}
	return out, append(append([]outCol{}, lstar...), rstar...)
}

func findCol(cols []outCol, name string) (outCol, bool) {
	for _, c := range cols {
		if c.name == name {
			return c, true
		}
	}
	return outCol{}, false
}

// ---- ORDER BY, GROUP BY, LIMIT ----

// outputRef resolves an ORDER BY/GROUP BY item that names an output column
// (by ordinal or by alias) to its index, or -1.
func outputRef(n *pg.Node, cols []outCol, preferInput bool, sc *scope) int {
	if c := n.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
			i := int(iv.Ival.Ival)
			if i < 1 || i > len(cols) {
				fail(sqltypes.InvalidColumnReference, "position %d is not in select list", i)
			}
			return i - 1
		}
		return -1
	}
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 {
		return -1
	}
	name := cr.Fields[0].GetString_().GetSval()
	if name == "" {
		return -1
	}
	if preferInput {
		for _, r := range sc.rels {
			if _, ok := findColIn(r.cols, name); ok {
				return -1
			}
		}
	}
	// several output columns of that name are ambiguous unless they are the
	// same expression ("SELECT *, id ... ORDER BY id")
	idx := -1
	for i, c := range cols {
		if c.name == name {
			if idx >= 0 && c.sql != cols[idx].sql {
				clause := "ORDER BY"
				if preferInput {
					clause = "GROUP BY"
				}
				fail(sqltypes.AmbiguousColumn, "%s %q is ambiguous", clause, name)
			}
			if idx < 0 {
				idx = i
			}
		}
	}
	return idx
}

func findColIn(cols []col, name string) (col, bool) {
	for _, c := range cols {
		if c.name == name {
			return c, true
		}
	}
	return col{}, false
}

func (t *translator) sortItem(n *pg.Node, sc *scope, s *pg.SelectStmt, cols []outCol) string {
	sb := n.GetSortBy()
	if sb == nil {
		unsupported("sort item %s", nodeName(n))
	}
	var key string
	simple := s.Op == pg.SetOperation_SETOP_NONE || s.Op == pg.SetOperation_SET_OPERATION_UNDEFINED
	if i := outputRef(sb.Node, cols, false, sc); i >= 0 {
		key = strconv.Itoa(i + 1)
		if cols[i].key != "" && simple && len(s.ValuesLists) == 0 {
			key = cols[i].key
			if k, ok := t.exactSortKey(ex{sql: cols[i].key}); ok {
				key = k
			}
		}
	} else if !simple || len(s.ValuesLists) > 0 {
		unsupported("ORDER BY expression on a set operation or VALUES")
	} else {
		e := t.expr(sb.Node, sc, unknownT)
		key = e.sql
		if k, ok := t.exactSortKey(e); ok {
			key = k
		}
	}
	desc := false
	switch sb.SortbyDir {
	case pg.SortByDir_SORTBY_DESC:
		desc = true
		key += " DESC"
	case pg.SortByDir_SORTBY_ASC:
		key += " ASC"
	case pg.SortByDir_SORTBY_USING:
		unsupported("ORDER BY USING")
	}
	switch sb.SortbyNulls {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		key += " NULLS FIRST"
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		key += " NULLS LAST"
	default:
		if desc {
			key += " NULLS FIRST"
		} else {
			key += " NULLS LAST"
		}
	}
	return key
}

func (t *translator) groupItem(n *pg.Node, sc *scope, s *pg.SelectStmt, cols []outCol) string {
	switch n.Node.(type) {
	case *pg.Node_GroupingSet:
		unsupported("GROUPING SETS/ROLLUP/CUBE")
	}
	if i := outputRef(n, cols, true, sc); i >= 0 {
		key := cols[i].key
		if key == "" {
			key = cols[i].sql
		}
		if k, ok := t.exactGroupKey(ex{sql: key, t: cols[i].t}); ok {
			return k
		}
		return cols[i].sql
	}
	e := t.expr(n, sc, unknownT)
	if k, ok := t.exactGroupKey(e); ok {
		return k
	}
	return e.sql
}

func (t *translator) limit(s *pg.SelectStmt, sc *scope) string {
	if s.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
		unsupported("FETCH ... WITH TIES")
	}
	bound := func(n *pg.Node, what string) string {
		if c := n.GetAConst(); c != nil && c.Isnull {
			return ""
		}
		e := t.expr(n, sc, mk(sqltypes.OIDInt8))
		if e.t.oid != 0 && e.t.cat() != sqltypes.CatInt {
			unsupported("non-integer %s", what)
		}
		if c := n.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg.A_Const_Ival); ok && iv.Ival.Ival < 0 {
				fail(sqltypes.InvalidRowCountInLimitClause, "%s must not be negative", what)
			}
		}
		return e.sql
	}
	lim, off := "", ""
	if s.LimitCount != nil {
		lim = bound(s.LimitCount, "LIMIT")
	}
	if s.LimitOffset != nil {
		off = bound(s.LimitOffset, "OFFSET")
	}
	switch {
	case lim == "" && off == "":
		return ""
	case off == "":
		return " LIMIT " + lim
	case lim == "":
		return " LIMIT -1 OFFSET " + off
	}
	return " LIMIT " + lim + " OFFSET " + off
}
