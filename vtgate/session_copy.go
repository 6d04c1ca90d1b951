package vtgate

import (
	"context"
	"io"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/sqltypes"
)

var _ proxy.CopyStatement = (*statement)(nil)

// CopyFormat reports a COPY plan's direction and formats.
func (st *statement) CopyFormat() (ok, in bool, overall int16, cols []int16) {
	if st.plan.Kind != engine.KindQuery {
		return false, false, 0, nil
	}
	switch op := st.plan.Root.(type) {
	case engine.CopyFromOp:
		overall, cols = op.InFormat()
		return true, true, overall, cols
	case engine.CopyToOp:
		overall, cols = op.OutFormat()
		return true, false, overall, cols
	}
	return false, false, 0, nil
}

// copyStart does what Execute does before running a plan.
func (st *statement) copyStart(ctx context.Context) (context.Context, error) {
	s := st.s
	if s.TxStatus() == 'E' {
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.plan.Pins && s.mode == PoolTransaction {
		s.mu.Lock()
		s.pinned = true
		s.mu.Unlock()
	}
	return s.gate.withQueryMemory(s.withSettings(ctx)), nil
}

// CopyIn runs COPY FROM STDIN through the plan's root.
func (st *statement) CopyIn(ctx context.Context, b *sqltypes.Bound, data io.Reader) (string, error) {
	op, ok := st.plan.Root.(engine.CopyFromOp)
	if !ok {
		return "", sqltypes.Errorf("XX000", "statement is not COPY FROM STDIN")
	}
	ctx, err := st.copyStart(ctx)
	if err != nil {
		return "", err
	}
	tag, err := op.CopyIn(ctx, execEnv{session: st.s, bound: b}, b.ArgsOf(), data)
	if err != nil {
		st.s.fail()
	}
	return tag, err
}

// CopyOut runs COPY TO STDOUT through the plan's root.
func (st *statement) CopyOut(ctx context.Context, b *sqltypes.Bound, w io.Writer) (string, error) {
	op, ok := st.plan.Root.(engine.CopyToOp)
	if !ok {
		return "", sqltypes.Errorf("XX000", "statement is not COPY TO STDOUT")
	}
	ctx, err := st.copyStart(ctx)
	if err != nil {
		return "", err
	}
	tag, err := op.CopyOut(ctx, execEnv{session: st.s, bound: b}, b.ArgsOf(), w)
	if err != nil {
		st.s.fail()
	}
	return tag, err
}
