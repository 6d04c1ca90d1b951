package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dotdo/vitess/gatetest"
)

// TestOwedCommit: when a shard goes down between a multi-shard commit's
// decision and its COMMIT PREPARED, the client is told the commit happened,
// and once the shard is back no read (point or scatter) sees half of it,
// even before the resolver runs: the shard finishes the commit it owes
// before it serves.
func TestOwedCommit(t *testing.T) {
	g, flaky := twoServerGate(t, "transactions: {resolveInterval: 1h}\n")
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint)`)
	// Vitess hash: 1 lives on -80, 29999 on 80-.
	gatetest.MustExec(t, c, `INSERT INTO accounts VALUES (1, 100), (29999, 100)`)
	var once sync.Once
	g.Coordinator().BeforePhaseTwo = func() { once.Do(flaky.Stop) }
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance - 10 WHERE id = 1`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 10 WHERE id = 29999`)
	if _, err := c.Exec(ctx, `COMMIT`); err != nil {
		t.Fatalf("COMMIT: %v (the decision was logged: the commit happened)", err)
	}
	g.Coordinator().BeforePhaseTwo = nil
	if err := flaky.Restart(); err != nil {
		t.Fatal(err)
	}
	answered := 0
	for i := 0; i < 100 && answered < 20; i++ {
		c2 := g.Connect(t)
		var sum, credit int64
		if err := c2.QueryRow(ctx, `SELECT sum(balance) FROM accounts`).Scan(&sum); err == nil {
			answered++
			if sum != 200 {
				t.Fatalf("scatter read saw half of the committed transaction: sum %d", sum)
			}
		}
		if err := c2.QueryRow(ctx, `SELECT balance FROM accounts WHERE id = 29999`).Scan(&credit); err == nil && credit != 110 {
			t.Fatalf("point read of the shard that was down: %d, want 110", credit)
		}
		c2.Close(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	if answered == 0 {
		t.Fatal("no read succeeded after the shard came back")
	}
}
