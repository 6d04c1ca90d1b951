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

// runCopy runs a COPY plan whose root is an Op (what names the statement
// in the refusal when it is not) with what Execute does around a plan:
// refused in an aborted transaction, pinning, the session's settings and
// memory limit, and a failed transaction when it fails.
func runCopy[Op any](ctx context.Context, st *statement, b *sqltypes.Bound, what string, run func(Op, context.Context, engine.Env, []any) (string, error)) (string, error) {
	op, ok := st.plan.Root.(Op)
	if !ok {
		return "", sqltypes.Errorf(sqltypes.InternalError, "statement is not %s", what)
	}
	s := st.s
	if s.TxStatus() == 'E' {
		return "", sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.plan.Pins && s.mode == PoolTransaction {
		s.mu.Lock()
		s.pinned = true
		s.mu.Unlock()
	}
	tag, err := run(op, s.gate.withQueryMemory(s.withSettings(ctx)), execEnv{session: s, bound: b}, b.ArgsOf())
	if err != nil {
		s.fail()
	}
	return tag, err
}

// CopyIn runs COPY FROM STDIN through the plan's root.
func (st *statement) CopyIn(ctx context.Context, b *sqltypes.Bound, data io.Reader) (string, error) {
	return runCopy(ctx, st, b, "COPY FROM STDIN", func(op engine.CopyFromOp, ctx context.Context, env engine.Env, args []any) (string, error) {
		return op.CopyIn(ctx, env, args, data)
	})
}

// CopyOut runs COPY TO STDOUT through the plan's root.
func (st *statement) CopyOut(ctx context.Context, b *sqltypes.Bound, w io.Writer) (string, error) {
	return runCopy(ctx, st, b, "COPY TO STDOUT", func(op engine.CopyToOp, ctx context.Context, env engine.Env, args []any) (string, error) {
		return op.CopyOut(ctx, env, args, w)
	})
}
