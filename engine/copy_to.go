package engine

import (
	"context"
	"io"
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
)

// CopyTo runs COPY TO STDOUT at the gate: the rows of a planned SELECT,
// merged exactly as the SELECT would be, written in COPY text or CSV form.
type CopyTo struct {
	Sub   *Plan
	SQL   string
	Opts  sqltypes.CopyOptions
	Names []string
}

func (op *CopyTo) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return nil, errCopyProtocol()
}

// OutFormat is text for every column.
func (op *CopyTo) OutFormat() (overall int16, cols []int16) { return formats(0, len(op.Names)) }

// Explain prints the copy and the SELECT's plan.
func (op *CopyTo) Explain() *ExplainNode {
	n := &ExplainNode{Op: "CopyTo", Props: []string{"format=" + op.Opts.Format, "plan=" + op.Sub.Type, "sql=" + op.SQL}}
	if op.Sub.Root != nil {
		n.Children = []*ExplainNode{op.Sub.Root.Explain()}
	}
	return n
}

// textEnv hides the client's parameters from the SELECT under a COPY: its
// rows must come back in text.
type textEnv struct{ Env }

func (textEnv) Bound() *sqltypes.Bound { return nil }

// CopyOut writes the header (if asked) and one Write per row.
func (op *CopyTo) CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (string, error) {
	rows, err := op.Sub.Root.Open(ctx, textEnv{env}, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var buf []byte
	if op.Opts.Header {
		buf = sqltypes.AppendCopyHeader(buf[:0], op.Names, op.Opts)
		if _, err := w.Write(buf); err != nil {
			return "", err
		}
	}
	var n int64
	for {
		row, err := rows.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		buf = sqltypes.AppendCopyRow(buf[:0], row, op.Opts)
		if _, err := w.Write(buf); err != nil {
			return "", err
		}
		n++
	}
	return "COPY " + strconv.FormatInt(n, 10), nil
}

// Inputs is the SELECT plan whose rows it writes.
func (op *CopyTo) Inputs() []Operator { return []Operator{op.Sub.Root} }
