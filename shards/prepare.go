package shards

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/dotdo/vitess/txn"
)

// Two-phase commit on the shards: phase one (Prepare) on a transaction,
// and what a resolver needs to finish or undo prepared transactions after
// a crash. On Postgres, PREPARE TRANSACTION keeps the transaction on the
// server; on SQLite see sqlite_redo.go.

// Prepare runs PREPARE TRANSACTION: the transaction leaves the connection
// (which goes back to the pool, or stays with its client) and waits on the
// server for COMMIT PREPARED or ROLLBACK PREPARED.
func (t *pgTx) Prepare(ctx context.Context, gid string) (engine.Prepared, error) {
	tag, err := t.end(ctx, "PREPARE TRANSACTION "+sqltypes.QuoteLiteral(gid))
	if err != nil {
		return nil, err
	}
	if tag == "ROLLBACK" {
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, it was rolled back")
	}
	p := &pgPrepared{e: t.h.e, gid: gid}
	if !t.own {
		p.h = t.h // session mode: finish on the client's own connection
	}
	return p, nil
}

type pgPrepared struct {
	e   *Postgres
	h   *pgHeld
	gid string
}

func (p *pgPrepared) Redo() []byte { return nil }

func (p *pgPrepared) Commit(ctx context.Context) error { return p.finish(ctx, true) }

func (p *pgPrepared) Rollback(ctx context.Context) error { return p.finish(ctx, false) }

func (p *pgPrepared) finish(ctx context.Context, commit bool) error {
	if p.h != nil {
		if _, err := p.h.exec(ctx, finishSQL(p.gid, commit)); err == nil || isNoPrepared(err) {
			return nil
		}
	}
	return p.e.FinishPrepared(ctx, p.gid, commit)
}

func finishSQL(gid string, commit bool) string {
	if commit {
		return "COMMIT PREPARED " + sqltypes.QuoteLiteral(gid)
	}
	return "ROLLBACK PREPARED " + sqltypes.QuoteLiteral(gid)
}

// isNoPrepared reports the error of finishing a prepared transaction that
// is not there (finished already).
func isNoPrepared(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42704"
}

// FinishPrepared commits or rolls back the prepared transaction gid on a
// pooled connection; one that is not there (finished already) is no error.
func (e *Postgres) FinishPrepared(ctx context.Context, gid string, commit bool) error {
	b, err := e.acquire(sqltypes.WithSettings(ctx, nil))
	if err != nil {
		return err
	}
	h := &pgHeld{e: e, b: b}
	defer h.release()
	if _, err := h.exec(ctx, finishSQL(gid, commit)); err != nil && !isNoPrepared(err) {
		return err
	}
	return nil
}

// PreparedXacts lists this database's prepared transactions whose global
// id starts with prefix and that this role prepared: each of the gate's
// shard roles (users' shardUser) finishes its own, which only it (or a
// superuser) may.
func (e *Postgres) PreparedXacts(ctx context.Context, prefix string) ([]txn.PreparedXact, error) {
	rows, err := e.Query(sqltypes.WithSettings(ctx, nil),
		`SELECT gid, (extract(epoch FROM prepared) * 1000)::bigint FROM pg_prepared_xacts WHERE database = current_database() AND owner = current_user AND starts_with(gid, $1)`, []any{prefix})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []txn.PreparedXact
	for {
		r, err := rows.Next(ctx)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, err
		}
		ms, _ := strconv.ParseInt(string(r[1]), 10, 64)
		out = append(out, txn.PreparedXact{GID: string(r[0]), Prepared: time.UnixMilli(ms)})
	}
}

// MaxPreparedTransactions is the server's max_prepared_transactions.
func (e *Postgres) MaxPreparedTransactions(ctx context.Context) (int, error) {
	rows, err := e.Query(sqltypes.WithSettings(ctx, nil), `SHOW max_prepared_transactions`, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	r, err := rows.Next(ctx)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(r[0]))
}

// Prepare is phase one of the tablet's transaction.
func (x *tabletTx) Prepare(ctx context.Context, gid string) (engine.Prepared, error) {
	p, ok := x.tx.(engine.Preparer)
	if !ok {
		return nil, fmt.Errorf("shard %s: engine %s cannot prepare a transaction", x.t.name, x.t.eng().Kind())
	}
	pr, err := p.Prepare(ctx, gid)
	if err != nil {
		x.finish() // a failed PREPARE TRANSACTION rolls back
		return nil, fmt.Errorf("shard %s: prepare: %w", x.t.name, x.t.wrap(err))
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
		return fmt.Errorf("shard %s: commit prepared: %w", x.t.name, err)
	}
	return nil
}

func (x *tabletPrepared) Rollback(ctx context.Context) error {
	defer x.tx.finish()
	if err := x.p.Rollback(ctx); err != nil {
		return fmt.Errorf("shard %s: rollback prepared: %w", x.t.name, err)
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
		if s, ok := t.eng().(*SQLite); ok && s.path != "" {
			return "sqlite:" + s.path
		}
		return "sqlite:" + p
	}
	return router.RedactURL(t.URL)
}

// PreparedXacts lists the shard's prepared transactions with the prefix
// (none on engines that keep none).
func (t *Tablet) PreparedXacts(ctx context.Context, prefix string) ([]txn.PreparedXact, error) {
	defer t.enter()()
	e, ok := t.eng().(*Postgres)
	if !ok {
		return nil, nil
	}
	x, err := e.PreparedXacts(ctx, prefix)
	return x, t.wrap(err)
}

// FinishPrepared commits or rolls back a prepared transaction (Postgres).
func (t *Tablet) FinishPrepared(ctx context.Context, gid string, commit bool) error {
	defer t.enter()()
	e, ok := t.eng().(*Postgres)
	if !ok {
		return nil
	}
	return t.wrap(e.FinishPrepared(ctx, gid, commit))
}

// ApplyRedo replays a committed transaction's changes that were lost
// (SQLite); see SQLite.ApplyRedo.
func (t *Tablet) ApplyRedo(ctx context.Context, gid string, redo []byte) error {
	defer t.enter()()
	s, ok := t.eng().(*SQLite)
	if !ok {
		return nil
	}
	return t.wrap(s.ApplyRedo(ctx, gid, redo))
}

// ForgetApplied drops SQLite commit markers no longer needed.
func (t *Tablet) ForgetApplied(ctx context.Context, keep []string, before time.Time) error {
	defer t.enter()()
	s, ok := t.eng().(*SQLite)
	if !ok {
		return nil
	}
	return t.wrap(s.ForgetApplied(ctx, keep, before))
}

// CheckTwoPhase reports an error when the shard cannot take part in
// two-phase commits (a Postgres server with max_prepared_transactions 0).
func (t *Tablet) CheckTwoPhase(ctx context.Context) error {
	defer t.enter()()
	e, ok := t.eng().(*Postgres)
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
