package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// TestKeyspaceAccess: a user with keyspaces: [main] cannot connect to
// keyspace other (FATAL 42501) and gets 42501 for other.secrets in every
// statement form, in both protocols and inside a transaction; a user with
// no keyspaces: list uses both.
func TestKeyspaceAccess(t *testing.T) {
	dir := t.TempDir()
	g := gatetest.Start(t, 2, fmt.Sprintf(`users:
  - {name: app, password: a, keyspaces: [main]}
  - {name: boss, password: b}
keyspaces:
  other:
    sharded: false
    shards: {"-": %q}
`, "sqlite:"+filepath.Join(dir, "other.db")))
	ctx := context.Background()
	boss := mustConnectAs(t, g, "boss", "b", "other")
	gatetest.MustExec(t, boss, `CREATE TABLE secrets (id bigint PRIMARY KEY, s text)`)
	gatetest.MustExec(t, boss, `INSERT INTO secrets VALUES (1, 'hidden')`)
	bm := mustConnectAs(t, g, "boss", "b", "main")
	gatetest.MustExec(t, bm, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, bm, `INSERT INTO t VALUES (1, 'one')`)
	var s string
	if err := bm.QueryRow(ctx, `SELECT s FROM other.secrets WHERE id = 1`).Scan(&s); err != nil || s != "hidden" {
		t.Fatalf("boss reads other.secrets from main: %q %v", s, err)
	}

	_, err := connectAs(t, g, "app", "a", "other")
	pe := wantState(t, "app connects to other", err, "42501")
	if pe.Severity != "FATAL" || pe.Message != `permission denied for database "other"` {
		t.Errorf("connect refusal: %s %q", pe.Severity, pe.Message)
	}
	_, err = connectAs(t, g, "app", "a", "nosuch")
	if pe := wantState(t, "app connects to nosuch", err, "3D000"); strings.Contains(pe.Message, "other") {
		t.Errorf("the unknown-database error names a keyspace app may not use: %q", pe.Message)
	}
	cmd := g.Psql(ctx, "app", "other", "-c", "SELECT 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD=a")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `permission denied for database "other"`) {
		t.Errorf("psql as app to other: %v %s", err, out)
	}
	refused := []string{
		`SELECT * FROM other.secrets`,
		`SELECT s FROM other.secrets WHERE id = $1`,
		`INSERT INTO other.secrets VALUES (2, 'x')`,
		`UPDATE other.secrets SET s = 'x'`,
		`DELETE FROM other.secrets`,
		`SELECT * FROM t JOIN other.secrets o ON o.id = t.id`,
		`SELECT * FROM t WHERE id IN (SELECT id FROM other.secrets)`,
		`SELECT (SELECT s FROM other.secrets LIMIT 1)`,
		`WITH x AS (SELECT * FROM other.secrets) SELECT * FROM x`,
		`INSERT INTO t SELECT id + 10, s FROM other.secrets`,
		`EXPLAIN (ROUTE) SELECT * FROM other.secrets`,
		`EXPLAIN SELECT * FROM other.secrets`,
		`COPY other.secrets TO STDOUT`,
		`COPY (SELECT * FROM other.secrets) TO STDOUT`,
		`COPY other.secrets FROM STDIN`,
		`TRUNCATE other.secrets`,
		`DROP TABLE other.secrets`,
		`ALTER TABLE other.secrets ADD COLUMN z int`,
		`CREATE INDEX ON other.secrets (s)`,
		`DECLARE c CURSOR FOR SELECT * FROM other.secrets`,
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		app := mustConnectAs(t, g, "app", "a", "main", mode)
		for _, q := range refused {
			if strings.Contains(q, "$1") && mode == pgx.QueryExecModeSimpleProtocol {
				continue
			}
			var args []any
			if strings.Contains(q, "$1") {
				args = append(args, 1)
			}
			var err error
			if strings.HasPrefix(q, "COPY") {
				_, err = app.PgConn().CopyTo(ctx, discard{}, q)
				if strings.Contains(q, "STDIN") {
					_, err = app.PgConn().CopyFrom(ctx, strings.NewReader("3\tz\n"), q)
				}
			} else {
				_, err = app.Exec(ctx, q, args...)
			}
			if pe := wantState(t, fmt.Sprintf("%v: %s", mode, q), err, "42501"); pe.Code != "" && pe.Message != "permission denied for schema other" {
				t.Errorf("%s: message %q", q, pe.Message)
			}
		}
		// Inside a transaction: refused, and the transaction is failed.
		tx, err := app.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, `SELECT count(*) FROM other.secrets`)
		wantState(t, "in a transaction", err, "42501")
		_, err = tx.Exec(ctx, `SELECT 1`)
		wantState(t, "after the refusal in a transaction", err, "25P02")
		tx.Rollback(ctx)
		// Its own keyspace, qualified or not, still works.
		var v string
		if err := app.QueryRow(ctx, `SELECT v FROM main.t WHERE id = 1`).Scan(&v); err != nil || v != "one" {
			t.Errorf("app reads main.t: %q %v", v, err)
		}
	}
	if err := boss.QueryRow(ctx, `SELECT s FROM secrets WHERE id = 1`).Scan(&s); err != nil || s != "hidden" {
		t.Errorf("other.secrets after the refusals: %q %v", s, err)
	}
	var n int
	if err := boss.QueryRow(ctx, `SELECT count(*) FROM secrets`).Scan(&n); err != nil || n != 1 {
		t.Errorf("other.secrets has %d rows, want 1: %v", n, err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
