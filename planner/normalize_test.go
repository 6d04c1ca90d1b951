package planner

import (
	"reflect"
	"testing"

	"github.com/dotdo/vitess/engine"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		in   string
		out  string
		lits []any
		ok   bool
	}{
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 48226;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", []any{int64(48226)}, true},
		{"UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 7", "UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = $1", []any{int64(7)}, true},
		{"INSERT INTO t (a, b) VALUES (1, 'it''s'), (2.5, 'x')", "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", []any{int64(1), "it's", engine.NumericLit("2.5"), "x"}, true},
		{"SELECT * FROM t1 WHERE name IN ('a', 'b') LIMIT 10", "SELECT * FROM t1 WHERE name IN ($1, $2) LIMIT $3", []any{"a", "b", int64(10)}, true},
		{`SELECT "col 1", x2 FROM "t""q" WHERE y = 'v' -- it's 3`, `SELECT "col 1", x2 FROM "t""q" WHERE y = $1 -- it's 3`, []any{"v"}, true},
		{"SELECT date '2020-01-01'", "", nil, false},
		{"SELECT E'a\\nb'", "", nil, false},
		{"SELECT $1", "", nil, false},
		{"SELECT 1; SELECT 2", "", nil, false},
		{"SELECT 1e5", "", nil, false},
		// A cast may change a literal's value (2.5::int is 3): kept in the text.
		{"SELECT '1'::int, 3::text", "", nil, false},
		{"SELECT id FROM t WHERE id = 2.5 :: int", "", nil, false},
		{"SELECT CAST(2.5 AS int)", "", nil, false},
		{"SELECT t.c FROM s.t", "SELECT t.c FROM s.t", nil, true},
		{"SELECT /* 5 */ 6", "SELECT /* 5 */ $1", []any{int64(6)}, true},
		{"SELECT U&'d\\0061t'", "", nil, false},
	}
	for _, c := range cases {
		out, lits, ok := Normalize(c.in)
		if ok != c.ok || (ok && (out != c.out || !reflect.DeepEqual(lits, c.lits))) {
			t.Errorf("Normalize(%q) = %q %#v %v; want %q %#v %v", c.in, out, lits, ok, c.out, c.lits, c.ok)
		}
	}
}
