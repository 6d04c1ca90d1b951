package proxy

import (
	"context"
	"errors"
	"github.com/dotdo/vitess/sqltypes"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPanicEndsOnlyItsConnection: a statement that panics in the gate
// gets FATAL XX000 on its own connection, which is closed; a connection
// in a transaction next to it and new connections go on.
func TestPanicEndsOnlyItsConnection(t *testing.T) {
	ts := startServer(t, Config{})
	ts.Server.onPanic = func(any) { ts.panics.Add(1) }
	ctx := testCtx(t)
	other, err := pgx.Connect(ctx, ts.url("app", "", "main", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sql  string
		mode pgx.QueryExecMode
	}{
		{"select panic()", pgx.QueryExecModeSimpleProtocol},
		{"select panic()", pgx.QueryExecModeExec},
		{"select panic_exec()", pgx.QueryExecModeSimpleProtocol},
		{"select panic_exec()", pgx.QueryExecModeCacheStatement},
	}
	for i, tc := range cases {
		c, err := pgx.Connect(ctx, ts.url("app", "", "main", ""))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Exec(ctx, tc.sql, tc.mode)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != sqltypes.InternalError || pe.Severity != "FATAL" || !strings.Contains(pe.Message, "test panic") {
			t.Errorf("%s (%s): %v, want FATAL XX000", tc.sql, tc.mode, err)
		}
		if _, err := c.Exec(ctx, "select 1"); err == nil {
			t.Errorf("%s: the connection that panicked still serves", tc.sql)
		}
		c.Close(ctx)
		if got := ts.panics.Load(); got != int64(i+1) {
			t.Errorf("panics recovered: %d, want %d", got, i+1) // counted before the error is sent
		}
		var n int64
		if err := other.QueryRow(ctx, "select n from series(3)").Scan(&n); err != nil || n != 1 {
			t.Fatalf("other connection after %s: %d %v", tc.sql, n, err)
		}
	}
	if st := other.PgConn().TxStatus(); st != 'T' {
		t.Errorf("other connection's transaction status %c", st)
	}
	fresh, err := pgx.Connect(ctx, ts.url("app", "", "main", ""))
	if err != nil {
		t.Fatalf("new connection after the panics: %v", err)
	}
	fresh.Close(context.Background())
}
