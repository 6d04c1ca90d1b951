package engine

import (
	"context"
	"strings"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Maintenance runs VACUUM / ANALYZE on every Postgres shard of the
// keyspace, one after the other (SQLite shards keep their own statistics:
// nothing to do there).
type Maintenance struct {
	Keyspace *router.Keyspace
	Shards   map[string]Shard
	SQL      string
	Tag      string
}

// Open runs the statement on each Postgres shard in key order.
func (m *Maintenance) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	for _, s := range m.Keyspace.Shards {
		if !IsPostgresShard(m.Shards[s]) {
			continue
		}
		conn, err := env.Conn(ctx, s)
		if err != nil {
			return nil, err
		}
		r, err := conn.Query(ctx, m.SQL, nil)
		if err != nil {
			return nil, err
		}
		if _, err := sqltypes.ReadAll(ctx, r); err != nil {
			return nil, err
		}
	}
	return &sqltypes.Buffered{Command: m.Tag}, nil
}

// Explain prints the broadcast.
func (m *Maintenance) Explain() *ExplainNode {
	var pg []string
	for _, s := range m.Keyspace.Shards {
		if IsPostgresShard(m.Shards[s]) {
			pg = append(pg, s)
		}
	}
	return &ExplainNode{Op: "Maintenance", Props: []string{"keyspace=" + m.Keyspace.Name, "shards=" + strings.Join(pg, ","), "sql=" + m.SQL}}
}

// Inputs is empty: it talks to shards itself.
func (m *Maintenance) Inputs() []Operator { return nil }
