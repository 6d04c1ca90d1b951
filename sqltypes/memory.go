package sqltypes

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// MemBudget counts the bytes the gate holds for one statement (rows a
// sort or a buffered result keeps, DISTINCT keys, a COPY row) against a
// limit. Counts are approximate: a value's bytes plus a fixed overhead per
// value and per row, which is what Go spends on the slices holding them.
type MemBudget struct {
	limit int64
	used  atomic.Int64
}

// WithMemoryLimit gives the statement run under ctx a budget of limit bytes.
func WithMemoryLimit(ctx context.Context, limit int64) context.Context {
	return withValue(ctx, &MemBudget{limit: limit})
}

// Per-value and per-row overheads: a slice header per value, one per row.
const (
	valueOverhead = 24
	rowOverhead   = 24
)

// RowMemory is what holding row costs, approximately.
func RowMemory(row Row) int64 {
	n := int64(rowOverhead)
	for _, v := range row {
		n += int64(len(v)) + valueOverhead
	}
	return n
}

// Hold counts n more bytes held by op (a name for the error: "Sort",
// "Distinct") against ctx's budget, and refuses with 53200 when they
// would exceed it. Without a budget it does nothing.
func Hold(ctx context.Context, op string, n int64) error {
	return BudgetOf(ctx).Hold(op, n)
}

// BudgetOf is ctx's budget (nil: none). An operator that holds rows while
// it streams takes it at Open: its rows are read later under another
// context (a portal's).
func BudgetOf(ctx context.Context) *MemBudget {
	return valueOf[*MemBudget](ctx)
}

// Hold is Hold on the budget b; a nil budget holds anything.
func (b *MemBudget) Hold(op string, n int64) error {
	if b == nil {
		return nil
	}
	if used := b.used.Add(n); used > b.limit {
		return ErrOutOfMemory(op, b.limit)
	}
	return nil
}

// ErrOutOfMemory is the 53200 refusal of a statement whose op would hold
// more than limit bytes at the gate.
func ErrOutOfMemory(op string, limit int64) *pgconn.PgError {
	return &pgconn.PgError{Severity: "ERROR", Code: OutOfMemory, Message: "out of memory",
		Detail: op + " would hold more than the gate's per-query memory limit of " + FormatBytes(limit) + " (limits.queryMemory)"}
}

// MemoryLimit is ctx's per-statement budget (0: none).
func MemoryLimit(ctx context.Context) int64 {
	if b := BudgetOf(ctx); b != nil {
		return b.limit
	}
	return 0
}

// ReadAllHeld is ReadAll counting each row against ctx's budget as op.
func ReadAllHeld(ctx context.Context, r Rows, op string) ([]Row, error) {
	defer r.Close()
	var out []Row
	for {
		row, err := r.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if err := Hold(ctx, op, RowMemory(row)); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

// FormatBytes writes a byte count as Postgres writes memory settings.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "kB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
