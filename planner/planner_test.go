package planner_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testPlanner builds a planner over 4 SQLite shards with the tables the
// golden cases use.
func testPlanner(t testing.TB) *planner.Planner {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	names, _ := router.EvenShards(4)
	kc := &router.KeyspaceConfig{Sharded: true, Shards: map[string]string{}, Tables: map[string]router.TableConfig{
		"users": {Vindex: &router.VindexConfig{Type: "hash", Columns: []string{"id"}}, AutoIncrement: &router.AutoIncrementConfig{Column: "id", Sequence: "users_id_seq"}},
		"members": {Vindex: &router.VindexConfig{Type: "hash", Columns: []string{"id"}},
			Lookups: []router.VindexConfig{{Type: "lookup", Columns: []string{"name"}, Table: "lookup.members_name", Unique: true}}},
		"orders":    {Vindex: &router.VindexConfig{Type: "hash", Columns: []string{"user_id"}}},
		"countries": {Type: "reference"},
		"events": {Vindex: &router.VindexConfig{Type: "range", Columns: []string{"ts"}, Ranges: map[string][]any{"-40": {nil, 100}, "40-80": {100, 200}, "80-c0": {200, 300}, "c0-": {300, nil}}},
			Lookups: []router.VindexConfig{{Type: "lookup", Columns: []string{"kind"}, Table: "events_kind"}}},
		"ring": {Vindex: &router.VindexConfig{Type: "consistent_hash", Columns: []string{"k"}}},
	}}
	lk := &router.KeyspaceConfig{Shards: map[string]string{"-": "sqlite:" + filepath.Join(dir, "lookup.db")}}
	for _, n := range names {
		kc.Shards[n] = "sqlite:" + filepath.Join(dir, n+".db")
	}
	meta, err := metastore.Open(ctx, "sqlite:"+filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	vs, err := router.NewVSchema(ctx, map[string]*router.KeyspaceConfig{"main": kc, "lookup": lk}, meta)
	if err != nil {
		t.Fatal(err)
	}
	sm := map[string]engine.Shard{}
	for _, n := range names {
		tab, err := shards.Open(ctx, "main", n, kc.Shards[n], shards.Options{NameInErrors: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tab.Close() })
		sm[n] = tab
		for _, ddl := range []string{
			`CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint, name text, score int)`,
			`CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, amount numeric(10,2))`,
			`CREATE TABLE countries (code text PRIMARY KEY, name text)`,
			`CREATE TABLE events (ts bigint PRIMARY KEY, kind text)`,
			`CREATE TABLE members (id bigint PRIMARY KEY, name text, score int)`,
			`CREATE TABLE events_kind (kind text NOT NULL, keyspace_id text NOT NULL, refs bigint NOT NULL DEFAULT 1, PRIMARY KEY (kind, keyspace_id))`,
			`CREATE TABLE ring (k bigint PRIMARY KEY, v text)`,
		} {
			r, err := tab.Query(ctx, ddl, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
		}
	}
	lt, err := shards.Open(ctx, "lookup", "-", lk.Shards["-"], shards.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lt.Close() })
	r, err := lt.Query(ctx, `CREATE TABLE members_name (name text PRIMARY KEY, keyspace_id text NOT NULL)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	return planner.New(vs, map[string]map[string]engine.Shard{"main": sm, "lookup": {"-": lt}}, metastore.NewSequences(meta))
}

// TestPlansGolden plans each query of testdata/plans.txt and compares the
// EXPLAIN (ROUTE) tree with the golden file.
func TestPlansGolden(t *testing.T) {
	p := testPlanner(t)
	queries, err := os.ReadFile("testdata/plan_queries.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, q := range strings.Split(string(queries), "\n") {
		q = strings.TrimSpace(q)
		if q == "" || strings.HasPrefix(q, "--") {
			continue
		}
		fmt.Fprintf(&out, "%s\n", q)
		pl, err := p.Plan(context.Background(), nil, "main", q, nil)
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				fmt.Fprintf(&out, "ERROR %s: %s\n\n", pe.Code, pe.Message)
			} else {
				fmt.Fprintf(&out, "ERROR: %v\n\n", err)
			}
			continue
		}
		for _, l := range pl.Explain() {
			fmt.Fprintf(&out, "  %s\n", l)
		}
		out.WriteString("\n")
	}
	golden := "testdata/plans.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./planner -update)", err)
	}
	if string(want) != out.String() {
		t.Errorf("plans differ from %s (run with -update and review the diff):\n%s", golden, diffLines(string(want), out.String()))
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y))
		}
		if len(out) > 20 {
			break
		}
	}
	return strings.Join(out, "\n")
}

// FuzzPlan asserts the planner never panics on any statement text.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{"SELECT * FROM users WHERE id = 1", "SELECT * FROM events WHERE ts BETWEEN 5 AND 150 AND kind = 'a'", "UPDATE members SET name = $1 WHERE name = $2", "DELETE FROM events WHERE kind IN ('a', 'b')", "SELECT * FROM lookup.members_name", "SELECT tenant_id, count(*) FROM users GROUP BY 1 ORDER BY 2 DESC LIMIT 3", "INSERT INTO users (tenant_id) VALUES (1), (2)", "UPDATE users SET name = 'x' WHERE id IN (1,2)", "EXPLAIN (ROUTE) SELECT 1"} {
		f.Add(s)
	}
	p := testPlanner(f)
	f.Fuzz(func(t *testing.T, sql string) {
		p.Plan(context.Background(), nil, "main", sql, nil)
	})
}
