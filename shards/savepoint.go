package shards

import (
	"context"
	"fmt"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

// Savepoints: the same statements on both engines. A SQLite transaction
// also moves its redo log with them (changes undone by ROLLBACK TO must
// not be replayed).

func (x *tabletTx) savepointer() (engine.Savepointer, error) {
	sp, ok := x.tx.(engine.Savepointer)
	if !ok {
		return nil, sqltypes.InShard(x.t.name, fmt.Errorf("engine %s has no savepoints", x.t.eng().Kind()))
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
