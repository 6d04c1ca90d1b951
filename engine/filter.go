package engine

import (
	"context"

	"github.com/dotdo/vitess/sqltypes"
)

// Filter passes the rows for which Cond is true (HAVING at the gate).
type Filter struct {
	Input Operator
	Cond  *FilterExpr
}

// Open wraps the input.
func (f *Filter) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return openInput(ctx, env, args, f.Input, func(in sqltypes.Rows) sqltypes.Rows {
		return &filterRows{Rows: in, f: f}
	})
}

// Explain prints the condition.
func (f *Filter) Explain() *ExplainNode {
	return &ExplainNode{Op: "Filter", Props: []string{"having=" + f.Cond.Text}, Children: []*ExplainNode{f.Input.Explain()}}
}

type filterRows struct {
	sqltypes.Rows
	f *Filter
	n int64
}

func (r *filterRows) Next(ctx context.Context) (sqltypes.Row, error) {
	for {
		row, err := r.Rows.Next(ctx)
		if err != nil {
			return nil, err
		}
		v, err := r.f.Cond.Eval(row)
		if err != nil {
			return nil, err
		}
		if v == TriTrue {
			r.n++
			return row, nil
		}
	}
}

func (r *filterRows) Tag() string { return selectTag(r.n) }

type Tri int

const (
	TriFalse Tri = iota
	TriTrue
	TriNull
)

// FilterExpr is a compiled boolean condition over gate columns: AND, OR,
// NOT, IS [NOT] NULL and comparisons between gate columns and constants.
type FilterExpr struct {
	Text   string
	Fields []sqltypes.Field
	Eval   func(sqltypes.Row) (Tri, error)
	// Ordered lists the gate columns compared with < <= > >=, whose text
	// order must be the gate's (bytewise).
	Ordered []int
}

type Operand struct {
	Col   int // -1 for a constant
	Value []byte
	IsNil bool
}

// Inputs is the operator it reads.
func (f *Filter) Inputs() []Operator { return []Operator{f.Input} }
