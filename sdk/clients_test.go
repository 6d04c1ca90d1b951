package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/dotdo/vitess/sdk"
)

// TestBatchStopsAtFailure: a statement that fails (to plan, or while
// running) is reported at its own index, after the statements before it
// ran and kept their effect (a batch is not a transaction); the ones after
// it do not run.
func TestBatchStopsAtFailure(t *testing.T) { forEngines(t, testBatchStopsAtFailure) }

func testBatchStopsAtFailure(t *testing.T, c *sdk.Client, engine, _ string) {
	ctx := context.Background()
	for _, sql := range []string{`DROP TABLE IF EXISTS b_items`, `CREATE TABLE b_items (id bigint PRIMARY KEY, qty int)`,
		`INSERT INTO b_items VALUES (1, 10), (2, 20), (3, 30)`} {
		if _, err := c.Execute(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	for _, fail := range []struct {
		name, sql string
		code      string
	}{
		{"plan", `SELECT no_such_column FROM b_items`, sdk.CodeNotFound},
		{"run", `SELECT 1 / (qty - 20) FROM b_items WHERE id = 2`, sdk.CodeType},
	} {
		t.Run(fail.name, func(t *testing.T) {
			b, err := c.Batch(ctx, []sdk.Statement{
				{SQL: `UPDATE b_items SET qty = qty + 1 WHERE id = $1`, Params: []any{1}},
				{SQL: fail.sql},
				{SQL: `UPDATE b_items SET qty = qty + 100 WHERE id = $1`, Params: []any{3}},
				{SQL: `SELECT 1`},
			})
			if err != nil {
				t.Fatal(err)
			}
			if b.Success || b.FailedAt != 1 || len(b.Results) != 1 || b.Results[0].Affected != 1 {
				t.Fatalf("batch: %+v", b)
			}
			if e := sdkErr(t, b.Error); e.Code != fail.code {
				t.Errorf("error: %v", e)
			}
		})
	}
	res, err := c.Query(ctx, `SELECT id, qty FROM b_items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{12, 20, 30} // both UPDATEs of id 1 kept, id 3 never reached
	for i, r := range res.Rows {
		if got := int64(r["qty"].(int32)); got != want[i] {
			t.Errorf("id %v: qty %d, want %d", r["id"], got, want[i])
		}
	}
}

// TestConnectRetries: Connect retries a refused connection until the gate
// comes up, within Retry.MaxAttempts.
func TestConnectRetries(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		c   *sdk.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: "postgres://app@" + addr + "/main?sslmode=disable",
			Token: token, Retry: sdk.Retry{MaxAttempts: 8, Backoff: 50 * time.Millisecond}})
		done <- result{c, err}
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("Connect returned before the gate was up: %v", r.err)
	default:
	}
	_, stop, err := startGateAt(gateBin, gateDir, "late", "users:\n  - {name: app, password: s3cret}\n", addr, "--shards", "2")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := <-done
	if r.err != nil {
		t.Fatalf("Connect: %v", r.err)
	}
	defer r.c.Close()
	if _, err := r.c.Query(context.Background(), `SELECT 1`); err != nil {
		t.Fatal(err)
	}
}
