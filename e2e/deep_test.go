package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
)

// deepSQL is the statement that crashed the gate: 25,000 terms, 50 KB.
var deepSQL = "SELECT 1" + strings.Repeat("+1", 25000-1)

func wantDepthError(t *testing.T, what string, err error) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "54001" || pe.Message != "stack depth limit exceeded" || pe.Hint == "" {
		t.Fatalf("%s: %v, want 54001 stack depth limit exceeded with a hint", what, err)
	}
}

// TestDeepStatementRefused: the 25,000-term statement gets 54001 in both
// protocols and through psql, and the same and other connections go on.
func TestDeepStatementRefused(t *testing.T) {
	g := gatetest.Start(t, 4, "")
	ctx := context.Background()
	other := g.Connect(t)
	gatetest.MustExec(t, other, "CREATE TABLE deep (id bigint PRIMARY KEY, v bigint)")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		c := g.Connect(t, mode)
		_, err := c.Exec(ctx, deepSQL)
		wantDepthError(t, mode.String(), err)
		var n int
		if err := c.QueryRow(ctx, "SELECT 1+1+1").Scan(&n); err != nil || n != 3 {
			t.Fatalf("%s: same connection after the refusal: %d, %v", mode, n, err)
		}
	}
	var n int
	if err := other.QueryRow(ctx, "SELECT count(*) FROM deep").Scan(&n); err != nil {
		t.Fatalf("other connection: %v", err)
	}

	gatetest.RequireTool(t, "psql")
	f := filepath.Join(t.TempDir(), "deep.sql")
	if err := os.WriteFile(f, []byte(deepSQL+";\nSELECT 40+2 AS answer;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := g.Psql(context.Background(), "app", "main", "-f", f).CombinedOutput()
	if !strings.Contains(string(out), "ERROR:  stack depth limit exceeded") || !strings.Contains(string(out), "42") {
		t.Fatalf("psql:\n%s", out)
	}
}

// TestFlatFormsAccepted: long flat lists stay accepted: an IN list of
// 30,000, a 10,000-row insert with negative numbers, an OR of 20,000 terms
// (which reaches SQLite's own limit, not the gate's).
func TestFlatFormsAccepted(t *testing.T) {
	g := gatetest.Start(t, 4, "")
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, "CREATE TABLE flat (id bigint PRIMARY KEY, v bigint)")
	var ins strings.Builder
	ins.WriteString("INSERT INTO flat (id, v) VALUES (0, -0)")
	for i := 1; i < 10000; i++ {
		ins.WriteString(", (" + strconv.Itoa(i) + ", -" + strconv.Itoa(i) + ")")
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		gatetest.MustExec(t, c, "DELETE FROM flat")
		if tag, err := c.Exec(ctx, ins.String(), mode); err != nil || tag.RowsAffected() != 10000 {
			t.Fatalf("%s insert: %v %v", mode, tag, err)
		}
		in := "SELECT count(*), sum(v) FROM flat WHERE id IN (0" + strings.Repeat(", 7", 30000-1) + ")"
		// SQLite itself nests an OR chain 1000 deep at most (its
		// SQLITE_MAX_EXPR_DEPTH); the gate checks 20,000 terms.
		or := "SELECT count(*), sum(v) FROM flat WHERE id = 5" + strings.Repeat(" OR id = 9", 900)
		var pe *pgconn.PgError
		_, err := c.Exec(ctx, "SELECT count(*) FROM flat WHERE id = 5"+strings.Repeat(" OR id = 9", 20000), mode)
		if !errors.As(err, &pe) || pe.Code != "54001" || !strings.Contains(pe.Message, "Expression tree is too large") {
			t.Errorf("%s: OR of 20,000 terms on SQLite: %v, want SQLite's own limit", mode, err)
		}
		for name, q := range map[string]string{"in": in, "or": or} {
			var n, sum int64
			if err := c.QueryRow(ctx, q, mode).Scan(&n, &sum); err != nil {
				t.Fatalf("%s %s: %v", mode, name, err)
			}
			if (name == "in" && (n != 2 || sum != -7)) || (name == "or" && (n != 2 || sum != -14)) {
				t.Errorf("%s %s: count %d sum %d", mode, name, n, sum)
			}
		}
	}
}
