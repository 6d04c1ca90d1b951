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

func TestUnauthorized(t *testing.T) {
	_, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: endpoint, Token: "wrong"})
	if e := sdkErr(t, err); e.Code != sdk.CodeUnauthorized {
		t.Fatalf("wrong token: %v", e)
	}
}

// TestErrorCodes: every failure is an *sdk.Error with the seed's code that
// unwraps to the gate's *pgconn.PgError.
func TestErrorCodes(t *testing.T) {
	ctx := context.Background()
	c := connect()
	defer c.Close()
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
}

// TestTransactionOutcomes: an error or a panic in the function rolls back
// on every shard; a deadlock between two transactions (the gate detects it
// across SQLite shards) is retried and both commit.
func TestTransactionOutcomes(t *testing.T) {
	ctx := context.Background()
	c := connect()
	defer c.Close()
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
	rc, err := sdk.Connect(ctx, sdk.Config{Endpoint: endpoint, Token: token, Retry: sdk.Retry{MaxAttempts: 50, Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, order := range [][]int{{1, 2, 3, 4}, {4, 3, 2, 1}} {
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
	if got := sum(); got != 2*20*4 {
		t.Errorf("sum %d, want %d", got, 2*20*4)
	}
}
