package router_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/router"
)

// ExampleKeyspace_ShardForValue routes vindex values to shards: the hash
// vindex gives each value a keyspace id, and the key ranges pick the shard.
func ExampleKeyspace_ShardForValue() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "router-example")
	defer os.RemoveAll(dir)
	meta, _ := metastore.Open(ctx, "sqlite:"+filepath.Join(dir, "meta.db"))
	defer meta.Close()
	cfg, _ := router.DefaultKeyspace(dir, 4)
	cfg["main"].Tables = map[string]router.TableConfig{"users": {Vindex: &router.VindexConfig{Type: "hash", Columns: []string{"id"}}}}
	vs, err := router.NewVSchema(ctx, cfg, meta)
	if err != nil {
		panic(err)
	}
	ks := vs.Keyspaces["main"]
	users, _ := ks.Table("users")
	for _, id := range []int64{1, 2, 3, 4} {
		shard, _ := ks.ShardForValue(users, id)
		fmt.Print(shard, " ")
	}
	fmt.Println(ks.Shards)
	// Output: -40 -40 40-80 c0- [-40 40-80 80-c0 c0-]
}
