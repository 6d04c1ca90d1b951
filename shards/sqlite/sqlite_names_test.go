package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// outcome is what a statement gave: its error's SQLSTATE, or its columns
// (name:oid) and rows in text format.
func sqliteOutcome(ctx context.Context, tab *Engine, q string) string {
	r, err := tab.Query(ctx, q, nil)
	if err == nil {
		defer r.Close()
		var rows []sqltypes.Row
		if rows, err = sqltypes.ReadAll(ctx, r); err == nil {
			var b strings.Builder
			for _, f := range r.Fields() {
				fmt.Fprintf(&b, "%s:%d ", f.Name, f.OID)
			}
			for _, row := range rows {
				b.WriteString("|")
				for _, v := range row {
					fmt.Fprintf(&b, "%q ", v)
				}
			}
			return b.String()
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "ERROR " + pe.Code
	}
	return "ERROR " + err.Error()
}

func pgOutcome(ctx context.Context, c *pgx.Conn, q string) string {
	rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err == nil {
		var b strings.Builder
		for _, f := range rows.FieldDescriptions() {
			fmt.Fprintf(&b, "%s:%d ", f.Name, f.DataTypeOID)
		}
		for rows.Next() {
			b.WriteString("|")
			for _, v := range rows.RawValues() {
				if v == nil {
					b.WriteString(`"" `) // sqltypes.Row has nil for NULL, printed as ""
					continue
				}
				fmt.Fprintf(&b, "%q ", v)
			}
		}
		rows.Close()
		if err = rows.Err(); err == nil {
			return b.String()
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "ERROR " + pe.Code
	}
	return "ERROR " + err.Error()
}

// TestSQLiteIdentifierCase runs statements that mix unquoted (folded) and
// quoted names on a SQLite shard and on PostgreSQL 15 and wants the same
// outcome, including in subqueries and CTEs (which the gate's planner keeps
// from reaching a sharded table).
func TestSQLiteIdentifierCase(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	ref, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(ctx)
	tab, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	for _, q := range []string{
		`CREATE TABLE MixedCase (id int PRIMARY KEY, Val int, "Val" text)`,
		`CREATE TABLE "MixedCase" (id int PRIMARY KEY, "A^b" text DEFAULT 'd', "UP" int NOT NULL CHECK ("UP" > 0))`,
		`INSERT INTO mixedcase VALUES (1, 10, 'ten'), (2, 20, 'twenty')`,
		`INSERT INTO "MixedCase" (id, "UP") VALUES (1, 5), (2, 6)`,
		`SELECT x."UP", x."A^b" FROM (SELECT "UP", "A^b" FROM "MixedCase") x ORDER BY 1`,
		`WITH "C" AS (SELECT "Val", val FROM mixedcase) SELECT * FROM "C" ORDER BY 1`,
		`WITH c ("X", y) AS (SELECT "Val", val FROM mixedcase) SELECT "X", Y FROM c ORDER BY 1`,
		`SELECT "Val" FROM mixedcase WHERE val IN (SELECT "UP" * 2 FROM "MixedCase") ORDER BY 1`,
		`SELECT * FROM mixedcase m JOIN "MixedCase" n USING (id) ORDER BY id`,
		`SELECT "X" FROM (VALUES (1)) AS v("X")`,
		`SELECT "x" FROM (VALUES (1)) AS v("X")`,
		`INSERT INTO "MixedCase" VALUES (3, 'neg', -1)`,
		`INSERT INTO "MixedCase" VALUES (4, 'no', NULL)`,
		`UPDATE mixedcase SET "Val" = upper("Val") WHERE Val = 10 RETURNING "Val", val`,
		`ALTER TABLE "MixedCase" RENAME TO "Other"`,
		`SELECT "UP" FROM "Other" ORDER BY 1`,
		`SELECT * FROM "MixedCase"`,
	} {
		want, got := pgOutcome(ctx, ref, q), sqliteOutcome(ctx, tab, q)
		if want != got {
			t.Errorf("%s:\n  postgres: %s\n  sqlite:   %s", q, want, got)
		}
	}
}
