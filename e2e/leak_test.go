package e2e

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/dotdo/vitess/gatetest"
)

// TestNoLeakAgainstDeadShard: 1,000 statements that need a dead shard
// (point reads, scatters, writes in transactions, from new and old
// connections) leave no goroutine and no pooled connection behind: both
// return to their baseline once the clients have gone.
func TestNoLeakAgainstDeadShard(t *testing.T) {
	g, dead := twoServerKV(t)
	ctx := context.Background()
	c := g.Connect(t)
	// warm up both shards' pools and the plan paths, then measure
	for i := 0; i < 20; i++ {
		gatetest.QueryText(ctx, c, `SELECT count(*) FROM kv`)
		gatetest.QueryText(ctx, c, `SELECT v FROM kv WHERE id = 29999`)
	}
	c.Close(ctx)
	base := settledGoroutines(0)
	if err := dead.StopClean(); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		`SELECT v FROM kv WHERE id = 29999`,
		`SELECT count(*) FROM kv`,
		`BEGIN`, `UPDATE kv SET v = 'x' WHERE id IN (1, 29999)`, `COMMIT`,
		`INSERT INTO kv VALUES (29998, 'd')`,
		`SELECT v FROM kv WHERE id = 1`,
	}
	sent, failed := 0, 0
	for sent < 1000 {
		c := g.Connect(t)
		for i := 0; i < 20 && sent < 1000; i++ {
			_, _, err := gatetest.QueryText(ctx, c, stmts[sent%len(stmts)])
			if err != nil {
				failed++
			}
			sent++
		}
		c.Close(ctx)
	}
	if failed < sent/3 {
		t.Fatalf("only %d of %d statements failed: is the shard dead?", failed, sent)
	}
	got := settledGoroutines(base)
	if got > base+5 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d before, %d after %d statements against a dead shard\n%s", base, got, sent, buf[:runtime.Stack(buf, true)])
	}
	for _, tb := range g.Tablets() {
		if inUse, _, _, ok := tb.PoolUsage(); ok && inUse != 0 {
			t.Errorf("shard %s: %d pooled connections still in use", tb.Name(), inUse)
		}
	}
	t.Logf("%d statements, %d failed; goroutines %d before, %d after", sent, failed, base, got)
}

// settledGoroutines waits up to 5 s for the goroutine count to drop to
// want (0: to stop changing) and returns it.
func settledGoroutines(want int) int {
	n, last := runtime.NumGoroutine(), -1
	for i := 0; i < 50; i++ {
		if want > 0 && n <= want || want == 0 && n == last {
			break
		}
		time.Sleep(100 * time.Millisecond)
		last, n = n, runtime.NumGoroutine()
	}
	return n
}
