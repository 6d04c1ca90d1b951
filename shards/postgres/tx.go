package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

func beginSQL(options string) string {
	if options = strings.TrimSpace(options); options != "" {
		return "BEGIN " + options
	}
	return "BEGIN"
}

// pgTx is a transaction on a held connection. A transaction of the engine
// (own) releases its connection at Commit or Rollback; one of a reservation
// keeps it.
//
// Its BEGIN is deferred (begin) to the first statement, which sends both
// in one write (see pipeline.go); every other operation sends it first.
type pgTx struct {
	h   *pgHeld
	own bool

	mu    sync.Mutex
	done  bool
	begin string // the BEGIN not sent yet
}

func (t *pgTx) open() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return sqltypes.Errorf(sqltypes.NoActiveSQLTransaction, "there is no transaction in progress")
	}
	return nil
}

// takeBegin returns the deferred BEGIN, now the caller's to send.
func (t *pgTx) takeBegin() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	begin := t.begin
	t.begin = ""
	return begin
}

// started opens the transaction for an operation other than a statement:
// the deferred BEGIN is sent on its own.
func (t *pgTx) started(ctx context.Context) error {
	if err := t.open(); err != nil {
		return err
	}
	if begin := t.takeBegin(); begin != "" {
		if _, err := t.h.exec(ctx, begin); err != nil {
			return err
		}
	}
	return nil
}

func (t *pgTx) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return t.query(ctx, sql, &sqltypes.Bound{Args: args}, false)
}

func (t *pgTx) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return t.query(ctx, sql, b, rawMode(b))
}

func (t *pgTx) query(ctx context.Context, sql string, b *sqltypes.Bound, raw bool) (sqltypes.Rows, error) {
	if err := t.open(); err != nil {
		return nil, err
	}
	begin := t.takeBegin()
	rows, err := t.h.query(ctx, begin, sql, b, raw)
	var nt notTaken
	if begin != "" && errors.As(err, &nt) {
		t.mu.Lock()
		t.begin = begin // nothing was sent
		t.mu.Unlock()
	}
	return rows, err
}

func (t *pgTx) CanQueryRaw() bool { return true }

// Describe describes inside the transaction (its own tables and locks)
// under a savepoint: the gate describes statements it may never run (a
// normalized text whose $n have no type), and a failed Parse would abort
// the transaction.
func (t *pgTx) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if err := t.started(ctx); err != nil {
		return nil, nil, err
	}
	if _, err := t.h.exec(ctx, "SAVEPOINT vt_describe"); err != nil {
		return nil, nil, err
	}
	params, fields, err := t.h.describe(ctx, sql, paramOIDs)
	end := "RELEASE SAVEPOINT vt_describe"
	if err != nil {
		end = "ROLLBACK TO SAVEPOINT vt_describe; RELEASE SAVEPOINT vt_describe"
	}
	if _, serr := t.h.exec(ctx, end); serr != nil && err == nil {
		err = serr
	}
	return params, fields, err
}

// Commit commits. When the server answers ROLLBACK (the transaction had
// failed), Commit reports 25P02: the transaction was rolled back.
func (t *pgTx) Commit(ctx context.Context) error {
	tag, err := t.end(ctx, "COMMIT")
	if err == nil && tag == "ROLLBACK" {
		err = sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, COMMIT rolled it back")
	}
	return err
}

// Rollback rolls back.
func (t *pgTx) Rollback(ctx context.Context) error {
	_, err := t.end(ctx, "ROLLBACK")
	return err
}

func (t *pgTx) end(ctx context.Context, sql string) (string, error) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return "", sqltypes.Errorf(sqltypes.NoActiveSQLTransaction, "there is no transaction in progress")
	}
	t.done = true
	begin := t.begin
	t.begin = ""
	t.mu.Unlock()
	var tag string
	var err error
	if begin == "" {
		tag, err = t.h.exec(ctx, sql)
	} else {
		tag = sql // nothing ran: the transaction never started on the server
	}
	if t.own {
		t.h.release()
	}
	return tag, err
}

// pgReserved is a connection reserved for one client.
type pgReserved struct {
	h *pgHeld
}

func (r *pgReserved) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return r.h.query(ctx, "", sql, &sqltypes.Bound{Args: args}, false)
}

func (r *pgReserved) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return r.h.query(ctx, "", sql, b, rawMode(b))
}

func (r *pgReserved) CanQueryRaw() bool { return true }

func (r *pgReserved) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	return r.h.describe(ctx, sql, paramOIDs)
}

// Begin opens a transaction on the reserved connection; its end keeps the
// reservation.
func (r *pgReserved) Begin(ctx context.Context) (engine.Tx, error) {
	return r.BeginWith(ctx, "")
}

// BeginWith is Begin with BEGIN's options.
func (r *pgReserved) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	return &pgTx{h: r.h, begin: beginSQL(options)}, nil
}

// Release cleans the connection for the next client and returns it to the
// pool (see cleanRelease). Safe to call more than once.
func (r *pgReserved) Release() {
	r.h.releaseWith(r.h.cleanRelease)
}

// Broken reports whether the reserved backend connection is lost (the
// server restarted or the network failed); the session then reserves a new
// one instead of failing every later statement.
func (r *pgReserved) Broken() bool {
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	if r.h.gone || r.h.busy {
		return r.h.gone
	}
	return r.h.b == nil || r.h.b.broken || r.h.b.conn.PgConn().IsClosed()
}
