package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/sqltypes"
)

// Access is what one gate user may reach: the keyspaces it may name and
// whether it may change lookup vindex tables. The gate's own tables
// (_vt_*) and a SQLite shard's internals are refused to everyone.
type Access struct {
	// Keyspaces the user may connect to or name as keyspace.table; nil
	// means every keyspace.
	Keyspaces map[string]bool
	// Admin users may change lookup vindex tables (to repair them).
	Admin bool
}

// FullAccess is a user with every right: an embedded caller, or any client
// when the gate has no users (trust: clients are not told apart).
var FullAccess = &Access{Admin: true}

// MayUse reports whether the user may use keyspace ks.
func (a *Access) MayUse(ks string) bool { return a.Keyspaces == nil || a.Keyspaces[ks] }

// AccessEnv is an Env that knows its user's rights; an Env without it (an
// embedded caller) has FullAccess.
type AccessEnv interface {
	Access() *Access
}

func accessOf(env Env) *Access {
	if e, ok := env.(AccessEnv); ok && e.Access() != nil {
		return e.Access()
	}
	return FullAccess
}

const codeInsufficientPrivilege = "42501"

func errNoSchema(ks string) error {
	return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied for schema %s", ks)
}

func errNoTable(name string) error {
	return sqltypes.Errorf(codeInsufficientPrivilege, "permission denied for table %s", name)
}

// checkKeyspaces refuses a statement naming a table of a keyspace the user
// may not use (keyspace.table anywhere in it, DROP/TRUNCATE names too).
func (b *builder) checkKeyspaces(n *pg_query.Node, acc *Access) error {
	if acc.Keyspaces == nil {
		return nil
	}
	var err error
	eachName(n, func(schema, _ string) {
		if _, isKs := b.p.VSchema.Keyspaces[schema]; err == nil && isKs && !acc.MayUse(schema) {
			err = errNoSchema(schema)
		}
	})
	return err
}

// eachName calls fn with every relation name in a statement: its
// RangeVars and the names of DROP and COMMENT, which are not RangeVars.
func eachName(n *pg_query.Node, fn func(schema, name string)) {
	walk(n, func(m proto.Message) bool {
		switch v := m.(type) {
		case *pg_query.RangeVar:
			fn(v.Schemaname, v.Relname)
		case *pg_query.DropStmt:
			for _, o := range v.Objects {
				dottedName(o, fn)
			}
		case *pg_query.CommentStmt:
			dottedName(v.Object, fn)
		case *pg_query.RenameStmt:
			switch v.RenameType {
			case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
				fn("", v.Newname) // renamed to a lookup table's name, it would shadow it
			}
		}
		return true
	})
}

// dottedName reads a name list (schema.table or table) of a DROP object.
func dottedName(o *pg_query.Node, fn func(schema, name string)) {
	items := o.GetList().GetItems()
	if len(items) == 0 {
		return
	}
	name := items[len(items)-1].GetString_().GetSval()
	schema := ""
	if len(items) > 1 {
		schema = items[len(items)-2].GetString_().GetSval()
	}
	if name != "" {
		fn(schema, name)
	}
}

// checkOwnTables refuses a statement that changes a table the gate keeps
// (a lookup vindex table, unless the user is an admin) or that names the
// gate's _vt_ tables or, on a keyspace with SQLite shards, SQLite's own
// tables and pragma functions, which show and change the shard files.
func (b *builder) checkOwnTables(n *pg_query.Node, acc *Access) error {
	sqlite := b.hasSQLite()
	var err error
	internal := func(name string) {
		l := strings.ToLower(name)
		if err == nil && (strings.HasPrefix(l, "_vt_") || sqlite && (strings.HasPrefix(l, "sqlite_") || strings.HasPrefix(l, "pragma_"))) {
			err = errNoTable(name)
		}
	}
	eachName(n, func(_, name string) { internal(name) })
	if sqlite {
		walk(n, func(m proto.Message) bool {
			if fc, ok := m.(*pg_query.FuncCall); ok {
				if parts := stringsOf(fc.Funcname); len(parts) > 0 {
					internal(parts[len(parts)-1])
				}
			}
			return err == nil
		})
	}
	if err != nil || acc.Admin {
		return err
	}
	var targets []string
	eachTarget(n, func(name string) { targets = append(targets, name) })
	what := wholeDatabase(n)
	if len(targets) == 0 && what == "" {
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
	for _, name := range targets {
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

// eachTarget calls fn with every table a statement may change: the targets
// of INSERT, UPDATE, DELETE, MERGE and COPY FROM anywhere in it (CTEs,
// EXPLAIN ANALYZE, PREPARE), and for any other statement kind but a read
// every table it names (DDL, TRUNCATE, LOCK, GRANT, a view, which may be
// updatable, a trigger or a rule).
func eachTarget(n *pg_query.Node, fn func(name string)) {
	switch {
	case n.GetSelectStmt() != nil, n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil,
		n.GetMergeStmt() != nil, n.GetCopyStmt() != nil, n.GetExplainStmt() != nil, n.GetDeclareCursorStmt() != nil,
		n.GetPrepareStmt() != nil:
	case n.GetCreateTableAsStmt() != nil:
		fn(n.GetCreateTableAsStmt().GetInto().GetRel().GetRelname())
	default:
		eachName(n, func(_, name string) { fn(name) })
		return
	}
	walk(n, func(m proto.Message) bool {
		switch v := m.(type) {
		case *pg_query.InsertStmt:
			fn(v.GetRelation().GetRelname())
		case *pg_query.UpdateStmt:
			fn(v.GetRelation().GetRelname())
		case *pg_query.DeleteStmt:
			fn(v.GetRelation().GetRelname())
		case *pg_query.MergeStmt:
			fn(v.GetRelation().GetRelname())
		case *pg_query.CopyStmt:
			if v.IsFrom {
				fn(v.GetRelation().GetRelname())
			}
		}
		return true
	})
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

// Access carries the user's rights into another keyspace's view of env.
func (e keyspaceEnv) Access() *Access { return accessOf(e.Env) }

// Access carries the user's rights into a refusing view of env.
func (e refusingEnv) Access() *Access { return accessOf(e.Env) }
