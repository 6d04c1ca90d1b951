package shards

import (
	"context"
	"fmt"

	"github.com/dotdo/vitess/dialect"
	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

// Savepoints: the same statements on both engines. A SQLite transaction
// also moves its redo log with them (changes undone by ROLLBACK TO must
// not be replayed).

func savepointSQL(op, name string) string { return op + " " + sqltypes.QuoteIdent(name) }

func (t *pgTx) Savepoint(ctx context.Context, name string) error {
	_, err := t.exec(ctx, savepointSQL("SAVEPOINT", name))
	return err
}

func (t *pgTx) RollbackTo(ctx context.Context, name string) error {
	_, err := t.exec(ctx, savepointSQL("ROLLBACK TO SAVEPOINT", name))
	return err
}

func (t *pgTx) Release(ctx context.Context, name string) error {
	_, err := t.exec(ctx, savepointSQL("RELEASE SAVEPOINT", name))
	return err
}

func (t *pgTx) exec(ctx context.Context, sql string) (string, error) {
	if err := t.open(); err != nil {
		return "", err
	}
	return t.h.exec(ctx, sql)
}

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

func (x *tabletTx) savepointer() (engine.Savepointer, error) {
	sp, ok := x.tx.(engine.Savepointer)
	if !ok {
		return nil, fmt.Errorf("shard %s: engine %s has no savepoints", x.t.name, x.t.eng().Kind())
	}
	return sp, nil
}

func (x *tabletTx) Savepoint(ctx context.Context, name string) error {
	sp, err := x.savepointer()
	if err != nil {
		return err
	}
	return x.t.wrap(sp.Savepoint(ctx, name))
}

func (x *tabletTx) RollbackTo(ctx context.Context, name string) error {
	sp, err := x.savepointer()
	if err != nil {
		return err
	}
	return x.t.wrap(sp.RollbackTo(ctx, name))
}

func (x *tabletTx) Release(ctx context.Context, name string) error {
	sp, err := x.savepointer()
	if err != nil {
		return err
	}
	return x.t.wrap(sp.Release(ctx, name))
}
