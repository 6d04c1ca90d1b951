package engine

import (
	"context"
	"fmt"

	"github.com/dotdo/vitess/sqltypes"
)

// Broadcast runs DDL on every shard of the keyspace, then updates the vschema.
type Broadcast struct {
	Route *Route
	Tag   string
	After func(ctx context.Context) error
	// Clear are the lookup tables of tables the statement empties or
	// drops (TRUNCATE, DROP TABLE): their entries go too.
	Clear []*LookupTable
}

// Open runs the statement on each shard in key order and stops at the first
// failure, which names its shard.
func (d *Broadcast) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	for _, s := range d.Route.Keyspace.Shards {
		conn, err := env.Conn(ctx, s)
		if err != nil {
			return nil, err
		}
		r, err := conn.Query(ctx, d.Route.SQL, args)
		if err != nil {
			return nil, err
		}
		if _, err := sqltypes.ReadAll(ctx, r); err != nil {
			return nil, err
		}
	}
	for _, lt := range d.Clear {
		for _, s := range lt.Ks.Shards {
			conn, err := EnvIn(env, lt.Ks.Name).Conn(ctx, s)
			if err != nil {
				return nil, err
			}
			r, err := conn.Query(ctx, "DELETE FROM "+sqltypes.QuoteIdent(lt.L.Table), nil)
			if err != nil {
				return nil, fmt.Errorf("lookup vindex %s: %w", lt.L.Name, err)
			}
			r.Close()
		}
	}
	if d.After != nil {
		if err := d.After(ctx); err != nil {
			return nil, err
		}
	}
	return &sqltypes.Buffered{Command: d.Tag}, nil
}

// Explain prints the broadcast.
func (d *Broadcast) Explain() *ExplainNode {
	return &ExplainNode{Op: "Broadcast", Props: []string{"ddl"}, Children: []*ExplainNode{d.Route.Explain()}}
}

// Inputs is the operator it reads.
func (d *Broadcast) Inputs() []Operator { return []Operator{d.Route} }
