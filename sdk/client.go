// Package sdk is the Go client of the gate, on top of pgx: typed queries,
// executes with the id the gate's sequence gave, pipelined batches,
// transactions that retry serialization failures, and errors with the
// seed API's codes (see Error).
package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says where the gate is and how to talk to it.
type Config struct {
	// Endpoint is a postgres:// URL of the gate ("postgres://app:TOKEN@host:15432").
	Endpoint string
	// Keyspace is the database to use (overrides the endpoint's).
	Keyspace string
	// Token is sent as the password (overrides the endpoint's).
	Token string
	// Timeout bounds every call (default 30s); a call's own context may
	// end it sooner.
	Timeout time.Duration
	// Retry is for connection failures before a statement was sent, and
	// for serialization failures of a whole Transaction.
	Retry Retry
	// MaxConns bounds the client's connections to the gate (default 4).
	MaxConns int32
}

// Retry says how often and how patiently to retry.
type Retry struct {
	MaxAttempts int           // total attempts (default 1: no retry)
	Backoff     time.Duration // wait before the second attempt, doubled after each
}

// Client is a connection pool to one keyspace of the gate.
type Client struct {
	cfg  Config
	pool *pgxpool.Pool
}

// Connect opens a client and checks that the gate accepts it.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	pc, err := pgxpool.ParseConfig(cfg.Endpoint)
	if err != nil {
		return nil, &Error{Code: CodeConnection, Message: err.Error(), Err: err}
	}
	if cfg.Keyspace != "" {
		pc.ConnConfig.Database = cfg.Keyspace
	}
	if cfg.Token != "" {
		pc.ConnConfig.Password = cfg.Token
	}
	// The gate reports vitess_last_insert_id and vitess_tx_shards (read by
	// Execute and Tx) only to clients that ask.
	pc.ConnConfig.RuntimeParams[paramReport] = "on"
	pc.MaxConns = 4
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retry.MaxAttempts < 1 {
		cfg.Retry.MaxAttempts = 1
	}
	c := &Client{cfg: cfg}
	if c.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, wrap(err)
	}
	err = c.retry(ctx, func(ctx context.Context) error { return c.pool.Ping(ctx) })
	if err != nil {
		c.pool.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the client's connections.
func (c *Client) Close() { c.pool.Close() }

// IsConnected reports whether the gate answers.
func (c *Client) IsConnected(ctx context.Context) bool {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.pool.Ping(ctx) == nil
}

func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.Timeout)
}

// retry runs f, again after a failure that happened before anything was
// sent (see retryable), up to Retry.MaxAttempts, within the timeout.
func (c *Client) retry(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	wait := c.cfg.Retry.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = f(ctx); err == nil || attempt >= c.cfg.Retry.MaxAttempts || !retryable(err) {
			return wrap(err)
		}
		select {
		case <-ctx.Done():
			return wrap(err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Field describes a result column.
type Field struct {
	Name       string
	Type       string // the Postgres type name ("int8", "text", ...)
	NativeType uint32 // its OID
}

// Row is an untyped result row, by column name.
type Row = map[string]any

// QueryResult is a query's rows.
type QueryResult[T any] struct {
	Rows     []T
	RowCount int
	Fields   []Field
	Duration time.Duration
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Query runs a query and returns its rows as maps.
func (c *Client) Query(ctx context.Context, sql string, args ...any) (*QueryResult[Row], error) {
	return Query[Row](ctx, c, sql, args...)
}

// Query runs a query and scans its rows into T: a struct (columns matched
// to fields by name, case-insensitively, or by `db` tag) or Row.
func Query[T any](ctx context.Context, c *Client, sql string, args ...any) (*QueryResult[T], error) {
	var res *QueryResult[T]
	err := c.retry(ctx, func(ctx context.Context) error {
		var err error
		res, err = collect[T](ctx, c.pool, sql, args)
		return err
	})
	return res, err
}

func collect[T any](ctx context.Context, q querier, sql string, args []any) (*QueryResult[T], error) {
	start := time.Now()
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	fields := fieldsOf(rows)
	var out []T
	if reflect.TypeFor[T]() == reflect.TypeFor[Row]() {
		maps, err := pgx.CollectRows(rows, pgx.RowToMap)
		if err != nil {
			return nil, err
		}
		out = any(maps).([]T)
	} else if out, err = pgx.CollectRows(rows, pgx.RowToStructByNameLax[T]); err != nil {
		return nil, err
	}
	return &QueryResult[T]{Rows: out, RowCount: len(out), Fields: fields, Duration: time.Since(start)}, nil
}

func fieldsOf(rows pgx.Rows) []Field {
	fds := rows.FieldDescriptions()
	tm := rows.Conn().TypeMap()
	out := make([]Field, len(fds))
	for i, fd := range fds {
		name := strconv.FormatUint(uint64(fd.DataTypeOID), 10)
		if t, ok := tm.TypeForOID(fd.DataTypeOID); ok {
			name = t.Name
		}
		out[i] = Field{Name: fd.Name, Type: name, NativeType: fd.DataTypeOID}
	}
	return out
}

// ExecuteResult is a statement's effect.
type ExecuteResult struct {
	Affected int64
	// LastInsertID is the id the gate's sequence gave the last row an
	// INSERT inserted (0 when none was given); the gate reports it in the
	// vitess_last_insert_id parameter after the statement.
	LastInsertID int64
}

// Execute runs a statement that returns no rows. It is not retried once
// sent: a write is never run twice blindly.
func (c *Client) Execute(ctx context.Context, sql string, args ...any) (*ExecuteResult, error) {
	var res *ExecuteResult
	err := c.retry(ctx, func(ctx context.Context) error {
		conn, err := c.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		res, err = execute(ctx, conn.Conn(), sql, args)
		return err
	})
	return res, err
}

func execute(ctx context.Context, conn *pgx.Conn, sql string, args []any) (*ExecuteResult, error) {
	before := conn.PgConn().ParameterStatus(paramLastInsertID)
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return &ExecuteResult{Affected: tag.RowsAffected(), LastInsertID: lastInsertID(conn, before, tag)}, nil
}

const (
	paramReport       = "vitess_report" // startup parameter: send the two below
	paramLastInsertID = "vitess_last_insert_id"
	paramTxShards     = "vitess_tx_shards"
)

// lastInsertID reads the gate's report for an INSERT that just ran.
func lastInsertID(conn *pgx.Conn, before string, tag pgconn.CommandTag) int64 {
	now := conn.PgConn().ParameterStatus(paramLastInsertID)
	if !tag.Insert() || now == "" || now == before {
		return 0
	}
	id, _ := strconv.ParseInt(now, 10, 64)
	return id
}

// Isolation is a transaction isolation level.
type Isolation string

// Isolation levels.
const (
	ReadCommitted  Isolation = "read committed"
	RepeatableRead Isolation = "repeatable read"
	Serializable   Isolation = "serializable"
)

// TxOptions are a transaction's options.
type TxOptions struct {
	Isolation Isolation
	ReadOnly  bool
	// Timeout bounds the whole transaction (default: the client's).
	Timeout time.Duration
}

// Tx is an open transaction.
type Tx struct {
	// ID names the transaction in the client (for logs).
	ID string
	// Shards are the shards the transaction has touched so far, as the
	// gate reports them (vitess_tx_shards).
	Shards []string
	tx     pgx.Tx
}

func (t *Tx) noteShards() {
	s := t.tx.Conn().PgConn().ParameterStatus(paramTxShards)
	if s == "" {
		return
	}
	t.Shards = strings.Split(s, ",")
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, sql string, args ...any) (*QueryResult[Row], error) {
	res, err := collect[Row](ctx, t.tx, sql, args)
	t.noteShards()
	return res, wrap(err)
}

// Execute runs a statement in the transaction.
func (t *Tx) Execute(ctx context.Context, sql string, args ...any) (*ExecuteResult, error) {
	res, err := execute(ctx, t.tx.Conn(), sql, args)
	t.noteShards()
	return res, wrap(err)
}

// Commit commits (Transaction does it; for use by hand).
func (t *Tx) Commit(ctx context.Context) error { return wrap(t.tx.Commit(ctx)) }

// Rollback rolls back (Transaction does it; for use by hand).
func (t *Tx) Rollback(ctx context.Context) error { return wrap(t.tx.Rollback(ctx)) }

// TxQuery is Query for a transaction, typed.
func TxQuery[T any](ctx context.Context, t *Tx, sql string, args ...any) (*QueryResult[T], error) {
	res, err := collect[T](ctx, t.tx, sql, args)
	t.noteShards()
	return res, wrap(err)
}

// Transaction runs fn in a transaction and commits it when fn returns no
// error; it rolls back when fn fails or panics (and re-panics). A
// serialization failure or deadlock (40001, 40P01) runs the whole function
// again, up to Retry.MaxAttempts.
func Transaction[T any](ctx context.Context, c *Client, fn func(*Tx) (T, error), opts *TxOptions) (T, error) {
	var zero T
	if opts == nil {
		opts = &TxOptions{}
	}
	timeout := c.cfg.Timeout
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	wait := c.cfg.Retry.Backoff
	for attempt := 1; ; attempt++ {
		v, err := runTx(ctx, c, fn, opts, timeout)
		if err == nil || attempt >= c.cfg.Retry.MaxAttempts || !(retryableTx(err) || retryable(err)) {
			if err != nil {
				return zero, wrap(err)
			}
			return v, nil
		}
		select {
		case <-ctx.Done():
			return zero, wrap(err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func runTx[T any](ctx context.Context, c *Client, fn func(*Tx) (T, error), opts *TxOptions, timeout time.Duration) (v T, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	to := pgx.TxOptions{IsoLevel: pgx.TxIsoLevel(opts.Isolation)}
	if opts.ReadOnly {
		to.AccessMode = pgx.ReadOnly
	}
	ptx, err := c.pool.BeginTx(ctx, to)
	if err != nil {
		return v, err
	}
	tx := &Tx{ID: newTxID(), tx: ptx}
	defer func() {
		if p := recover(); p != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	v, err = fn(tx)
	if err != nil {
		_ = ptx.Rollback(context.WithoutCancel(ctx))
		return v, err
	}
	if err := ptx.Commit(ctx); err != nil {
		return v, err
	}
	return v, nil
}

func newTxID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// String makes a Field print as name(type).
func (f Field) String() string { return fmt.Sprintf("%s(%s)", f.Name, f.Type) }

// Status reports the keyspace's shards (SHOW vitess_status).
func (c *Client) Status(ctx context.Context) (*ClusterStatus, error) {
	var st ClusterStatus
	if err := c.showJSON(ctx, "vitess_status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// VSchema reports the keyspace's routing schema (SHOW vitess_vschema).
func (c *Client) VSchema(ctx context.Context) (*VSchema, error) {
	var vs VSchema
	if err := c.showJSON(ctx, "vitess_vschema", &vs); err != nil {
		return nil, err
	}
	return &vs, nil
}

func (c *Client) showJSON(ctx context.Context, name string, into any) error {
	return c.retry(ctx, func(ctx context.Context) error {
		var doc string
		if err := c.pool.QueryRow(ctx, "SHOW "+name).Scan(&doc); err != nil {
			return err
		}
		return json.Unmarshal([]byte(doc), into)
	})
}
