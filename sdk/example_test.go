package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dotdo/vitess/sdk"
)

// User is a row of the examples' users table.
type User struct {
	ID       int64
	TenantID int64
	Name     string
	Active   bool
}

func connect() *sdk.Client {
	c, err := sdk.Connect(context.Background(), sdk.Config{Endpoint: endpoint, Keyspace: "main", Token: token,
		Timeout: 30 * time.Second, Retry: sdk.Retry{MaxAttempts: 3, Backoff: 100 * time.Millisecond}})
	if err != nil {
		panic(err)
	}
	return c
}

func Example() {
	ctx := context.Background()
	c := connect()
	defer c.Close()
	if _, err := c.Execute(ctx, `CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint, name text, active boolean)`); err != nil {
		panic(err)
	}
	// The gate's sequence gives the id; LastInsertID reports it.
	ex, err := c.Execute(ctx, `INSERT INTO users (tenant_id, name, active) VALUES ($1, $2, $3)`, 7, "Alice", true)
	if err != nil {
		panic(err)
	}
	fmt.Println("affected", ex.Affected, "id > 0:", ex.LastInsertID > 0)
	c.Execute(ctx, `INSERT INTO users (tenant_id, name, active) VALUES (7, 'Bob', false), (9, 'Cy', true)`)

	res, err := sdk.Query[User](ctx, c, `SELECT * FROM users WHERE tenant_id = $1 AND active = $2`, 7, true)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.RowCount, res.Rows[0].Name, res.Fields[0].Name, res.Fields[0].Type)
	// Output:
	// affected 1 id > 0: true
	// 1 Alice id int8
}

func ExampleTransaction() {
	ctx := context.Background()
	c := connect()
	defer c.Close()
	c.Execute(ctx, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint)`)
	c.Execute(ctx, `INSERT INTO accounts VALUES (1, 100), (2, 100), (3, 100), (4, 100)`)
	var shards []string
	total, err := sdk.Transaction(ctx, c, func(tx *sdk.Tx) (int64, error) {
		for _, id := range []int{1, 2, 3, 4} {
			if _, err := tx.Execute(ctx, `UPDATE accounts SET balance = balance + 10 WHERE id = $1`, id); err != nil {
				return 0, err
			}
		}
		shards = tx.Shards
		res, err := sdk.TxQuery[struct{ Sum int64 }](ctx, tx, `SELECT sum(balance) AS sum FROM accounts`)
		if err != nil {
			return 0, err
		}
		return res.Rows[0].Sum, nil
	}, &sdk.TxOptions{Isolation: sdk.Serializable})
	fmt.Println(total, err, len(shards))
	// Output: 440 <nil> 2
}

func ExampleClient_Batch() {
	ctx := context.Background()
	c := connect()
	defer c.Close()
	c.Execute(ctx, `CREATE TABLE kv (k text PRIMARY KEY, v text)`)
	b, err := c.Batch(ctx, []sdk.Statement{
		{SQL: `INSERT INTO kv VALUES ($1, $2)`, Params: []any{"a", "1"}},
		{SQL: `INSERT INTO kv VALUES ($1, $2)`, Params: []any{"b", "2"}},
		{SQL: `INSERT INTO kv VALUES ($1, $2)`, Params: []any{"a", "dup"}},
		{SQL: `INSERT INTO kv VALUES ($1, $2)`, Params: []any{"c", "3"}},
	})
	if err != nil {
		panic(err)
	}
	var e *sdk.Error
	errors.As(b.Error, &e)
	fmt.Println(b.Success, b.FailedAt, len(b.Results), e.Code)
	// Output: false 2 2 CONSTRAINT_VIOLATION
}

func ExampleClient_Status() {
	ctx := context.Background()
	c := connect()
	defer c.Close()
	c.Query(ctx, `SELECT 1`)
	st, err := c.Status(ctx)
	if err != nil {
		panic(err)
	}
	vs, err := c.VSchema(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Keyspace, st.ShardCount, st.Engine, st.Shards[0].ID, st.Shards[0].Healthy, st.TotalQueries > 0)
	fmt.Println(vs.Sharded, vs.Tables["users"].Vindex.Type, vs.Tables["users"].AutoIncrement.Sequence)
	// Output:
	// main 2 sqlite -80 true true
	// true hash users_id_seq
}
