package dialect

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// targetRel makes the scope of an INSERT/UPDATE/DELETE target table.
func (t *translator) targetRel(rv *pg.RangeVar) (*scope, *rel, string) {
	refuseQualified(rv)
	if !rv.Inh {
		unsupported("ONLY")
	}
	cols := t.tableCols(rv.Relname)
	name, sqlText := rv.Relname, ident(rv.Relname)
	if rv.Alias != nil {
		name = rv.Alias.Aliasname
		sqlText += " AS " + ident(name)
	}
	r := &rel{name: name, sqlRef: ident(name), cols: cols}
	sc := &scope{rels: []*rel{r}}
	sc.items = [][]outCol{relStar(sc, r)}
	return sc, r, sqlText
}

func (t *translator) returning(list []*pg.Node, sc *scope, tr *Translation) string {
	if len(list) == 0 {
		return ""
	}
	cols := t.targetList(list, sc)
	var parts []string
	for _, c := range cols {
		parts = append(parts, c.sql+" AS "+ident(c.name))
	}
	tr.Fields = fields(cols)
	tr.Scales = scales(cols)
	return " RETURNING " + strings.Join(parts, ", ")
}

func (t *translator) insert(s *pg.InsertStmt) *Translation {
	if s.WithClause != nil {
		unsupported("WITH on INSERT")
	}
	if s.Override != pg.OverridingKind_OVERRIDING_NOT_SET && s.Override != pg.OverridingKind_OVERRIDING_KIND_UNDEFINED {
		unsupported("OVERRIDING")
	}
	sc, r, target := t.targetRel(s.Relation)
	tr := &Translation{Kind: KindInsert, Tag: "INSERT", Table: s.Relation.Relname}
	cols := insertCols(s, r)
	var b strings.Builder
	b.WriteString("INSERT INTO " + target)
	sel := s.SelectStmt.GetSelectStmt()
	switch {
	case sel == nil:
		b.WriteString(" DEFAULT VALUES")
	case len(sel.ValuesLists) > 0 && sel.Op == pg.SetOperation_SETOP_NONE && len(sel.SortClause) == 0 && sel.LimitCount == nil && sel.LimitOffset == nil && sel.WithClause == nil:
		b.WriteString(t.insertValues(sel.ValuesLists, cols))
	default:
		v := t.selectStmt(sel, nil, false)
		if len(v.cols) > len(cols) {
			fail(sqltypes.SyntaxError, "INSERT has more expressions than target columns")
		}
		var names []string
		for i := range v.cols {
			names = append(names, ident(cols[i].name))
		}
		b.WriteString(" (" + strings.Join(names, ", ") + ") ")
		if s.OnConflictClause != nil {
			// SQLite needs a WHERE to tell the upsert from a join constraint
			b.WriteString("SELECT * FROM (" + v.sql + ") WHERE true")
		} else {
			b.WriteString(v.sql)
		}
	}
	if oc := s.OnConflictClause; oc != nil {
		b.WriteString(t.onConflict(oc, sc, r))
	}
	b.WriteString(t.returning(s.ReturningList, sc, tr))
	tr.SQL = b.String()
	return tr
}

// insertCols are the target columns: those named, or all of the table's.
func insertCols(s *pg.InsertStmt, r *rel) []col {
	if len(s.Cols) == 0 {
		return append([]col(nil), r.cols...)
	}
	var cols []col
	seen := map[string]bool{}
	for _, n := range s.Cols {
		rt := n.GetResTarget()
		if len(rt.Indirection) > 0 {
			unsupported("INSERT into a subfield")
		}
		c, ok := findColIn(r.cols, rt.Name)
		if !ok {
			fail(sqltypes.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, s.Relation.Relname)
		}
		if seen[c.name] {
			fail(sqltypes.DuplicateColumn, "column %q specified more than once", c.name)
		}
		seen[c.name] = true
		cols = append(cols, c)
	}
	return cols
}

// insertValues is the " (columns) VALUES ..." part of INSERT ... VALUES.
func (t *translator) insertValues(rows []*pg.Node, cols []col) string {
	width := len(rows[0].GetList().GetItems())
	if width > len(cols) {
		fail(sqltypes.SyntaxError, "INSERT has more expressions than target columns")
	}
	cols = cols[:width]
	keep := defaultColumns(rows, width)
	var names []string
	var hints []typ
	var kept []*pg.Node
	for _, row := range rows {
		var items []*pg.Node
		for i, it := range row.GetList().GetItems() {
			if keep[i] {
				items = append(items, it)
			}
		}
		t.assign(items...)
		kept = append(kept, &pg.Node{Node: &pg.Node_List{List: &pg.List{Items: items}}})
	}
	for i, c := range cols {
		if keep[i] {
			names = append(names, ident(c.name))
			hints = append(hints, c.t)
		}
	}
	if len(names) == 0 {
		if len(rows) > 1 {
			unsupported("multi-row VALUES of DEFAULT only")
		}
		return " DEFAULT VALUES"
	}
	v := t.values(kept, &scope{}, hints)
	return " (" + strings.Join(names, ", ") + ") " + v.sql
}

// defaultColumns says which of the width columns to keep: columns given
// DEFAULT in every row are left out; a mix is refused.
func defaultColumns(rows []*pg.Node, width int) []bool {
	keep := make([]bool, width)
	for i := 0; i < width; i++ {
		def := 0
		for _, row := range rows {
			items := row.GetList().GetItems()
			if len(items) != width {
				fail(sqltypes.SyntaxError, "VALUES lists must all be the same length")
			}
			if items[i].GetSetToDefault() != nil {
				def++
			}
		}
		if def != 0 && def != len(rows) {
			unsupported("DEFAULT in some rows of a multi-row VALUES")
		}
		keep[i] = def == 0
	}
	return keep
}

// onConflict is the ON CONFLICT clause of an upsert into r.
func (t *translator) onConflict(oc *pg.OnConflictClause, sc *scope, r *rel) string {
	var b strings.Builder
	b.WriteString(" ON CONFLICT")
	if oc.Infer != nil {
		if oc.Infer.Conname != "" {
			unsupported("ON CONFLICT ON CONSTRAINT")
		}
		var keys []string
		for _, n := range oc.Infer.IndexElems {
			ie := n.GetIndexElem()
			if ie == nil || ie.Name == "" {
				unsupported("ON CONFLICT on an expression")
			}
			if _, ok := findColIn(r.cols, ie.Name); !ok {
				fail(sqltypes.UndefinedColumn, "column %q does not exist", ie.Name)
			}
			keys = append(keys, ident(ie.Name))
		}
		b.WriteString(" (" + strings.Join(keys, ", ") + ")")
		if oc.Infer.WhereClause != nil {
			b.WriteString(" WHERE " + t.cond(oc.Infer.WhereClause, &scope{rels: sc.rels, bare: true}))
		}
	}
	switch oc.Action {
	case pg.OnConflictAction_ONCONFLICT_NOTHING:
		b.WriteString(" DO NOTHING")
	case pg.OnConflictAction_ONCONFLICT_UPDATE:
		if oc.Infer == nil {
			fail(sqltypes.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		ex := &rel{name: "excluded", sqlRef: "excluded", cols: r.cols}
		usc := &scope{rels: []*rel{r, ex}}
		b.WriteString(" DO UPDATE SET " + t.setList(oc.TargetList, usc, r))
		if oc.WhereClause != nil {
			b.WriteString(" WHERE " + t.cond(oc.WhereClause, usc))
		}
	default:
		unsupported("ON CONFLICT action")
	}
	return b.String()
}

// resTarget is an item of a SET or target list, refused (as what) when it
// is none and (with the indirection message) when it names a subfield.
func resTarget(n *pg.Node, what, indirection string) *pg.ResTarget {
	rt := n.GetResTarget()
	if rt == nil {
		unsupported("%s %s", what, nodeName(n))
	}
	if len(rt.Indirection) > 0 {
		unsupported("%s", indirection)
	}
	return rt
}

func (t *translator) setList(list []*pg.Node, sc *scope, r *rel) string {
	var parts []string
	for _, n := range list {
		rt := resTarget(n, "SET item", "assignment to a subfield")
		if rt.Val.GetMultiAssignRef() != nil {
			unsupported("multiple-column assignment")
		}
		c, ok := findColIn(r.cols, rt.Name)
		if !ok {
			fail(sqltypes.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, r.name)
		}
		if rt.Val.GetSetToDefault() != nil {
			unsupported("SET column = DEFAULT")
		}
		t.assign(rt.Val)
		e := t.expr(rt.Val, sc, c.t)
		assignable(c.t, e.t, c.name)
		parts = append(parts, ident(c.name)+" = "+assignSQL(c.t, e))
	}
	return strings.Join(parts, ", ")
}

// assignable refuses assignments Postgres would reject or SQLite would
// store differently.
func assignable(to, from typ, name string) {
	if from.oid == 0 || to.oid == from.oid {
		return
	}
	if timeAssignable(to, from) {
		return
	}
	if !comparable(to, from) && !(to.cat() == sqltypes.CatString && from.cat() == sqltypes.CatInt) { // text column from an integer is fine
		fail(sqltypes.DatatypeMismatch, "column %q is of type %s but expression is of type %s", name, typeName(to), typeName(from))
	}
}

// timeAssignable reports whether Postgres has an (assignment) cast between
// the two date/time types; assignSQL converts the stored form.
func timeAssignable(to, from typ) bool {
	if to.cat() != sqltypes.CatTime || from.cat() != sqltypes.CatTime || to.oid == sqltypes.OIDInterval || from.oid == sqltypes.OIDInterval {
		return false
	}
	switch to.oid {
	case sqltypes.OIDTime:
		return from.oid != sqltypes.OIDDate
	default:
		return from.oid != sqltypes.OIDTime
	}
}

// assignSQL prints e converted for storage in a column of type to, as
// Postgres's assignment coercion converts it: date/time values to the
// column's type (the gate's TimeZone is UTC, so timestamptz and timestamp
// share their stored text), numeric values rounded to the column's scale.
func assignSQL(to typ, e ex) string {
	from := e.t
	if to.oid == sqltypes.OIDNumeric && sqltypes.NumericScale(to.mod) >= 0 && (from.oid == 0 || from.cat() == sqltypes.CatInt || from.cat() == sqltypes.CatFloat || from.cat() == sqltypes.CatNumeric && from.mod != to.mod) {
		return fitNumeric(e.sql, to.mod) // rounded to the scale, 22003 past the precision
	}
	if to.oid == sqltypes.OIDFloat8 && (from.oid == 0 || from.cat() == sqltypes.CatFloat) {
		return "pg_f8(" + e.sql + ")" // refuses -0, which SQLite stores as 0
	}
	if from.oid == 0 || from.oid == to.oid && from.mod == to.mod {
		return e.sql
	}
	if to.cat() == sqltypes.CatInt {
		if s, ok := toInt(to, e); ok {
			return s
		}
	}
	if to.oid == sqltypes.OIDFloat4 && from.oid != sqltypes.OIDFloat4 {
		return "pg_f4(" + e.sql + ")" // a float4 holds a float32
	}
	if to.oid == sqltypes.OIDBPChar && from.oid != sqltypes.OIDBPChar {
		return "rtrim(" + e.sql + ", ' ')" // the stored form of character(n)
	}
	if timeAssignable(to, from) {
		switch {
		case to.oid == sqltypes.OIDDate && from.oid != sqltypes.OIDDate:
			return "substr(" + e.sql + ", 1, 10)"
		case to.oid == sqltypes.OIDTime && from.oid != sqltypes.OIDTime:
			return "substr(" + e.sql + ", 12)"
		case to.oid != sqltypes.OIDDate && from.oid == sqltypes.OIDDate:
			return "(" + e.sql + " || ' 00:00:00')"
		}
		return e.sql
	}
	return e.sql
}

func typeName(t typ) string {
	if t.oid == 0 {
		return "unknown"
	}
	return sqltypes.TypeName(t.oid)
}

// dmlWhere is the WHERE clause of an UPDATE or DELETE, "" for none; WHERE
// CURRENT OF (a cursor's row) has no SQLite form.
func (t *translator) dmlWhere(w *pg.Node, sc *scope) string {
	if w == nil {
		return ""
	}
	if w.GetCurrentOfExpr() != nil {
		unsupported("WHERE CURRENT OF")
	}
	return " WHERE " + t.cond(w, sc)
}

func (t *translator) update(s *pg.UpdateStmt) *Translation {
	if s.WithClause != nil {
		unsupported("WITH on UPDATE")
	}
	if len(s.FromClause) > 0 {
		unsupported("UPDATE ... FROM")
	}
	sc, r, target := t.targetRel(s.Relation)
	tr := &Translation{Kind: KindUpdate, Tag: "UPDATE", Table: s.Relation.Relname}
	sqlText := "UPDATE " + target + " SET " + t.setList(s.TargetList, sc, r)
	sqlText += t.dmlWhere(s.WhereClause, sc)
	tr.SQL = sqlText + t.returning(s.ReturningList, sc, tr)
	return tr
}

func (t *translator) delete(s *pg.DeleteStmt) *Translation {
	if s.WithClause != nil {
		unsupported("WITH on DELETE")
	}
	if len(s.UsingClause) > 0 {
		unsupported("DELETE ... USING")
	}
	sc, _, target := t.targetRel(s.Relation)
	tr := &Translation{Kind: KindDelete, Tag: "DELETE", Table: s.Relation.Relname}
	sqlText := "DELETE FROM " + target
	sqlText += t.dmlWhere(s.WhereClause, sc)
	tr.SQL = sqlText + t.returning(s.ReturningList, sc, tr)
	return tr
}
