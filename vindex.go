package main

import (
	"context"
	"log/slog"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/router"
)

// createLookupTables makes the lookup tables of every lookup vindex that
// does not have one yet, on every shard of the keyspace that holds it.
func createLookupTables(ctx context.Context, vs *router.VSchema, shardMap map[string]map[string]planner.Shard, log *slog.Logger) {
	for _, o := range vs.LookupsOf() {
		l := o.Lookup
		ks := vs.Keyspaces[l.Keyspace]
		for _, s := range ks.Shards {
			rows, err := shardMap[l.Keyspace][s].Query(ctx, l.CreateSQL(), nil)
			if err == nil {
				rows.Close()
				continue
			}
			log.Warn("lookup table not created", "vindex", l.Name, "table", l.Keyspace+"."+l.Table, "shard", s, "err", err)
		}
	}
}
