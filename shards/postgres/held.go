package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/dotdo/vitess/sqltypes"
)

// pgHeld is a connection held by a transaction or a reservation: one
// statement at a time.
type pgHeld struct {
	e *Engine
	b *pgBackend

	mu      sync.Mutex
	busy    bool   // a statement's rows are open
	gone    bool   // released (or being released) to the pool
	pending func() // the release to do once the open statement ends
}

// take claims the connection for one operation.
func (h *pgHeld) take(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.gone:
		return sqltypes.Errorf(sqltypes.ConnectionDoesNotExist, "shard connection was already released")
	case h.busy:
		return sqltypes.Errorf(sqltypes.ObjectNotInPrerequisiteState, "shard connection is busy: the previous statement's rows are still open")
	case h.b.broken || h.b.conn.IsClosed():
		return sqltypes.Errorf(sqltypes.ConnectionFailure, "connection to shard lost")
	}
	h.busy = true
	if err := h.b.start(ctx); err != nil {
		h.busy = false
		return err
	}
	return nil
}

// give ends an operation; a Release that came meanwhile happens now.
func (h *pgHeld) give() {
	h.mu.Lock()
	h.busy = false
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	if pending != nil {
		pending()
	}
}

// releaseWith gives the connection back with fn: now, or when the
// statement whose rows are open ends. Only the first call counts.
func (h *pgHeld) releaseWith(fn func()) {
	h.mu.Lock()
	if h.gone {
		h.mu.Unlock()
		return
	}
	h.gone = true
	if h.busy {
		h.pending = fn
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	fn()
}

// notTaken is query's error when the connection could not be claimed:
// nothing was sent (a deferred BEGIN is still to send).
type notTaken struct{ err error }

func (e notTaken) Error() string { return e.err.Error() }
func (e notTaken) Unwrap() error { return e.err }

// query runs sql, after begin (a transaction's deferred BEGIN) when set.
func (h *pgHeld) query(ctx context.Context, begin, sql string, bnd *sqltypes.Bound, raw bool) (sqltypes.Rows, error) {
	if err := h.take(ctx); err != nil {
		return nil, notTaken{err}
	}
	ctx, cancel := withQueryTimeout(ctx, h.e.queryTimeout)
	return run(ctx, h.b, begin, sql, bnd, raw, func(tag string, err error) {
		h.b.after(tag, err)
		cancel()
		h.give()
	})
}

func (h *pgHeld) describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if err := h.take(ctx); err != nil {
		return nil, nil, err
	}
	defer h.give()
	ctx, cancel := withQueryTimeout(ctx, h.e.queryTimeout)
	defer cancel()
	return describe(ctx, h.b, sql, paramOIDs)
}

// exec runs a statement with the simple protocol and returns its tag.
func (h *pgHeld) exec(ctx context.Context, sql string) (string, error) {
	if err := h.take(ctx); err != nil {
		return "", err
	}
	defer h.give()
	if err := h.b.oneReading(); err != nil {
		return "", err
	}
	res, err := h.b.conn.PgConn().Exec(ctx, sql).ReadAll()
	tag := ""
	if len(res) > 0 {
		tag = res[len(res)-1].CommandTag.String()
	}
	h.b.after(tag, err)
	return tag, pgError(ctx, err)
}

// release returns the connection to the pool as it is (transactions; the
// pool closes it if a transaction is still open on it).
func (h *pgHeld) release() {
	h.releaseWith(func() { h.e.pool.release(h.b) })
}

// cleanRelease makes a reserved connection safe for the next client and
// returns it to the pool: ROLLBACK when a transaction is open, DISCARD ALL
// (temp tables, prepared statements, settings, advisory locks, ...), and
// the gate's statement cache emptied to match (pgx's own caches are never
// used). Any failure closes it instead.
func (h *pgHeld) cleanRelease() {
	b := h.b
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.notices.Store(nil)
	pc := b.conn.PgConn()
	if !b.broken && !pc.IsClosed() && !pc.IsBusy() {
		if pc.TxStatus() != 'I' {
			if _, err := pc.Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
				b.broken = true
			}
		}
		if !b.broken {
			if _, err := pc.Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
				b.broken = true
			}
		}
		if !b.broken {
			b.forgetStatements()
			b.key, b.dirty = "", false
		}
	} else {
		b.broken = true
	}
	h.e.pool.release(b)
}
