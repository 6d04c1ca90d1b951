package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/router"
)

// vindexMainYAML is keyspace main's vschema for the vindex tests: users by
// hash on id with a unique lookup on email (in keyspace lookup) and a
// non-unique lookup on name (in main), events by range on ts, ring by
// consistent_hash on k and solo by the null vindex.
const vindexMainYAML = `    vindexes:
      email_lookup: {type: lookup, columns: [email], table: lookup.users_email, unique: true}
    tables:
      users:
        vindex: {type: hash, columns: [id]}
        lookups: [email_lookup, {type: lookup, columns: [name], table: users_name}]
      events:
        vindex: {type: range, columns: [ts], ranges: {"-40": [null, 100], "40-80": [100, 200], "80-c0": [200, 300], "c0-": [300, null]}}
      ring:
        vindex: {type: consistent_hash, columns: [k]}
      solo:
        vindex: {type: "null", columns: [id]}
      days:
        vindex: {type: range, columns: [day], ranges: {"-40": [null, "2024-01-01"], "40-80": ["2024-01-01", "2024-07-01"], "80-c0": ["2024-07-01", "2025-01-01"], "c0-": ["2025-01-01", null]}}
`

// vindexShards are main's shards in the vindex tests.
var vindexShards = []string{"-40", "40-80", "80-c0", "c0-"}

// vindexTxYAML shortens the wait for a SQLite shard held by another
// transaction: two clients can wait for each other across engines.
const vindexTxYAML = "transactions: {lockWait: 2s}\n"

// vindexGateOptions are the options of a gate with keyspace main (4 shards
// on engine, vschema vindexMainYAML) and the unsharded keyspace lookup, with
// the config's top-level lines top.
func vindexGateOptions(t *testing.T, engine, top string) gate.Options {
	t.Helper()
	if engine == "sqlite" {
		dir := t.TempDir()
		var b strings.Builder
		b.WriteString(top + "keyspaces:\n  main:\n    sharded: true\n    shards:\n")
		for _, s := range vindexShards {
			fmt.Fprintf(&b, "      %q: %q\n", s, "sqlite:"+filepath.Join(dir, "main"+s+".db"))
		}
		b.WriteString(vindexMainYAML)
		fmt.Fprintf(&b, "  lookup:\n    sharded: false\n    shards: {\"-\": %q}\n", "sqlite:"+filepath.Join(dir, "lookup.db"))
		return gatetest.OptionsWithConfig(t, b.String())
	}
	_, url := pgtest.Shared(t).CreateDB(t)
	extra := top + "keyspaces:\n  main:\n    sharded: true\n" + vindexMainYAML +
		fmt.Sprintf("  lookup:\n    sharded: false\n    shards: {\"-\": %q}\n", url)
	return gatetest.EngineOptions(t, engine, 4, extra)
}

// startVindexGate starts a gate with keyspace main (4 shards on engine,
// vschema vindexMainYAML) and the unsharded keyspace lookup (a SQLite file
// for engine sqlite, a Postgres database otherwise), and creates the tables
// users, events, ring, solo and days through it.
func startVindexGate(t *testing.T, engine string) *gatetest.Gate {
	t.Helper()
	g := gatetest.StartOptions(t, vindexGateOptions(t, engine, vindexTxYAML))
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE users (id bigint PRIMARY KEY, email text, name text)`)
	gatetest.MustExec(t, c, `CREATE TABLE events (ts bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `CREATE TABLE ring (k bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `CREATE TABLE solo (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `CREATE TABLE days (day date PRIMARY KEY, v text)`)
	return g
}

// explainRoute returns the EXPLAIN (ROUTE) lines of query, joined by "\n".
func explainRoute(t *testing.T, c *pgx.Conn, query string) string {
	t.Helper()
	rows, err := c.Query(context.Background(), "EXPLAIN (ROUTE) "+query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}

// wantExplain checks that the plan of query holds every fragment.
func wantExplain(t *testing.T, c *pgx.Conn, query string, fragments ...string) {
	t.Helper()
	plan := explainRoute(t, c, query)
	for _, f := range fragments {
		if !strings.Contains(plan, f) {
			t.Errorf("EXPLAIN (ROUTE) %s: no %q in\n%s", query, f, plan)
		}
	}
}

// shardInts reads the first column (an integer) of query straight from a
// shard's database, bypassing the gate.
func shardInts(t *testing.T, url, query string) []int64 {
	t.Helper()
	ctx := context.Background()
	var out []int64
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatalf("%s on %s: %v", query, url, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, query)
	if err != nil {
		t.Fatalf("%s on %s: %v", query, url, err)
	}
	out, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// userRow is a row of users as the tests model it.
type userRow struct {
	email, name *string
}

func strp(s string) *string { return &s }

func showp(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// idKsid is the keyspace id (hex, as lookup tables store it) of a users id.
func idKsid(t testing.TB, id int64) string {
	t.Helper()
	k, err := (&router.Hash{}).Map(id)
	if err != nil {
		t.Fatal(err)
	}
	return router.KeyspaceIDText(k)
}

// readUsers reads users through the gate (a scatter).
func readUsers(t testing.TB, c *pgx.Conn) map[int64]userRow {
	t.Helper()
	rows, err := c.Query(context.Background(), `SELECT id, email, name FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]userRow{}
	for rows.Next() {
		var id int64
		var r userRow
		if err := rows.Scan(&id, &r.email, &r.name); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("users id %d twice", id)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkLookups reads users and both lookup tables through the gate and
// checks that the lookup tables say exactly where the rows are: one
// users_email row per non-NULL email at its row's keyspace id, and one
// users_name row per (name, keyspace id) with refs the number of rows. It
// returns the users it read.
func checkLookups(t testing.TB, c *pgx.Conn, step string) map[int64]userRow {
	t.Helper()
	ctx := context.Background()
	users := readUsers(t, c)
	wantEmail := map[string]string{}
	wantName := map[string]int64{}
	for id, r := range users {
		k := idKsid(t, id)
		if r.email != nil {
			if old, dup := wantEmail[*r.email]; dup {
				t.Errorf("%s: email %q on two rows (%s and %s): the unique lookup let a duplicate through", step, *r.email, old, k)
			}
			wantEmail[*r.email] = k
		}
		if r.name != nil {
			wantName[*r.name+"|"+k]++
		}
	}
	rows, err := c.Query(ctx, `SELECT email, keyspace_id FROM lookup.users_email`)
	if err != nil {
		t.Fatal(err)
	}
	gotEmail := map[string]string{}
	for rows.Next() {
		var e, k string
		if err := rows.Scan(&e, &k); err != nil {
			t.Fatal(err)
		}
		gotEmail[e] = k
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = c.Query(ctx, `SELECT name, keyspace_id, refs FROM users_name`)
	if err != nil {
		t.Fatal(err)
	}
	gotName := map[string]int64{}
	for rows.Next() {
		var n, k string
		var refs int64
		if err := rows.Scan(&n, &k, &refs); err != nil {
			t.Fatal(err)
		}
		if _, dup := gotName[n+"|"+k]; dup {
			t.Errorf("%s: users_name (%s, %s) twice", step, n, k)
		}
		gotName[n+"|"+k] = refs
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if d := diffMaps(wantEmail, gotEmail); d != "" {
		t.Errorf("%s: lookup.users_email disagrees with users (want/got): %s", step, d)
	}
	if d := diffMaps(wantName, gotName); d != "" {
		t.Errorf("%s: users_name disagrees with users (name|ksid: want refs/got refs): %s", step, d)
	}
	return users
}

func diffMaps[V comparable](want, got map[string]V) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		w, wok := want[k]
		g, gok := got[k]
		switch {
		case !wok:
			out = append(out, fmt.Sprintf("%s: extra %v", k, g))
		case !gok:
			out = append(out, fmt.Sprintf("%s: missing (want %v)", k, w))
		case w != g:
			out = append(out, fmt.Sprintf("%s: %v/%v", k, w, g))
		}
		if len(out) > 10 {
			out = append(out, "...")
			break
		}
	}
	return strings.Join(out, "; ")
}

// queryIDs runs query and returns the first column's integers, sorted.
func queryIDs(t testing.TB, c *pgx.Conn, query string, args ...any) []int64 {
	t.Helper()
	rows, err := c.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// sameRowsViaLookup checks that WHERE col = value through the lookup
// vindex finds the rows a scatter comparing col || ” finds.
func sameRowsViaLookup(t testing.TB, c *pgx.Conn, col, value string) []int64 {
	t.Helper()
	via := queryIDs(t, c, `SELECT id FROM users WHERE `+col+` = $1`, value)
	scan := queryIDs(t, c, `SELECT id FROM users WHERE `+col+` || '' = $1`, value)
	if fmt.Sprint(via) != fmt.Sprint(scan) {
		t.Errorf("users WHERE %s = %q: via the lookup %v, by a scatter %v", col, value, via, scan)
	}
	return via
}
