package shards

import (
	"context"
	"testing"

	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/sqltypes"
)

// TestPostgresTablet checks that a tablet over a Postgres shard forwards
// rows on the raw path.
func TestPostgresTablet(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	tab, err := Open(ctx, "ks", "-80", srv.URL("postgres"), Options{NameInErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if !tab.CanQueryRaw() || tab.Kind() != "postgres" {
		t.Fatal("tablet does not see the raw path")
	}
	r, err := tab.QueryRaw(ctx, "SELECT 42", &sqltypes.Bound{})
	if rows := readRows(t, r, err); len(rows) != 1 || string(rows[0][0]) != "42" {
		t.Fatalf("got %q", rows)
	}
}

// readRows reads a whole result, failing the test on an error.
func readRows(t *testing.T, r sqltypes.Rows, err error) []sqltypes.Row {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sqltypes.ReadAll(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
