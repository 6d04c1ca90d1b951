package sqlite

import (
	"context"

	"github.com/dotdo/vitess/dialect"
	"github.com/dotdo/vitess/sqltypes"
)

type redoMark struct {
	name string
	pos  int
}

func (t *sqliteTx) Savepoint(ctx context.Context, name string) error {
	if _, err := t.tx.ExecContext(ctx, savepointSQL("SAVEPOINT", name)); err != nil {
		return dialect.MapError(err)
	}
	c := t.capture
	c.mu.Lock()
	c.marks = append(c.marks, redoMark{name, len(c.changes)})
	c.mu.Unlock()
	return nil
}

func (t *sqliteTx) RollbackTo(ctx context.Context, name string) error {
	if _, err := t.tx.ExecContext(ctx, savepointSQL("ROLLBACK TO SAVEPOINT", name)); err != nil {
		return dialect.MapError(err)
	}
	c := t.capture
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.mark(name); i >= 0 {
		if !c.overflow {
			c.changes = c.changes[:c.marks[i].pos]
		}
		c.marks = c.marks[:i+1]
	}
	return nil
}

func (t *sqliteTx) Release(ctx context.Context, name string) error {
	if _, err := t.tx.ExecContext(ctx, savepointSQL("RELEASE SAVEPOINT", name)); err != nil {
		return dialect.MapError(err)
	}
	c := t.capture
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.mark(name); i >= 0 {
		c.marks = c.marks[:i]
	}
	return nil
}

// mark is the index of the latest savepoint called name, or -1.
func (c *redoCapture) mark(name string) int {
	for i := len(c.marks) - 1; i >= 0; i-- {
		if c.marks[i].name == name {
			return i
		}
	}
	return -1
}

func savepointSQL(op, name string) string { return op + " " + sqltypes.QuoteIdent(name) }
