package engine

import (
	"context"
	"io"

	"github.com/dotdo/vitess/sqltypes"
)

// CopyFromOp is the root of a COPY ... FROM STDIN plan: the wire server
// answers CopyInResponse with InFormat and streams the client's CopyData
// into CopyIn.
type CopyFromOp interface {
	Operator
	CopyIn(ctx context.Context, env Env, args []any, data io.Reader) (tag string, err error)
	InFormat() (overall int16, cols []int16)
}

// CopyToOp is the root of a COPY ... TO STDOUT plan: CopyOut writes the
// data, one Write per row, for the wire server to send as CopyData.
type CopyToOp interface {
	Operator
	CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (tag string, err error)
	OutFormat() (overall int16, cols []int16)
}

func errCopyProtocol() error {
	return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY FROM STDIN / TO STDOUT must run through the COPY sub-protocol")
}

func formats(overall int16, n int) (int16, []int16) {
	cols := make([]int16, n)
	for i := range cols {
		cols[i] = overall
	}
	return overall, cols
}
