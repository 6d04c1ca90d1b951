package planner

import (
	"github.com/dotdo/vitess/engine"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// vacuumPlan broadcasts VACUUM and ANALYZE.
func (b *builder) vacuumPlan(n *pg_query.Node) (*engine.Plan, error) {
	tag := "ANALYZE"
	if n.GetVacuumStmt().IsVacuumcmd {
		tag = "VACUUM"
	}
	return &engine.Plan{Type: "maintenance", Root: &engine.Maintenance{Keyspace: b.ks, Shards: b.shards, SQL: b.sql, Tag: tag}, SQL: b.sql}, nil
}
