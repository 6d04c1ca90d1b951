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

// TestVindexRouting: range, consistent_hash, null and hash vindexes put
// rows where they say (EXPLAIN and the shards' own contents agree), and
// lookup vindexes route to the rows they map.
func TestVindexRouting(t *testing.T) { gatetest.ForEachEngine(t, testVindexRouting) }

func testVindexRouting(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	ctx := context.Background()
	urls := g.Cfg.Keyspaces["main"].Shards
	sm, err := router.NewShardMap(vindexShards)
	if err != nil {
		t.Fatal(err)
	}

	// Rows.
	tss := []int64{-1000, -1, 0, 99, 100, 150, 199, 200, 250, 299, 300, 301, 1 << 40}
	b := &pgx.Batch{}
	for _, ts := range tss {
		b.Queue(`INSERT INTO events (ts, v) VALUES ($1, $2)`, ts, fmt.Sprint("e", ts))
	}
	for k := int64(1); k <= 40; k++ {
		b.Queue(`INSERT INTO ring (k, v) VALUES ($1, 'r')`, k)
	}
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	gatetest.MustExec(t, c, `INSERT INTO solo (id, v) VALUES (1, 'a'), (2, 'b'), (1000, 'c'), (-7, 'd'), (123456789, 'e')`)
	names := []string{"ann", "bob", "cy"}
	for id := int64(1); id <= 30; id++ {
		var email any
		if id%7 != 0 { // every 7th row has no email
			email = fmt.Sprintf("u%d@x", id)
		}
		gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES ($1, $2, $3)`, id, email, names[id%3])
	}

	// (a) The plans.
	wantExplain(t, c, `SELECT * FROM events WHERE ts = 250`, "Plan: single_shard", "vindex=range(ts)", "shards=80-c0,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts = 99`, "Plan: single_shard", "shards=-40,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts = 300`, "Plan: single_shard", "shards=c0-,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts >= 100 AND ts < 200`, "range=ts >= 100 AND ts < 200", "shards=40-80,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts BETWEEN 100 AND 250`, "shards=40-80,80-c0,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts > 199 AND ts <= 200`, "shards=40-80,80-c0,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts < 100`, "shards=-40,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts >= 300`, "shards=c0-,")
	wantExplain(t, c, `SELECT * FROM events WHERE ts > 150`, "shards=40-80,80-c0,c0-,")
	wantExplain(t, c, `SELECT * FROM events WHERE v = 'x'`, "Plan: scatter")
	wantExplain(t, c, `SELECT * FROM solo WHERE id = 123456789`, "Plan: single_shard", "vindex=null(id)", "shards=-40,")
	wantExplain(t, c, `SELECT * FROM users WHERE email = 'u1@x'`, "Plan: single_shard", "vindex=email_lookup(email)", "lookup=lookup.users_email")
	wantExplain(t, c, `SELECT * FROM users WHERE email IN ('u1@x', 'u2@x')`, "vindex=email_lookup(email)", "lookup=lookup.users_email")
	wantExplain(t, c, `SELECT * FROM users WHERE name = 'ann'`, "Plan: multi_shard", "vindex=users_name(name)", "lookup=main.users_name")
	wantExplain(t, c, `SELECT * FROM users WHERE email || '' = 'u1@x'`, "Plan: scatter")
	for k := int64(1); k <= 40; k += 13 {
		ring, err := router.NewConsistentHash(sm, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ring.Shard(k)
		if err != nil {
			t.Fatal(err)
		}
		wantExplain(t, c, fmt.Sprintf(`SELECT * FROM ring WHERE k = %d`, k), "Plan: single_shard", "vindex=consistent_hash(k)", "shards="+s+",")
	}

	// (b) Where the rows are, read from the shards themselves.
	rangeShard := func(ts int64) string {
		switch {
		case ts < 100:
			return "-40"
		case ts < 200:
			return "40-80"
		case ts < 300:
			return "80-c0"
		}
		return "c0-"
	}
	ring, err := router.NewConsistentHash(sm, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	ringShards := map[string]bool{}
	for _, s := range vindexShards {
		for _, ts := range shardInts(t, urls[s], `SELECT ts FROM events`) {
			seen["events"]++
			if want := rangeShard(ts); want != s {
				t.Errorf("events ts=%d on shard %s, its range is on %s", ts, s, want)
			}
		}
		for _, id := range shardInts(t, urls[s], `SELECT id FROM solo`) {
			seen["solo"]++
			if s != "-40" {
				t.Errorf("solo id=%d on shard %s, the null vindex puts everything on -40", id, s)
			}
		}
		for _, k := range shardInts(t, urls[s], `SELECT k FROM ring`) {
			seen["ring"]++
			ringShards[s] = true
			if want, err := ring.Shard(k); err != nil || want != s {
				t.Errorf("ring k=%d on shard %s, the ring says %s (%v)", k, s, want, err)
			}
		}
		for _, id := range shardInts(t, urls[s], `SELECT id FROM users`) {
			seen["users"]++
			k, _ := (&router.Hash{}).Map(id)
			if want, err := sm.Find(k); err != nil || want != s {
				t.Errorf("users id=%d on shard %s, hash says %s (%v)", id, s, want, err)
			}
		}
	}
	if seen["events"] != len(tss) || seen["solo"] != 5 || seen["ring"] != 40 || seen["users"] != 30 {
		t.Errorf("rows found on the shards: %v", seen)
	}
	if len(ringShards) < 3 {
		t.Errorf("40 ring rows on only %d shards", len(ringShards))
	}

	// Range predicates find exactly the rows in range.
	for _, q := range []struct {
		where  string
		lo, hi int64 // lo <= ts < hi
	}{
		{"ts >= 100 AND ts < 200", 100, 200},
		{"ts BETWEEN 100 AND 250", 100, 251},
		{"ts > 199 AND ts <= 300", 200, 301},
		{"ts < 0", -1 << 62, 0},
		{"ts >= 301", 301, 1 << 62},
	} {
		var want []int64
		for _, ts := range tss {
			if ts >= q.lo && ts < q.hi {
				want = append(want, ts)
			}
		}
		if got := queryIDs(t, c, `SELECT ts FROM events WHERE `+q.where); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events WHERE %s: %v, want %v", q.where, got, want)
		}
	}
	if got := queryIDs(t, c, `SELECT ts FROM events WHERE ts = $1`, int64(250)); fmt.Sprint(got) != "[250]" {
		t.Errorf("events WHERE ts = 250: %v", got)
	}

	// Lookups find what a scatter finds.
	for _, e := range []string{"u1@x", "u13@x", "u30@x", "u7@x", "nobody@x", ""} {
		got := sameRowsViaLookup(t, c, "email", e)
		if e == "u13@x" && fmt.Sprint(got) != "[13]" {
			t.Errorf("email u13@x: %v", got)
		}
		if e == "u7@x" && len(got) != 0 {
			t.Errorf("email u7@x (row 7 has none): %v", got)
		}
	}
	for _, n := range []string{"ann", "bob", "cy", "dan"} {
		got := sameRowsViaLookup(t, c, "name", n)
		if n != "dan" && len(got) != 10 {
			t.Errorf("name %s: %d rows, want 10", n, len(got))
		}
	}
	ids := queryIDs(t, c, `SELECT id FROM users WHERE email IN ('u1@x', 'u2@x', 'zz@x', 'u14@x')`)
	if fmt.Sprint(ids) != "[1 2]" {
		t.Errorf("email IN (...): %v", ids)
	}
	if n := len(queryIDs(t, c, `SELECT id FROM users WHERE email = NULL`)); n != 0 {
		t.Errorf("email = NULL: %d rows", n)
	}
	checkLookups(t, c, "after the inserts")
}

// TestVindexNonIntegerConstants: an integer vindex column compared with a
// numeric constant that is not an int64 (200.5, 1e20) is valid SQL:
// Postgres compares as numeric. The gate must not refuse it.
func TestVindexNonIntegerConstants(t *testing.T) {
	g := startVindexGate(t, "sqlite")
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `INSERT INTO events (ts, v) VALUES (50, 'a'), (150, 'b'), (250, 'c'), (350, 'd')`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann')`)
	var bug []string
	for _, q := range []struct{ sql, want string }{
		{`SELECT ts FROM events WHERE ts < 1e3`, "[50 150 250 350]"}, // passes today
		{`SELECT ts FROM events WHERE ts < 200.5`, "[50 150]"},
		{`SELECT ts FROM events WHERE ts > 99.5 AND ts < 300`, "[150 250]"},
		{`SELECT ts FROM events WHERE ts < 99999999999999999999`, "[50 150 250 350]"},
		{`SELECT ts FROM events WHERE ts = 250.5`, "[]"},
		{`SELECT id FROM users WHERE id = 1.5`, "[]"},
	} {
		rows, err := c.Query(ctx, q.sql)
		var got []int64
		if err == nil {
			got, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil && strings.Contains(err.Error(), "invalid input syntax for type bigint") {
			bug = append(bug, fmt.Sprintf("%s: %v", q.sql, err))
			continue
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if err != nil || fmt.Sprint(got) != q.want {
			t.Errorf("%s: %v %v, want %s", q.sql, got, err, q.want)
		}
	}
	if len(bug) > 0 {
		t.Errorf("an integer vindex column compared with a non-int64 numeric constant: %s", strings.Join(bug, "; "))
	}
}

// TestRangeVindexDates: a range vindex with date bounds places a date
// column's rows by date, and date comparisons prune its shards.
func TestRangeVindexDates(t *testing.T) { gatetest.ForEachEngine(t, testRangeVindexDates) }

func testRangeVindexDates(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO days (day, v) VALUES ('2023-05-01', 'a'), ('2024-01-01', 'b'), ('2024-06-30', 'c'), ('2024-07-01', 'd'), ('2025-01-01', 'e'), ('2026-02-03', 'f')`)
	wantExplain(t, c, `SELECT * FROM days WHERE day = '2024-06-30'`, "type=single_shard", "shards=40-80")
	wantExplain(t, c, `SELECT * FROM days WHERE day >= '2024-06-01' AND day < '2024-08-01'`, "shards=40-80,80-c0")
	wantExplain(t, c, `SELECT * FROM days WHERE day < '2024-01-01'`, "shards=-40")
	wantExplain(t, c, `SELECT * FROM days WHERE day BETWEEN '2025-01-01' AND '2030-01-01'`, "shards=c0-")
	for _, tc := range []struct{ where, want string }{
		{`day = '2024-07-01'`, "d"},
		{`day >= '2024-06-30' AND day < '2025-01-01'`, "c,d"},
		{`day < '2024-01-01'`, "a"},
		{`day BETWEEN '2024-01-01' AND '2024-12-31'`, "b,c,d"},
		{`day > '2025-01-01'`, "f"},
	} {
		rows, err := c.Query(context.Background(), "SELECT v FROM days WHERE "+tc.where+" ORDER BY v")
		if err != nil {
			t.Fatal(err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || strings.Join(vs, ",") != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.where, vs, err, tc.want)
		}
	}
	// Where the rows are: each on the shard its half-year names.
	urls := g.Cfg.Keyspaces["main"].Shards
	want := map[string]int{"-40": 1, "40-80": 2, "80-c0": 1, "c0-": 2}
	for shard, n := range want {
		if got := shardInts(t, urls[shard], "SELECT count(*) FROM days"); len(got) != 1 || got[0] != int64(n) {
			t.Errorf("shard %s holds %v rows of days, want %d", shard, got, n)
		}
	}
	// A date the gate cannot read is refused where it would pick the shard.
	if _, err := c.Exec(context.Background(), `SELECT * FROM days WHERE day = 'Jan 5 2024'`); gatetest.SQLState(err) != "0A000" {
		t.Errorf("unreadable date: want 0A000, got %v", err)
	}
}
