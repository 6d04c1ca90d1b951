package postgres

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/dotdo/vitess/txn"
	"github.com/jackc/pgx/v5/pgconn"
)

// Prepare runs PREPARE TRANSACTION: the transaction leaves the connection
// (which goes back to the pool, or stays with its client) and waits on the
// server for COMMIT PREPARED or ROLLBACK PREPARED.
func (t *pgTx) Prepare(ctx context.Context, gid string) (engine.Prepared, error) {
	if err := t.started(ctx); err != nil {
		return nil, err
	}
	tag, err := t.end(ctx, "PREPARE TRANSACTION "+sqltypes.QuoteLiteral(gid))
	if err != nil {
		return nil, err
	}
	if tag == "ROLLBACK" {
		return nil, sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, it was rolled back")
	}
	p := &pgPrepared{e: t.h.e, gid: gid}
	if !t.own {
		p.h = t.h // session mode: finish on the client's own connection
	}
	return p, nil
}

type pgPrepared struct {
	e   *Engine
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
	return errors.As(err, &pe) && pe.Code == sqltypes.UndefinedObject
}

// FinishPrepared commits or rolls back the prepared transaction gid on a
// pooled connection; one that is not there (finished already) is no error.
func (e *Engine) FinishPrepared(ctx context.Context, gid string, commit bool) error {
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
func (e *Engine) PreparedXacts(ctx context.Context, prefix string) ([]txn.PreparedXact, error) {
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
func (e *Engine) MaxPreparedTransactions(ctx context.Context) (int, error) {
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
