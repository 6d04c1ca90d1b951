package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

const privUsersYAML = `users:
  - {name: app, password: a, keyspaces: [main]}
  - {name: looker, password: l}
  - {name: fixer, password: f, admin: true}
`

// startPrivGate is startVindexGate's gate (lookup vindexes on users.email,
// in keyspace lookup, and users.name, in main) with users app (keyspace
// main), looker (all keyspaces) and fixer (an admin).
func startPrivGate(t *testing.T, engine string) *gatetest.Gate {
	t.Helper()
	g := gatetest.StartOptions(t, vindexGateOptions(t, engine, privUsersYAML))
	c := mustConnectAs(t, g, "fixer", "f", "main")
	gatetest.MustExec(t, c, `CREATE TABLE users (id bigint PRIMARY KEY, email text, name text)`)
	return g
}

// TestGateTablesProtected: clients cannot change the gate's own tables.
// DROP of _vt_applied, changes of a lookup vindex table by a user who is
// not an admin (INSERT, UPDATE, DELETE, TRUNCATE, DROP, ALTER, COPY, in a
// CTE, from the lookup keyspace itself) are 42501, and the lookups still
// find their rows afterwards; an admin may change a lookup table; SQLite's
// pragma functions, its sqlite_ tables and PRAGMA/ATTACH are 42501.
func TestGateTablesProtected(t *testing.T) {
	gatetest.ForEngines(t, []string{"sqlite", "postgres"}, testGateTablesProtected)
}

func testGateTablesProtected(t *testing.T, engine string) {
	g := startPrivGate(t, engine)
	ctx := context.Background()
	app := mustConnectAs(t, g, "app", "a", "main")
	for i := 1; i <= 20; i++ {
		gatetest.MustExec(t, app, `INSERT INTO users (id, email, name) VALUES ($1, $2, $3)`, i, fmt.Sprintf("u%d@x", i), fmt.Sprintf("n%d", i%3))
	}
	looker := mustConnectAs(t, g, "looker", "l", "main")
	own := mustConnectAs(t, g, "looker", "l", "lookup", pgx.QueryExecModeSimpleProtocol)
	refused := map[*pgx.Conn][]string{
		app: {
			`DROP TABLE _vt_applied`, `DELETE FROM _vt_applied`, `SELECT * FROM _vt_applied`,
			`DELETE FROM users_name`, `UPDATE users_name SET refs = 0`, `INSERT INTO users_name VALUES ('n9', 'ff', 1)`,
			`TRUNCATE users_name`, `DROP TABLE users_name`, `ALTER TABLE users_name ADD COLUMN z int`,
			`WITH d AS (DELETE FROM users_name RETURNING *) SELECT count(*) FROM d`,
			`DELETE FROM "USERS_NAME"`, `DELETE FROM main.users_name WHERE name = 'n1'`,
		},
		looker: {
			`DELETE FROM lookup.users_email`, `UPDATE lookup.users_email SET keyspace_id = '00'`,
			`INSERT INTO lookup.users_email VALUES ('zz@x', '00')`,
		},
		own: {
			`DELETE FROM users_email`, `UPDATE users_email SET keyspace_id = '00'`, `TRUNCATE users_email`,
			`DROP TABLE users_email`, `INSERT INTO users_email VALUES ('zz@x', '00')`, `CREATE VIEW v AS SELECT * FROM users_email`,
			`CREATE INDEX ON users_email (keyspace_id)`, `LOCK TABLE users_email`,
			// What could change it unseen, or shadow it for this session.
			`CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM users_email'`,
			`DO 'BEGIN DELETE FROM users_email; END'`, `DROP OWNED BY CURRENT_USER`, `DROP SCHEMA public CASCADE`,
			`CREATE TEMP TABLE users_email (email text, keyspace_id text)`, `CREATE TABLE x.users_email (email text)`,
			`ALTER TABLE notes RENAME TO users_email`,
		},
	}
	for c, qs := range refused {
		for _, q := range qs {
			_, err := c.Exec(ctx, q)
			if pe := wantState(t, q, err, "42501"); pe.Code != "" && !strings.HasPrefix(pe.Message, "permission denied") {
				t.Errorf("%s: message %q", q, pe.Message)
			}
		}
	}
	// What the gate cannot parse is not passed to a keyspace holding
	// lookup tables for a user who is not an admin.
	_, err := own.Exec(ctx, `DELETE FROM users_email WHERE email = 'u1@x' ORDER BY`)
	wantState(t, "unparsed DELETE", err, "42601")
	_, err = own.PgConn().CopyFrom(ctx, strings.NewReader("zz@x\t00\n"), `COPY users_email FROM STDIN`)
	wantState(t, "COPY users_email FROM STDIN", err, "42501")
	checkLookups(t, looker, "after the refused changes")
	var id int
	if err := app.QueryRow(ctx, `SELECT id FROM users WHERE email = 'u7@x'`).Scan(&id); err != nil || id != 7 {
		t.Errorf("lookup by email: %d %v", id, err)
	}
	wantExplain(t, app, `SELECT id FROM users WHERE email = 'u7@x'`, "lookup")
	// Reading a lookup table stays allowed.
	var n int
	if err := app.QueryRow(ctx, `SELECT count(*) FROM users_name`).Scan(&n); err != nil || n != 20 {
		t.Errorf("users_name rows: %d %v", n, err)
	}
	if err := own.QueryRow(ctx, `SELECT count(*) FROM users_email`).Scan(&n); err != nil || n != 20 {
		t.Errorf("users_email rows: %d %v", n, err)
	}
	// An admin repairs by hand.
	fixer := mustConnectAs(t, g, "fixer", "f", "main")
	gatetest.MustExec(t, fixer, `UPDATE users_name SET refs = refs + 1 WHERE name = 'n1'`)
	gatetest.MustExec(t, fixer, `UPDATE users_name SET refs = refs - 1 WHERE name = 'n1'`)
	gatetest.MustExec(t, fixer, `DELETE FROM lookup.users_email WHERE email = 'u1@x'`)
	gatetest.MustExec(t, fixer, `INSERT INTO lookup.users_email SELECT 'u1@x', keyspace_id FROM lookup.users_email WHERE email = 'u2@x' AND false`)
	_, err = fixer.Exec(ctx, `DROP TABLE _vt_applied`)
	wantState(t, "admin DROP TABLE _vt_applied", err, "42501")
	if engine == "sqlite" {
		for _, q := range []string{
			`SELECT * FROM pragma_database_list`, `SELECT file FROM pragma_database_list()`,
			`SELECT * FROM pragma_table_info('users')`, `SELECT name FROM sqlite_master`, `SELECT * FROM sqlite_schema`,
			`SELECT * FROM main.sqlite_master`, `PRAGMA database_list`, `pragma writable_schema = on`,
			`ATTACH DATABASE '/tmp/x.db' AS x`, `DETACH DATABASE main`,
		} {
			for _, c := range []*pgx.Conn{app, fixer, own} {
				_, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol)
				wantState(t, q, err, "42501")
			}
		}
	}
	// Multi-shard writes (which use _vt_applied on SQLite) still commit.
	gatetest.MustExec(t, app, `UPDATE users SET name = 'n1' WHERE id IN (1, 2, 3, 4, 5, 6)`)
	gatetest.MustExec(t, fixer, `INSERT INTO lookup.users_email VALUES ('u1@x', (SELECT keyspace_id FROM lookup.users_email WHERE email = 'u2@x'))`)
}
