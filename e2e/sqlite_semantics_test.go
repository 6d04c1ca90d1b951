package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// sameAsPostgres runs each statement on the gate and on a plain PostgreSQL
// 15 database and wants the same outcome: the same SQLSTATE when the
// reference fails, otherwise the same column names, type OIDs and rows
// (as a multiset).
func sameAsPostgres(t *testing.T, g *gatetest.Gate, stmts []string) {
	t.Helper()
	ctx := context.Background()
	_, refURL := pgtest.Shared(t).CreateDB(t)
	ref := gatetest.ConnectURL(t, refURL)
	gw := g.Connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, s := range stmts {
		wantF, wantRows, rerr := gatetest.QueryText(ctx, ref, s)
		gotF, gotRows, gerr := gatetest.QueryText(ctx, gw, s)
		if rerr != nil {
			var want, got *pgconn.PgError
			if !errors.As(rerr, &want) {
				t.Fatalf("reference: %s: %v", s, rerr)
			}
			if !errors.As(gerr, &got) || got.Code != want.Code {
				t.Errorf("%s: want error %s (%s), got err=%v rows=%d", s, want.Code, want.Message, gerr, len(gotRows))
			}
			continue
		}
		if gerr != nil {
			t.Errorf("%s: %v", s, gerr)
			continue
		}
		if msg := gatetest.CompareResults(false, wantF, wantRows, gotF, gotRows); msg != "" {
			t.Errorf("%s: %s", s, msg)
		}
	}
}

// TestSQLiteSemantics: each engine answers these statements as PostgreSQL
// does, SQLite shards included.
func TestSQLiteSemantics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		// IntegerRange: integer and float arithmetic raise 22003 where
		// SQLite would widen to 64 bits, to a REAL or to infinity.
		{"IntegerRange", []string{
			"CREATE TABLE ir (id bigint PRIMARY KEY, i integer, s smallint)",
			"INSERT INTO ir VALUES (9223372036854775807, 2147483647, 32767), (-9223372036854775808, -2147483648, -32768), (1, 1, 1)",
			"SELECT id, i + 0, s + s FROM ir WHERE id = 1",
			"SELECT i * 2 FROM ir WHERE id > 1",
			"SELECT i + 1 FROM ir",
			"SELECT s + s FROM ir",
			"SELECT s * 2::smallint FROM ir WHERE id = 1",
			"SELECT id + 1 FROM ir",
			"SELECT id * 2 FROM ir WHERE id <> 1",
			"SELECT -id FROM ir",
			"SELECT -i FROM ir",
			"SELECT i / -1 FROM ir",
			"SELECT id / -1 FROM ir",
			"SELECT id - 1, i - 1 FROM ir WHERE id = 1",
			"UPDATE ir SET i = i + 1 WHERE id = 9223372036854775807",
			"SELECT substr('abc', 1, -1)",
			"SELECT abs(i) FROM ir",
			"SELECT abs(s) FROM ir",
			"SELECT abs(id) FROM ir",
			"SELECT abs(i), abs(s) FROM ir WHERE id = 1",
			"CREATE TABLE it (id int PRIMARY KEY, i int, s smallint, b bigint)",
			"INSERT INTO it VALUES (1, 3000000000, 1, 1)",
			"INSERT INTO it VALUES (2, '3000000000', 1, 1)",
			"INSERT INTO it VALUES (3, 1, 40000, 1)",
			"INSERT INTO it VALUES (4, 1, 1, 9223372036854775808)",
			"INSERT INTO it VALUES (5, 1.5, 2.5, -3.5), (6, 2.5::float8, -2.5::float8, 0.5::float8), (7, '12', '-7', '99')",
			"UPDATE it SET s = i * 100000 WHERE id = 5",
			"UPDATE it SET i = b * 1000000000000 WHERE id = 5",
			"UPDATE it SET i = 1e10::float8 WHERE id = 5",
			"SELECT * FROM it",
			"SELECT (3000000000)::int4",
			"SELECT '3000000000'::int4",
			"SELECT '99999'::smallint",
			"SELECT 3.7::int4, (-2.5)::int4, 2.5::int2, 1e10::int8, 2.5::float8::int, 3.5::float8::int, (-0.5)::float8::int8",
			"SELECT b::int2, i::int2 FROM it WHERE id = 7",
			"SELECT 1e19::int8",
			"CREATE TABLE fr (id int PRIMARY KEY, d float8, r float4)",
			"INSERT INTO fr VALUES (1, 1e308, 3e38), (2, 1e-300, 1e-30), (3, 0.1, 0.1)",
			"SELECT d * 10 FROM fr WHERE id = 1",
			"SELECT d * d FROM fr WHERE id = 2",
			"SELECT r * r FROM fr WHERE id = 1",
			"SELECT r * r FROM fr WHERE id = 2",
			"SELECT d / 0 FROM fr WHERE id = 3",
			"SELECT d + d, d * 3, d / 3, d - 1, r + r, r * 3::float4, r / 3::float4, d + r FROM fr WHERE id = 3",
			"SELECT id, d * 2 FROM fr",
			"SELECT d + 1e308::float8 FROM fr WHERE id = 1",
			"SELECT id FROM fr WHERE r = 0.1",
			"SELECT id, r::float8, '0.1'::float4::float8, 0.1::float4 = 0.1 FROM fr",
			"INSERT INTO fr VALUES (4, 1, 1e39)",
			"INSERT INTO fr VALUES (5, 1, '1e39')",
			"UPDATE fr SET r = d WHERE id = 1",
		}},
		// IdentifierCase: unquoted names fold to lower case and quoted names
		// keep theirs, so mixedcase and "MixedCase" are two tables (and Val and
		// "Val" two columns), on SQLite shards too.
		{"IdentifierCase", []string{
			`CREATE TABLE MixedCase (id int PRIMARY KEY, Val int, "Val" text)`,
			`CREATE TABLE "MixedCase" (id int PRIMARY KEY, "A^b" text DEFAULT 'd', "UP" int NOT NULL)`,
			`INSERT INTO mixedcase VALUES (1, 10, 'ten'), (2, 20, 'twenty')`,
			`INSERT INTO "MixedCase" (id, "UP") VALUES (1, 5)`,
			`INSERT INTO "MixedCase" VALUES (2, 'y', 6), (3, 'z', 7)`,
			`SELECT * FROM MixedCase`,
			`SELECT * FROM "MixedCase"`,
			`SELECT val, "Val", VAL, m.* FROM MIXEDCASE m`,
			`SELECT "A^b", "UP" + 1, "UP" AS "Up", "MixedCase".id FROM "MixedCase"`,
			`SELECT m.id, n."UP" FROM mixedcase m JOIN "MixedCase" n ON n.id = m.id`,
			`CREATE INDEX "Idx" ON "MixedCase" ("A^b")`,
			`CREATE INDEX idx ON mixedcase (val)`,
			`INSERT INTO "MixedCase" VALUES (1, 'dup', 1)`,
			`INSERT INTO "MixedCase" (id, "A^b") VALUES (9, 'no up')`,
			`SELECT "up" FROM "MixedCase"`,
			`SELECT * FROM mixedCASE_missing`,
			`UPDATE "MixedCase" SET "UP" = "UP" * 10 WHERE id = 2`,
			`ALTER TABLE "MixedCase" RENAME COLUMN "A^b" TO "B"`,
			`ALTER TABLE "MixedCase" ADD COLUMN "New" text`,
			`SELECT "B", "UP", "New" FROM "MixedCase"`,
			`DELETE FROM "MixedCase" WHERE "UP" = 7`,
			`SELECT count(*) FROM "MixedCase"`,
			`DROP INDEX "Idx"`,
			`DROP TABLE "MixedCase"`,
			`SELECT count(*) FROM mixedcase`,
		}},
		// CharN: character(n) ignores trailing spaces in comparisons and
		// pads on output, as Postgres does.
		{"CharN", []string{
			"CREATE TABLE cn (id int PRIMARY KEY, c char(4), k char(1), v varchar(5), t text)",
			"INSERT INTO cn VALUES (1, 'a', 'x', 'a ', 'a'), (2, 'b  ', 'y  ', 'b', 'b  '), (3, NULL, NULL, NULL, NULL)",
			"INSERT INTO cn VALUES (4, 'toolong', 'z', 'v', 't')",
			"INSERT INTO cn (id, c, k, t) VALUES (5, lower('B  '), 'w', 'x')",
			"UPDATE cn SET c = 'ab  ' WHERE id = 1",
			"SELECT id, c, k, c = 'ab', c = 'ab   ', c < 'b', c = 'b', length(c), v = 'a' FROM cn",
			"SELECT id FROM cn WHERE c = 'b'",
			"SELECT id FROM cn WHERE c IN ('ab ', 'zz')",
			"SELECT c, count(*) FROM cn GROUP BY c",
			"SELECT id, 'ab  '::char(4) = c, 'q  '::char(3) FROM cn WHERE id = 1",
		}},
		// DDLInTransaction: statements after DDL in the same transaction
		// (or the same multi-statement query) see the new tables and columns, and
		// ROLLBACK takes them away, as in Postgres.
		{"DDLInTransaction", []string{
			"BEGIN",
			`CREATE TABLE tx1 (id int PRIMARY KEY, "V" text)`,
			"INSERT INTO tx1 VALUES (1, 'a'), (2, 'b')",
			"SELECT * FROM tx1",
			`UPDATE tx1 SET "V" = 'c' WHERE id = 1`,
			"COMMIT",
			"SELECT * FROM tx1",
			"BEGIN",
			"ALTER TABLE tx1 ADD COLUMN w int",
			"UPDATE tx1 SET w = id * 2",
			"SELECT * FROM tx1",
			"COMMIT",
			"SELECT * FROM tx1",
			"BEGIN",
			"CREATE TABLE tx2 (id int PRIMARY KEY)",
			"INSERT INTO tx2 VALUES (1)",
			"ROLLBACK",
			"SELECT * FROM tx2",
			"CREATE TABLE tx3 (id int PRIMARY KEY, v int); INSERT INTO tx3 VALUES (1, 2), (3, 4); SELECT * FROM tx3",
			"SELECT * FROM tx3",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gatetest.ForEachEngine(t, func(t *testing.T, engine string) {
				sameAsPostgres(t, gatetest.StartEngine(t, engine, 2, ""), tc.stmts)
			})
		})
	}
}
