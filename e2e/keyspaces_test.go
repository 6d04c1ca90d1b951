package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// TestKeyspacesQualified: a client of database lookup sees keyspace
// lookup's tables; from main, lookup.table reaches them; a statement
// mixing keyspaces is refused; an unknown database is refused at connect.
// (TestKeyspaces, in e2e_more_test.go, covers an unsharded keyspace alone.)
func TestKeyspacesQualified(t *testing.T) { gatetest.ForEachEngine(t, testKeyspacesQualified) }

func testKeyspacesQualified(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob'), (3, NULL, 'ann')`)
	lc, err := pgx.Connect(ctx, g.URL("lookup"))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(ctx)
	pairs := func(c *pgx.Conn, sql string) string {
		t.Helper()
		rows, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out []string
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+"="+b)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	own := pairs(lc, `SELECT email, keyspace_id FROM users_email`)
	want := "a@x=" + idKsid(t, 1) + " b@x=" + idKsid(t, 2)
	if own != want {
		t.Errorf("users_email from database lookup: %q, want %q", own, want)
	}
	if got := pairs(c, `SELECT email, keyspace_id FROM lookup.users_email`); got != own {
		t.Errorf("lookup.users_email from main: %q, database lookup says %q", got, own)
	}
	if got := pairs(c, `SELECT e.email, e.keyspace_id FROM lookup.users_email AS e WHERE e.email = 'b@x'`); got != "b@x="+idKsid(t, 2) {
		t.Errorf("lookup.users_email WHERE from main: %q", got)
	}
	// Main's tables are not lookup's.
	if _, err := lc.Exec(ctx, `SELECT * FROM users`); gatetest.SQLState(err) != "42P01" {
		t.Errorf("users from database lookup: %v", err)
	}

	// A table made in keyspace lookup is written from main.
	gatetest.MustExec(t, lc, `CREATE TABLE notes (id bigint, body text)`)
	tag, err := c.Exec(ctx, `INSERT INTO lookup.notes (id, body) VALUES (1, 'one'), (2, 'two')`)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("INSERT INTO lookup.notes from main: %v %v", tag, err)
	}
	gatetest.MustExec(t, c, `UPDATE lookup.notes SET body = 'uno' WHERE id = 1`)
	gatetest.MustExec(t, c, `DELETE FROM lookup.notes WHERE id = 2`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes from database lookup: %q", got)
	}
	if got := pairs(c, `SELECT id::text, body FROM lookup.notes`); got != "1=uno" {
		t.Errorf("lookup.notes from main: %q", got)
	}
	// In a transaction with main's writes: both or neither.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO lookup.notes (id, body) VALUES (3, 'three')`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (4, 'd@x', 'dee')`)
	gatetest.MustExec(t, c, `ROLLBACK`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes after a rolled back transaction: %q", got)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 'd@x'`); len(ids) != 0 {
		t.Errorf("d@x after rollback: %v", ids)
	}

	// Tables of two keyspaces in one statement are refused.
	for _, q := range []string{
		`SELECT u.id FROM users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT u.id FROM main.users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT id FROM users WHERE email IN (SELECT email FROM lookup.users_email)`,
		`INSERT INTO lookup.notes (id, body) SELECT id, name FROM users`,
	} {
		if _, err := c.Exec(ctx, q); gatetest.SQLState(err) != "0A000" {
			t.Errorf("%s: want 0A000, got %v", q, err)
		}
	}
	// From database lookup: on SQLite the gate plans the statements; on
	// Postgres the unsharded keyspace is relayed (README "Unsharded
	// keyspaces on PostgreSQL"): the server gets the text as sent and knows
	// no schema main.
	relayed := engine != "sqlite"
	_, err = lc.Exec(ctx, `SELECT n.id FROM notes n JOIN main.users u ON u.id = n.id`)
	if want := map[bool]string{false: "0A000", true: "42P01"}[relayed]; gatetest.SQLState(err) != want {
		t.Errorf("join of main.users from database lookup: want %s, got %v", want, err)
	}
	rows, err := lc.Query(ctx, `SELECT id FROM main.users WHERE id = 2`) // by lookup: TestLookupFromForeignKeyspace
	if err == nil {
		var ids []int64
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err == nil && fmt.Sprint(ids) != "[2]" {
			t.Errorf("main.users from database lookup: %v", ids)
		}
	}
	if relayed && gatetest.SQLState(err) != "42P01" || !relayed && err != nil {
		t.Errorf("main.users from database lookup (relayed %v): %v", relayed, err)
	}
	// An unknown database.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if bad, err := pgx.Connect(cctx, g.URL("nosuchdb")); gatetest.SQLState(err) != "3D000" {
		if err == nil {
			bad.Close(ctx)
		}
		t.Errorf("connect to an unknown database: want 3D000, got %v", err)
	}
}
