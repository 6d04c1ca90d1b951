package dialect

import (
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// refuseQualified refuses a table in a schema other than public: SQLite
// shards have a single schema.
func refuseQualified(rv *pg.RangeVar) {
	if rv.Schemaname != "" && rv.Schemaname != "public" || rv.Catalogname != "" {
		unsupported("schema-qualified table %s.%s", rv.Schemaname, rv.Relname)
	}
}

func plainTable(rv *pg.RangeVar) string {
	if rv == nil {
		unsupported("missing table")
	}
	refuseQualified(rv)
	return rv.Relname
}

func nodeNames(list []*pg.Node) []string {
	var out []string
	for _, n := range list {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

func quoteAll(names []string) string {
	var q []string
	for _, n := range names {
		q = append(q, ident(n))
	}
	return strings.Join(q, ", ")
}

// columnType resolves a column definition's type, with serial types mapped
// to their integer type.
func columnType(tn *pg.TypeName) (ty typ, serial bool) {
	names := nodeNames(tn.GetNames())
	if len(names) == 1 {
		switch names[0] {
		case "serial", "serial4":
			return mk(sqltypes.OIDInt4), true
		case "bigserial", "serial8":
			return mk(sqltypes.OIDInt8), true
		case "smallserial", "serial2":
			return mk(sqltypes.OIDInt2), true
		}
	}
	ty, _ = castType(tn)
	return ty, false
}

func (t *translator) createTable(s *pg.CreateStmt) *Translation {
	name := plainTable(s.Relation)
	switch {
	case s.Relation.Relpersistence == "t":
		unsupported("temporary tables")
	case len(s.InhRelations) > 0:
		unsupported("INHERITS")
	case s.Partbound != nil || s.Partspec != nil:
		unsupported("partitioned tables")
	case s.OfTypename != nil:
		unsupported("typed tables")
	case len(s.Options) > 0:
		unsupported("table storage options")
	case s.Tablespacename != "" || s.AccessMethod != "":
		unsupported("TABLESPACE/USING")
	case s.Oncommit != pg.OnCommitAction_ONCOMMIT_NOOP && s.Oncommit != pg.OnCommitAction_ON_COMMIT_ACTION_UNDEFINED:
		unsupported("ON COMMIT")
	}
	// pass 1: columns and their types, for CHECK expressions and NOT NULL of keys
	var cols []col
	pkCols := map[string]bool{}
	for _, n := range s.TableElts {
		switch x := n.Node.(type) {
		case *pg.Node_ColumnDef:
			ty, _ := columnType(x.ColumnDef.TypeName)
			cols = append(cols, col{x.ColumnDef.Colname, ty})
			for _, c := range x.ColumnDef.Constraints {
				if c.GetConstraint().GetContype() == pg.ConstrType_CONSTR_PRIMARY {
					pkCols[x.ColumnDef.Colname] = true
				}
			}
		case *pg.Node_Constraint:
			if x.Constraint.Contype == pg.ConstrType_CONSTR_PRIMARY {
				for _, k := range nodeNames(x.Constraint.Keys) {
					pkCols[k] = true
				}
			}
		case *pg.Node_TableLikeClause:
			unsupported("LIKE in CREATE TABLE")
		default:
			unsupported("table element %s", nodeName(n))
		}
	}
	self := &rel{name: name, cols: cols}
	csc := &scope{rels: []*rel{self}, bare: true}
	var defs []string
	for _, n := range s.TableElts {
		switch x := n.Node.(type) {
		case *pg.Node_ColumnDef:
			defs = append(defs, t.columnDef(name, x.ColumnDef, pkCols[x.ColumnDef.Colname], csc))
		case *pg.Node_Constraint:
			defs = append(defs, t.tableConstraint(name, x.Constraint, csc))
		}
	}
	if len(defs) == 0 {
		unsupported("tables without columns")
	}
	sqlText := "CREATE TABLE "
	if s.IfNotExists {
		sqlText += "IF NOT EXISTS "
	}
	sqlText += ident(name) + " (" + strings.Join(defs, ", ") + ")"
	return &Translation{SQL: sqlText, Kind: KindDDL, Tag: "CREATE TABLE", Table: name}
}

func (t *translator) columnDef(table string, cd *pg.ColumnDef, pk bool, sc *scope) string {
	if cd.CollClause != nil {
		if cn := opName(cd.CollClause.Collname); cn != "C" && cn != "POSIX" {
			unsupported("COLLATE %q", cn)
		}
	}
	if cd.Compression != "" || cd.Storage != "" {
		unsupported("column storage options")
	}
	ty, serial := columnType(cd.TypeName)
	decl, ok := declType(ty.oid, ty.mod)
	if !ok {
		unsupported("column type %s", sqltypes.TypeName(ty.oid))
	}
	exactNumericColumn(ty)
	parts := []string{ident(cd.Colname), decl}
	notNull := serial || pk || cd.IsNotNull
	var rest []string
	for _, n := range cd.Constraints {
		c := n.GetConstraint()
		if c == nil {
			unsupported("column constraint %s", nodeName(n))
		}
		named := ""
		if c.Conname != "" {
			named = "CONSTRAINT " + ident(c.Conname) + " "
		}
		switch c.Contype {
		case pg.ConstrType_CONSTR_NOTNULL:
			notNull = true
		case pg.ConstrType_CONSTR_NULL:
			if pk {
				fail(sqltypes.SyntaxError, "conflicting NULL/NOT NULL declarations for column %q of table %q", cd.Colname, table)
			}
		case pg.ConstrType_CONSTR_IDENTITY:
			notNull = true
		case pg.ConstrType_CONSTR_DEFAULT:
			rest = append(rest, "DEFAULT "+t.defaultExpr(c.RawExpr, ty))
		case pg.ConstrType_CONSTR_CHECK:
			if named == "" {
				named = "CONSTRAINT " + ident(table+"_"+cd.Colname+"_check") + " "
			}
			rest = append(rest, named+"CHECK ("+t.cond(c.RawExpr, sc)+")")
		case pg.ConstrType_CONSTR_PRIMARY:
			rest = append(rest, named+"PRIMARY KEY")
		case pg.ConstrType_CONSTR_UNIQUE:
			if c.NullsNotDistinct {
				unsupported("NULLS NOT DISTINCT")
			}
			rest = append(rest, named+"UNIQUE")
		case pg.ConstrType_CONSTR_FOREIGN:
			rest = append(rest, named+t.references(c))
		case pg.ConstrType_CONSTR_GENERATED:
			unsupported("generated columns")
		case pg.ConstrType_CONSTR_ATTR_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_DEFERRED:
			unsupported("deferrable constraints")
		case pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
		default:
			unsupported("column constraint %s", c.Contype)
		}
	}
	if notNull {
		parts = append(parts, "NOT NULL")
	}
	parts = append(parts, rest...)
	// SQLite does not enforce declared lengths; Postgres does (22001)
	if (ty.oid == sqltypes.OIDVarchar || ty.oid == sqltypes.OIDBPChar) && ty.mod >= 4 {
		n := strconv.Itoa(int(ty.mod - 4))
		kind := "varchar"
		if ty.oid == sqltypes.OIDBPChar {
			kind = "char"
		}
		parts = append(parts, "CONSTRAINT "+ident("pglen_"+kind+"_"+n+"_"+cd.Colname)+" CHECK (length("+ident(cd.Colname)+") <= "+n+")")
	}
	return strings.Join(parts, " ")
}

// defaultExpr prints a column DEFAULT.
func (t *translator) defaultExpr(n *pg.Node, ty typ) string {
	e := t.expr(n, &scope{}, ty)
	if t.params != nil {
		fail(sqltypes.UndefinedParameter, "there is no parameter $1")
	}
	assignable(ty, e.t, "default")
	return "(" + assignSQL(ty, e) + ")"
}

func (t *translator) references(c *pg.Constraint) string {
	if c.FkMatchtype == "f" || c.FkMatchtype == "p" {
		unsupported("MATCH FULL/PARTIAL")
	}
	if c.Deferrable {
		unsupported("deferrable constraints")
	}
	s := "REFERENCES " + ident(plainTable(c.Pktable))
	if len(c.PkAttrs) > 0 {
		s += " (" + quoteAll(nodeNames(c.PkAttrs)) + ")"
	}
	act := func(a string) string {
		switch a {
		case "c":
			return "CASCADE"
		case "n":
			return "SET NULL"
		case "d":
			return "SET DEFAULT"
		case "r":
			return "RESTRICT"
		}
		return ""
	}
	if a := act(c.FkDelAction); a != "" {
		s += " ON DELETE " + a
	}
	if a := act(c.FkUpdAction); a != "" {
		s += " ON UPDATE " + a
	}
	return s
}

func (t *translator) tableConstraint(table string, c *pg.Constraint, sc *scope) string {
	named := ""
	if c.Conname != "" {
		named = "CONSTRAINT " + ident(c.Conname) + " "
	}
	if c.Deferrable || c.Initdeferred {
		unsupported("deferrable constraints")
	}
	switch c.Contype {
	case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
		if len(c.Including) > 0 || c.NullsNotDistinct {
			unsupported("INCLUDE/NULLS NOT DISTINCT")
		}
		keys := nodeNames(c.Keys)
		for _, k := range keys {
			if _, ok := findColIn(sc.rels[0].cols, k); !ok {
				fail(sqltypes.UndefinedColumn, "column %q named in key does not exist", k)
			}
		}
		kw := "PRIMARY KEY"
		if c.Contype == pg.ConstrType_CONSTR_UNIQUE {
			kw = "UNIQUE"
		}
		return named + kw + " (" + quoteAll(keys) + ")"
	case pg.ConstrType_CONSTR_CHECK:
		if named == "" {
			named = "CONSTRAINT " + ident(table+"_check") + " "
		}
		return named + "CHECK (" + t.cond(c.RawExpr, sc) + ")"
	case pg.ConstrType_CONSTR_FOREIGN:
		return named + "FOREIGN KEY (" + quoteAll(nodeNames(c.FkAttrs)) + ") " + t.references(c)
	}
	unsupported("table constraint %s", c.Contype)
	return ""
}

func (t *translator) drop(s *pg.DropStmt) *Translation {
	if s.Behavior == pg.DropBehavior_DROP_CASCADE {
		unsupported("DROP ... CASCADE")
	}
	if len(s.Objects) != 1 {
		unsupported("dropping several objects in one statement")
	}
	names := nodeNames(s.Objects[0].GetList().GetItems())
	if len(names) == 2 && names[0] == "public" {
		names = names[1:]
	}
	if len(names) != 1 {
		unsupported("qualified name %s", strings.Join(names, "."))
	}
	ifExists := ""
	if s.MissingOk {
		ifExists = "IF EXISTS "
	}
	switch s.RemoveType {
	case pg.ObjectType_OBJECT_TABLE:
		return &Translation{SQL: "DROP TABLE " + ifExists + ident(names[0]), Kind: KindDDL, Tag: "DROP TABLE", Table: names[0]}
	case pg.ObjectType_OBJECT_INDEX:
		return &Translation{SQL: "DROP INDEX " + ifExists + ident(names[0]), Kind: KindDDL, Tag: "DROP INDEX"}
	}
	unsupported("DROP %s", s.RemoveType)
	return nil
}

func (t *translator) alterTable(s *pg.AlterTableStmt) *Translation {
	if s.Objtype != pg.ObjectType_OBJECT_TABLE {
		unsupported("ALTER %s", s.Objtype)
	}
	if s.MissingOk {
		unsupported("ALTER TABLE IF EXISTS")
	}
	name := plainTable(s.Relation)
	if len(s.Cmds) != 1 {
		unsupported("several ALTER TABLE actions in one statement")
	}
	cmd := s.Cmds[0].GetAlterTableCmd()
	tr := &Translation{Kind: KindDDL, Tag: "ALTER TABLE", Table: name}
	prefix := "ALTER TABLE " + ident(name) + " "
	switch cmd.Subtype {
	case pg.AlterTableType_AT_AddColumn:
		if cmd.MissingOk {
			unsupported("ADD COLUMN IF NOT EXISTS")
		}
		cd := cmd.Def.GetColumnDef()
		var cols []col
		if t.cat != nil {
			if cs, ok := t.cat.Table(name); ok {
				for _, c := range cs {
					cols = append(cols, col{c.Name, colT(c.OID, c.TypeMod)})
				}
			}
		}
		ty, _ := columnType(cd.TypeName)
		cols = append(cols, col{cd.Colname, ty})
		sc := &scope{rels: []*rel{{name: name, cols: cols}}, bare: true}
		tr.SQL = prefix + "ADD COLUMN " + t.columnDef(name, cd, false, sc)
	case pg.AlterTableType_AT_DropColumn:
		if cmd.MissingOk {
			unsupported("DROP COLUMN IF EXISTS")
		}
		if cmd.Behavior == pg.DropBehavior_DROP_CASCADE {
			unsupported("DROP COLUMN ... CASCADE")
		}
		tr.SQL = prefix + "DROP COLUMN " + ident(cmd.Name)
	default:
		unsupported("ALTER TABLE action %s", cmd.Subtype)
	}
	return tr
}

func (t *translator) rename(s *pg.RenameStmt) *Translation {
	if s.MissingOk {
		unsupported("ALTER TABLE IF EXISTS")
	}
	switch s.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		name := plainTable(s.Relation)
		return &Translation{SQL: "ALTER TABLE " + ident(name) + " RENAME TO " + ident(s.Newname), Kind: KindDDL, Tag: "ALTER TABLE", Table: name}
	case pg.ObjectType_OBJECT_COLUMN:
		if s.RelationType != pg.ObjectType_OBJECT_TABLE {
			unsupported("RENAME on %s", s.RelationType)
		}
		name := plainTable(s.Relation)
		return &Translation{SQL: "ALTER TABLE " + ident(name) + " RENAME COLUMN " + ident(s.Subname) + " TO " + ident(s.Newname), Kind: KindDDL, Tag: "ALTER TABLE", Table: name}
	}
	unsupported("RENAME of %s", s.RenameType)
	return nil
}

func (t *translator) createIndex(s *pg.IndexStmt) *Translation {
	table := plainTable(s.Relation)
	if s.AccessMethod != "" && s.AccessMethod != "btree" {
		unsupported("index method %s", s.AccessMethod)
	}
	if len(s.IndexIncludingParams) > 0 || s.NullsNotDistinct || len(s.Options) > 0 || s.TableSpace != "" {
		unsupported("INCLUDE/NULLS NOT DISTINCT/WITH/TABLESPACE on an index")
	}
	var keys, names []string
	for _, n := range s.IndexParams {
		ie := n.GetIndexElem()
		if ie == nil || ie.Name == "" {
			unsupported("index on an expression")
		}
		if len(ie.Opclass) > 0 || len(ie.Collation) > 0 {
			unsupported("index operator class/collation")
		}
		k := ident(ie.Name)
		switch ie.Ordering {
		case pg.SortByDir_SORTBY_DESC:
			k += " DESC"
		case pg.SortByDir_SORTBY_ASC:
			k += " ASC"
		}
		if ie.NullsOrdering == pg.SortByNulls_SORTBY_NULLS_FIRST || ie.NullsOrdering == pg.SortByNulls_SORTBY_NULLS_LAST {
			unsupported("NULLS FIRST/LAST in an index")
		}
		keys = append(keys, k)
		names = append(names, ie.Name)
	}
	idx := s.Idxname
	if idx == "" {
		idx = table + "_" + strings.Join(names, "_") + "_idx"
	}
	sqlText := "CREATE "
	if s.Unique {
		sqlText += "UNIQUE "
	}
	sqlText += "INDEX "
	if s.IfNotExists {
		sqlText += "IF NOT EXISTS "
	}
	sqlText += ident(idx) + " ON " + ident(table) + " (" + strings.Join(keys, ", ") + ")"
	if s.WhereClause != nil {
		cols := t.tableCols(table)
		sc := &scope{rels: []*rel{{name: table, cols: cols}}, bare: true}
		sqlText += " WHERE " + t.cond(s.WhereClause, sc)
	}
	return &Translation{SQL: sqlText, Kind: KindDDL, Tag: "CREATE INDEX", Table: table}
}

func (t *translator) truncate(s *pg.TruncateStmt) *Translation {
	if len(s.Relations) != 1 {
		unsupported("TRUNCATE of several tables")
	}
	if s.RestartSeqs {
		unsupported("TRUNCATE ... RESTART IDENTITY")
	}
	if s.Behavior == pg.DropBehavior_DROP_CASCADE {
		unsupported("TRUNCATE ... CASCADE")
	}
	name := plainTable(s.Relations[0].GetRangeVar())
	return &Translation{SQL: "DELETE FROM " + ident(name), Kind: KindDDL, Tag: "TRUNCATE TABLE", Table: name}
}
