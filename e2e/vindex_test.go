package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

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

// TestLookupMaintenance: INSERT, UPDATE and DELETE keep the lookup tables
// in step with the rows, in and out of transactions, and a unique lookup
// refuses duplicates without leaving anything behind.
func TestLookupMaintenance(t *testing.T) { gatetest.ForEachEngine(t, testLookupMaintenance) }

func testLookupMaintenance(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	ctx := context.Background()
	step := func(name string, want map[int64]userRow) {
		t.Helper()
		got := checkLookups(t, c, name)
		if want == nil {
			return
		}
		if d := diffUsers(want, got); d != "" {
			t.Errorf("%s: users (want/got): %s", name, d)
		}
	}
	u := func(email, name string) userRow {
		r := userRow{}
		if email != "" {
			r.email = strp(email)
		}
		if name != "" {
			r.name = strp(name)
		}
		return r
	}
	want := map[int64]userRow{}
	expectDup := func(sql string, args ...any) {
		t.Helper()
		_, err := c.Exec(ctx, sql, args...)
		if sqlState(err) != "23505" {
			t.Errorf("%s %v: want 23505, got %v", sql, args, err)
		}
	}

	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann')`)
	want[1] = u("a@x", "ann")
	step("single insert", want)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (2, 'b@x', 'bob'), (3, 'c@x', 'ann'), (4, NULL, 'ann'), (5, 'e@x', NULL), (6, NULL, NULL)`)
	want[2], want[3], want[4], want[5], want[6] = u("b@x", "bob"), u("c@x", "ann"), u("", "ann"), u("e@x", ""), u("", "")
	step("multi-row insert", want)
	if ids := sameRowsViaLookup(t, c, "name", "ann"); fmt.Sprint(ids) != "[1 3 4]" {
		t.Errorf("ann: %v", ids)
	}

	// Duplicates: against an existing row, within one statement, by
	// UPDATE; nothing of the statement stays.
	expectDup(`INSERT INTO users (id, email, name) VALUES (10, 'a@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (11, 'new@x', 'dup'), (12, 'new@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (13, 'n13@x', 'dup'), (14, 'b@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (15, 'n15@x', 'dup'), (1, 'n1@x', 'dup')`) // duplicate id
	expectDup(`UPDATE users SET email = 'b@x' WHERE id = 1`)
	expectDup(`UPDATE users SET email = 'same@x' WHERE name = 'ann'`) // three rows, one email
	step("refused duplicates", want)
	if ids := sameRowsViaLookup(t, c, "email", "new@x"); len(ids) != 0 {
		t.Errorf("new@x: %v", ids)
	}
	if ids := sameRowsViaLookup(t, c, "name", "dup"); len(ids) != 0 {
		t.Errorf("dup: %v", ids)
	}

	// UPDATE moves lookup rows.
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a2@x' WHERE id = 1`)
	want[1] = u("a2@x", "ann")
	step("update email by id", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a2@x' WHERE id = 1`) // to its own value
	step("update email to itself", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a@x' WHERE id = 2`) // a freed value
	want[2] = u("a@x", "bob")
	step("update email to a freed value", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = NULL WHERE name = 'ann'`)
	for _, id := range []int64{1, 3, 4} {
		want[id] = userRow{name: want[id].name}
	}
	step("update email to NULL by name", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = $1 WHERE name = $2`, "solo@x", "bob")
	want[2] = u("solo@x", "bob")
	step("update email by name (one row)", want)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'zed' WHERE name = 'ann'`)
	for _, id := range []int64{1, 3, 4} {
		want[id] = userRow{email: want[id].email, name: strp("zed")}
	}
	step("update name by name (three rows)", want)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'bob' WHERE email = 'e@x'`)
	want[5] = u("e@x", "bob")
	step("update name by email", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'f@x', name = NULL WHERE id = 5`)
	want[5] = u("f@x", "")
	step("update email and name at once", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'g@x' WHERE id = 6`)
	want[6] = u("g@x", "")
	step("update email from NULL", want)
	tag, err := c.Exec(ctx, `UPDATE users SET email = 'h@x' WHERE id = 999`)
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("update of no row: %v %v", tag, err)
	}
	step("update of no row", want)
	if ids := sameRowsViaLookup(t, c, "email", "a@x"); len(ids) != 0 {
		t.Errorf("a@x after the moves: %v", ids)
	}
	if ids := sameRowsViaLookup(t, c, "email", "solo@x"); fmt.Sprint(ids) != "[2]" {
		t.Errorf("solo@x after the moves: %v", ids)
	}

	// DELETE removes them.
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (20, 'p@x', 'pat'), (21, 'q@x', 'pat'), (22, NULL, 'pat'), (23, 'r@x', 'ray')`)
	want[20], want[21], want[22], want[23] = u("p@x", "pat"), u("q@x", "pat"), u("", "pat"), u("r@x", "ray")
	step("insert for deletes", want)
	tag, err = c.Exec(ctx, `DELETE FROM users WHERE email = 'p@x'`)
	if err != nil || tag.RowsAffected() != 1 {
		t.Errorf("delete by email: %v %v", tag, err)
	}
	delete(want, 20)
	step("delete by email", want)
	tag, err = c.Exec(ctx, `DELETE FROM users WHERE name = $1`, "pat")
	if err != nil || tag.RowsAffected() != 2 {
		t.Errorf("delete by name: %v %v", tag, err)
	}
	delete(want, 21)
	delete(want, 22)
	step("delete by name", want)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE id = 23`)
	delete(want, 23)
	step("delete by id", want)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email IN ('nobody@x', 'g@x')`)
	delete(want, 6)
	step("delete by email IN", want)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (23, 'r@x', 'ray')`) // the freed email again
	want[23] = u("r@x", "ray")
	step("reinsert", want)

	// Transactions: ROLLBACK undoes the lookup changes with the rows.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (30, 't@x', 'tx'), (31, 'u@x', 'tx')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'r2@x' WHERE id = 23`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'solo@x'`)
	// The transaction sees its own lookup rows.
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 't@x'`); fmt.Sprint(ids) != "[30]" {
		t.Errorf("in the transaction, t@x: %v", ids)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE name = 'tx'`); fmt.Sprint(ids) != "[30 31]" {
		t.Errorf("in the transaction, tx: %v", ids)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 'solo@x'`); len(ids) != 0 {
		t.Errorf("in the transaction, deleted solo@x: %v", ids)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	step("rollback", want)
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (30, 't@x', 'tx'), (31, 'u@x', 'tx')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'r2@x' WHERE id = 23`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'solo@x'`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[30], want[31], want[23] = u("t@x", "tx"), u("u@x", "tx"), u("r2@x", "ray")
	delete(want, 2)
	step("commit", want)

	// An error in a transaction: the whole transaction goes.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (40, 'v@x', 'vic')`)
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (41, 'v@x', 'vic')`); sqlState(err) != "23505" {
		t.Errorf("duplicate in a transaction: %v", err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (42, 'w@x', 'vic')`); sqlState(err) != "25P02" {
		t.Errorf("after the error: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	step("failed transaction", want)

	// Savepoints.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (50, 's1@x', 'sam')`)
	gatetest.MustExec(t, c, `SAVEPOINT a`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (51, 's2@x', 'sam'), (52, 's3@x', 'sam')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 's9@x' WHERE id = 50`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE id = 30`)
	gatetest.MustExec(t, c, `ROLLBACK TO SAVEPOINT a`)
	gatetest.MustExec(t, c, `SAVEPOINT b`)
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (53, 's1@x', 'sam')`); sqlState(err) != "23505" {
		t.Errorf("duplicate after a savepoint: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK TO b`)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'sue' WHERE email = 's1@x'`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[50] = u("s1@x", "sue")
	step("savepoints", want)
	for _, e := range []string{"s1@x", "s2@x", "s3@x", "s9@x", "t@x"} {
		sameRowsViaLookup(t, c, "email", e)
	}
	for _, n := range []string{"sam", "sue", "tx", "zed", "bob"} {
		sameRowsViaLookup(t, c, "name", n)
	}

	// The lookup keyspace's shard joins the transaction only after the
	// savepoint; ROLLBACK TO undoes its changes there too. RELEASE keeps
	// them.
	gatetest.MustExec(t, c, `BEGIN`)
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE id = 1`); fmt.Sprint(ids) != "[1]" {
		t.Errorf("id 1: %v", ids)
	}
	gatetest.MustExec(t, c, `SAVEPOINT s`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (60, 'late@x', 'lou')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a9@x' WHERE id = 1`)
	gatetest.MustExec(t, c, `ROLLBACK TO SAVEPOINT s`)
	var id int64
	var email *string
	if err := c.QueryRow(ctx, `INSERT INTO users (id, name) VALUES (61, 'lou') RETURNING id, email`).Scan(&id, &email); err != nil || id != 61 || email != nil {
		t.Errorf("INSERT without the lookup column RETURNING: %d %v %v", id, email, err)
	}
	gatetest.MustExec(t, c, `SAVEPOINT r`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (62, 'kept@x', 'lou')`)
	gatetest.MustExec(t, c, `RELEASE r`)
	gatetest.MustExec(t, c, `SAVEPOINT q`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'kept@x'`)
	gatetest.MustExec(t, c, `ROLLBACK TO q`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[61], want[62] = u("", "lou"), u("kept@x", "lou")
	step("savepoint before the lookup shard joins", want)

	// UPDATE of the looked-up column found through the same lookup.
	rows, err := c.Query(ctx, `UPDATE users SET email = $1 WHERE email = $2 RETURNING id`, "kept2@x", "kept@x")
	if err == nil {
		var ids []int64
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err == nil && fmt.Sprint(ids) != "[62]" {
			t.Errorf("UPDATE ... WHERE email RETURNING: %v", ids)
		}
	}
	if err != nil {
		t.Errorf("UPDATE ... WHERE email RETURNING: %v", err)
	}
	want[62] = u("kept2@x", "lou")
	step("update email by email", want)

	// COPY FROM would bypass the lookups: refused, and nothing is written.
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("70,c70@x,cop\n71,kept2@x,cop\n"), `COPY users (id, email, name) FROM STDIN (FORMAT csv)`)
	if sqlState(err) != "0A000" {
		t.Errorf("COPY FROM into users: want 0A000, got %v", err)
	}
	step("COPY FROM refused", want)

	// Two clients insert one email at once: the second waits for the
	// first and is refused when it commits, admitted when it rolls back.
	c2 := g.Connect(t)
	for _, commit := range []bool{true, false} {
		gatetest.MustExec(t, c, `BEGIN`)
		gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (80, 'race@x', 'r1')`)
		done := make(chan error, 1)
		go func() {
			_, err := c2.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (81, 'race@x', 'r2')`)
			done <- err
		}()
		select {
		case err := <-done:
			// It did not wait (allowed only if it was refused).
			if sqlState(err) != "23505" && sqlState(err) != "40001" && sqlState(err) != "40P01" && sqlState(err) != "55P03" {
				t.Errorf("second insert of race@x while the first is open: %v", err)
			}
			done <- err
		case <-time.After(300 * time.Millisecond):
		}
		if commit {
			gatetest.MustExec(t, c, `COMMIT`)
			want[80] = u("race@x", "r1")
		} else {
			gatetest.MustExec(t, c, `ROLLBACK`)
		}
		err := <-done
		switch {
		case commit && sqlState(err) != "23505":
			t.Errorf("second insert of race@x after the first committed: want 23505, got %v", err)
		case !commit && err != nil:
			t.Logf("second insert of race@x after the first rolled back: %v", err)
			if s := sqlState(err); s != "40001" && s != "40P01" && s != "55P03" {
				t.Errorf("second insert of race@x after the first rolled back: %v", err)
			}
		case !commit:
			want[81] = u("race@x", "r2")
		}
		step(fmt.Sprintf("concurrent inserts of one email (first commits: %v)", commit), want)
		gatetest.MustExec(t, c, `DELETE FROM users WHERE id IN (80, 81)`)
		delete(want, 80)
		delete(want, 81)
	}
}

func diffUsers(want, got map[int64]userRow) string {
	var out []string
	ids := map[int64]bool{}
	for id := range want {
		ids[id] = true
	}
	for id := range got {
		ids[id] = true
	}
	var sorted []int64
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, id := range sorted {
		w, wok := want[id]
		g, gok := got[id]
		switch {
		case !wok:
			out = append(out, fmt.Sprintf("%d: extra (%s, %s)", id, showp(g.email), showp(g.name)))
		case !gok:
			out = append(out, fmt.Sprintf("%d: missing (%s, %s)", id, showp(w.email), showp(w.name)))
		case showp(w.email) != showp(g.email) || showp(w.name) != showp(g.name):
			out = append(out, fmt.Sprintf("%d: (%s, %s)/(%s, %s)", id, showp(w.email), showp(w.name), showp(g.email), showp(g.name)))
		}
		if len(out) > 10 {
			out = append(out, "...")
			break
		}
	}
	return strings.Join(out, "; ")
}

// workload is a randomized sequence of writes to users, checked against a
// model of the table: the model predicts which statements a unique lookup
// or the primary key refuses.
type workload struct {
	t      *testing.T
	c      *pgx.Conn
	r      *rand.Rand
	ids    int64 // ids are 1..ids (plus base)
	base   int64
	emails []string
	names  []string
	model  map[int64]userRow
	counts map[string]int
	aborts map[string]string // a 40001/40P01 message by SQLSTATE
	// free: another client works on the same rows, so the model cannot
	// predict refusals; 23505, 40001 and 40P01 are all accepted.
	free bool
}

func (w *workload) email() any {
	if w.r.Intn(6) == 0 {
		return nil
	}
	return w.emails[w.r.Intn(len(w.emails))]
}

func (w *workload) id() int64 { return w.base + 1 + w.r.Int63n(w.ids) }

func ptrOf(v any) *string {
	if v == nil {
		return nil
	}
	return strp(v.(string))
}

// emailTaken reports whether a row other than those in except has email e.
func emailTaken(m map[int64]userRow, e *string, except map[int64]bool) bool {
	if e == nil {
		return false
	}
	for id, r := range m {
		if !except[id] && r.email != nil && *r.email == *e {
			return true
		}
	}
	return false
}

// op builds one random statement and applies it to m; it returns the
// statement, its arguments, its kind and whether it must fail with 23505.
func (w *workload) op(m map[int64]userRow) (sql string, args []any, kind string, dup bool) {
	switch p := w.r.Intn(100); {
	case p < 35: // INSERT of 1-3 rows
		n := 1 + w.r.Intn(3)
		if w.r.Intn(3) > 0 {
			n = 1
		}
		var marks []string
		rows := map[int64]userRow{}
		for i := 0; i < n; i++ {
			id, e, name := w.id(), w.email(), w.names[w.r.Intn(len(w.names))]
			marks = append(marks, fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3))
			args = append(args, id, e, name)
			row := userRow{email: ptrOf(e), name: strp(name)}
			if _, exists := m[id]; exists {
				dup = true
			}
			if _, twice := rows[id]; twice {
				dup = true
			}
			if emailTaken(m, row.email, nil) || emailTaken(rows, row.email, nil) {
				dup = true
			}
			rows[id] = row
		}
		if !dup {
			for id, r := range rows {
				m[id] = r
			}
		}
		return "INSERT INTO users (id, email, name) VALUES " + strings.Join(marks, ", "), args, "insert", dup
	case p < 50: // UPDATE email by id
		id, e := w.id(), w.email()
		if r, ok := m[id]; ok {
			dup = emailTaken(m, ptrOf(e), map[int64]bool{id: true})
			if !dup {
				r.email = ptrOf(e)
				m[id] = r
			}
		}
		return `UPDATE users SET email = $1 WHERE id = $2`, []any{e, id}, "update email", dup
	case p < 55: // UPDATE email by name, maybe several rows
		name, e := w.names[w.r.Intn(len(w.names))], w.email()
		set := map[int64]bool{}
		for id, r := range m {
			if r.name != nil && *r.name == name {
				set[id] = true
			}
		}
		if e != nil && (len(set) > 1 || (len(set) == 1 && emailTaken(m, ptrOf(e), set))) {
			dup = true
		}
		if !dup {
			for id := range set {
				r := m[id]
				r.email = ptrOf(e)
				m[id] = r
			}
		}
		return `UPDATE users SET email = $1 WHERE name = $2`, []any{e, name}, "update email", dup
	case p < 63: // UPDATE name by id
		id, name := w.id(), w.names[w.r.Intn(len(w.names))]
		if r, ok := m[id]; ok {
			r.name = strp(name)
			m[id] = r
		}
		return `UPDATE users SET name = $1 WHERE id = $2`, []any{name, id}, "update name", false
	case p < 68: // UPDATE name by email
		e, name := w.emails[w.r.Intn(len(w.emails))], w.names[w.r.Intn(len(w.names))]
		for id, r := range m {
			if r.email != nil && *r.email == e {
				r.name = strp(name)
				m[id] = r
			}
		}
		return `UPDATE users SET name = $1 WHERE email = $2`, []any{name, e}, "update name", false
	case p < 84: // DELETE by id
		id := w.id()
		delete(m, id)
		return `DELETE FROM users WHERE id = $1`, []any{id}, "delete", false
	case p < 98: // DELETE by email
		e := w.emails[w.r.Intn(len(w.emails))]
		for id, r := range m {
			if r.email != nil && *r.email == e {
				delete(m, id)
			}
		}
		return `DELETE FROM users WHERE email = $1`, []any{e}, "delete", false
	default: // DELETE by name
		name := w.names[w.r.Intn(len(w.names))]
		for id, r := range m {
			if r.name != nil && *r.name == name {
				delete(m, id)
			}
		}
		return `DELETE FROM users WHERE name = $1`, []any{name}, "delete", false
	}
}

func copyModel(m map[int64]userRow) map[int64]userRow {
	out := make(map[int64]userRow, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// run performs n statements, in autocommit or in transactions of 2-4
// statements, a quarter of which roll back. A statement or COMMIT that
// fails with 40001 or 40P01 (a concurrent client) rolls its transaction
// back; any other surprise is returned.
func (w *workload) run(n int) error {
	ctx := context.Background()
	retryable := func(err error) bool {
		s := sqlState(err)
		return s == "40001" || s == "40P01" || s == "55P03"
	}
	// exec runs one statement: ok when it passed; err when it did what
	// the model does not allow.
	exec := func(i int, m map[int64]userRow, sql string, args []any, dup bool) (bool, error) {
		_, err := w.c.Exec(ctx, sql, args...)
		switch {
		case err != nil && retryable(err):
			w.counts["concurrency aborts"]++
			w.aborts[sqlState(err)] = err.Error()
			return false, nil
		case w.free && err != nil && sqlState(err) == "23505":
			w.counts["refused (23505)"]++
			return false, nil
		case w.free && err != nil:
			return false, fmt.Errorf("op %d: %s %v: %w", i, sql, args, err)
		case w.free:
			return true, nil
		case err == nil && dup:
			return false, fmt.Errorf("op %d: %s %v: passed, want 23505 (model: %s)", i, sql, args, modelFor(m, args))
		case err != nil && !dup:
			return false, fmt.Errorf("op %d: %s %v: %w (model: %s)", i, sql, args, err, modelFor(m, args))
		case err != nil && sqlState(err) != "23505":
			return false, fmt.Errorf("op %d: %s %v: want 23505, got %w", i, sql, args, err)
		}
		if dup {
			w.counts["refused (23505)"]++
		}
		return err == nil, nil
	}
	end := func(sql string) error {
		_, err := w.c.Exec(ctx, sql)
		if err != nil && !(sql == "COMMIT" && retryable(err)) {
			return fmt.Errorf("%s: %w", sql, err)
		}
		if err != nil {
			w.counts["concurrency aborts"]++
			w.aborts[sqlState(err)] = err.Error()
		}
		return nil
	}
	for done := 0; done < n; {
		if w.r.Intn(10) < 3 { // a transaction
			w.counts["transactions"]++
			if _, err := w.c.Exec(ctx, `BEGIN`); err != nil {
				return err
			}
			m := copyModel(w.model)
			ok := true
			for k := 2 + w.r.Intn(3); k > 0 && ok; k-- {
				sql, args, kind, dup := w.op(m)
				w.counts[kind]++
				done++
				var err error
				if ok, err = exec(done, m, sql, args, dup); err != nil {
					return err
				}
			}
			switch {
			case !ok:
				w.counts["rollbacks after an error"]++
				if err := end("ROLLBACK"); err != nil {
					return err
				}
			case w.r.Intn(4) == 0:
				w.counts["rollbacks"]++
				if err := end("ROLLBACK"); err != nil {
					return err
				}
			default:
				before := w.counts["concurrency aborts"]
				if err := end("COMMIT"); err != nil {
					return err
				}
				if w.counts["concurrency aborts"] == before {
					w.model = m
				}
			}
			continue
		}
		m := copyModel(w.model)
		sql, args, kind, dup := w.op(m)
		w.counts[kind]++
		done++
		ok, err := exec(done, m, sql, args, dup)
		if err != nil {
			return err
		}
		if ok {
			w.model = m
		}
	}
	return nil
}

// modelFor describes the rows of model m an op's arguments mention.
func modelFor(m map[int64]userRow, args []any) string {
	var out []string
	for id, r := range m {
		for _, a := range args {
			if a == any(id) || (r.email != nil && a == any(*r.email)) || (r.name != nil && a == any(*r.name)) {
				out = append(out, fmt.Sprintf("%d=(%s,%s)", id, showp(r.email), showp(r.name)))
				break
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// check compares the table with the model and the lookup tables with the
// table, and every pool email's lookup with the model.
func (w *workload) check(step string) {
	t := w.t
	got := checkLookups(t, w.c, step)
	mine := map[int64]userRow{}
	for id, r := range got {
		if id > w.base && id <= w.base+w.ids {
			mine[id] = r
		}
	}
	if d := diffUsers(w.model, mine); d != "" {
		t.Fatalf("%s: users disagree with the model (model/table): %s", step, d)
	}
	w.checkColumn(step, "email", w.emails, func(r userRow) *string { return r.email })
	w.checkColumn(step, "name", w.names, func(r userRow) *string { return r.name })
}

// checkColumn asks for the rows WHERE col = v (routed by col's lookup
// vindex) for each of values, and compares them with the model's.
func (w *workload) checkColumn(step, col string, values []string, of func(userRow) *string) {
	t := w.t
	t.Helper()
	for _, v := range values {
		var want []int64
		for id, r := range w.model {
			if p := of(r); p != nil && *p == v {
				want = append(want, id)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		if got := queryIDs(t, w.c, `SELECT id FROM users WHERE `+col+` = $1`, v); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: users WHERE %s = %q: %v, model %v", step, col, v, got, want)
		}
	}
}

// TestLookupRandomWorkload: 1,200 random writes with duplicates, in and out
// of transactions, against a model (the first 400 alongside a second
// client's 400 on other rows); the lookup tables stay in step with the
// rows and route every email and name to exactly its rows.
func TestLookupRandomWorkload(t *testing.T) { gatetest.ForEachEngine(t, testLookupRandomWorkload) }

func testLookupRandomWorkload(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	newWorkload := func(seed, base int64, prefix string, modes ...pgx.QueryExecMode) *workload {
		w := &workload{t: t, c: g.Connect(t, modes...), r: rand.New(rand.NewSource(seed)), ids: 200, base: base, model: map[int64]userRow{}, counts: map[string]int{}, aborts: map[string]string{}}
		for i := 0; i < 120; i++ {
			w.emails = append(w.emails, fmt.Sprintf("%s%03d@x", prefix, i))
		}
		for i := 0; i < 20; i++ {
			w.names = append(w.names, fmt.Sprintf("%s%02d", prefix, i))
		}
		return w
	}
	// Two clients on disjoint ids, emails and names: what one does the
	// other's model need not know, but they share shards and lookup tables.
	// The second uses the simple protocol (literals in the text: plans
	// cached with their literals normalized away must still use this
	// statement's values).
	w := newWorkload(42, 0, "m")
	w2 := newWorkload(7, 1000, "c", pgx.QueryExecModeSimpleProtocol)
	const ops, ops2 = 1200, 400
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- w2.run(ops2) }()
	err := w.run(400)
	if err2 := <-errc; err2 != nil {
		t.Fatalf("second client: %v", err2)
	}
	if err != nil {
		t.Fatal(err)
	}
	w2.check("second client after 400 ops")
	w.check("after 400 ops")
	for i := 400; i < ops; i += 400 {
		if err := w.run(400); err != nil {
			t.Fatal(err)
		}
		w.check(fmt.Sprintf("after %d ops", i+400))
	}
	report := func(w *workload, n int) string {
		var parts []string
		for _, k := range []string{"insert", "update email", "update name", "delete", "refused (23505)", "transactions", "rollbacks", "rollbacks after an error", "concurrency aborts"} {
			parts = append(parts, fmt.Sprintf("%d %s", w.counts[k], k))
		}
		out := fmt.Sprintf("%d ops: %s", n, strings.Join(parts, ", "))
		if !w.free {
			out += fmt.Sprintf("; %d rows at the end", len(w.model))
		}
		return out
	}
	t.Logf("%s in %v: client 1 %s", engine, time.Since(start).Round(time.Millisecond), report(w, ops))
	t.Logf("%s: client 2 (simple protocol, concurrent with client 1's first 400) %s", engine, report(w2, ops2))

	// Both clients on the same ids, emails and names at once: no model,
	// but the lookup tables must still agree with the rows.
	const shared = 300
	start = time.Now()
	for _, x := range []*workload{w, w2} {
		x.free, x.base, x.emails, x.names, x.counts = true, 0, w.emails, w.names, map[string]int{}
	}
	go func() { errc <- w2.run(shared) }()
	err = w.run(shared)
	if err2 := <-errc; err2 != nil {
		t.Fatalf("second client on shared rows: %v", err2)
	}
	if err != nil {
		t.Fatalf("first client on shared rows: %v", err)
	}
	t.Logf("%s in %v: shared rows, client 1 %s", engine, time.Since(start).Round(time.Millisecond), report(w, shared))
	t.Logf("%s: shared rows, client 2 %s", engine, report(w2, shared))
	for _, x := range []*workload{w, w2} {
		for state, msg := range x.aborts {
			t.Logf("%s: e.g. %s: %s", engine, state, msg)
		}
	}
	users := checkLookups(t, w.c, "after two clients on shared rows")
	t.Logf("%s: %d rows after the shared phase", engine, len(users))
	for _, e := range w.emails {
		var want []int64
		for id, r := range users {
			if r.email != nil && *r.email == e {
				want = append(want, id)
			}
		}
		if got := sameRowsViaLookup(t, w.c, "email", e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shared rows: users WHERE email = %q: %v, the table says %v", e, got, want)
		}
	}
	for _, n := range w.names {
		sameRowsViaLookup(t, w.c, "name", n)
	}
}

// TestKeyspacesQualified: a client of database lookup sees keyspace
// lookup's tables; from main, lookup.table reaches them; a statement
// mixing keyspaces is refused; an unknown database is refused at connect.
// (TestKeyspaces, in e2e_more_test.go, covers an unsharded keyspace alone.)
func TestKeyspacesQualified(t *testing.T) { gatetest.ForEachEngine(t, testKeyspacesQualified) }

func testKeyspacesQualified(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob'), (3, NULL, 'ann')`)
	lc, err := pgx.Connect(ctx, g.URL("lookup"))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(ctx)
	pairs := func(c *pgx.Conn, sql string) string {
		t.Helper()
		rows, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out []string
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+"="+b)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	own := pairs(lc, `SELECT email, keyspace_id FROM users_email`)
	want := "a@x=" + idKsid(t, 1) + " b@x=" + idKsid(t, 2)
	if own != want {
		t.Errorf("users_email from database lookup: %q, want %q", own, want)
	}
	if got := pairs(c, `SELECT email, keyspace_id FROM lookup.users_email`); got != own {
		t.Errorf("lookup.users_email from main: %q, database lookup says %q", got, own)
	}
	if got := pairs(c, `SELECT e.email, e.keyspace_id FROM lookup.users_email AS e WHERE e.email = 'b@x'`); got != "b@x="+idKsid(t, 2) {
		t.Errorf("lookup.users_email WHERE from main: %q", got)
	}
	// Main's tables are not lookup's.
	if _, err := lc.Exec(ctx, `SELECT * FROM users`); sqlState(err) != "42P01" {
		t.Errorf("users from database lookup: %v", err)
	}

	// A table made in keyspace lookup is written from main.
	gatetest.MustExec(t, lc, `CREATE TABLE notes (id bigint, body text)`)
	tag, err := c.Exec(ctx, `INSERT INTO lookup.notes (id, body) VALUES (1, 'one'), (2, 'two')`)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("INSERT INTO lookup.notes from main: %v %v", tag, err)
	}
	gatetest.MustExec(t, c, `UPDATE lookup.notes SET body = 'uno' WHERE id = 1`)
	gatetest.MustExec(t, c, `DELETE FROM lookup.notes WHERE id = 2`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes from database lookup: %q", got)
	}
	if got := pairs(c, `SELECT id::text, body FROM lookup.notes`); got != "1=uno" {
		t.Errorf("lookup.notes from main: %q", got)
	}
	// In a transaction with main's writes: both or neither.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO lookup.notes (id, body) VALUES (3, 'three')`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (4, 'd@x', 'dee')`)
	gatetest.MustExec(t, c, `ROLLBACK`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes after a rolled back transaction: %q", got)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 'd@x'`); len(ids) != 0 {
		t.Errorf("d@x after rollback: %v", ids)
	}

	// Tables of two keyspaces in one statement are refused.
	for _, q := range []string{
		`SELECT u.id FROM users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT u.id FROM main.users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT id FROM users WHERE email IN (SELECT email FROM lookup.users_email)`,
		`INSERT INTO lookup.notes (id, body) SELECT id, name FROM users`,
	} {
		if _, err := c.Exec(ctx, q); sqlState(err) != "0A000" {
			t.Errorf("%s: want 0A000, got %v", q, err)
		}
	}
	// From database lookup: on SQLite the gate plans the statements; on
	// Postgres the unsharded keyspace is relayed (README "Unsharded
	// keyspaces on PostgreSQL"): the server gets the text as sent and knows
	// no schema main.
	relayed := engine != "sqlite"
	_, err = lc.Exec(ctx, `SELECT n.id FROM notes n JOIN main.users u ON u.id = n.id`)
	if want := map[bool]string{false: "0A000", true: "42P01"}[relayed]; sqlState(err) != want {
		t.Errorf("join of main.users from database lookup: want %s, got %v", want, err)
	}
	rows, err := lc.Query(ctx, `SELECT id FROM main.users WHERE id = 2`) // by lookup: TestLookupFromForeignKeyspace
	if err == nil {
		var ids []int64
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err == nil && fmt.Sprint(ids) != "[2]" {
			t.Errorf("main.users from database lookup: %v", ids)
		}
	}
	if relayed && sqlState(err) != "42P01" || !relayed && err != nil {
		t.Errorf("main.users from database lookup (relayed %v): %v", relayed, err)
	}
	// An unknown database.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if bad, err := pgx.Connect(cctx, g.URL("nosuchdb")); sqlState(err) != "3D000" {
		if err == nil {
			bad.Close(ctx)
		}
		t.Errorf("connect to an unknown database: want 3D000, got %v", err)
	}
}

// TestLookupFromForeignKeyspace: a statement on main.users from a session of
// database lookup (not relayed: SQLite) uses and maintains users' lookup
// vindexes as it does from database main.
func TestLookupFromForeignKeyspace(t *testing.T) {
	g := startVindexGate(t, "sqlite")
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob')`)
	lc, err := pgx.Connect(ctx, g.URL("lookup"))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(ctx)
	for _, q := range []struct{ sql, want string }{
		{`SELECT id FROM main.users WHERE id = 2`, "[2]"},
		{`SELECT id FROM main.users WHERE email = 'b@x'`, "[2]"},
		{`SELECT id FROM main.users WHERE name = 'ann'`, "[1]"},
		{`INSERT INTO main.users (id, email, name) VALUES (3, 'c@x', 'cy') RETURNING id`, "[3]"},
		{`UPDATE main.users SET email = 'd@x', name = 'dee' WHERE id = 3 RETURNING id`, "[3]"},
		{`DELETE FROM main.users WHERE email = 'a@x' RETURNING id`, "[1]"},
	} {
		rows, err := lc.Query(ctx, q.sql)
		var ids []int64
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil || fmt.Sprint(ids) != q.want {
			t.Errorf("%s from database lookup: %v %v, want %s", q.sql, ids, err, q.want)
		}
	}
	users := checkLookups(t, c, "after writes from database lookup")
	if d := diffUsers(map[int64]userRow{2: {email: strp("b@x"), name: strp("bob")}, 3: {email: strp("d@x"), name: strp("dee")}}, users); d != "" {
		t.Errorf("users (want/got): %s", d)
	}
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

// TestLookupMultiStatementQuery: the statements of one simple Query
// message run as one implicit transaction in Postgres: when one fails,
// the ones before it are rolled back too (with their lookup entries).

func TestLookupMultiStatementQuery(t *testing.T) {
	g := startVindexGate(t, "sqlite")
	c := g.Connect(t)
	ctx := context.Background()
	_, err := c.PgConn().Exec(ctx, `INSERT INTO users (id, email, name) VALUES (90, 'm1@x', 'm'); INSERT INTO users (id, email, name) VALUES (91, 'm1@x', 'm')`).ReadAll()
	if sqlState(err) != "23505" {
		t.Fatalf("want 23505, got %v", err)
	}
	users := checkLookups(t, c, "after a failed multi-statement query")
	if len(users) != 0 {
		t.Errorf("rows after the failed query: %d", len(users))
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
	if _, err := c.Exec(context.Background(), `SELECT * FROM days WHERE day = 'Jan 5 2024'`); sqlState(err) != "0A000" {
		t.Errorf("unreadable date: want 0A000, got %v", err)
	}
}

// TestLookupColumnDefault: an INSERT that leaves out a lookup vindex
// column the shard would fill itself (a DEFAULT other than NULL, a
// generated column) is refused, since the gate could not add the row's
// lookup entry; a column whose default is NULL may be left out.
func TestLookupColumnDefault(t *testing.T) { gatetest.ForEachEngine(t, testLookupColumnDefault) }

func testLookupColumnDefault(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	ctx := context.Background()
	refused := func(sql, fragment string) {
		t.Helper()
		_, err := c.Exec(ctx, sql)
		if sqlState(err) != "0A000" || !strings.Contains(err.Error(), fragment) {
			t.Errorf("%s: want 0A000 naming %q, got %v", sql, fragment, err)
		}
	}
	recreate := func(ddl string) {
		t.Helper()
		gatetest.MustExec(t, c, `DROP TABLE users`)
		gatetest.MustExec(t, c, ddl)
	}

	recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text DEFAULT 'none@x', name text)`)
	refused(`INSERT INTO users (id, name) VALUES (1, 'ann')`, "lookup vindex column email, which has DEFAULT")
	gatetest.MustExec(t, c, `INSERT INTO users (id, email) VALUES (2, 'b@x')`) // name takes NULL
	gatetest.MustExec(t, c, `INSERT INTO users VALUES (3, 'c@x', 'cat')`)
	if users := checkLookups(t, c, "email with a DEFAULT"); len(users) != 2 {
		t.Errorf("rows: %v", users)
	}
	if ids := sameRowsViaLookup(t, c, "email", "none@x"); len(ids) != 0 {
		t.Errorf("none@x: %v", ids)
	}

	recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text DEFAULT NULL, name text)`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, name) VALUES (1, 'ann')`)
	checkLookups(t, c, "email DEFAULT NULL")

	if engine == "postgres" {
		recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text, name text GENERATED ALWAYS AS (upper(email)) STORED)`)
		refused(`INSERT INTO users (id, email) VALUES (1, 'a@x')`, "lookup vindex column name, which has DEFAULT GENERATED")
	}
}
