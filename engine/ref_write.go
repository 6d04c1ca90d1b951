package engine

import (
	"context"

	"github.com/dotdo/vitess/sqltypes"
)

// RefWrite writes a reference table on every shard and reports one shard's
// answer (its rows are the same everywhere).
type RefWrite struct{ Route *Route }

func (w *RefWrite) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	streams, err := w.Route.OpenEach(ctx, env, args)
	if err != nil {
		return nil, err
	}
	rows, tags, err := readEach(ctx, streams)
	if err != nil {
		return nil, err
	}
	var first []sqltypes.Row
	var tag string
	if len(rows) > 0 {
		first, tag = rows[0], tags[0]
	}
	return &sqltypes.Buffered{Cols: w.Route.Fields, Data: first, Command: tag}, nil
}

// readEach reads every stream to its end: each one's rows and command
// tag. On an error the streams not yet read are closed.
func readEach(ctx context.Context, streams []sqltypes.Rows) ([][]sqltypes.Row, []string, error) {
	rows := make([][]sqltypes.Row, len(streams))
	tags := make([]string, len(streams))
	for i, s := range streams {
		var err error
		if rows[i], err = sqltypes.ReadAll(ctx, s); err != nil {
			for _, rest := range streams[i+1:] {
				rest.Close()
			}
			return nil, nil, err
		}
		tags[i] = s.Tag()
	}
	return rows, tags, nil
}

func (w *RefWrite) Explain() *ExplainNode {
	return &ExplainNode{Op: "Broadcast", Props: []string{"reference table write"}, Children: []*ExplainNode{w.Route.Explain()}}
}

// Inputs is the operator it reads.
func (w *RefWrite) Inputs() []Operator { return []Operator{w.Route} }

// MayWriteSeveralShards: see ShardWriter.
func (w *RefWrite) MayWriteSeveralShards() bool {
	return len(w.Route.Keyspace.Shards) > 1
}
