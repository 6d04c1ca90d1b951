package e2e

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// TestDeferredBegin: a Postgres shard's BEGIN goes in the same write as
// the transaction's first statement there. Whatever that first statement
// is (a write, a read with BEGIN's options, one the shard refuses at Parse
// or at execution), the shard runs it inside the transaction, in both pool
// modes.
func TestDeferredBegin(t *testing.T) {
	for _, mode := range []string{"session", "transaction"} {
		t.Run(mode, func(t *testing.T) {
			g := gatetest.StartEngine(t, "postgres", 2, "keyspaces: {main: {pool: {mode: "+mode+"}}}")
			c := g.Connect(t)
			ctx := context.Background()
			a, b := setupAccounts(t, c, 20)

			// The first statement's write is undone by ROLLBACK.
			gatetest.MustExec(t, c, `BEGIN`)
			gatetest.MustExec(t, c, `UPDATE accounts SET balance = 0 WHERE id = $1`, a)
			gatetest.MustExec(t, c, `ROLLBACK`)
			if got := balances(t, c, a); got[0] != 1000 {
				t.Fatalf("after rollback: %v", got)
			}

			// BEGIN's options apply to the first statement.
			tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly})
			if err != nil {
				t.Fatal(err)
			}
			var iso, ro string
			if err := tx.QueryRow(ctx, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only') FROM accounts WHERE id = $1`, a).Scan(&iso, &ro); err != nil {
				t.Fatal(err)
			}
			if iso != "serializable" || ro != "on" {
				t.Fatalf("first statement saw isolation %q, read only %q", iso, ro)
			}
			tx.Rollback(ctx)

			// A first statement the shard refuses at Parse (no such
			// column: the gate plans it, the shard cannot) fails the
			// transaction; the other shard's write is rolled back.
			gatetest.MustExec(t, c, `BEGIN`)
			gatetest.MustExec(t, c, `UPDATE accounts SET balance = 5 WHERE id = $1`, a)
			if _, err := c.Exec(ctx, `UPDATE accounts SET nosuch = 1 WHERE id = $1`, b); gatetest.SQLState(err) != "42703" {
				t.Fatalf("bad column: %v", err)
			}
			if tag, err := c.Exec(ctx, `COMMIT`); err != nil || tag.String() != "ROLLBACK" {
				t.Fatalf("COMMIT after the error: %q %v", tag, err)
			}

			// A first statement that fails when it runs (division by zero
			// on the shard) does too; a new transaction then works.
			gatetest.MustExec(t, c, `BEGIN`)
			gatetest.MustExec(t, c, `UPDATE accounts SET balance = 6 WHERE id = $1`, a)
			if _, err := c.Exec(ctx, `UPDATE accounts SET balance = balance / (balance - 1000) WHERE id = $1`, b); gatetest.SQLState(err) != "22012" {
				t.Fatalf("division by zero: %v", err)
			}
			gatetest.MustExec(t, c, `ROLLBACK`)
			if got := balances(t, c, a, b); got[0] != 1000 || got[1] != 1000 {
				t.Fatalf("after the failed transactions: %v", got)
			}
			beginTransfer(t, c, a, b)
			gatetest.MustExec(t, c, `COMMIT`)
			if got := balances(t, c, a, b); got[0] != 900 || got[1] != 1100 {
				t.Fatalf("after a transfer: %v", got)
			}

			// A transaction that joined no shard commits nothing anywhere.
			gatetest.MustExec(t, c, `BEGIN`)
			gatetest.MustExec(t, c, `COMMIT`)
			noPreparedLeft(t, g)
		})
	}
}
