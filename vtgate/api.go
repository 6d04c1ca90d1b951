package vtgate

import (
	"context"
	"fmt"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
)

// VTGate is the gate as a Go API for one keyspace, without the wire
// server: where a statement goes, its plan, and running it (each statement
// on its own, outside any transaction).
type VTGate struct {
	p        *planner.Planner
	keyspace string
}

// NewVTGate returns the API of keyspace over the planner's shards.
func NewVTGate(p *planner.Planner, keyspace string) (*VTGate, error) {
	if _, ok := p.VSchema.Keyspaces[keyspace]; !ok {
		return nil, sqltypes.Errorf(sqltypes.InvalidCatalogName, "keyspace \"%s\" does not exist", keyspace)
	}
	return &VTGate{p: p, keyspace: keyspace}, nil
}

// ShardRoute is where a statement runs.
type ShardRoute struct {
	// Shards are the shards the statement reaches, in key order.
	Shards []string
	// Scatter is true when no vindex narrowed it: every shard is asked.
	Scatter bool
}

// Plan plans a statement (Plan.Type is single_shard, scatter, ...).
func (g *VTGate) Plan(ctx context.Context, sql string) (*engine.Plan, error) {
	return g.p.Plan(ctx, nil, g.keyspace, sql, nil)
}

// Route reports the shards a statement reaches with these arguments. An
// INSERT whose vindex values the gate's sequence will give may reach any
// shard: all are listed.
func (g *VTGate) Route(ctx context.Context, sql string, args []any) (ShardRoute, error) {
	pl, err := g.Plan(ctx, sql)
	if err != nil {
		return ShardRoute{}, err
	}
	ks := g.p.VSchema.Keyspaces[g.keyspace]
	if pl.Foreign != "" {
		ks = g.p.VSchema.Keyspaces[pl.Foreign]
	}
	set := map[string]bool{}
	var out ShardRoute
	add := func(shards []string) {
		for _, s := range shards {
			set[s] = true
		}
	}
	for _, op := range engine.Leaves(pl.Root) {
		switch o := op.(type) {
		case *engine.Route:
			targets, err := o.TargetsIn(ctx, apiEnv{g}, args)
			if err != nil {
				return ShardRoute{}, err
			}
			add(targets)
			out.Scatter = out.Scatter || o.Opcode == engine.Scatter
		case *engine.InsertSplit:
			targets, err := o.Targets(args)
			if err != nil {
				return ShardRoute{}, err
			}
			add(targets)
		default:
			add(ks.Shards)
		}
	}
	for _, s := range ks.Shards {
		if set[s] {
			out.Shards = append(out.Shards, s)
		}
	}
	return out, nil
}

// Result is a statement's answer, read to its end.
type Result struct {
	Fields []sqltypes.Field
	Rows   []sqltypes.Row // each value in Postgres text format, nil for NULL
	Tag    string         // the command tag ("SELECT 3", "INSERT 0 1")
}

// Execute plans and runs one statement and reads its whole answer.
func (g *VTGate) Execute(ctx context.Context, sql string, args []any) (*Result, error) {
	pl, err := g.Plan(ctx, sql)
	if err != nil {
		return nil, err
	}
	if pl.Kind != engine.KindQuery {
		return nil, sqltypes.Unsupported("%s through VTGate.Execute (session and transaction statements need a client session)", pl.Type)
	}
	rows, err := pl.Execute(ctx, apiEnv{g}, args)
	if err != nil {
		return nil, err
	}
	data, err := sqltypes.ReadAll(ctx, rows)
	if err != nil {
		return nil, err
	}
	if pl.SchemaChange {
		g.p.SchemaChanged()
	}
	return &Result{Fields: rows.Fields(), Rows: data, Tag: rows.Tag()}, nil
}

// apiEnv runs on the shards directly, statement by statement.
type apiEnv struct{ g *VTGate }

func (e apiEnv) Conn(ctx context.Context, shard string) (engine.Conn, error) {
	sh, ok := e.g.p.Shards[e.g.keyspace][shard]
	if !ok {
		return nil, fmt.Errorf("no shard %s in keyspace %s", shard, e.g.keyspace)
	}
	return sh, nil
}

func (e apiEnv) Bound() *sqltypes.Bound { return nil }

func (e apiEnv) ConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	sh, ok := e.g.p.Shards[keyspace][shard]
	if !ok {
		return nil, fmt.Errorf("no shard %s in keyspace %s", shard, keyspace)
	}
	return sh, nil
}

func (e apiEnv) DescribeConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	return e.ConnIn(ctx, keyspace, shard)
}
