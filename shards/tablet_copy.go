package shards

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

var (
	_ engine.Copier = (*Tablet)(nil)
	_ engine.Copier = (*tabletTx)(nil)
	_ engine.Copier = (*tabletReserved)(nil)
)

// CanCopy reports whether the engine runs COPY itself (Postgres).
func (t *Tablet) CanCopy() bool {
	_, ok := t.eng().(copier)
	return ok
}

// CopyFrom runs COPY ... FROM STDIN with r as its data.
func (t *Tablet) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	defer t.enter()()
	start := time.Now()
	c, ok := t.eng().(copier)
	if !ok {
		return "", sqltypes.InShard(t.name, fmt.Errorf("engine %s has no COPY", t.eng().Kind()))
	}
	tag, err := c.CopyFrom(ctx, sql, r)
	t.count(start, err)
	return tag, t.wrap(err)
}

// CopyTo runs COPY ... TO STDOUT, writing its data to w.
func (t *Tablet) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	defer t.enter()()
	start := time.Now()
	c, ok := t.eng().(copier)
	if !ok {
		return "", sqltypes.InShard(t.name, fmt.Errorf("engine %s has no COPY", t.eng().Kind()))
	}
	tag, err := c.CopyTo(ctx, sql, w)
	t.count(start, err)
	return tag, t.wrap(err)
}

func (x *tabletConn) CanCopy() bool {
	_, ok := x.c.(copier)
	return ok
}

func (x *tabletConn) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	start := time.Now()
	c, ok := x.c.(copier)
	if !ok {
		return "", sqltypes.InShard(x.t.name, fmt.Errorf("connection has no COPY"))
	}
	tag, err := c.CopyFrom(ctx, sql, r)
	x.t.count(start, err)
	return tag, x.t.wrap(err)
}

func (x *tabletConn) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	start := time.Now()
	c, ok := x.c.(copier)
	if !ok {
		return "", sqltypes.InShard(x.t.name, fmt.Errorf("connection has no COPY"))
	}
	tag, err := c.CopyTo(ctx, sql, w)
	x.t.count(start, err)
	return tag, x.t.wrap(err)
}

func (x *tabletTx) CanCopy() bool { return (&tabletConn{x.t, x.c}).CanCopy() }

func (x *tabletTx) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	return (&tabletConn{x.t, x.c}).CopyFrom(ctx, sql, r)
}

func (x *tabletTx) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	return (&tabletConn{x.t, x.c}).CopyTo(ctx, sql, w)
}

func (x *tabletReserved) CanCopy() bool { return (&tabletConn{x.t, x.c}).CanCopy() }

func (x *tabletReserved) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	release, err := x.enter()
	if err != nil {
		return "", err
	}
	defer release()
	return (&tabletConn{x.t, x.c}).CopyFrom(ctx, sql, r)
}

func (x *tabletReserved) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	release, err := x.enter()
	if err != nil {
		return "", err
	}
	defer release()
	return (&tabletConn{x.t, x.c}).CopyTo(ctx, sql, w)
}

// copier is an engine (or an engine's connection) with COPY of its own.
type copier interface {
	CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error)
	CopyTo(ctx context.Context, sql string, w io.Writer) (string, error)
}
