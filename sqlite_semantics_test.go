package main

import (
	"context"
	"errors"
	"testing"

	"github.com/dotdo/vitess/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// sameAsPostgres runs each statement on the gate and on a plain PostgreSQL
// 15 database and wants the same outcome: the same SQLSTATE when the
// reference fails, otherwise the same column names, type OIDs and rows
// (as a multiset).
func sameAsPostgres(t *testing.T, g *testGate, stmts []string) {
	t.Helper()
	ctx := context.Background()
	_, refURL := pgtest.Shared(t).CreateDB(t)
	ref, err := pgx.Connect(ctx, refURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(ctx)
	gw := g.connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, s := range stmts {
		wantF, wantRows, rerr := runText(ctx, ref, s)
		gotF, gotRows, gerr := runText(ctx, gw, s)
		if rerr != nil {
			var want, got *pgconn.PgError
			if !errors.As(rerr, &want) {
				t.Fatalf("reference: %s: %v", s, rerr)
			}
			if !errors.As(gerr, &got) || got.Code != want.Code {
				t.Errorf("%s: want error %s (%s), got err=%v rows=%d", s, want.Code, want.Message, gerr, len(gotRows))
			}
			continue
		}
		if gerr != nil {
			t.Errorf("%s: %v", s, gerr)
			continue
		}
		if msg := compareResults(false, wantF, wantRows, gotF, gotRows); msg != "" {
			t.Errorf("%s: %s", s, msg)
		}
	}
}

// TestSQLiteIntegerRange: integer arithmetic raises 22003 where SQLite
// would widen to 64 bits or to a REAL.
func TestSQLiteIntegerRange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		g := startEngineGate(t, engine, 2, "")
		sameAsPostgres(t, g, []string{
			"CREATE TABLE ir (id bigint PRIMARY KEY, i integer, s smallint)",
			"INSERT INTO ir VALUES (9223372036854775807, 2147483647, 32767), (-9223372036854775808, -2147483648, -32768), (1, 1, 1)",
			"SELECT id, i + 0, s + s FROM ir WHERE id = 1",
			"SELECT i * 2 FROM ir WHERE id > 1",
			"SELECT i + 1 FROM ir",
			"SELECT s + s FROM ir",
			"SELECT s * 2::smallint FROM ir WHERE id = 1",
			"SELECT id + 1 FROM ir",
			"SELECT id * 2 FROM ir WHERE id <> 1",
			"SELECT -id FROM ir",
			"SELECT -i FROM ir",
			"SELECT i / -1 FROM ir",
			"SELECT id / -1 FROM ir",
			"SELECT id - 1, i - 1 FROM ir WHERE id = 1",
			"UPDATE ir SET i = i + 1 WHERE id = 9223372036854775807",
			"SELECT substr('abc', 1, -1)",
		})
	})
}
