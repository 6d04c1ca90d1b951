package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestDeadShard: with one of two Postgres shards down, statements for the
// live shard keep working, statements that need the dead one fail with a
// connection error naming it, no committed row is lost, and everything
// works again once the shard is back.
func TestDeadShard(t *testing.T) {
	g, dead := twoServerKV(t)
	c := g.Connect(t)
	ctx := context.Background()
	if err := dead.StopClean(); err != nil {
		t.Fatal(err)
	}

	var v string
	if err := c.QueryRow(ctx, `SELECT v FROM kv WHERE id = 1`).Scan(&v); err != nil || v != "a" {
		t.Fatalf("live shard: %q %v", v, err)
	}
	_, err := c.Exec(ctx, `SELECT v FROM kv WHERE id = 29999`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || !(strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01") || !strings.Contains(pe.Message, "80-") || pe.Severity != "ERROR" {
		t.Errorf("dead shard: %v", err)
	}
	if _, err := c.Exec(ctx, `SELECT count(*) FROM kv`); err == nil {
		t.Error("scatter over a dead shard succeeded")
	}
	// Another client is served meanwhile.
	c2 := g.Connect(t)
	if err := c2.QueryRow(ctx, `SELECT v FROM kv WHERE id = 2`).Scan(&v); err != nil || v != "b" {
		t.Errorf("second client: %q %v", v, err)
	}

	if err := dead.Restart(); err != nil {
		t.Fatal(err)
	}
	var n int64
	var lastErr error
	for i := 0; i < 50; i++ {
		if lastErr = c.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); lastErr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lastErr != nil || n != 3 {
		t.Errorf("after restart: %d rows, %v", n, lastErr)
	}
}

// twoServerGate starts a gate whose keyspace main has shard -80 on the
// shared server and 80- on a server of its own (returned, to stop), with
// the config's top-level lines before the keyspace. Vitess hash: ids 1 and
// 2 live on -80, 29999 on 80-.
func twoServerGate(t *testing.T, top string) (*gatetest.Gate, *pgtest.Server) {
	t.Helper()
	live := pgtest.Shared(t)
	own := pgtest.Start(t)
	_, liveURL := live.CreateDB(t)
	cfg := fmt.Sprintf("%skeyspaces:\n  main:\n    sharded: true\n    shards:\n      \"-80\": %q\n      \"80-\": %q\n",
		top, liveURL, own.URL("postgres"))
	return gatetest.StartOptions(t, gatetest.OptionsWithConfig(t, cfg)), own
}

// twoServerKV is a twoServerGate with table kv holding (1, 'a') and
// (2, 'b') on -80 and (29999, 'c') on 80-.
func twoServerKV(t *testing.T) (*gatetest.Gate, *pgtest.Server) {
	t.Helper()
	g, own := twoServerGate(t, "")
	c := g.Connect(t)
	defer c.Close(context.Background())
	gatetest.MustExec(t, c, `CREATE TABLE kv (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (29999, 'c')`)
	return g, own
}
