package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestShardCollation: Postgres shards whose databases sort text in another
// order than bytes (here ICU en-US, where 'apple' < 'Banana'). The gate
// merges and sorts text bytewise, so it must refuse what it would order
// wrongly and group text keys exactly, against one reference database with
// the same collation.
func TestShardCollation(t *testing.T) {
	pg := pgtest.Shared(t)
	ctx := context.Background()
	icuDB := func(i int) string {
		name := fmt.Sprintf("coll%d_%d", os.Getpid(), i)
		out, err := pg.Psql("postgres", "-c", "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
		if err != nil {
			t.Fatalf("create database: %v: %s", err, out)
		}
		return pg.URL(name)
	}
	cfg := fmt.Sprintf("keyspaces:\n  main:\n    sharded: true\n    shards:\n      \"-80\": %q\n      \"80-\": %q\n", icuDB(1), icuDB(2))
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	g := gatetest.StartOptions(t, gate.Options{Config: p, Listen: "127.0.0.1:0", Admin: "off", DataDir: dir})
	gw := g.Connect(t, pgx.QueryExecModeSimpleProtocol)
	ref := gatetest.ConnectURL(t, icuDB(3))
	words := []string{"apple", "Banana", "cherry", "Date", "éclair", "Zed", "zoo", "a", "B", "apple", "Banana"}
	for _, c := range []*pgx.Conn{gw, ref} {
		gatetest.MustExec(t, c, "CREATE TABLE words (id bigint PRIMARY KEY, w text)")
		for i := 1; i <= 40; i++ {
			gatetest.MustExec(t, c, fmt.Sprintf("INSERT INTO words (id, w) VALUES (%d, '%s')", i, words[i%len(words)]))
		}
	}
	for _, q := range []string{
		"SELECT w, count(*) FROM words GROUP BY w",
		"SELECT lower(w), count(*), max(id) FROM words GROUP BY 1",
		"SELECT DISTINCT w FROM words",
		"SELECT id, w FROM words WHERE id = 7",
	} {
		wf, want, err := gatetest.QueryText(ctx, ref, q)
		if err != nil {
			t.Fatalf("reference %s: %v", q, err)
		}
		gf, got, err := gatetest.QueryText(ctx, gw, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if msg := gatetest.CompareResults(false, wf, want, gf, got); msg != "" {
			t.Errorf("WRONG: %s: %s", q, msg)
		}
	}
	for _, q := range []string{
		"SELECT w FROM words ORDER BY w, id",
		"SELECT min(w) FROM words",
		"SELECT w, count(*) FROM words GROUP BY w ORDER BY w",
		"SELECT w, count(*) FROM words GROUP BY w HAVING w > 'b'",
	} {
		_, _, err := gatetest.QueryText(ctx, gw, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "0A000" {
			t.Errorf("%s: want a 0A000 refusal, got %v", q, err)
		}
	}
}

// TestCollateClause: on C databases too, an explicit COLLATE makes the
// shards order text in a way the gate's merge does not follow.
func TestCollateClause(t *testing.T) {
	g := gatetest.StartEngine(t, "postgres", 2, "")
	c := g.Connect(t)
	gatetest.MustExec(t, c, "CREATE TABLE words (id bigint PRIMARY KEY, w text)")
	gatetest.MustExec(t, c, "INSERT INTO words VALUES (1, 'b'), (2, 'A'), (3, 'a')")
	_, err := c.Exec(context.Background(), `SELECT w FROM words ORDER BY w COLLATE "en-US-x-icu"`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "0A000" {
		t.Errorf("ORDER BY ... COLLATE: want a 0A000 refusal, got %v", err)
	}
}
