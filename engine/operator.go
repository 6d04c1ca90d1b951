package engine

import (
	"context"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
)

// Operator is one node of a plan tree.
type Operator interface {
	// Open starts the operator and returns its output stream.
	Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error)
	// Explain describes the operator and its inputs for EXPLAIN (ROUTE).
	Explain() *ExplainNode
	// Inputs are the operators it reads from, for walks over the tree.
	Inputs() []Operator
}

// openInput opens in and wraps its rows: the Open of an operator that
// changes one input's rows as they stream.
func openInput(ctx context.Context, env Env, args []any, in Operator, wrap func(sqltypes.Rows) sqltypes.Rows) (sqltypes.Rows, error) {
	rows, err := in.Open(ctx, env, args)
	if err != nil {
		return nil, err
	}
	return wrap(rows), nil
}

// Walk calls fn for op and every operator under it, parents first; fn
// returns false to stop the walk.
func Walk(op Operator, fn func(Operator) bool) bool {
	if op == nil {
		return true
	}
	if !fn(op) {
		return false
	}
	for _, in := range op.Inputs() {
		if !Walk(in, fn) {
			return false
		}
	}
	return true
}

// Leaves are the operators of a tree that read no other operator: the ones
// that talk to shards.
func Leaves(op Operator) []Operator {
	var out []Operator
	Walk(op, func(o Operator) bool {
		if len(o.Inputs()) == 0 {
			out = append(out, o)
		}
		return true
	})
	return out
}

// ExplainNode is one line of an EXPLAIN (ROUTE) tree.
type ExplainNode struct {
	Op       string
	Props    []string
	Children []*ExplainNode
}

// Lines renders the tree indented two spaces per level.
func (n *ExplainNode) Lines() []string {
	var out []string
	var walk func(n *ExplainNode, depth int)
	walk = func(n *ExplainNode, depth int) {
		pad := strings.Repeat("  ", depth)
		line := pad + n.Op
		if len(n.Props) > 0 {
			line += " (" + strings.Join(n.Props, ", ") + ")"
		}
		out = append(out, line)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return out
}
