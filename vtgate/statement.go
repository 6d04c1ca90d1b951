package vtgate

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

type statement struct {
	s    *session
	plan *engine.Plan
	// lits and text are set for a plan of the normalized statement: the
	// literals are its arguments and text is what the shards get.
	lits    []any
	litOIDs []uint32 // the literals' types, as the plan was made with
	text    string
}

func (st *statement) ParamOIDs() []uint32 { return st.plan.ParamOIDs }

func (st *statement) Fields() []sqltypes.Field {
	if st.plan.Kind == engine.KindSession {
		if st.plan.Session != nil && st.plan.Session.Node.GetVariableShowStmt() != nil {
			return showFields(st.plan.Session.Node.GetVariableShowStmt().Name)
		}
		if st.plan.Session != nil && st.plan.Session.Node.GetFetchStmt() != nil {
			return st.s.cursorFields(st.plan.Session.Node.GetFetchStmt())
		}
		return nil
	}
	return st.plan.Fields
}

// execEnv is the planner's view of one execution: the session's shard
// connections and the parameters as the client bound them.
type execEnv struct {
	*session
	bound   *sqltypes.Bound
	barrier *engine.Visibility // set for a plain read outside a transaction
}

func (e execEnv) ReadBarrier() func() {
	if e.barrier == nil {
		return func() {}
	}
	return e.barrier.Read()
}

func (e execEnv) Bound() *sqltypes.Bound { return e.bound }

func (st *statement) Execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	obs := st.s.gate.Observe
	if obs == nil || st.plan.Kind == engine.KindSession {
		return st.run(ctx, b)
	}
	start := time.Now()
	rows, err := st.run(ctx, b)
	obs(st.plan.Type, time.Since(start), err != nil)
	return rows, err
}

// run executes the statement: session statements, transactions, and plans.
func (st *statement) run(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	if st.text != "" {
		b = &sqltypes.Bound{Args: st.lits, Text: st.text, ParamOIDs: st.litOIDs}
	}
	// Session statements too: COMMIT materializes WITH HOLD cursors.
	ctx = s.gate.withQueryMemory(ctx)
	if st.plan.Kind == engine.KindSession {
		rows, err := s.sessionStmt(ctx, st.plan)
		if err != nil && (st.plan.Session == nil || st.plan.Session.Node.GetTransactionStmt() == nil) {
			s.fail() // as in Postgres, an error aborts the transaction
		}
		return rows, err
	}
	if s.TxStatus() == 'E' {
		return nil, sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.plan.Writes != "" && s.embedded && s.readOnly() {
		s.fail()
		return nil, sqltypes.Errorf(sqltypes.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", st.plan.Writes)
	}
	ctx = s.withSettings(ctx)
	if st.plan.MayWriteSeveralShards() && s.TxStatus() == 'I' {
		return st.implicitTransaction(ctx, b)
	}
	ctx, stop := s.withStatementTimeout(ctx)
	rows, err := st.execute(ctx, b)
	if stop == nil {
		return rows, err
	}
	if err != nil {
		stop()
		return nil, err
	}
	return withStop(rows, stop), nil
}

// implicitTransaction runs a write that may change several shards, outside
// a transaction, as Postgres runs every statement: in a transaction of its
// own, committed atomically on all its shards (or rolled back). Its rows
// (RETURNING) are read before the commit and then handed out.
func (st *statement) implicitTransaction(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	s.mu.Lock()
	s.inTx, s.failed, s.txs = true, false, map[string]engine.Tx{}
	s.mu.Unlock()
	finish := func() map[string]engine.Tx {
		s.mu.Lock()
		defer s.mu.Unlock()
		txs := s.txs
		s.endTxLocked()
		return txs
	}
	ctx, stop := s.withStatementTimeout(ctx)
	if stop != nil {
		defer stop()
	}
	rows, err := st.execute(ctx, b)
	if err != nil {
		rollbackAll(finish())
		return nil, err
	}
	out := &sqltypes.Buffered{Cols: rows.Fields()}
	out.Data, err = sqltypes.ReadAll(ctx, rows)
	out.Command = rows.Tag()
	if err != nil {
		rollbackAll(finish())
		return nil, err
	}
	if err := s.commit(ctx, finish()); err != nil {
		return nil, err
	}
	return sqltypes.WithFormatsOf(out, rows), nil
}

// parseDuration reads a Postgres time setting: a number of milliseconds, or
// a number with a unit (us, ms, s, min, h, d).
func parseDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(strings.Trim(strings.TrimSpace(v), "'"))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := unit[strings.ToLower(strings.TrimSpace(v[i:]))]
	if !ok {
		return 0, false
	}
	return time.Duration(n * float64(u)), true
}

// withStop calls stop when the stream is closed.
func withStop(r sqltypes.Rows, stop context.CancelFunc) sqltypes.Rows {
	return sqltypes.WithFormatsOf(&stopRows{Rows: r, stop: stop}, r)
}

type stopRows struct {
	sqltypes.Rows
	stop context.CancelFunc
}

func (r *stopRows) Close() { r.Rows.Close(); r.stop() }

func (st *statement) execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	if st.plan.Pins && s.mode == PoolTransaction {
		s.mu.Lock()
		s.pinned = true
		s.mu.Unlock()
	}
	env := execEnv{session: s, bound: b}
	if st.plan.Writes == "" && !st.plan.Locks && s.TxStatus() == 'I' {
		env.barrier = s.gate.Visibility
	}
	rows, err := st.plan.Execute(ctx, env, b.ArgsOf())
	if err != nil {
		s.fail()
		return nil, err
	}
	if st.plan.SchemaChange {
		s.gate.Planner.SchemaChanged()
	}
	return sqltypes.WithFormatsOf(&watchRows{Rows: rows, s: s}, rows), nil
}

// watchRows marks the transaction failed when streaming fails midway.
type watchRows struct {
	sqltypes.Rows
	s *session
}

func (w *watchRows) Next(ctx context.Context) (sqltypes.Row, error) {
	r, err := w.Rows.Next(ctx)
	if err != nil && err != io.EOF {
		w.s.fail()
	}
	return r, err
}

func tagOnly(tag string) sqltypes.Rows { return &sqltypes.Buffered{Command: tag} }
