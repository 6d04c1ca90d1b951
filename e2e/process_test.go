package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
)

// TestServeProcess builds the vitess binary, runs `vitess serve` as a real
// process with defaults but for the addresses, talks to it, checks /healthz
// and that SIGTERM shuts it down cleanly.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := gatetest.Binary(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "vitess ") {
		t.Fatalf("version: %q %v", out, err)
	}
	listen, admin := gatetest.FreeAddr(t), gatetest.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--listen", listen, "--admin", admin)
	cmd.Dir = dir // default --data-dir ./vitess-data
	// The admin token from the environment, as the CLI commands read it.
	withToken := append(os.Environ(), "VITESS_ADMIN_TOKEN="+adminToken)
	cmd.Env = withToken
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ctx := context.Background()
	var c *pgx.Conn
	for i := 0; i < 100; i++ {
		if c, err = pgx.Connect(ctx, fmt.Sprintf("postgres://app@%s/main?sslmode=disable", listen)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, logs.String())
	}
	gatetest.MustExec(t, c, `CREATE TABLE kv (k text PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `INSERT INTO kv VALUES ('a', '1'), ('b', '2'), ('c', '3')`)
	var n int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count %d %v", n, err)
	}
	c.Close(ctx)
	resp, err := http.Get("http://" + admin + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	// The status and vschema commands read the running gate's admin HTTP,
	// with the token from VITESS_ADMIN_TOKEN or --token.
	cli := func(env []string, args ...string) (string, error) {
		c := exec.Command(bin, args...)
		c.Env = env
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := cli(withToken, "status", "--admin", admin); err != nil || !strings.Contains(out, "HEALTHY") || strings.Count(out, "main ") != 4 {
		t.Errorf("vitess status: %v\n%s", err, out)
	}
	if out, err := cli(os.Environ(), "status", "--admin", admin, "--token", adminToken, "--json"); err != nil || !strings.Contains(out, `"shardCount":4`) {
		t.Errorf("vitess status --json: %v\n%s", err, out)
	}
	if out, err := cli(withToken, "vschema", "--admin", admin); err != nil || !strings.Contains(out, `"kv"`) {
		t.Errorf("vitess vschema: %v\n%s", err, out)
	}
	if out, err := cli(append(os.Environ(), "VITESS_ADMIN_TOKEN="), "status", "--admin", admin); err == nil || !strings.Contains(out, "401 unauthorized") {
		t.Errorf("vitess status without the token: %v\n%s", err, out)
	}
	for _, s := range []string{"-40", "40-80", "80-c0", "c0-"} {
		if _, err := os.Stat(filepath.Join(dir, "vitess-data", "main", s+".db")); err != nil {
			t.Errorf("shard file: %v", err)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("logs: %s", logs.String())
	}
}

// TestPasswordAuth: with users: configured the gate asks for a password
// (SCRAM-SHA-256) and refuses a wrong one with 28P01.
func TestPasswordAuth(t *testing.T) {
	g := gatetest.Start(t, 2, "users:\n  - {name: app, password: s3cret}\n")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app:s3cret@%s/main?sslmode=disable", g.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://app:wrong@%s/main?sslmode=disable", g.Addr()))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("wrong password: %v", err)
	}
	_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://app:s3cret@%s/nosuch?sslmode=disable", g.Addr()))
	if !errors.As(err, &pe) || pe.Code != "3D000" {
		t.Errorf("unknown keyspace: %v", err)
	}
}

// TestWritesAndDDL covers ON CONFLICT, RETURNING, ALTER, indexes, TRUNCATE
// and DROP through the gate.
func TestWritesAndDDL(t *testing.T) { gatetest.ForEachEngine(t, testWritesAndDDL) }

func testWritesAndDDL(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 4, "")
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE p (id bigint PRIMARY KEY, n integer NOT NULL DEFAULT 0, label text)`)
	gatetest.MustExec(t, c, `CREATE INDEX p_label_idx ON p (label)`)
	gatetest.MustExec(t, c, `INSERT INTO p (id, label) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')`)
	tag, err := c.Exec(ctx, `INSERT INTO p (id, label) VALUES (1, 'x'), (5, 'e') ON CONFLICT (id) DO NOTHING`)
	if err != nil || tag.String() != "INSERT 0 1" {
		t.Errorf("on conflict do nothing: %v %v", tag, err)
	}
	var n int32
	if err := c.QueryRow(ctx, `INSERT INTO p (id, label) VALUES (2, 'b') ON CONFLICT (id) DO UPDATE SET n = p.n + 1 RETURNING n`).Scan(&n); err != nil || n != 1 {
		t.Errorf("upsert returning: %d %v", n, err)
	}
	if got, rows := countResult(t, c, `UPDATE p SET n = n + 10 WHERE id IN (3, 4) RETURNING id, n`); rows.Err() != nil || got != 2 {
		t.Errorf("update returning: %d rows %v", got, rows.Err())
	}
	gatetest.MustExec(t, c, `ALTER TABLE p ADD COLUMN extra text`)
	var extra *string
	if err := c.QueryRow(ctx, `SELECT extra FROM p WHERE id = 5`).Scan(&extra); err != nil || extra != nil {
		t.Errorf("added column: %v %v", extra, err)
	}
	gatetest.MustExec(t, c, `DROP INDEX p_label_idx`)
	tag, err = c.Exec(ctx, `TRUNCATE p`)
	if err != nil || tag.String() != "TRUNCATE TABLE" {
		t.Errorf("truncate: %v %v", tag, err)
	}
	var cnt int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM p`).Scan(&cnt); err != nil || cnt != 0 {
		t.Errorf("after truncate: %d %v", cnt, err)
	}
	gatetest.MustExec(t, c, `DROP TABLE p`)
	_, err = c.Exec(ctx, `SELECT * FROM p`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Errorf("after drop: %v", err)
	}
	// Transactions: BEGIN ... ROLLBACK undoes writes on several shards.
	gatetest.MustExec(t, c, `CREATE TABLE q (id bigint PRIMARY KEY)`)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO q VALUES (1), (2), (3), (29999)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM q`).Scan(&cnt); err != nil || cnt != 4 {
		t.Errorf("read own writes: %d %v", cnt, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM q`).Scan(&cnt); err != nil || cnt != 0 {
		t.Errorf("after rollback: %d %v", cnt, err)
	}
	tx, _ = c.Begin(ctx)
	tx.Exec(ctx, `INSERT INTO q VALUES (1), (29999)`)
	if _, err := tx.Exec(ctx, `INSERT INTO q VALUES (1)`); err == nil {
		t.Error("duplicate inside tx succeeded")
	}
	if _, err := tx.Exec(ctx, `SELECT 1`); !errors.As(err, &pe) || pe.Code != "25P02" {
		t.Errorf("after error in tx: %v", err)
	}
	if err := tx.Commit(ctx); err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Errorf("commit of failed tx: %v", err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM q`).Scan(&cnt); err != nil || cnt != 0 {
		t.Errorf("after failed commit: %d %v", cnt, err)
	}
}
