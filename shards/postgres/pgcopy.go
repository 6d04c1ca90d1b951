package postgres

import (
	"context"
	"io"
)

// CopyFrom runs COPY ... FROM STDIN on a pooled connection with r as its
// data.
func (e *Engine) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	return e.onPooled(ctx, func(ctx context.Context, b *pgBackend) (string, error) { return copyFrom(ctx, b, sql, r) })
}

// CopyTo runs COPY ... TO STDOUT on a pooled connection, writing its data
// to w.
func (e *Engine) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	return e.onPooled(ctx, func(ctx context.Context, b *pgBackend) (string, error) { return copyTo(ctx, b, sql, w) })
}

// onPooled runs f on a pooled backend under the engine's query timeout,
// as pgHeld.onBackend does on a held one.
func (e *Engine) onPooled(ctx context.Context, f func(context.Context, *pgBackend) (string, error)) (string, error) {
	ctx, cancel := withQueryTimeout(ctx, e.queryTimeout)
	defer cancel()
	b, err := e.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer e.pool.release(b)
	return f(ctx, b)
}

func copyFrom(ctx context.Context, b *pgBackend, sql string, r io.Reader) (string, error) {
	tag, err := b.conn.PgConn().CopyFrom(ctx, r, sql)
	b.after(tag.String(), err)
	if err != nil {
		return "", pgError(ctx, err)
	}
	return tag.String(), nil
}

func copyTo(ctx context.Context, b *pgBackend, sql string, w io.Writer) (string, error) {
	tag, err := b.conn.PgConn().CopyTo(ctx, w, sql)
	b.after(tag.String(), err)
	if err != nil {
		return "", pgError(ctx, err)
	}
	return tag.String(), nil
}

func (h *pgHeld) copyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	return h.onBackend(ctx, func(ctx context.Context, b *pgBackend) (string, error) { return copyFrom(ctx, b, sql, r) })
}

func (h *pgHeld) copyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	return h.onBackend(ctx, func(ctx context.Context, b *pgBackend) (string, error) { return copyTo(ctx, b, sql, w) })
}

// onBackend runs f on the held backend, under the engine's query timeout.
func (h *pgHeld) onBackend(ctx context.Context, f func(context.Context, *pgBackend) (string, error)) (string, error) {
	if err := h.take(ctx); err != nil {
		return "", err
	}
	defer h.give()
	ctx, cancel := withQueryTimeout(ctx, h.e.queryTimeout)
	defer cancel()
	return f(ctx, h.b)
}

// CopyFrom runs COPY FROM STDIN in the transaction.
func (t *pgTx) CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error) {
	if err := t.started(ctx); err != nil {
		return "", err
	}
	return t.h.copyFrom(ctx, sql, r)
}

// CopyTo runs COPY TO STDOUT in the transaction.
func (t *pgTx) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	if err := t.started(ctx); err != nil {
		return "", err
	}
	return t.h.copyTo(ctx, sql, w)
}

// CopyFrom runs COPY FROM STDIN on the reserved connection.
func (r *pgReserved) CopyFrom(ctx context.Context, sql string, rd io.Reader) (string, error) {
	return r.h.copyFrom(ctx, sql, rd)
}

// CopyTo runs COPY TO STDOUT on the reserved connection.
func (r *pgReserved) CopyTo(ctx context.Context, sql string, w io.Writer) (string, error) {
	return r.h.copyTo(ctx, sql, w)
}
