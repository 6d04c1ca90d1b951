package shards

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards/postgres"
	"github.com/dotdo/vitess/shards/sqlite"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/dotdo/vitess/txn"
)

// Two-phase commit on the shards: phase one (Prepare) on a transaction,
// and what a resolver needs to finish or undo prepared transactions after
// a crash. On Postgres, PREPARE TRANSACTION keeps the transaction on the
// server; on SQLite see sqlite_redo.go.

// Prepare is phase one of the tablet's transaction.
func (x *tabletTx) Prepare(ctx context.Context, gid string) (engine.Prepared, error) {
	p, ok := x.tx.(engine.Preparer)
	if !ok {
		return nil, sqltypes.InShard(x.t.name, fmt.Errorf("engine %s cannot prepare a transaction", x.t.eng().Kind()))
	}
	pr, err := p.Prepare(ctx, gid)
	if err != nil {
		x.finish() // a failed PREPARE TRANSACTION rolls back
		return nil, sqltypes.InShard(x.t.name, fmt.Errorf("prepare: %w", x.t.wrap(err)))
	}
	return &tabletPrepared{t: x.t, p: pr, tx: x}, nil
}

type tabletPrepared struct {
	t  *Tablet
	p  engine.Prepared
	tx *tabletTx // finished with the prepared transaction
}

func (x *tabletPrepared) Redo() []byte { return x.p.Redo() }

func (x *tabletPrepared) Commit(ctx context.Context) error {
	defer x.tx.finish()
	if err := x.p.Commit(ctx); err != nil {
		return sqltypes.InShard(x.t.name, fmt.Errorf("commit prepared: %w", err))
	}
	return nil
}

func (x *tabletPrepared) Rollback(ctx context.Context) error {
	defer x.tx.finish()
	if err := x.p.Rollback(ctx); err != nil {
		return sqltypes.InShard(x.t.name, fmt.Errorf("rollback prepared: %w", err))
	}
	return nil
}

// BeginWith opens a transaction with BEGIN's options on engines that take
// them (Postgres); SQLite's transactions are serializable whatever is asked.
func (t *Tablet) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	return t.begin(func(e Engine) (engine.Tx, error) {
		if bo, ok := e.(engine.BeginOptioner); ok && options != "" {
			return bo.BeginWith(ctx, options)
		}
		return e.Begin(ctx)
	})
}

// BeginWith is Begin with BEGIN's options on the reserved connection.
func (x *tabletReserved) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	bo, ok := x.r.(engine.BeginOptioner)
	if !ok || options == "" {
		return x.Begin(ctx)
	}
	return x.t.begin(func(Engine) (engine.Tx, error) { return bo.BeginWith(ctx, options) })
}

// Location names the tablet's storage for the decision log: the SQLite
// file, or the Postgres URL without its password.
func (t *Tablet) Location() string {
	if p, ok := strings.CutPrefix(t.URL, "sqlite:"); ok {
		if s, ok := t.eng().(*sqlite.Engine); ok && s.Path() != "" {
			return "sqlite:" + s.Path()
		}
		return "sqlite:" + p
	}
	return router.RedactURL(t.URL)
}

// PreparedXacts lists the shard's prepared transactions with the prefix
// (none on engines that keep none).
func (t *Tablet) PreparedXacts(ctx context.Context, prefix string) ([]txn.PreparedXact, error) {
	defer t.enter()()
	e, ok := t.eng().(*postgres.Engine)
	if !ok {
		return nil, nil
	}
	x, err := e.PreparedXacts(ctx, prefix)
	return x, t.wrap(err)
}

// FinishPrepared commits or rolls back a prepared transaction (Postgres).
func (t *Tablet) FinishPrepared(ctx context.Context, gid string, commit bool) error {
	defer t.enter()()
	e, ok := t.eng().(*postgres.Engine)
	if !ok {
		return nil
	}
	return t.wrap(e.FinishPrepared(ctx, gid, commit))
}

// ApplyRedo replays a committed transaction's changes that were lost
// (SQLite); see SQLite.ApplyRedo.
func (t *Tablet) ApplyRedo(ctx context.Context, gid string, redo []byte) error {
	defer t.enter()()
	s, ok := t.eng().(*sqlite.Engine)
	if !ok {
		return nil
	}
	return t.wrap(s.ApplyRedo(ctx, gid, redo))
}

// ForgetApplied drops SQLite commit markers no longer needed.
func (t *Tablet) ForgetApplied(ctx context.Context, keep []string, before time.Time) error {
	defer t.enter()()
	s, ok := t.eng().(*sqlite.Engine)
	if !ok {
		return nil
	}
	return t.wrap(s.ForgetApplied(ctx, keep, before))
}

// CheckTwoPhase reports an error when the shard cannot take part in
// two-phase commits (a Postgres server with max_prepared_transactions 0).
func (t *Tablet) CheckTwoPhase(ctx context.Context) error {
	defer t.enter()()
	e, ok := t.eng().(*postgres.Engine)
	if !ok {
		return nil
	}
	n, err := e.MaxPreparedTransactions(ctx)
	if err != nil {
		return fmt.Errorf("shard %s/%s: reading max_prepared_transactions: %w", t.Keyspace, t.name, err)
	}
	if n == 0 {
		return fmt.Errorf("shard %s/%s: max_prepared_transactions is 0, but a keyspace with several shards commits multi-shard transactions with two-phase commit: set max_prepared_transactions (for example to max_connections) in the server's postgresql.conf and restart it", t.Keyspace, t.name)
	}
	return nil
}

// Location is the tablet's (for the decision log).
func (x *tabletTx) Location() string { return x.t.Location() }
