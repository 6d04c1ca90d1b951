package hunt

import (
	"sort"
	"strconv"
	"strings"
)

// The hunter's statements are trees of removable parts, so that a failing
// statement can be shrunk part by part (hunt_shrink_test.go). Each part
// carries the generator features it used, so the features of a shrunk
// statement are those of the parts that are left.

// hExpr is one conjunct, group key or returning item.
type hExpr struct {
	S string
	F []string
}

type hItem struct {
	Expr  string
	Alias string
	F     []string
}

// hFrom is the first FROM entry (Join "") or a joined one.
type hFrom struct {
	Join  string   // "", "JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"
	Src   string   // table, VALUES list or function call
	Sub   *hSelect // a derived table instead of Src
	Alias string   // with column aliases for VALUES and functions: "v(k, label)"
	On    []hExpr
	F     []string
}

type hCTE struct {
	Name string
	Body *hSelect
	F    []string
}

// hOrder is one ORDER BY key; Pos (1-based) names the output column it
// sorts, 0 when it sorts something else, so the runner can tell whether the
// order is total.
type hOrder struct {
	S   string
	Pos int
	F   []string
}

type hSelect struct {
	With     []hCTE
	Distinct bool
	Items    []hItem
	Star     bool // SELECT * (column count unknown to the generator)
	From     []hFrom
	Where    []hExpr
	GroupBy  []hExpr
	Having   []hExpr
	SetOp    string // "UNION", "UNION ALL", "INTERSECT", "EXCEPT ALL", ...
	Right    *hSelect
	OrderBy  []hOrder
	Limit    string
	Offset   string
	F        []string // features of the statement as a whole
}

type hDML struct {
	Kind      string // INSERT, UPDATE, DELETE
	Table     string
	Cols      []string
	Rows      []hExpr // "(1, 2, 'x')"
	Conflict  *hExpr
	Set       []hExpr
	Where     []hExpr
	Returning []hExpr
	F         []string
}

// hStmt is one generated statement: a query or a DML statement (run
// inside a transaction that is rolled back on both sides). Parameters are
// written as paramMark + index into Args + paramMark, numbered $1, $2...
// in the order they appear when rendered, so a shrunk statement keeps
// only the parameters it still uses.
type hStmt struct {
	Sel  *hSelect
	DML  *hDML
	Args []any
}

const paramMark = "¤"

// SQL renders the statement with $n parameters.
func (s *hStmt) SQL() string {
	sql, _ := s.render()
	return sql
}

// Params are the parameters of SQL(), in order.
func (s *hStmt) Params() []any {
	_, args := s.render()
	return args
}

func (s *hStmt) render() (string, []any) {
	raw := ""
	if s.DML != nil {
		raw = s.DML.SQL()
	} else {
		raw = s.Sel.SQL()
	}
	parts := strings.Split(raw, paramMark)
	var b strings.Builder
	var args []any
	for i, p := range parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		k, _ := strconv.Atoi(p)
		args = append(args, s.Args[k])
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	return b.String(), args
}

// Ordered tells whether rows must come in the same order: the ORDER BY
// sorts every output column (ties are then identical rows).
func (s *hStmt) Ordered() bool {
	return s.Sel != nil && s.Sel.totalOrder()
}

func (q *hSelect) totalOrder() bool {
	if q.Star || len(q.Items) == 0 {
		return false
	}
	seen := map[int]bool{}
	for _, o := range q.OrderBy {
		if o.Pos > 0 {
			seen[o.Pos] = true
		}
	}
	return len(seen) == len(q.Items)
}

func joinExprs(es []hExpr, sep string) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.S)
	}
	return strings.Join(parts, sep)
}

func (q *hSelect) SQL() string {
	var b strings.Builder
	if len(q.With) > 0 {
		b.WriteString("WITH ")
		for i, c := range q.With {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.Name + " AS (" + c.Body.SQL() + ")")
		}
		b.WriteString(" ")
	}
	b.WriteString(q.core())
	if q.Right != nil {
		b.WriteString(" " + q.SetOp + " " + q.Right.core())
	}
	if len(q.OrderBy) > 0 {
		var keys []string
		for _, o := range q.OrderBy {
			keys = append(keys, o.S)
		}
		b.WriteString(" ORDER BY " + strings.Join(keys, ", "))
	}
	if q.Limit != "" {
		b.WriteString(" LIMIT " + q.Limit)
	}
	if q.Offset != "" {
		b.WriteString(" OFFSET " + q.Offset)
	}
	return b.String()
}

// core renders SELECT ... HAVING, without WITH, set operation and ORDER BY.
func (q *hSelect) core() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Distinct {
		b.WriteString("DISTINCT ")
	}
	var items []string
	if q.Star {
		items = append(items, "*")
	}
	for _, it := range q.Items {
		if it.Alias != "" {
			items = append(items, it.Expr+" AS "+it.Alias)
		} else {
			items = append(items, it.Expr)
		}
	}
	b.WriteString(strings.Join(items, ", "))
	for i, f := range q.From {
		src := f.Src
		if f.Sub != nil {
			src = "(" + f.Sub.SQL() + ")"
		}
		if f.Alias != "" {
			src += " AS " + f.Alias
		}
		switch {
		case i == 0:
			b.WriteString(" FROM " + src)
		case f.Join == "CROSS JOIN" || len(f.On) == 0:
			b.WriteString(" CROSS JOIN " + src)
		default:
			b.WriteString(" " + f.Join + " " + src + " ON " + joinExprs(f.On, " AND "))
		}
	}
	if len(q.Where) > 0 {
		b.WriteString(" WHERE " + joinExprs(q.Where, " AND "))
	}
	if len(q.GroupBy) > 0 {
		b.WriteString(" GROUP BY " + joinExprs(q.GroupBy, ", "))
	}
	if len(q.Having) > 0 {
		b.WriteString(" HAVING " + joinExprs(q.Having, " AND "))
	}
	return b.String()
}

func (d *hDML) SQL() string {
	var b strings.Builder
	switch d.Kind {
	case "INSERT":
		b.WriteString("INSERT INTO " + d.Table + " (" + strings.Join(d.Cols, ", ") + ") VALUES " + joinExprs(d.Rows, ", "))
		if d.Conflict != nil {
			b.WriteString(" " + d.Conflict.S)
		}
	case "UPDATE":
		b.WriteString("UPDATE " + d.Table + " SET " + joinExprs(d.Set, ", "))
	case "DELETE":
		b.WriteString("DELETE FROM " + d.Table)
	}
	if len(d.Where) > 0 {
		b.WriteString(" WHERE " + joinExprs(d.Where, " AND "))
	}
	if len(d.Returning) > 0 {
		b.WriteString(" RETURNING " + joinExprs(d.Returning, ", "))
	}
	return b.String()
}

// Features lists the generator features the statement still uses.
func (s *hStmt) Features() []string {
	set := map[string]bool{}
	add := func(fs []string) {
		for _, f := range fs {
			set[f] = true
		}
	}
	if s.DML != nil {
		d := s.DML
		add(d.F)
		for _, group := range [][]hExpr{d.Rows, d.Set, d.Where, d.Returning} {
			for _, e := range group {
				add(e.F)
			}
		}
		if d.Conflict != nil {
			add(d.Conflict.F)
		}
		if len(d.Returning) > 0 {
			add([]string{"dml_returning"})
		}
	} else {
		s.Sel.features(set)
	}
	if len(s.Params()) > 0 {
		set["params"] = true
	}
	var out []string
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func (q *hSelect) features(set map[string]bool) {
	add := func(fs []string) {
		for _, f := range fs {
			set[f] = true
		}
	}
	add(q.F)
	for _, c := range q.With {
		add(c.F)
		c.Body.features(set)
	}
	for _, it := range q.Items {
		add(it.F)
	}
	joinFeat := map[string]string{"JOIN": "join_inner", "LEFT JOIN": "join_left", "RIGHT JOIN": "join_right", "FULL JOIN": "join_full", "CROSS JOIN": "join_cross"}
	for i, f := range q.From {
		if i > 0 && len(f.On) == 0 {
			set["join_cross"] = true
		} else if i > 0 {
			set[joinFeat[f.Join]] = true
		}
		add(f.F)
		for _, e := range f.On {
			add(e.F)
		}
		if f.Sub != nil {
			f.Sub.features(set)
		}
	}
	for _, group := range [][]hExpr{q.Where, q.GroupBy, q.Having} {
		for _, e := range group {
			add(e.F)
		}
	}
	for _, o := range q.OrderBy {
		add(o.F)
	}
	if q.Right != nil {
		set["setop"] = true
		q.Right.features(set)
	}
	if q.Distinct {
		set["distinct"] = true
	}
	if len(q.GroupBy) > 0 {
		set["group_by"] = true
	}
	if len(q.Having) > 0 {
		set["having"] = true
	}
	if len(q.OrderBy) > 0 {
		set["order_by"] = true
	}
	if q.Limit != "" || q.Offset != "" {
		set["limit_offset"] = true
	}
	if len(q.Items) == 0 && !q.Star {
		set["zero_column"] = true
	}
}
