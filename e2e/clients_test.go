package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"

	"github.com/dotdo/vitess/gatetest"
)

// openLibPQ opens a database/sql handle through lib/pq, closed when the
// test ends.
func openLibPQ(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLibPQCopyIn: lib/pq's CopyIn accepts no ParameterStatus between the
// end of the COPY data and ReadyForQuery, so the gate must not send its
// own vitess_* reports there (nor to clients that did not ask for them).
func TestLibPQCopyIn(t *testing.T) {
	gatetest.ForEngines(t, []string{"sqlite", "postgres"}, testLibPQCopyIn)
}

func testLibPQCopyIn(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "")
	db := openLibPQ(t, g.URL("main"))
	if _, err := db.Exec(`CREATE TABLE pq_copy (id bigint PRIMARY KEY, name text)`); err != nil {
		t.Fatal(err)
	}
	copyWithPQ(t, db, 1, 50)
	copyWithPQ(t, db, 51, 120)
	var n int
	var sum int64
	if err := db.QueryRow(`SELECT count(*), sum(id) FROM pq_copy`).Scan(&n, &sum); err != nil || n != 120 || sum != 120*121/2 {
		t.Fatalf("after CopyIn: count %d sum %d %v", n, sum, err)
	}
	var name string
	if err := db.QueryRow(`SELECT name FROM pq_copy WHERE id = 77`).Scan(&name); err != nil || name != "name 77" {
		t.Fatalf("row 77: %q %v", name, err)
	}
}

func copyWithPQ(t *testing.T, db *sql.DB, from, to int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(pq.CopyIn("pq_copy", "id", "name"))
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i <= to; i++ {
		if _, err := stmt.Exec(i, fmt.Sprintf("name %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		t.Fatalf("CopyIn: %v", err)
	}
	if err := stmt.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestReportParam: vitess_tx_shards reaches a client that sent
// vitess_report=on (as the SDK does), also for shards a COPY joined (at
// the next ReadyForQuery), and never one that did not.
func TestReportParam(t *testing.T) {
	g := gatetest.Start(t, 2, "")
	ctx := context.Background()
	plain := g.Connect(t)
	gatetest.MustExec(t, plain, `CREATE TABLE rp (id bigint PRIMARY KEY, v text)`)
	cc, err := pgx.ParseConfig(g.URL("main"))
	if err != nil {
		t.Fatal(err)
	}
	cc.RuntimeParams["vitess_report"] = "on"
	asking, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer asking.Close(ctx)
	if got := asking.PgConn().ParameterStatus("vitess_report"); got != "" {
		t.Errorf("vitess_report is not a setting: %q", got)
	}
	for _, c := range []*pgx.Conn{plain, asking} {
		gatetest.MustExec(t, c, `BEGIN`)
		rows := [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "c"}, {int64(4), "d"}}
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"rp"}, []string{"id", "v"}, pgx.CopyFromRows(rows)); err != nil {
			t.Fatal(err)
		}
		gatetest.MustExec(t, c, `SELECT 1`)
		shards := c.PgConn().ParameterStatus("vitess_tx_shards")
		gatetest.MustExec(t, c, `ROLLBACK`)
		if c == plain && shards != "" {
			t.Errorf("a client that did not ask got vitess_tx_shards=%q", shards)
		}
		if c == asking && strings.Count(shards, ",") != 1 {
			t.Errorf("after COPY on both shards: vitess_tx_shards=%q", shards)
		}
	}
}

// TestServeUnknownConfigKey: `vitess serve` refuses a config with a key it
// does not know, naming the key and its place, instead of running without
// the setting.
func TestServeUnknownConfigKey(t *testing.T) {
	dir := t.TempDir()
	bin := gatetest.Binary(t)
	cfg := filepath.Join(dir, "bad.yaml")
	config := `keyspaces:
  main:
    sharded: true
    shards: {"-": "sqlite:` + filepath.Join(dir, "main.db") + `"}
    tables:
      users:
        vindex: {type: hash, columns: [id]}
        secondaryVindexes: [email_lookup]
`
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "serve", "--config", cfg, "--listen", gatetest.FreeAddr(t), "--admin", "off", "--data-dir", dir).CombinedOutput()
	want := `keyspaces.main.tables.users: unknown key "secondaryVindexes" (line 8)`
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), cfg) {
		t.Fatalf("serve: %v\n%s\nwant an error with %q", err, out, want)
	}
}

// TestReportParamRelay: a relayed client's startup parameters go to its
// PostgreSQL server, which would refuse vitess_report: the gate keeps it.
// A pipeline there is PostgreSQL's one implicit transaction (as the SDK's
// Batch documents): a failure rolls back the statements before it.
func TestReportParamRelay(t *testing.T) {
	g, _ := startUnshardedPG(t, "session", 0)
	c := connectDB(t, g, "app", "vitess_report=on", "default_query_exec_mode=exec") // the SDK Batch's messages
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE rp (id bigint PRIMARY KEY, v int)`)
	gatetest.MustExec(t, c, `INSERT INTO rp VALUES (1, 1)`)
	b := &pgx.Batch{}
	b.Queue(`UPDATE rp SET v = 2 WHERE id = 1`)
	b.Queue(`SELECT no_such_column FROM rp`)
	if err := c.SendBatch(ctx, b).Close(); err == nil {
		t.Fatal("the batch did not fail")
	}
	var v int
	if err := c.QueryRow(ctx, `SELECT v FROM rp WHERE id = 1`).Scan(&v); err != nil || v != 1 {
		t.Fatalf("after the failed pipeline: v = %d %v", v, err)
	}
}
