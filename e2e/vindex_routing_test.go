package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/router"
)

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
