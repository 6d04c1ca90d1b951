package engine

import (
	"context"
	"sort"

	"github.com/dotdo/vitess/sqltypes"
)

// Sort orders rows at the gate. It holds its whole input, so the planner
// only places it above an Aggregate, whose output is one row per group.
type Sort struct {
	Input Operator
	Keys  []SortKey
}

// Open reads and sorts the input.
func (s *Sort) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	in, err := s.Input.Open(ctx, env, args)
	if err != nil {
		return nil, err
	}
	fields := in.Fields()
	rows, err := sqltypes.ReadAllHeld(ctx, in, "Sort")
	if err != nil {
		return nil, err
	}
	var cmpErr error
	sort.SliceStable(rows, func(i, j int) bool {
		c, err := compareRows(rows[i], rows[j], s.Keys)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		return c < 0
	})
	if cmpErr != nil {
		return nil, cmpErr
	}
	return &sqltypes.Buffered{Cols: fields, Data: rows, Command: selectTag(int64(len(rows)))}, nil
}

// Explain prints the keys.
func (s *Sort) Explain() *ExplainNode {
	return &ExplainNode{Op: "Sort", Props: []string{"keys=" + keysString(s.Keys)}, Children: []*ExplainNode{s.Input.Explain()}}
}

// Inputs is the operator it reads.
func (s *Sort) Inputs() []Operator { return []Operator{s.Input} }
