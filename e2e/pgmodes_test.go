package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// startUnshardedPG starts a gate with keyspace "app": one Postgres shard
// (a fresh database of the shared test server) in the given pool mode.
// It returns the gate and the shard's own URL, for direct comparisons.
func startUnshardedPG(t *testing.T, mode string, poolSize int) (*gatetest.Gate, string) {
	t.Helper()
	_, shardURL := pgtest.Shared(t).CreateDB(t)
	u := shardURL
	if poolSize > 0 {
		u += fmt.Sprintf("&pool_size=%d", poolSize)
	}
	cfg := fmt.Sprintf("keyspaces:\n  app:\n    sharded: false\n    pool: {mode: %s}\n    shards: {\"-\": %q}\n", mode, u)
	g := gatetest.Start(t, 1, cfg)
	return g, shardURL
}

func connectDB(t *testing.T, g *gatetest.Gate, db string, params ...string) *pgx.Conn {
	t.Helper()
	u := g.URL(db)
	for _, p := range params {
		u += "&" + p
	}
	return gatetest.ConnectURL(t, u)
}

func queryString(t *testing.T, c *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := c.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// TestTransactionPoolSettings: in transaction mode clients share backends
// (here a single one), yet each sees only its own settings, and startup
// options reach the shard.
func TestTransactionPoolSettings(t *testing.T) {
	g, _ := startUnshardedPG(t, "transaction", 1)
	a := connectDB(t, g, "app")
	b := connectDB(t, g, "app", "options="+strings.ReplaceAll(url.QueryEscape("-c DateStyle=SQL,DMY"), "+", "%20"))
	gatetest.MustExec(t, a, `SET DateStyle = 'German'`)
	if got := queryString(t, a, `SHOW DateStyle`); got != "German, DMY" {
		t.Errorf("a: %q", got)
	}
	if got := queryString(t, b, `SHOW DateStyle`); got != "SQL, DMY" {
		t.Errorf("b (startup option): %q", got)
	}
	if got := queryString(t, a, `SELECT '2020-03-04'::date::text`); got != "04.03.2020" {
		t.Errorf("a date: %q", got)
	}
	c := connectDB(t, g, "app")
	if got := queryString(t, c, `SHOW DateStyle`); got != "ISO, MDY" {
		t.Errorf("c: %q", got)
	}
	gatetest.MustExec(t, a, `RESET DateStyle`)
	if got := queryString(t, a, `SHOW DateStyle`); got != "ISO, MDY" {
		t.Errorf("a after reset: %q", got)
	}
	// A bad setting is refused at once, as Postgres would.
	_, err := a.Exec(context.Background(), `SET DateStyle = 'nonsense'`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22023" {
		t.Errorf("bad setting: %v", err)
	}
	// A temp table pins the client to its backend.
	gatetest.MustExec(t, a, `CREATE TEMP TABLE scratch (x int)`)
	gatetest.MustExec(t, a, `INSERT INTO scratch VALUES (1), (2)`)
	if got := queryString(t, a, `SELECT count(*)::text FROM scratch`); got != "2" {
		t.Errorf("temp table: %q", got)
	}
}

// TestSessionPoolFidelity: in session mode (the default) an unsharded
// Postgres keyspace behaves as the server itself: statements the planner
// does not interpret pass through, errors keep every field, notices arrive,
// temp tables and session settings live on.
func TestSessionPoolFidelity(t *testing.T) {
	g, shardURL := startUnshardedPG(t, "session", 0)
	ctx := context.Background()
	var notices []string
	cc, err := pgx.ParseConfig(g.URL("app"))
	if err != nil {
		t.Fatal(err)
	}
	cc.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Message) }
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	direct := gatetest.ConnectURL(t, shardURL)

	gatetest.MustExec(t, c, `CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL)`)
	gatetest.MustExec(t, c, `CREATE FUNCTION add1(x int) RETURNS int LANGUAGE sql AS $$ SELECT x + 1 $$`)
	gatetest.MustExec(t, c, `COMMENT ON TABLE accounts IS 'money'`)
	gatetest.MustExec(t, c, `CREATE VIEW owners AS SELECT owner FROM accounts`)
	gatetest.MustExec(t, c, `INSERT INTO accounts VALUES (1, 'ann')`)
	if got := queryString(t, c, `SELECT add1(41)::text`); got != "42" {
		t.Errorf("function: %q", got)
	}
	gatetest.MustExec(t, c, `DO $$ BEGIN RAISE NOTICE 'hello from the shard'; END $$`)
	if len(notices) != 1 || notices[0] != "hello from the shard" {
		t.Errorf("notices: %q", notices)
	}
	// Errors: the same fields as the server sends directly.
	for _, sql := range []string{`SELECT 1 +`, `SELECT nosuch FROM accounts`, `INSERT INTO accounts VALUES (1, 'dup')`, `INSERT INTO accounts VALUES (2, NULL)`} {
		_, gerr := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		_, derr := direct.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		var gp, dp *pgconn.PgError
		if !errors.As(gerr, &gp) || !errors.As(derr, &dp) {
			t.Fatalf("%s: %v / %v", sql, gerr, derr)
		}
		gp.Routine, dp.Routine = "", ""
		if fmt.Sprintf("%+v", *gp) != fmt.Sprintf("%+v", *dp) {
			t.Errorf("%s:\ngate   %+v\ndirect %+v", sql, *gp, *dp)
		}
	}
	gatetest.MustExec(t, c, `CREATE TEMP TABLE scratch (x int)`)
	gatetest.MustExec(t, c, `INSERT INTO scratch VALUES (7)`)
	if got := queryString(t, c, `SELECT x::text FROM scratch`); got != "7" {
		t.Errorf("temp table: %q", got)
	}
	gatetest.MustExec(t, c, `SET search_path TO pg_catalog, public`)
	if got := queryString(t, c, `SHOW search_path`); got != "pg_catalog, public" {
		t.Errorf("search_path: %q", got)
	}
	// The application name reaches the shard session.
	c2 := connectDB(t, g, "app", "application_name=fidelity-test")
	if got := queryString(t, c2, `SELECT current_setting('application_name')`); got != "fidelity-test" {
		t.Errorf("application_name: %q", got)
	}
}

// TestCancelAndTimeout: a CancelRequest stops the statement on the shard,
// and statement_timeout is honoured on both engines.
func TestCancelAndTimeout(t *testing.T) {
	g, shardURL := startUnshardedPG(t, "session", 0)
	c := connectDB(t, g, "app")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, `SELECT pg_sleep(20)`)
	var pe *pgconn.PgError
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("cancel: %v after %v", err, time.Since(start))
	}
	// The shard is not still sleeping.
	direct := gatetest.ConnectURL(t, shardURL)
	var busy int
	for i := 0; i < 50; i++ {
		direct.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%' AND state = 'active'`).Scan(&busy)
		if busy == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if busy != 0 {
		t.Errorf("the shard still runs the cancelled statement")
	}
	c2 := connectDB(t, g, "app")
	gatetest.MustExec(t, c2, `SET statement_timeout = '200ms'`)
	_, err = c2.Exec(context.Background(), `SELECT pg_sleep(5)`)
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Errorf("postgres statement_timeout: %v", err)
	}
	// SQLite shards: the gate enforces it (an unsharded keyspace, so that
	// a self join runs on one shard).
	s := gatetest.Start(t, 2, fmt.Sprintf("keyspaces:\n  lite:\n    sharded: false\n    shards: {\"-\": \"sqlite:%s/lite.db\"}\n", t.TempDir()))
	sc := connectDB(t, s, "lite")
	gatetest.MustExec(t, sc, `CREATE TABLE big (id bigint PRIMARY KEY)`)
	var vals []string
	for i := 1; i <= 400; i++ {
		vals = append(vals, fmt.Sprintf("(%d)", i))
	}
	gatetest.MustExec(t, sc, `INSERT INTO big VALUES `+strings.Join(vals, ","))
	gatetest.MustExec(t, sc, `SET statement_timeout = 300`)
	start = time.Now()
	_, err = sc.Exec(context.Background(), `SELECT count(*) FROM big a, big b, big c`)
	if !errors.As(err, &pe) || pe.Code != "57014" || time.Since(start) > 10*time.Second {
		t.Errorf("sqlite statement_timeout: %v after %v", err, time.Since(start))
	}
}

// TestSessionPoolShardsUsed: in session mode a client keeps a backend on
// the shards it uses, and only those. Every statement is described on the
// keyspace's first shard; that must not reserve a backend there, or
// clients of the other shard would fill the first shard's pool. Pool size
// 3: three clients use only the second shard, then a fourth uses the
// first at once.
func TestSessionPoolShardsUsed(t *testing.T) {
	g := gatetest.StartEngine(t, "postgres", 2, "keyspaces: {main: {pool: {mode: session, size: 3}}}")
	ctx := context.Background()
	setup := g.Connect(t)
	a, b := setupAccounts(t, setup, 20)
	first, second := a, b // a on "-80", the first shard
	if s := shardOfAccount(t, setup, a); !strings.Contains(s, "-80") || strings.Contains(s, "80-") {
		first, second = b, a
	}
	setup.Close(ctx)

	for i := range 3 {
		c := g.Connect(t)
		var bal int64
		if err := c.QueryRow(ctx, `SELECT balance FROM accounts WHERE id = $1`, second).Scan(&bal); err != nil || bal != 1000 {
			t.Fatalf("client %d on the second shard: %d %v", i, bal, err)
		}
	}
	c := g.Connect(t)
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var bal int64
	if err := c.QueryRow(qctx, `SELECT balance FROM accounts WHERE id = $1`, first).Scan(&bal); err != nil || bal != 1000 {
		t.Fatalf("a client of the first shard, with three clients of the second open: %d %v", bal, err)
	}
}
