package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/sdk"
)

func sdkErr(t *testing.T, err error) *sdk.Error {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *sdk.Error: %T %v", err, err)
	}
	return e
}

// forEngines runs test against the gate over SQLite shards and the gate
// over Postgres shards.
func forEngines(t *testing.T, test func(t *testing.T, c *sdk.Client, engine, endpoint string)) {
	for _, e := range []struct{ name, endpoint string }{{"sqlite", endpoint}, {"postgres", endpointPG}} {
		t.Run(e.name, func(t *testing.T) {
			c, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: e.endpoint, Token: token, Retry: sdk.Retry{MaxAttempts: 3, Backoff: 10 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			test(t, c, e.name, e.endpoint)
		})
	}
}

func TestUnauthorized(t *testing.T) {
	for _, ep := range []string{endpoint, endpointPG} {
		_, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: ep, Token: "wrong"})
		if e := sdkErr(t, err); e.Code != sdk.CodeUnauthorized {
			t.Fatalf("wrong token: %v", e)
		}
	}
}

// TestConnection: a gate that is not there is CONNECTION_ERROR after the
// retries; one that comes up during them is reached.
func TestConnection(t *testing.T) {
	_, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: "postgres://app@127.0.0.1:1/main?sslmode=disable&connect_timeout=2", Token: token,
		Retry: sdk.Retry{MaxAttempts: 2, Backoff: 10 * time.Millisecond}})
	if e := sdkErr(t, err); e.Code != sdk.CodeConnection {
		t.Fatalf("no gate: %v", e)
	}
}

// TestMethods: every method of the client, on both engines.
func TestMethods(t *testing.T) { forEngines(t, testMethods) }

func testMethods(t *testing.T, c *sdk.Client, engine, _ string) {
	ctx := context.Background()
	if !c.IsConnected(ctx) {
		t.Fatal("not connected")
	}
	if _, err := c.Execute(ctx, `CREATE TABLE m_items (id bigint PRIMARY KEY, name text, qty int)`); err != nil {
		t.Fatal(err)
	}
	ex, err := c.Execute(ctx, `INSERT INTO m_items VALUES ($1, $2, $3), (2, 'b', 5), (3, 'c', 7)`, 1, "a", 3)
	if err != nil || ex.Affected != 3 || ex.LastInsertID != 0 {
		t.Fatalf("Execute: %+v %v", ex, err)
	}
	ex, err = c.Execute(ctx, `INSERT INTO m_users (name) VALUES ('auto')`)
	if err == nil {
		t.Fatalf("m_users does not exist yet: %+v", ex)
	}
	c.Execute(ctx, `CREATE TABLE m_users (id bigint PRIMARY KEY, name text)`)
	ex, err = c.Execute(ctx, `INSERT INTO m_users (name) VALUES ('auto'), ('auto2')`)
	if err != nil || ex.Affected != 2 || ex.LastInsertID == 0 {
		t.Fatalf("Execute with a sequence: %+v %v", ex, err)
	}
	var last int64
	res, err := sdk.Query[struct {
		ID   int64
		Name string
	}](ctx, c, `SELECT id, name FROM m_users WHERE name = 'auto2'`)
	if err != nil || res.RowCount != 1 {
		t.Fatalf("Query[T]: %+v %v", res, err)
	}
	last = res.Rows[0].ID
	if last != ex.LastInsertID {
		t.Errorf("LastInsertID %d, the last row's id %d", ex.LastInsertID, last)
	}
	rows, err := c.Query(ctx, `SELECT name, qty FROM m_items ORDER BY qty DESC`)
	if err != nil || rows.RowCount != 3 || rows.Rows[0]["name"] != "c" || rows.Fields[1].Type != "int4" {
		t.Fatalf("Query: %+v %v", rows, err)
	}
	b, err := c.Batch(ctx, []sdk.Statement{{SQL: `UPDATE m_items SET qty = qty + 1 WHERE id = $1`, Params: []any{1}}, {SQL: `DELETE FROM m_items WHERE id = $1`, Params: []any{2}}})
	if err != nil || !b.Success || b.FailedAt != -1 || len(b.Results) != 2 || b.Results[1].Affected != 1 {
		t.Fatalf("Batch: %+v %v", b, err)
	}
	n, err := sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
		if _, err := tx.Execute(ctx, `UPDATE m_items SET qty = 0 WHERE id IN (1, 3)`); err != nil {
			return 0, err
		}
		r, err := tx.Query(ctx, `SELECT count(*) AS n FROM m_items WHERE qty = 0`)
		if err != nil {
			return 0, err
		}
		if len(tx.Shards) == 0 || tx.ID == "" {
			t.Errorf("Tx: %+v", tx)
		}
		return int(r.Rows[0]["n"].(int64)), nil
	}, &sdk.TxOptions{Isolation: sdk.RepeatableRead})
	if err != nil || n != 2 {
		t.Fatalf("Transaction: %d %v", n, err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Engine != engine || st.ShardCount != 2 || st.TotalQueries == 0 {
		t.Fatalf("Status: %+v %v", st, err)
	}
	vs, err := c.VSchema(ctx)
	if err != nil || !vs.Sharded || vs.Tables["m_users"].AutoIncrement == nil {
		t.Fatalf("VSchema: %+v %v", vs, err)
	}
}

// TestErrorCodes: every failure is an *sdk.Error with the seed's code that
// unwraps to the gate's *pgconn.PgError, on both engines.
func TestErrorCodes(t *testing.T) { forEngines(t, testErrorCodes) }

func testErrorCodes(t *testing.T, c *sdk.Client, engine, _ string) {
	ctx := context.Background()
	if _, err := c.Execute(ctx, `CREATE TABLE codes (id bigint PRIMARY KEY, n int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(ctx, `INSERT INTO codes VALUES (1, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sql, code string
		shard     bool
	}{
		{`SELEC 1`, sdk.CodeSyntax, false},
		{`SELECT * FROM nope`, sdk.CodeNotFound, false},
		{`INSERT INTO codes VALUES (1, 2)`, sdk.CodeConstraint, true},
		{`SELECT 'x'::int`, sdk.CodeType, false},
		{`SELECT count(DISTINCT n) OVER () FROM codes`, sdk.CodeQuery, false},
		{`PREPARE TRANSACTION 'x'`, sdk.CodeQuery, false},
	} {
		_, err := c.Query(ctx, tc.sql)
		e := sdkErr(t, err)
		var pe *pgconn.PgError
		if e.Code != tc.code || !errors.As(err, &pe) || (tc.shard && e.Shard == "") {
			t.Errorf("%s: %+v", tc.sql, e)
		}
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	time.Sleep(2 * time.Millisecond)
	if _, err := c.Query(short, `SELECT 1`); sdkErr(t, err).Code != sdk.CodeTimeout {
		t.Errorf("deadline: %v", err)
	}
	// An error inside a transaction: the next statement is refused (25P02).
	_, err := sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
		tx.Execute(ctx, `INSERT INTO codes VALUES (1, 3)`)
		_, err := tx.Execute(ctx, `UPDATE codes SET n = 9`)
		return 0, err
	}, nil)
	if e := sdkErr(t, err); e.Code != sdk.CodeTransaction || e.SQLState != "25P02" {
		t.Errorf("failed transaction: %+v", e)
	}
	// READ ONLY refuses writes (25006); the transaction's Timeout ends it.
	_, err = sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
		_, err := tx.Execute(ctx, `UPDATE codes SET n = 9 WHERE id = 1`)
		return 0, err
	}, &sdk.TxOptions{ReadOnly: true})
	if e := sdkErr(t, err); e.Code != sdk.CodeTransaction || e.SQLState != "25006" {
		t.Errorf("read-only transaction: %+v", e)
	}
	_, err = sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
		time.Sleep(100 * time.Millisecond)
		_, err := tx.Execute(ctx, `UPDATE codes SET n = 9 WHERE id = 1`)
		return 0, err
	}, &sdk.TxOptions{Timeout: 50 * time.Millisecond})
	if e := sdkErr(t, err); e.Code != sdk.CodeTimeout {
		t.Errorf("transaction timeout: %+v", e)
	}
	if engine == "postgres" {
		// statement_timeout on the shard: 57014.
		_, err := sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
			if _, err := tx.Execute(ctx, `SET LOCAL statement_timeout = 50`); err != nil {
				return 0, err
			}
			_, err := tx.Query(ctx, `SELECT pg_sleep(2) FROM codes WHERE id = 1`)
			return 0, err
		}, nil)
		if e := sdkErr(t, err); e.Code != sdk.CodeTimeout {
			t.Errorf("statement timeout: %+v", e)
		}
	}
}

// TestShardError: a query that needs a shard that is down is SHARD_ERROR
// naming the shard.
func TestShardError(t *testing.T) {
	ctx := context.Background()
	c, err := sdk.Connect(ctx, sdk.Config{Endpoint: endpointPG, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Execute(ctx, `CREATE TABLE se (id bigint PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if err := pgShard2.StopClean(); err != nil {
		t.Fatal(err)
	}
	defer pgShard2.Restart()
	_, err = c.Query(ctx, `SELECT count(*) FROM se`)
	if e := sdkErr(t, err); e.Code != sdk.CodeShard || e.Shard != "80-" {
		t.Fatalf("shard down: %+v", e)
	}
}

// TestTransactionOutcomes: an error or a panic in the function rolls back
// on every shard; a deadlock between two transactions (the gate detects it
// across SQLite shards) is retried and both commit.
func TestTransactionOutcomes(t *testing.T) { forEngines(t, testTransactionOutcomes) }

func testTransactionOutcomes(t *testing.T, c *sdk.Client, engine, ep string) {
	ctx := context.Background()
	c.Execute(ctx, `CREATE TABLE tx_rows (id bigint PRIMARY KEY, v bigint)`)
	if _, err := c.Execute(ctx, `INSERT INTO tx_rows VALUES (1, 0), (2, 0), (3, 0), (4, 0)`); err != nil {
		t.Fatal(err)
	}
	sum := func() int64 {
		res, err := sdk.Query[struct{ S int64 }](ctx, c, `SELECT sum(v) AS s FROM tx_rows`)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0].S
	}
	_, err := sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
		tx.Execute(ctx, `UPDATE tx_rows SET v = v + 1`)
		return 0, errors.New("no")
	}, nil)
	if err == nil || sum() != 0 {
		t.Fatalf("error: %v, sum %d", err, sum())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int, error) {
			tx.Execute(ctx, `UPDATE tx_rows SET v = v + 1`)
			panic("boom")
		}, nil)
	}()
	if sum() != 0 {
		t.Fatalf("after panic: sum %d", sum())
	}

	// Two transactions update all rows in opposite orders, many times: the
	// cross-shard lock cycles end in 40P01 and are retried.
	rc, err := sdk.Connect(ctx, sdk.Config{Endpoint: ep, Token: token, Retry: sdk.Retry{MaxAttempts: 50, Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	orders := [][]int{{1, 2, 3, 4}, {4, 3, 2, 1}}
	if engine == "postgres" {
		// Two Postgres servers would not see a cycle across them; ids 1
		// and 2 share a shard, whose server reports the deadlock (40P01).
		orders = [][]int{{1, 2}, {2, 1}}
	}
	for w, order := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := sdk.Transaction(ctx, rc, func(tx *sdk.Tx) (int, error) {
					for _, id := range order {
						if _, err := tx.Execute(ctx, `UPDATE tx_rows SET v = v + 1 WHERE id = $1`, id); err != nil {
							return 0, err
						}
					}
					return 0, nil
				}, nil)
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := sum(), int64(20*(len(orders[0])+len(orders[1]))); got != want {
		t.Errorf("sum %d, want %d", got, want)
	}
}
