package engine

import (
	"context"

	"github.com/dotdo/vitess/sqltypes"
)

// Static returns fixed rows.
type Static struct {
	Fields []sqltypes.Field
	Rows   []sqltypes.Row
	Lines  []string
}

func (s *Static) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return &sqltypes.Buffered{Cols: s.Fields, Data: s.Rows, Command: selectTag(int64(len(s.Rows)))}, nil
}

func (s *Static) Explain() *ExplainNode { return &ExplainNode{Op: "Explain"} }

// Inputs is empty: it talks to shards itself.
func (s *Static) Inputs() []Operator { return nil }
