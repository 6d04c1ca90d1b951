package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

const codeInsufficientPrivilege = sqltypes.InsufficientPrivilege

func errNoSchema(ks string) error {
	return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied for schema %s", ks)
}

func errNoTable(name string) error {
	return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied for table %s", name)
}

// stmtNames are the names a statement uses, gathered in one walk.
type stmtNames struct {
	rels    []qualName // RangeVars, DROP/COMMENT objects, RENAME TO names
	targets []string   // tables it may change (see scanNames)
	funcs   []string   // called functions, unqualified
}

type qualName struct{ schema, name string }

// scanNames gathers a statement's names. Its targets are the tables of
// INSERT, UPDATE, DELETE, MERGE and COPY FROM anywhere in it (CTEs,
// EXPLAIN ANALYZE, PREPARE), CREATE TABLE AS's new table, and for any
// other statement kind but a read every table it names (DDL, TRUNCATE,
// LOCK, GRANT, a view, which may be updatable, a trigger or a rule).
func scanNames(n *pg_query.Node) *stmtNames {
	out := &stmtNames{}
	target := func(rv *pg_query.RangeVar) { out.targets = append(out.targets, rv.GetRelname()) }
	pgast.Walk(n, func(m proto.Message) bool {
		switch v := m.(type) {
		case *pg_query.RangeVar:
			out.rels = append(out.rels, qualName{v.Schemaname, v.Relname})
		case *pg_query.DropStmt:
			for _, o := range v.Objects {
				out.dotted(o)
			}
		case *pg_query.CommentStmt:
			out.dotted(v.Object)
		case *pg_query.RenameStmt:
			switch v.RenameType {
			case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
				// Renamed to a lookup table's name, it would shadow it.
				out.rels = append(out.rels, qualName{"", v.Newname})
			}
		case *pg_query.FuncCall:
			if parts := pgast.Strings(v.Funcname); len(parts) > 0 {
				out.funcs = append(out.funcs, parts[len(parts)-1])
			}
		case *pg_query.InsertStmt:
			target(v.Relation)
		case *pg_query.UpdateStmt:
			target(v.Relation)
		case *pg_query.DeleteStmt:
			target(v.Relation)
		case *pg_query.MergeStmt:
			target(v.Relation)
		case *pg_query.CopyStmt:
			if v.IsFrom {
				target(v.Relation)
			}
		case *pg_query.IntoClause:
			target(v.Rel)
		}
		return true
	})
	switch {
	case n.GetSelectStmt() != nil, n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil,
		n.GetMergeStmt() != nil, n.GetCopyStmt() != nil, n.GetExplainStmt() != nil, n.GetDeclareCursorStmt() != nil,
		n.GetPrepareStmt() != nil, n.GetCreateTableAsStmt() != nil:
	default:
		for _, r := range out.rels {
			out.targets = append(out.targets, r.name)
		}
	}
	return out
}

// dotted reads a name list (schema.table or table) of a DROP object.
func (s *stmtNames) dotted(o *pg_query.Node) {
	items := o.GetList().GetItems()
	if len(items) == 0 {
		return
	}
	q := qualName{name: items[len(items)-1].GetString_().GetSval()}
	if len(items) > 1 {
		q.schema = items[len(items)-2].GetString_().GetSval()
	}
	if q.name != "" {
		s.rels = append(s.rels, q)
	}
}

// checkKeyspaces refuses a statement naming a table of a keyspace the user
// may not use (keyspace.table anywhere in it, DROP/TRUNCATE names too).
func (b *builder) checkKeyspaces(names *stmtNames, acc *engine.Access) error {
	if acc.Keyspaces == nil {
		return nil
	}
	for _, r := range names.rels {
		if _, isKs := b.p.VSchema.Keyspaces[r.schema]; isKs && !acc.MayUse(r.schema) {
			return errNoSchema(r.schema)
		}
	}
	return nil
}

// checkOwnTables refuses a statement that changes a table the gate keeps
// (a lookup vindex table, unless the user is an admin) or that names the
// gate's _vt_ tables or, on a keyspace with SQLite shards, SQLite's own
// tables and pragma functions, which show and change the shard files.
func (b *builder) checkOwnTables(n *pg_query.Node, names *stmtNames, acc *engine.Access) error {
	sqlite := b.hasSQLite()
	internal := func(name string) bool {
		l := strings.ToLower(name)
		return strings.HasPrefix(l, "_vt_") || sqlite && (strings.HasPrefix(l, "sqlite_") || strings.HasPrefix(l, "pragma_"))
	}
	for _, r := range names.rels {
		if internal(r.name) {
			return errNoTable(r.name)
		}
	}
	for _, f := range names.funcs {
		if sqlite && internal(f) {
			return errNoTable(f)
		}
	}
	if acc.Admin {
		return nil
	}
	what := wholeDatabase(n)
	if len(names.targets) == 0 && what == "" {
		return nil // a read: no need to list the lookup tables
	}
	lookups := b.lookupTables()
	if len(lookups) == 0 {
		return nil
	}
	if what != "" {
		// Code the gate cannot read (a function body, a DO block) or a
		// statement on every table at once could change the lookup
		// tables.
		return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied: %s in keyspace %s, which holds lookup vindex tables (admin users only)", what, b.ks.Name)
	}
	for _, name := range names.targets {
		if lookups[strings.ToLower(name)] {
			return errNoTable(name)
		}
	}
	return nil
}

// hasSQLite reports whether the statement's keyspace has a SQLite shard.
func (b *builder) hasSQLite() bool {
	for _, s := range b.ks.Shards {
		if !b.isPostgres(s) {
			return true
		}
	}
	return false
}

// lookupTables are the lookup vindex tables that live in the statement's
// keyspace, lower-cased.
func (b *builder) lookupTables() map[string]bool {
	out := map[string]bool{}
	for _, ks := range b.p.VSchema.Keyspaces {
		for _, t := range ks.Tables() {
			for _, l := range t.Lookups {
				if l.Keyspace == b.ks.Name {
					out[strings.ToLower(l.Table)] = true
				}
			}
		}
	}
	return out
}

// checkSQLiteCommand answers 42501 rather than a syntax error for SQLite's
// own commands (PRAGMA, ATTACH, DETACH), which Postgres does not have: on a
// keyspace with SQLite shards the refusal is deliberate, not a typo.
func (b *builder) checkSQLiteCommand(sql string) error {
	if !b.hasSQLite() {
		return nil
	}
	sc, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	for _, t := range sc.Tokens {
		if t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT {
			continue
		}
		switch word := strings.ToUpper(sql[t.Start:t.End]); word {
		case "PRAGMA", "ATTACH", "DETACH":
			return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied: %s is not allowed (the gate owns its SQLite shards)", word)
		}
		return nil
	}
	return nil
}

// wholeDatabase names the statements that may change any table without
// naming it: function and procedure bodies and DO blocks (the gate does
// not read their code), DROP/REASSIGN OWNED, and DROP, RENAME or ALTER of
// a schema; "" for others.
func wholeDatabase(n *pg_query.Node) string {
	switch {
	case n.GetDoStmt() != nil:
		return "DO"
	case n.GetCreateFunctionStmt() != nil:
		return "CREATE FUNCTION"
	case n.GetDropOwnedStmt() != nil:
		return "DROP OWNED"
	case n.GetReassignOwnedStmt() != nil:
		return "REASSIGN OWNED"
	case n.GetDropStmt().GetRemoveType() == pg_query.ObjectType_OBJECT_SCHEMA:
		return "DROP SCHEMA"
	case n.GetRenameStmt().GetRenameType() == pg_query.ObjectType_OBJECT_SCHEMA:
		return "ALTER SCHEMA"
	case n.GetAlterOwnerStmt().GetObjectType() == pg_query.ObjectType_OBJECT_SCHEMA:
		return "ALTER SCHEMA"
	}
	return ""
}
