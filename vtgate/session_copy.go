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

// runCopy runs a COPY plan's root with what Execute does around a plan:
// refused in an aborted transaction, pinning, the session's settings and
// memory limit, and a failed transaction when it fails.
func (st *statement) runCopy(ctx context.Context, b *sqltypes.Bound, run func(context.Context, engine.Env, []any) (string, error)) (string, error) {
	s := st.s
	if s.TxStatus() == 'E' {
		return "", sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.plan.Pins && s.mode == PoolTransaction {
		s.mu.Lock()
		s.pinned = true
		s.mu.Unlock()
	}
	tag, err := run(s.gate.withQueryMemory(s.withSettings(ctx)), execEnv{session: s, bound: b}, b.ArgsOf())
	if err != nil {
		s.fail()
	}
	return tag, err
}

// CopyIn runs COPY FROM STDIN through the plan's root.
func (st *statement) CopyIn(ctx context.Context, b *sqltypes.Bound, data io.Reader) (string, error) {
	op, ok := st.plan.Root.(engine.CopyFromOp)
	if !ok {
		return "", sqltypes.Errorf("XX000", "statement is not COPY FROM STDIN")
	}
	return st.runCopy(ctx, b, func(ctx context.Context, env engine.Env, args []any) (string, error) {
		return op.CopyIn(ctx, env, args, data)
	})
}

// CopyOut runs COPY TO STDOUT through the plan's root.
func (st *statement) CopyOut(ctx context.Context, b *sqltypes.Bound, w io.Writer) (string, error) {
	op, ok := st.plan.Root.(engine.CopyToOp)
	if !ok {
		return "", sqltypes.Errorf("XX000", "statement is not COPY TO STDOUT")
	}
	return st.runCopy(ctx, b, func(ctx context.Context, env engine.Env, args []any) (string, error) {
		return op.CopyOut(ctx, env, args, w)
	})
}
