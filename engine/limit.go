package engine

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
)

// Limit skips Offset rows and passes at most Count rows (Count nil: all).
type Limit struct {
	Input  Operator
	Count  *Value
	Offset *Value
}

func intValue(v *Value, args []any, what string) (int64, bool, error) {
	if v == nil {
		return 0, false, nil
	}
	x := v.eval(args)
	if x == nil {
		return 0, false, nil // LIMIT NULL means no limit
	}
	n, err := Coerce(x, sqltypes.OIDInt8)
	if err != nil {
		return 0, false, err
	}
	i, ok := n.(int64)
	if !ok {
		return 0, false, sqltypes.Errorf(sqltypes.InvalidParameterValue, "%s must be an integer", what)
	}
	if i < 0 {
		if what == "OFFSET" {
			return 0, false, sqltypes.Errorf(sqltypes.InvalidRowCountInResultOffsetClause, "OFFSET must not be negative")
		}
		return 0, false, sqltypes.Errorf(sqltypes.InvalidRowCountInLimitClause, "LIMIT must not be negative")
	}
	return i, true, nil
}

// Open applies the limit to the input stream.
func (l *Limit) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	count, hasCount, err := intValue(l.Count, args, "LIMIT")
	if err != nil {
		return nil, err
	}
	offset, _, err := intValue(l.Offset, args, "OFFSET")
	if err != nil {
		return nil, err
	}
	return openInput(ctx, env, args, l.Input, func(in sqltypes.Rows) sqltypes.Rows {
		return &limitRows{Rows: in, count: count, hasCount: hasCount, offset: offset}
	})
}

// Explain prints the limit and offset.
func (l *Limit) Explain() *ExplainNode {
	var props []string
	if l.Count != nil {
		props = append(props, "count="+l.Count.String())
	}
	if l.Offset != nil {
		props = append(props, "offset="+l.Offset.String())
	}
	return &ExplainNode{Op: "Limit", Props: props, Children: []*ExplainNode{l.Input.Explain()}}
}

type limitRows struct {
	sqltypes.Rows
	count, offset int64
	hasCount      bool
	sent          int64
}

func (l *limitRows) Next(ctx context.Context) (sqltypes.Row, error) {
	for l.offset > 0 {
		if _, err := l.Rows.Next(ctx); err != nil {
			return nil, err
		}
		l.offset--
	}
	if l.hasCount && l.sent >= l.count {
		return nil, io.EOF
	}
	row, err := l.Rows.Next(ctx)
	if err == nil {
		l.sent++
	}
	return row, err
}

func (l *limitRows) Tag() string { return "SELECT " + strconv.FormatInt(l.sent, 10) }

// selectTag is the tag of a gate-side result.
func selectTag(n int64) string { return fmt.Sprintf("SELECT %d", n) }

// Inputs is the operator it reads.
func (l *Limit) Inputs() []Operator { return []Operator{l.Input} }
