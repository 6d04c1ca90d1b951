package shards

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/sqltypes"
)

func collector(t *testing.T) func(sqltypes.Rows, error) ([]sqltypes.Row, string) {
	return func(r sqltypes.Rows, err error) ([]sqltypes.Row, string) {
		t.Helper()
		return readRows(t, r, err), r.Tag()
	}
}

func TestSQLiteTablet(t *testing.T) {
	ctx := context.Background()
	collect := collector(t)
	tab, err := Open(ctx, "main", "-80", "sqlite:"+filepath.Join(t.TempDir(), "sub", "-80.db"), Options{NameInErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if tab.Kind() != "sqlite" || tab.Name() != "-80" {
		t.Errorf("engine %s name %s", tab.Kind(), tab.Name())
	}
	_, tag := collect(tab.Query(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text, ok boolean)`, nil))
	if tag != "CREATE TABLE" {
		t.Errorf("tag %q", tag)
	}
	_, tag = collect(tab.Query(ctx, `INSERT INTO t VALUES ($1, $2, $3), (2, 'b', false)`, []any{int64(1), "a", true}))
	if tag != "INSERT 0 2" {
		t.Errorf("tag %q", tag)
	}
	params, fields, err := tab.Describe(ctx, `SELECT id, v, ok FROM t WHERE id = $1`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 1 || params[0] != sqltypes.OIDInt8 || len(fields) != 3 || fields[2].OID != sqltypes.OIDBool {
		t.Errorf("describe: %v %v", params, fields)
	}
	rows, tag := collect(tab.Query(ctx, `SELECT id, v, ok FROM t ORDER BY id`, nil))
	if tag != "SELECT 2" || string(rows[0][2]) != "t" || string(rows[1][2]) != "f" {
		t.Errorf("rows %q tag %q", rows, tag)
	}

	// A transaction sees its own writes, and rollback undoes them.
	tx, err := tab.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	collect(tx.Query(ctx, `DELETE FROM t WHERE id = 1`, nil))
	rows, _ = collect(tx.Query(ctx, `SELECT count(*) FROM t`, nil))
	if string(rows[0][0]) != "1" {
		t.Errorf("in tx: %q", rows)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ = collect(tab.Query(ctx, `SELECT count(*) FROM t`, nil))
	if string(rows[0][0]) != "2" {
		t.Errorf("after rollback: %q", rows)
	}

	// Errors keep their SQLSTATE and name the shard.
	_, err = tab.Query(ctx, `INSERT INTO t VALUES (1, 'dup', true)`, nil)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != sqltypes.UniqueViolation || err.Error()[:10] != "shard -80:" {
		t.Errorf("duplicate: %v", err)
	}
	if tab.Queries.Load() == 0 || tab.Errors.Load() != 1 {
		t.Errorf("counters: %d queries, %d errors", tab.Queries.Load(), tab.Errors.Load())
	}

}
