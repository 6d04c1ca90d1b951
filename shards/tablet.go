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

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
)

// Engine is a storage engine under a tablet.
type Engine interface {
	Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error)
	Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error)
	Begin(ctx context.Context) (planner.Tx, error)
	// Reserve takes a backend connection for one client (session pool mode).
	Reserve(ctx context.Context) (planner.Reserved, error)
	// Ping checks that the engine answers (health checks).
	Ping(ctx context.Context) error
	Kind() string
	Close() error
}

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
}

// Tablet is one shard: a name, its engine, its health and its counters.
type Tablet struct {
	Keyspace string
	name     string
	URL      string
	engine   Engine
	opts     Options

	Queries atomic.Int64
	Errors  atomic.Int64
	// latency is the time to a statement's answer (its first row), and
	// lastQuery when the last one ran (unix nanoseconds).
	latency   histogram
	lastQuery atomic.Int64
	// OpenTransactions counts transactions begun and not yet finished
	// (prepared ones included).
	OpenTransactions atomic.Int64

	healthy  atomic.Bool
	fails    int
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ planner.Shard = (*Tablet)(nil)

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
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		e, err := OpenSQLite(ctx, strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, fmt.Errorf("shard %s/%s: %w", keyspace, shard, err)
		}
		t.engine = e
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		e, err := OpenPostgres(ctx, url, opts)
		if err != nil {
			return nil, fmt.Errorf("shard %s/%s: %w", keyspace, shard, err)
		}
		t.engine = e
	default:
		return nil, fmt.Errorf("shard %s/%s: unknown shard URL %q", keyspace, shard, url)
	}
	t.healthy.Store(true)
	go t.watch()
	return t, nil
}

// Name is the shard's key-range name.
func (t *Tablet) Name() string { return t.name }

// Engine reports the engine kind ("sqlite" or "postgres").
func (t *Tablet) Engine() string { return t.engine.Kind() }

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
		err := t.engine.Ping(ctx)
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
	return fmt.Errorf("shard %s: %w", t.name, err)
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
	start := time.Now()
	r, err := t.engine.Query(ctx, sql, args)
	t.count(start, err)
	return r, t.wrap(err)
}

// rawQuerier is an engine (or an engine's connection) that forwards rows in
// the client's formats.
type rawQuerier interface {
	QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error)
}

// CanQueryRaw reports whether the engine forwards rows as its server sent
// them.
func (t *Tablet) CanQueryRaw() bool {
	_, ok := t.engine.(rawQuerier)
	return ok
}

// QueryRaw runs a statement with the client's parameters and result formats.
func (t *Tablet) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	start := time.Now()
	rq, ok := t.engine.(rawQuerier)
	if !ok {
		return nil, fmt.Errorf("shard %s: engine %s cannot forward rows", t.name, t.engine.Kind())
	}
	r, err := rq.QueryRaw(ctx, sql, b)
	t.count(start, err)
	return r, t.wrap(err)
}

// Describe reports parameter and result types without running the statement.
func (t *Tablet) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	p, f, err := t.engine.Describe(ctx, sql, paramOIDs)
	return p, f, t.wrap(err)
}

// Begin opens a transaction on this shard.
func (t *Tablet) Begin(ctx context.Context) (planner.Tx, error) {
	return t.begin(func() (planner.Tx, error) { return t.engine.Begin(ctx) })
}

// begin opens a transaction with open, within MaxTransactions.
func (t *Tablet) begin(open func() (planner.Tx, error)) (planner.Tx, error) {
	n := t.OpenTransactions.Add(1)
	if max := int64(t.opts.MaxTransactions); max > 0 && n > max {
		t.OpenTransactions.Add(-1)
		return nil, t.wrap(sqltypes.Errorf("53400", "too many open transactions on shard %s/%s (maxTransactions %d)", t.Keyspace, t.name, max))
	}
	tx, err := open()
	if err != nil {
		t.OpenTransactions.Add(-1)
		return nil, t.wrap(err)
	}
	return &tabletTx{t: t, c: tx, tx: tx}, nil
}

// txDone counts a transaction as finished, once.
func (t *Tablet) txDone(once *sync.Once) { once.Do(func() { t.OpenTransactions.Add(-1) }) }

// Reserve takes a backend connection for one client.
func (t *Tablet) Reserve(ctx context.Context) (planner.Reserved, error) {
	r, err := t.engine.Reserve(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	return &tabletReserved{t: t, c: r, r: r}, nil
}

// Close stops health checks and closes the engine.
func (t *Tablet) Close() error {
	t.stopOnce.Do(func() { close(t.stop) })
	<-t.done
	return t.engine.Close()
}

// tabletConn counts and names the errors of a connection's statements.
type tabletConn struct {
	t *Tablet
	c planner.Conn
}

func (x *tabletConn) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
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
	t    *Tablet
	c    planner.Conn
	tx   planner.Tx
	done sync.Once // OpenTransactions
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
	defer x.t.txDone(&x.done)
	if err := x.tx.Commit(ctx); err != nil {
		return fmt.Errorf("shard %s: commit: %w", x.t.name, err)
	}
	return nil
}

func (x *tabletTx) Rollback(ctx context.Context) error {
	defer x.t.txDone(&x.done)
	if err := x.tx.Rollback(ctx); err != nil {
		return fmt.Errorf("shard %s: rollback: %w", x.t.name, err)
	}
	return nil
}

type tabletReserved struct {
	t *Tablet
	c planner.Conn
	r planner.Reserved
}

func (x *tabletReserved) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return (&tabletConn{x.t, x.c}).Query(ctx, sql, args)
}

func (x *tabletReserved) CanQueryRaw() bool { return (&tabletConn{x.t, x.c}).CanQueryRaw() }

func (x *tabletReserved) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return (&tabletConn{x.t, x.c}).QueryRaw(ctx, sql, b)
}

func (x *tabletReserved) Begin(ctx context.Context) (planner.Tx, error) {
	return x.t.begin(func() (planner.Tx, error) { return x.r.Begin(ctx) })
}

func (x *tabletReserved) Release() { x.r.Release() }

// Broken reports whether the engine's reserved connection is lost.
func (x *tabletReserved) Broken() bool {
	b, ok := x.r.(interface{ Broken() bool })
	return ok && b.Broken()
}

func (x *tabletReserved) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	return x.t.describeOn(ctx, x.c, sql, paramOIDs)
}

// describeOn describes on the given connection when it can, else on the
// engine.
func (t *Tablet) describeOn(ctx context.Context, c planner.Conn, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if d, ok := c.(planner.Describer); ok {
		p, f, err := d.Describe(ctx, sql, paramOIDs)
		return p, f, t.wrap(err)
	}
	return t.Describe(ctx, sql, paramOIDs)
}
