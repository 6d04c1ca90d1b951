package postgres

import (
	"context"

	"github.com/dotdo/vitess/sqltypes"
)

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
	if err := t.started(ctx); err != nil {
		return "", err
	}
	return t.h.exec(ctx, sql)
}
