package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestCommitCrash kills the gate (a real process, SIGKILL through the
// VITESS_FAILPOINT hook) between the two phases of a multi-shard commit,
// restarts it, and checks that the transfer is on every shard or on none,
// and that no prepared transaction is left on the Postgres shards.
func TestCommitCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := gatetest.Binary(t)
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, step := range []string{"after-prepare", "after-decision"} {
			t.Run(engine+"/"+step, func(t *testing.T) { testCommitCrash(t, bin, engine, step) })
		}
	}
}

func testCommitCrash(t *testing.T, bin, engine, step string) {
	o := gatetest.EngineOptions(t, engine, 2, "transactions: {abortAfter: 1s, resolveInterval: 300ms}\n")
	ctx := context.Background()
	start := func(failpoint string) (*exec.Cmd, *pgx.Conn, *strings.Builder) {
		listen := gatetest.FreeAddr(t)
		args := []string{"serve", "--listen", listen, "--admin", "off", "--data-dir", o.DataDir}
		if o.Config != "" {
			args = append(args, "--config", o.Config)
		} else {
			args = append(args, "--shards", "2")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "VITESS_FAILPOINT="+failpoint)
		logs := &strings.Builder{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		var c *pgx.Conn
		var err error
		for i := 0; i < 200; i++ {
			if c, err = pgx.Connect(ctx, fmt.Sprintf("postgres://app@%s/main?sslmode=disable", listen)); err == nil {
				t.Cleanup(func() { c.Close(ctx) })
				return cmd, c, logs
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("connect: %v\n%s", err, logs)
		return nil, nil, nil
	}
	cmd, c, logs := start(step)
	a, b := setupAccounts(t, c, 20)
	beginTransfer(t, c, a, b)
	if _, err := c.Exec(ctx, `COMMIT`); err == nil {
		t.Fatalf("COMMIT answered; the failpoint did not kill the gate\n%s", logs)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("gate exit: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "failpoint") {
		t.Fatalf("no failpoint in the logs:\n%s", logs)
	}

	_, c2, logs2 := start("")
	want := []int64{1000, 1000}
	if step == "after-decision" {
		want = []int64{900, 1100}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := balances(t, c2, a, b)
		prepared := preparedCount(t, o, engine)
		if got[0] == want[0] && got[1] == want[1] && prepared == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: balances %v (want %v), %d prepared transactions left\n%s", got, want, prepared, logs2)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var total int64
	if err := c2.QueryRow(ctx, `SELECT sum(balance) FROM accounts`).Scan(&total); err != nil || total != 20000 {
		t.Fatalf("total %d %v", total, err)
	}
}

// preparedCount counts prepared transactions on the Postgres shards of the
// config.
func preparedCount(t *testing.T, o gate.Options, engine string) int {
	t.Helper()
	if engine == "sqlite" {
		return 0
	}
	cfg, err := gate.LoadConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	return preparedOn(t, cfg.Keyspaces["main"].Shards)
}

// TestShardDiesInPhaseOne: a Postgres shard goes away while a two-shard
// transaction is open; its COMMIT fails in phase one and nothing is
// committed anywhere, and nothing stays prepared.
func TestShardDiesInPhaseOne(t *testing.T) {
	own := pgtest.Start(t)
	_, u1 := pgtest.Shared(t).CreateDB(t)
	_, u2 := own.CreateDB(t)
	g := gatetest.StartOptions(t, gatetest.OptionsWithConfig(t, fmt.Sprintf("keyspaces:\n  main:\n    sharded: true\n    shards: {\"-80\": %q, \"80-\": %q}\n", u1, u2)))
	c := g.Connect(t)
	ctx := context.Background()
	a, b := setupAccounts(t, c, 20)
	beginTransfer(t, c, a, b)
	if err := own.StopClean(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `COMMIT`); err == nil {
		t.Fatal("COMMIT succeeded with a shard down")
	}
	if err := own.Restart(); err != nil {
		t.Fatal(err)
	}
	c2 := g.Connect(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []int64
		ok := true
		for _, id := range []int{a, b} {
			var v int64
			if err := c2.QueryRow(ctx, `SELECT balance FROM accounts WHERE id = $1`, id).Scan(&v); err != nil {
				ok = false
				break
			}
			got = append(got, v)
		}
		if ok {
			if got[0] != 1000 || got[1] != 1000 {
				t.Fatalf("balances after a failed commit: %v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shard did not come back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	noPreparedLeft(t, g)
}

// TestNeedsPreparedTransactions: a keyspace of several Postgres shards
// whose server has max_prepared_transactions = 0 is refused at startup,
// naming the shard and the setting.
func TestNeedsPreparedTransactions(t *testing.T) {
	pg := pgtest.StartWith(t, "-c max_prepared_transactions=0")
	_, u1 := pg.CreateDB(t)
	_, u2 := pg.CreateDB(t)
	o := gatetest.OptionsWithConfig(t, fmt.Sprintf("keyspaces:\n  main:\n    sharded: true\n    shards: {\"-80\": %q, \"80-\": %q}\n", u1, u2))
	cfg, err := gate.LoadConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.Start(context.Background(), cfg, gatetest.DiscardLog())
	if err == nil {
		g.Close(context.Background())
		t.Fatal("the gate started")
	}
	if !strings.Contains(err.Error(), "max_prepared_transactions is 0") || !strings.Contains(err.Error(), "main/-80") && !strings.Contains(err.Error(), "main/80-") {
		t.Fatalf("error: %v", err)
	}
}
