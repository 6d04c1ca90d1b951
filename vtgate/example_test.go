package vtgate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards"
	"github.com/dotdo/vitess/vtgate"
)

// ExampleVTGate embeds the gate in a Go program: two SQLite shards, a
// table sharded by hash on id, and statements routed, planned and run
// without the wire server.
func ExampleVTGate() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "vtgate-example")
	defer os.RemoveAll(dir)
	meta, _ := metastore.Open(ctx, "sqlite:"+filepath.Join(dir, "meta.db"))
	defer meta.Close()
	cfg, _ := router.DefaultKeyspace(dir, 2) // keyspace main: -80, 80-
	vs, err := router.NewVSchema(ctx, cfg, meta)
	if err != nil {
		panic(err)
	}
	tablets := map[string]map[string]engine.Shard{"main": {}}
	for _, s := range vs.Keyspaces["main"].Shards {
		t, err := shards.Open(ctx, "main", s, vs.Keyspaces["main"].URLs[s], shards.Options{NameInErrors: true})
		if err != nil {
			panic(err)
		}
		defer t.Close()
		tablets["main"][s] = t
	}
	gate, _ := vtgate.NewVTGate(planner.New(vs, tablets, metastore.NewSequences(meta)), "main")

	gate.Execute(ctx, `CREATE TABLE users (id bigint PRIMARY KEY, name text)`, nil)
	res, _ := gate.Execute(ctx, `INSERT INTO users VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')`, nil)
	fmt.Println(res.Tag)

	route, _ := gate.Route(ctx, `SELECT * FROM users WHERE id = $1`, []any{int64(2)})
	fmt.Println(len(route.Shards), route.Scatter)
	route, _ = gate.Route(ctx, `SELECT count(*) FROM users`, nil)
	fmt.Println(route.Shards, route.Scatter)

	plan, _ := gate.Plan(ctx, `SELECT name FROM users ORDER BY name`)
	fmt.Println(plan.Type)
	res, _ = gate.Execute(ctx, `SELECT name FROM users ORDER BY name`, nil)
	for _, row := range res.Rows {
		fmt.Print(string(row[0]), " ")
	}
	fmt.Println(res.Tag)
	// Output:
	// INSERT 0 3
	// 1 false
	// [-80 80-] true
	// scatter
	// Ann Bob Cy SELECT 3
}
