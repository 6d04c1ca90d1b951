// Package shards runs SQL on the shards: one Tablet per shard, backed by an
// engine (embedded SQLite files, or PostgreSQL servers).
package shards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/shards/postgres"
	"github.com/dotdo/vitess/shards/sqlite"
	"github.com/dotdo/vitess/sqltypes"
)

// Engine is a storage engine under a tablet.
type Engine interface {
	Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error)
	Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error)
	Begin(ctx context.Context) (engine.Tx, error)
	// Reserve takes a backend connection for one client (session pool mode).
	Reserve(ctx context.Context) (engine.Reserved, error)
	// Ping checks that the engine answers (health checks).
	Ping(ctx context.Context) error
	Kind() string
	Close() error
}

var (
	_ Engine = (*postgres.Engine)(nil)
	_ Engine = (*sqlite.Engine)(nil)
)

// Options configure a tablet.
type Options struct {
	// NameInErrors prefixes errors with "shard NAME: " (sharded keyspaces;
	// an unsharded keyspace's errors come back exactly as its shard sent
	// them).
	NameInErrors bool
	// PoolSize bounds a Postgres shard's backend connections (default 20;
	// a pool_size=N parameter on the shard URL overrides it).
	PoolSize int
	// PoolMode is "session" (default) or "transaction".
	PoolMode string
	// HealthInterval is how often the tablet pings its engine (default 2s);
	// HealthFailures consecutive failures mark it unhealthy (default 2).
	// MaxTransactions bounds the tablet's open transactions (0: none).
	MaxTransactions int
	HealthInterval  time.Duration
	HealthFailures  int
	Logger          *slog.Logger
	// Locks is the SQLite transaction-lock graph the gate's shards share
	// (deadlocks across them are found; waits are bounded); nil: the
	// shard's own, with a 10s wait.
	Locks *sqlite.LockGraph
}

// Tablet is one shard: a name, its engine, its health and its counters.
type Tablet struct {
	Keyspace string
	name     string
	URL      string
	engine   atomic.Pointer[engineBox]
	opts     Options
	// work is held for reading by every operation on the engine (and by a
	// transaction until it ends), for writing by SwitchEngine.
	work workLock
	gen  atomic.Int64 // engine generation: SwitchEngine adds one

	Queries atomic.Int64
	Errors  atomic.Int64
	// latency is the time to a statement's answer (its first row), and
	// lastQuery when the last one ran (unix nanoseconds).
	latency   histogram
	lastQuery atomic.Int64
	// OpenTransactions counts transactions begun and not yet finished
	// (prepared ones included).
	OpenTransactions atomic.Int64

	// owed are committed transactions this shard has not applied yet
	owed owedSet

	healthy  atomic.Bool
	fails    int
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ engine.Shard = (*Tablet)(nil)

// Open opens the tablet for a shard URL: sqlite:PATH (the file and its
// folder are created) or postgres://... .
func Open(ctx context.Context, keyspace, shard, url string, opts Options) (*Tablet, error) {
	if opts.HealthInterval == 0 {
		opts.HealthInterval = 2 * time.Second
	}
	if opts.HealthFailures == 0 {
		opts.HealthFailures = 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	t := &Tablet{Keyspace: keyspace, name: shard, URL: url, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
	e, err := OpenEngine(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("shard %s/%s: %w", keyspace, shard, err)
	}
	t.engine.Store(&engineBox{e})
	t.healthy.Store(true)
	go t.watch()
	return t, nil
}

type engineBox struct{ Engine }

// eng is the tablet's current engine.
func (t *Tablet) eng() Engine { return t.engine.Load().Engine }

// enter marks an operation on the engine; the returned func ends it.
func (t *Tablet) enter() func() {
	t.work.rlock()
	return t.work.runlock
}

// Name is the shard's key-range name.
func (t *Tablet) Name() string { return t.name }

// Kind reports the engine kind ("sqlite" or "postgres"), as Engine.Kind.
func (t *Tablet) Kind() string { return t.eng().Kind() }

// Healthy reports the last health-check verdict.
func (t *Tablet) Healthy() bool { return t.healthy.Load() }

// watch pings the engine; it marks the tablet unhealthy after
// HealthFailures failures in a row and healthy at the next answer.
func (t *Tablet) watch() {
	defer close(t.done)
	tick := time.NewTicker(t.opts.HealthInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.HealthInterval)
		release := t.enter()
		err := t.eng().Ping(ctx)
		release()
		cancel()
		if err == nil {
			if !t.healthy.Swap(true) {
				t.opts.Logger.Info("shard healthy again", "keyspace", t.Keyspace, "shard", t.name)
			}
			t.fails = 0
			continue
		}
		t.fails++
		if t.fails >= t.opts.HealthFailures && t.healthy.Swap(false) {
			t.opts.Logger.Warn("shard unhealthy", "keyspace", t.Keyspace, "shard", t.name, "err", err)
		}
	}
}

func (t *Tablet) wrap(err error) error {
	if err == nil {
		return nil
	}
	// A shard's FATAL ends that backend connection, not the client's
	// connection to the gate: the client gets an ERROR.
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Severity == "FATAL" || pe.Severity == "PANIC") {
		cp := *pe
		cp.Severity, cp.SeverityUnlocalized = "ERROR", "ERROR"
		err = &cp
	}
	if !t.opts.NameInErrors {
		return err
	}
	return sqltypes.InShard(t.name, err)
}

// count records a statement: its error and how long it took to answer.
func (t *Tablet) count(start time.Time, err error) {
	t.Queries.Add(1)
	if err != nil {
		t.Errors.Add(1)
	}
	t.latency.observe(time.Since(start))
	t.lastQuery.Store(time.Now().UnixNano())
}

// Query runs one statement outside a transaction.
func (t *Tablet) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	if err := t.settle(ctx); err != nil {
		return nil, t.wrap(err)
	}
	release := t.enter()
	start := time.Now()
	r, err := t.eng().Query(ctx, sql, args)
	t.count(start, err)
	return holdRows(r, err, release), t.wrap(err)
}

// rawQuerier is an engine (or an engine's connection) that forwards rows in
// the client's formats.
type rawQuerier interface {
	QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error)
}

// CanQueryRaw reports whether the engine forwards rows as its server sent
// them.
func (t *Tablet) CanQueryRaw() bool {
	_, ok := t.eng().(rawQuerier)
	return ok
}

// QueryRaw runs a statement with the client's parameters and result formats.
func (t *Tablet) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	if err := t.settle(ctx); err != nil {
		return nil, t.wrap(err)
	}
	release := t.enter()
	start := time.Now()
	rq, ok := t.eng().(rawQuerier)
	if !ok {
		release()
		return nil, fmt.Errorf("shard %s: engine %s cannot forward rows", t.name, t.eng().Kind())
	}
	r, err := rq.QueryRaw(ctx, sql, b)
	t.count(start, err)
	return holdRows(r, err, release), t.wrap(err)
}

// Describe reports parameter and result types without running the statement.
func (t *Tablet) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	defer t.enter()()
	p, f, err := t.eng().Describe(ctx, sql, paramOIDs)
	return p, f, t.wrap(err)
}

// ColumnDefault reports what a table column takes when an INSERT leaves
// it out ("" for NULL), as engine.ColumnDefaulter.
func (t *Tablet) ColumnDefault(ctx context.Context, table, column string) (string, error) {
	defer t.enter()()
	cd, ok := t.eng().(interface {
		ColumnDefault(ctx context.Context, table, column string) (string, error)
	})
	if !ok {
		return "", fmt.Errorf("shard %s/%s: %s engine cannot report column defaults", t.Keyspace, t.name, t.eng().Kind())
	}
	def, err := cd.ColumnDefault(ctx, table, column)
	return nullDefault(def), t.wrap(err)
}

// nullDefault is def, or "" when def only says NULL.
func nullDefault(def string) string {
	d := strings.ToUpper(strings.TrimSpace(def))
	if d == "NULL" || strings.HasPrefix(d, "NULL::") {
		return ""
	}
	return def
}

// Begin opens a transaction on this shard.
func (t *Tablet) Begin(ctx context.Context) (engine.Tx, error) {
	if err := t.settle(ctx); err != nil {
		return nil, t.wrap(err)
	}
	return t.begin(func(e Engine) (engine.Tx, error) { return e.Begin(ctx) })
}

// begin opens a transaction with open, within MaxTransactions. The
// transaction counts as work on the engine until it ends (SwitchEngine
// waits for it).
func (t *Tablet) begin(open func(Engine) (engine.Tx, error)) (engine.Tx, error) {
	n := t.OpenTransactions.Add(1)
	if max := int64(t.opts.MaxTransactions); max > 0 && n > max {
		t.OpenTransactions.Add(-1)
		return nil, t.wrap(sqltypes.Errorf(sqltypes.ConfigurationLimitExceeded, "too many open transactions on shard %s/%s (maxTransactions %d)", t.Keyspace, t.name, max))
	}
	release := t.enter()
	tx, err := open(t.eng())
	if err != nil {
		release()
		t.OpenTransactions.Add(-1)
		return nil, t.wrap(err)
	}
	return &tabletTx{t: t, c: tx, tx: tx, release: release}, nil
}

// finish counts the transaction as ended, once.
func (x *tabletTx) finish() {
	x.done.Do(func() {
		x.t.OpenTransactions.Add(-1)
		x.release()
	})
}

// Reserve takes a backend connection for one client.
func (t *Tablet) Reserve(ctx context.Context) (engine.Reserved, error) {
	defer t.enter()()
	r, err := t.eng().Reserve(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	return &tabletReserved{t: t, c: r, r: r, gen: t.gen.Load()}, nil
}

// Close stops health checks and closes the engine.
func (t *Tablet) Close() error {
	t.stopOnce.Do(func() { close(t.stop) })
	<-t.done
	return t.eng().Close()
}

// holdRows keeps the tablet's work mark until the rows are closed.
func holdRows(r sqltypes.Rows, err error, release func()) sqltypes.Rows {
	if err != nil || r == nil {
		release()
		return r
	}
	return sqltypes.WithFormatsOf(&heldRows{Rows: r, release: release}, r)
}

type heldRows struct {
	sqltypes.Rows
	once    sync.Once
	release func()
}

func (h *heldRows) Close() {
	h.Rows.Close()
	h.once.Do(h.release)
}

// SwitchEngine replaces the tablet's storage engine while it runs: new
// work waits, work in flight (statements and open transactions) finishes,
// then prepare (if not nil) runs with nothing else on the tablet (to copy
// the data from the old engine to the new one, say), and the new engine
// takes over. Clients keep their connections to the gate; a session that
// held a backend connection of the old engine gets a new one. If prepare
// fails, the tablet goes on with its old engine. The old engine is closed.
func (t *Tablet) SwitchEngine(ctx context.Context, next Engine, prepare func(ctx context.Context, old, next Engine) error) error {
	if err := t.work.lock(ctx); err != nil {
		return fmt.Errorf("shard %s/%s: switch engine: %w", t.Keyspace, t.name, err)
	}
	old := t.eng()
	if prepare != nil {
		if err := prepare(ctx, old, next); err != nil {
			t.work.unlock()
			return fmt.Errorf("shard %s/%s: switch engine: %w", t.Keyspace, t.name, err)
		}
	}
	t.engine.Store(&engineBox{next})
	t.gen.Add(1)
	t.healthy.Store(true)
	t.work.unlock()
	return old.Close()
}

// OpenEngine opens an engine for a shard URL (sqlite:PATH or postgres://).
func OpenEngine(ctx context.Context, url string, opts Options) (Engine, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		s, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"), opts.Locks)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		e, err := postgres.Open(ctx, url, postgres.Options{PoolSize: opts.PoolSize, Logger: opts.Logger})
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	return nil, fmt.Errorf("unknown shard URL %q", url)
}

// tabletConn counts and names the errors of a connection's statements.
type tabletConn struct {
	t *Tablet
	c engine.Conn
}

func (x *tabletConn) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	if err := x.t.settle(ctx); err != nil {
		return nil, x.t.wrap(err)
	}
	start := time.Now()
	r, err := x.c.Query(ctx, sql, args)
	x.t.count(start, err)
	return r, x.t.wrap(err)
}

func (x *tabletConn) CanQueryRaw() bool {
	_, ok := x.c.(rawQuerier)
	return ok
}

func (x *tabletConn) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	if err := x.t.settle(ctx); err != nil {
		return nil, x.t.wrap(err)
	}
	start := time.Now()
	rq, ok := x.c.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("shard %s: connection cannot forward rows", x.t.name)
	}
	r, err := rq.QueryRaw(ctx, sql, b)
	x.t.count(start, err)
	return r, x.t.wrap(err)
}

type tabletTx struct {
	t       *Tablet
	c       engine.Conn
	tx      engine.Tx
	done    sync.Once // OpenTransactions and the work it holds
	release func()
}

func (x *tabletTx) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return (&tabletConn{x.t, x.c}).Query(ctx, sql, args)
}

func (x *tabletTx) CanQueryRaw() bool { return (&tabletConn{x.t, x.c}).CanQueryRaw() }

func (x *tabletTx) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return (&tabletConn{x.t, x.c}).QueryRaw(ctx, sql, b)
}

func (x *tabletTx) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	return x.t.describeOn(ctx, x.c, sql, paramOIDs)
}

func (x *tabletTx) Commit(ctx context.Context) error {
	defer x.finish()
	if err := x.tx.Commit(ctx); err != nil {
		return fmt.Errorf("shard %s: commit: %w", x.t.name, err)
	}
	return nil
}

func (x *tabletTx) Rollback(ctx context.Context) error {
	defer x.finish()
	if err := x.tx.Rollback(ctx); err != nil {
		return fmt.Errorf("shard %s: rollback: %w", x.t.name, err)
	}
	return nil
}

type tabletReserved struct {
	t   *Tablet
	c   engine.Conn
	r   engine.Reserved
	gen int64 // the engine generation it belongs to
}

// enter marks work on the reserved connection; one that belongs to an
// engine the tablet switched away from refuses (its next statement gets a
// new connection), so that nothing is written to the old engine.
func (x *tabletReserved) enter() (func(), error) {
	release := x.t.enter()
	if x.gen != x.t.gen.Load() {
		release()
		return nil, x.t.wrap(sqltypes.Errorf(sqltypes.ConnectionFailure, "shard connection lost: the shard's storage engine was switched"))
	}
	return release, nil
}

func (x *tabletReserved) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	release, err := x.enter()
	if err != nil {
		return nil, err
	}
	r, err := (&tabletConn{x.t, x.c}).Query(ctx, sql, args)
	return holdRows(r, err, release), err
}

func (x *tabletReserved) CanQueryRaw() bool { return (&tabletConn{x.t, x.c}).CanQueryRaw() }

func (x *tabletReserved) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	release, err := x.enter()
	if err != nil {
		return nil, err
	}
	r, err := (&tabletConn{x.t, x.c}).QueryRaw(ctx, sql, b)
	return holdRows(r, err, release), err
}

func (x *tabletReserved) Begin(ctx context.Context) (engine.Tx, error) {
	if err := x.t.settle(ctx); err != nil {
		return nil, x.t.wrap(err)
	}
	return x.t.begin(func(Engine) (engine.Tx, error) {
		if x.gen != x.t.gen.Load() {
			return nil, sqltypes.Errorf(sqltypes.ConnectionFailure, "shard connection lost: the shard's storage engine was switched")
		}
		return x.r.Begin(ctx)
	})
}

func (x *tabletReserved) Release() { x.r.Release() }

// Broken reports whether the engine's reserved connection is lost, or
// belongs to an engine the tablet switched away from.
func (x *tabletReserved) Broken() bool {
	if x.gen != x.t.gen.Load() {
		return true
	}
	b, ok := x.r.(interface{ Broken() bool })
	return ok && b.Broken()
}

func (x *tabletReserved) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	release, err := x.enter()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	return x.t.describeOn(ctx, x.c, sql, paramOIDs)
}

// describeOn describes on the given connection when it can, else on the
// engine.
func (t *Tablet) describeOn(ctx context.Context, c engine.Conn, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if d, ok := c.(engine.Describer); ok {
		p, f, err := d.Describe(ctx, sql, paramOIDs)
		return p, f, t.wrap(err)
	}
	return t.Describe(ctx, sql, paramOIDs)
}
