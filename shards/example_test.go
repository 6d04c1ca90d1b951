package shards_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dotdo/vitess/shards"
	"github.com/dotdo/vitess/sqltypes"
)

// ExampleTablet runs statements on one shard: outside a transaction and in
// one, within the tablet's limit of open transactions.
func ExampleTablet() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tablet-example")
	defer os.RemoveAll(dir)
	t, err := shards.Open(ctx, "main", "-80", "sqlite:"+filepath.Join(dir, "s.db"), shards.Options{MaxTransactions: 1})
	if err != nil {
		panic(err)
	}
	defer t.Close()
	r, _ := t.Query(ctx, `CREATE TABLE kv (k text PRIMARY KEY, v bigint)`, nil)
	r.Close()

	tx, _ := t.Begin(ctx)
	r, _ = tx.Query(ctx, `INSERT INTO kv VALUES ($1, $2)`, []any{"a", int64(1)})
	r.Close()
	if _, err := t.Begin(ctx); err != nil {
		fmt.Println("second transaction refused:", err.(interface{ SQLState() string }).SQLState())
	}
	tx.Commit(ctx)

	r, _ = t.Query(ctx, `SELECT k, v FROM kv`, nil)
	rows, _ := sqltypes.ReadAll(ctx, r)
	fmt.Println(string(rows[0][0]), string(rows[0][1]), t.Stats().Queries)
	// Output:
	// second transaction refused: 53400
	// a 1 3
}
