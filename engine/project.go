package engine

import (
	"context"
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
)

// Project reorders and drops columns: output column i is input column
// Cols[i]. It hides the helper columns the planner added for sorting and
// aggregation.
type Project struct {
	Input  Operator
	Cols   []int
	Fields []sqltypes.Field
}

// Open wraps the input.
func (p *Project) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return openInput(ctx, env, args, p.Input, func(in sqltypes.Rows) sqltypes.Rows {
		return &projectRows{Rows: in, p: p}
	})
}

// Explain lists the kept columns.
func (p *Project) Explain() *ExplainNode {
	s := ""
	for i, c := range p.Cols {
		if i > 0 {
			s += ","
		}
		s += "$" + strconv.Itoa(c+1)
	}
	return &ExplainNode{Op: "Project", Props: []string{"columns=" + s}, Children: []*ExplainNode{p.Input.Explain()}}
}

type projectRows struct {
	sqltypes.Rows
	p *Project
	n int64
}

func (r *projectRows) Fields() []sqltypes.Field { return r.p.Fields }

func (r *projectRows) Next(ctx context.Context) (sqltypes.Row, error) {
	row, err := r.Rows.Next(ctx)
	if err != nil {
		return nil, err
	}
	out := make(sqltypes.Row, len(r.p.Cols))
	for i, c := range r.p.Cols {
		out[i] = row[c]
	}
	r.n++
	return out, nil
}

func (r *projectRows) Tag() string { return selectTag(r.n) }

// Inputs is the operator it reads.
func (p *Project) Inputs() []Operator { return []Operator{p.Input} }
