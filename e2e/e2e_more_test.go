package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/metastore"
)

// shardCounts returns how many rows of table each shard file holds, read
// straight from the SQLite files.
func shardCounts(t *testing.T, g *gatetest.Gate, table string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tab := range g.Tablets() {
		r, err := tab.Query(context.Background(), "SELECT count(*) FROM "+table, nil)
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		var n int64
		for _, c := range row[0] {
			n = n*10 + int64(c-'0')
		}
		out[tab.Name()] = n
	}
	return out
}

// rowSpread is how many rows of table the shards hold in all and how many
// shards hold any.
func rowSpread(t *testing.T, g *gatetest.Gate, table string) (total int64, shards int) {
	t.Helper()
	for _, n := range shardCounts(t, g, table) {
		total += n
		if n > 0 {
			shards++
		}
	}
	return total, shards
}

// countResult runs sql and counts the rows it returns; rows comes back
// read to its end, for its Err and CommandTag.
func countResult(t *testing.T, c *pgx.Conn, sql string) (n int, rows pgx.Rows) {
	t.Helper()
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		n++
	}
	return n, rows
}

// TestSequencesAndRestart: serial ids come from the gate's sequence, are
// unique across shards, come back through RETURNING, survive a restart
// without reuse, and the auto-registered table is still routed after it.
func TestSequencesAndRestart(t *testing.T) { gatetest.ForEachEngine(t, testSequencesAndRestart) }

func testSequencesAndRestart(t *testing.T, engine string) {
	o := gatetest.EngineOptions(t, engine, 4, "")
	g := gatetest.StartOptions(t, o)
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)`)
	seen := map[int64]bool{}
	rows, err := c.Query(ctx, `INSERT INTO items (name) VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('g'), ('h') RETURNING id, name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Errorf("id %d handed out twice", id)
		}
		seen[id] = true
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, "") != "abcdefgh" {
		t.Errorf("RETURNING order %v, want VALUES order", names)
	}
	counts := shardCounts(t, g, "items")
	spread := 0
	for _, n := range counts {
		if n > 0 {
			spread++
		}
	}
	if spread < 2 {
		t.Errorf("8 rows landed on %d shard(s): %v", spread, counts)
	}
	var one int64
	if err := c.QueryRow(ctx, `INSERT INTO items (name) VALUES ($1) RETURNING id`, "single").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if seen[one] {
		t.Errorf("id %d reused", one)
	}
	seen[one] = true
	c.Close(ctx)
	g.Close(ctx)

	g2 := gatetest.StartOptions(t, o)
	c2 := g2.Connect(t)
	var id int64
	if err := c2.QueryRow(ctx, `INSERT INTO items (name) VALUES ('after') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if seen[id] {
		t.Errorf("id %d handed out again after restart", id)
	}
	var name string
	if err := c2.QueryRow(ctx, `SELECT name FROM items WHERE id = $1`, id).Scan(&name); err != nil || name != "after" {
		t.Errorf("point select after restart: %q %v", name, err)
	}
	var plan string
	if err := c2.QueryRow(ctx, `EXPLAIN (ROUTE) SELECT * FROM items WHERE id = 1`).Scan(&plan); err != nil || plan != "Plan: single_shard" {
		t.Errorf("items not routed by id after restart: %q %v", plan, err)
	}
	var n int64
	if err := c2.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil || n != 10 {
		t.Errorf("count after restart: %d %v", n, err)
	}
}

// TestRoutingWhereRowsLive checks that a point insert lands on the shard
// the hash vindex names, and reference tables on every shard.
func TestRoutingWhereRowsLive(t *testing.T) { gatetest.ForEachEngine(t, testRoutingWhereRowsLive) }

func testRoutingWhereRowsLive(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 4, "keyspaces:\n  main:\n    sharded: true\n    tables:\n      countries: {type: reference}\n")
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `CREATE TABLE countries (code text PRIMARY KEY, name text)`)
	// Vitess hash: 1 -> 166b..., shard -40; 2 -> 06e7..., shard -40; 29999 -> fcd6..., shard c0-.
	gatetest.MustExec(t, c, `INSERT INTO t (id, v) VALUES (1, 'a'), (29999, 'b')`)
	counts := shardCounts(t, g, "t")
	if counts["-40"] != 1 || counts["c0-"] != 1 || counts["40-80"] != 0 || counts["80-c0"] != 0 {
		t.Errorf("rows per shard %v", counts)
	}
	tag, err := c.Exec(ctx, `INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France')`)
	if err != nil || tag.String() != "INSERT 0 2" {
		t.Errorf("reference insert: %v %v", tag, err)
	}
	for s, n := range shardCounts(t, g, "countries") {
		if n != 2 {
			t.Errorf("shard %s has %d countries", s, n)
		}
	}
	tag, err = c.Exec(ctx, `UPDATE countries SET name = upper(name)`)
	if err != nil || tag.String() != "UPDATE 2" {
		t.Errorf("reference update: %v %v", tag, err)
	}
	tag, err = c.Exec(ctx, `UPDATE t SET v = 'z'`)
	if err != nil || tag.String() != "UPDATE 2" {
		t.Errorf("scatter update: %v %v", tag, err)
	}
	tag, err = c.Exec(ctx, `DELETE FROM t WHERE id = 1`)
	if err != nil || tag.String() != "DELETE 1" {
		t.Errorf("point delete: %v %v", tag, err)
	}
	// A duplicate key names the shard and keeps its SQLSTATE.
	_, err = c.Exec(ctx, `INSERT INTO t (id, v) VALUES (29999, 'dup')`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" || !strings.Contains(pe.Message, "c0-") {
		t.Errorf("duplicate: %v", err)
	}
	// DDL is broadcast; a failure names the shard.
	_, err = c.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY)`)
	if !errors.As(err, &pe) || pe.Code != "42P07" || !strings.Contains(pe.Message, "shard -40") {
		t.Errorf("duplicate table: %v", err)
	}
	_, err = c.Exec(ctx, `CREATE TABLE nokey (v text)`)
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "primary key") {
		t.Errorf("table without key: %v", err)
	}
}

// TestExtendedProtocol drives pgx's default mode (extended protocol,
// binary results), $n parameters, prepared statements and a pipelined batch.
func TestExtendedProtocol(t *testing.T) { gatetest.ForEachEngine(t, testExtendedProtocol) }

func testExtendedProtocol(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 4, "")
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE acct (id bigint PRIMARY KEY, owner text, balance numeric(12,2), rate double precision, ok boolean, born date)`)
	batch := &pgx.Batch{}
	for i := 1; i <= 50; i++ {
		batch.Queue(`INSERT INTO acct (id, owner, balance, rate, ok, born) VALUES ($1, $2, $3, $4, $5, $6)`, i, "o"+string(rune('a'+i%26)), float64(i)*1.25, float64(i)/3, i%2 == 0, "2020-01-02")
	}
	batch.Queue(`SELECT count(*) FROM acct`)
	br := c.SendBatch(ctx, batch)
	for i := 1; i <= 50; i++ {
		if _, err := br.Exec(); err != nil {
			t.Fatalf("batch insert %d: %v", i, err)
		}
	}
	var n int64
	if err := br.QueryRow().Scan(&n); err != nil || n != 50 {
		t.Fatalf("batch count: %d %v", n, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	var owner string
	var balance float64
	var rate float64
	var ok bool
	if err := c.QueryRow(ctx, `SELECT owner, balance, rate, ok FROM acct WHERE id = $1`, 4).Scan(&owner, &balance, &rate, &ok); err != nil {
		t.Fatal(err)
	}
	if owner != "oe" || balance != 5 || rate != 4.0/3 || !ok {
		t.Errorf("got %q %v %v %v", owner, balance, rate, ok)
	}
	rows, err := c.Query(ctx, `SELECT id FROM acct WHERE id IN ($1, $2, $3) ORDER BY id DESC LIMIT $4`, 7, 8, 9, 2)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != 2 || ids[0] != 9 || ids[1] != 8 {
		t.Errorf("IN/ORDER/LIMIT: %v %v", ids, err)
	}
	var sum string
	if err := c.QueryRow(ctx, `SELECT sum(balance)::text FROM acct WHERE id <= 4`).Scan(&sum); err == nil && sum != "12.50" {
		t.Errorf("sum %s", sum)
	}
	if _, err := c.Prepare(ctx, "byid", `SELECT owner FROM acct WHERE id = $1`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2, 3, 40} {
		if err := c.QueryRow(ctx, "byid", id).Scan(&owner); err != nil {
			t.Fatal(err)
		}
	}
	var cnt int64
	var avg float64
	if err := c.QueryRow(ctx, `SELECT count(*), avg(rate) FROM acct WHERE ok`).Scan(&cnt, &avg); err != nil || cnt != 25 {
		t.Errorf("scatter aggregate: %d %v %v", cnt, avg, err)
	}
}

func TestEvenShardNames(t *testing.T) {
	cfg, err := gate.LoadConfig(gate.Options{DataDir: t.TempDir(), Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for s := range cfg.Keyspaces["main"].Shards {
		names = append(names, s)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "-40 40-80 80-c0 c0-" {
		t.Errorf("shards %v", names)
	}
	_ = metastore.SequenceBlock
}

// TestKeyspaces: the database name picks the keyspace; an unsharded
// keyspace runs everything on its one shard, tables need no primary key
// there, and serial columns still get gate sequence values.
func TestKeyspaces(t *testing.T) {
	lookupFile := filepath.Join(t.TempDir(), "lookup.db")
	g := gatetest.Start(t, 2, "keyspaces:\n  lookup:\n    sharded: false\n    shards: {\"-\": \"sqlite:"+lookupFile+"\"}\n")
	ctx := context.Background()
	lc := gatetest.ConnectURL(t, g.URL("lookup"))
	gatetest.MustExec(t, lc, `CREATE TABLE notes (id serial, body text)`)
	rows, err := lc.Query(ctx, `INSERT INTO notes (body) VALUES ('x'), ('y') RETURNING id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("serial ids %v %v", ids, err)
	}
	var plan string
	if err := lc.QueryRow(ctx, `EXPLAIN (ROUTE) SELECT count(*) FROM notes`).Scan(&plan); err != nil || plan != "Plan: unsharded" {
		t.Errorf("plan %q %v", plan, err)
	}
	var body string
	if err := lc.QueryRow(ctx, `SELECT body FROM notes WHERE id = $1`, ids[1]).Scan(&body); err != nil || body != "y" {
		t.Errorf("select %q %v", body, err)
	}
	// The main keyspace does not see lookup's tables.
	mc := g.Connect(t)
	_, err = mc.Exec(ctx, `SELECT * FROM notes`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Errorf("notes from main: %v", err)
	}
	if _, err := os.Stat(lookupFile); err != nil {
		t.Errorf("lookup shard file: %v", err)
	}
}

// TestConcurrentClients: several clients write and read at once; nothing
// is lost and every answer adds up.
func TestConcurrentClients(t *testing.T) { gatetest.ForEachEngine(t, testConcurrentClients) }

func testConcurrentClients(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 4, "")
	ctx := context.Background()
	setup := g.Connect(t)
	gatetest.MustExec(t, setup, `CREATE TABLE ev (id bigserial PRIMARY KEY, client int NOT NULL, n int NOT NULL)`)
	const clients, each = 6, 100
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		go func(c int) {
			conn, err := pgx.Connect(ctx, g.URL("main"))
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			for i := 0; i < each; i++ {
				if _, err := conn.Exec(ctx, `INSERT INTO ev (client, n) VALUES ($1, $2)`, c, i); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					var n int64
					if err := conn.QueryRow(ctx, `SELECT count(*) FROM ev WHERE client = $1`, c).Scan(&n); err != nil {
						errs <- err
						return
					}
					if n != int64(i+1) {
						errs <- fmt.Errorf("client %d sees %d of its %d rows", c, n, i+1)
						return
					}
				}
			}
			errs <- nil
		}(c)
	}
	for c := 0; c < clients; c++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n, distinct int64
	if err := setup.QueryRow(ctx, `SELECT count(*) FROM ev`).Scan(&n); err != nil || n != clients*each {
		t.Fatalf("total %d %v", n, err)
	}
	rows, err := setup.Query(ctx, `SELECT DISTINCT id FROM ev`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		distinct++
	}
	if distinct != clients*each {
		t.Errorf("%d distinct ids for %d rows", distinct, clients*each)
	}
}
