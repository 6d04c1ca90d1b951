// Package shards runs SQL on the shards: one Tablet per shard, backed by an
// engine (embedded SQLite here; PostgreSQL servers come with their own engine).
package shards

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
)

// Engine is a storage engine under a tablet.
type Engine interface {
	Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error)
	Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error)
	Begin(ctx context.Context) (planner.Tx, error)
	Kind() string
	Close() error
}

// Tablet is one shard: a name, its engine and its counters.
type Tablet struct {
	Keyspace string
	name     string
	URL      string
	engine   Engine

	Queries atomic.Int64
	Errors  atomic.Int64
}

var _ planner.Shard = (*Tablet)(nil)

// Open opens the tablet for a shard URL: sqlite:PATH (the file and its
// folder are created). postgres:// shards are not available yet.
func Open(ctx context.Context, keyspace, shard, url string) (*Tablet, error) {
	t := &Tablet{Keyspace: keyspace, name: shard, URL: url}
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		e, err := OpenSQLite(ctx, strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, fmt.Errorf("shard %s/%s: %w", keyspace, shard, err)
		}
		t.engine = e
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return nil, fmt.Errorf("shard %s/%s: PostgreSQL shards are not supported yet in this version (use sqlite:PATH)", keyspace, shard)
	default:
		return nil, fmt.Errorf("shard %s/%s: unknown shard URL %q", keyspace, shard, url)
	}
	return t, nil
}

// Name is the shard's key-range name.
func (t *Tablet) Name() string { return t.name }

// Engine reports the engine kind ("sqlite").
func (t *Tablet) Engine() string { return t.engine.Kind() }

func (t *Tablet) count(err error) {
	t.Queries.Add(1)
	if err != nil {
		t.Errors.Add(1)
	}
}

// Query runs one statement outside a transaction.
func (t *Tablet) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	r, err := t.engine.Query(ctx, sql, args)
	t.count(err)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", t.name, err)
	}
	return r, nil
}

// Describe reports parameter and result types without running the statement.
func (t *Tablet) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	p, f, err := t.engine.Describe(ctx, sql, paramOIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("shard %s: %w", t.name, err)
	}
	return p, f, nil
}

// Begin opens a transaction on this shard.
func (t *Tablet) Begin(ctx context.Context) (planner.Tx, error) {
	tx, err := t.engine.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", t.name, err)
	}
	return &tabletTx{t: t, tx: tx}, nil
}

// Close closes the engine.
func (t *Tablet) Close() error { return t.engine.Close() }

type tabletTx struct {
	t  *Tablet
	tx planner.Tx
}

func (x *tabletTx) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	r, err := x.tx.Query(ctx, sql, args)
	x.t.count(err)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", x.t.name, err)
	}
	return r, nil
}

func (x *tabletTx) Commit(ctx context.Context) error {
	if err := x.tx.Commit(ctx); err != nil {
		return fmt.Errorf("shard %s: commit: %w", x.t.name, err)
	}
	return nil
}

func (x *tabletTx) Rollback(ctx context.Context) error {
	if err := x.tx.Rollback(ctx); err != nil {
		return fmt.Errorf("shard %s: rollback: %w", x.t.name, err)
	}
	return nil
}
