package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// The end-to-end benchmarks run the same statements through the gate (pgx,
// extended protocol, 4 SQLite shards) and directly on one SQLite file
// (database/sql with modernc.org/sqlite), so the gate's overhead shows as a
// ratio. scripts/bench.sh runs them and prints the figures.

const benchRows = 10000

func loadBench(b *testing.B, exec func(string) error) {
	b.Helper()
	if err := exec(`CREATE TABLE bench (id bigint PRIMARY KEY, grp integer, name text, amount numeric(10,2))`); err != nil {
		b.Fatal(err)
	}
	for start := 1; start <= benchRows; start += 500 {
		var vals []string
		for i := start; i < start+500; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, 'name%d', %d.%02d)", i, i%50, i, i%1000, i%100))
		}
		if err := exec("INSERT INTO bench (id, grp, name, amount) VALUES " + strings.Join(vals, ",")); err != nil {
			b.Fatal(err)
		}
	}
}

var benchQueries = []struct{ name, gate, direct string }{
	{"point", "SELECT id, name, amount FROM bench WHERE id = $1", "SELECT id, name, amount FROM bench WHERE id = ?"},
	{"scatter_count", "SELECT count(*) FROM bench WHERE grp = $1", "SELECT count(*) FROM bench WHERE grp = ?"},
	{"scatter_orderby_limit", "SELECT id, name FROM bench WHERE grp = $1 ORDER BY id DESC LIMIT 10", "SELECT id, name FROM bench WHERE grp = ? ORDER BY id DESC LIMIT 10"},
	{"scatter_groupby", "SELECT grp, count(*), sum(amount) FROM bench WHERE id > $1 GROUP BY grp", "SELECT grp, count(*), sum(amount) FROM bench WHERE id > ? GROUP BY grp"},
}

func BenchmarkGate(b *testing.B) {
	g := gatetest.Start(b, 4, "")
	c := g.Connect(b)
	ctx := context.Background()
	loadBench(b, func(s string) error { _, err := c.Exec(ctx, s); return err })
	for _, q := range benchQueries {
		b.Run(q.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rows, err := c.Query(ctx, q.gate, 1+i%benchRows%50)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_ = pgx.QueryExecModeCacheStatement
}

func BenchmarkDirectSQLite(b *testing.B) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "one.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	loadBench(b, func(s string) error { _, err := db.Exec(s); return err })
	for _, q := range benchQueries {
		b.Run(q.name, func(b *testing.B) {
			st, err := db.Prepare(q.direct)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			for i := 0; i < b.N; i++ {
				rows, err := st.Query(1 + i%benchRows%50)
				if err != nil {
					b.Fatal(err)
				}
				cols, _ := rows.Columns()
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for j := range vals {
					ptrs[j] = &vals[j]
				}
				for rows.Next() {
					rows.Scan(ptrs...)
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
		})
	}
}
