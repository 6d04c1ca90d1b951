package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// smuggle is a single-shard SELECT for a reader with standard_conforming_
// strings on; a reader with it off sees a second statement, CREATE TABLE
// smuggled, after the string ends at x\'.
const smuggle = `SELECT id FROM tenants WHERE id = 1 AND name = 'x\' || ' ; CREATE TABLE smuggled (a int) ; --'`

// TestOneReading: no setting, startup parameter, function or DO block lets
// a shard read a statement the gate planned differently from the gate, on
// a sharded Postgres keyspace (session pool), an unsharded one in
// transaction pool mode (the planner's pass-through) and SQLite shards.
func TestOneReading(t *testing.T) {
	pg := pgtest.Shared(t)
	_, ou := pg.CreateDB(t)
	g := gatetest.StartEngine(t, "postgres", 2, fmt.Sprintf("keyspaces:\n  other:\n    sharded: false\n    pool: {mode: transaction}\n    shards: {\"-\": %q}\n", ou))
	for _, ks := range []string{"main", "other"} {
		c := connectTo(t, g, ks, nil)
		gatetest.MustExec(t, c, "CREATE TABLE tenants (id bigint PRIMARY KEY, name text)")
		gatetest.MustExec(t, c, "INSERT INTO tenants VALUES (1, 'a'), (2, 'b')")
		c.Close(context.Background())
	}
	attempts := map[string][]string{
		"SET off":                {"SET standard_conforming_strings = off"},
		"SET LOCAL off":          {"BEGIN", "SET LOCAL standard_conforming_strings TO false", "ROLLBACK"},
		"SET SESSION 0":          {"SET SESSION standard_conforming_strings = 0"},
		"set_config":             {"SELECT set_config('standard_conforming_strings', 'off', false) FROM tenants WHERE id = 1"},
		"set_config computed":    {"SELECT set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', false) FROM tenants WHERE id = 1"},
		"set_config in tx":       {"BEGIN", "SELECT set_config('standard_conforming_strings', 'off', true) FROM tenants WHERE id = 1"},
		"client_encoding SJIS":   {"SET client_encoding = 'SJIS'"},
		"set_config encoding":    {"SELECT set_config('client_encoding', 'SJIS', false) FROM tenants WHERE id = 1"},
		"backslash_quote on":     {"SET backslash_quote = on"},
		"backslash_quote off":    {"SET backslash_quote = off"},
		"escape_string_warning":  {"SET escape_string_warning = off"},
		"DO block (unsharded)":   {"DO $$BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END$$"},
		"SET then RESET ALL":     {"SET standard_conforming_strings = off", "RESET ALL"},
		"client_encoding to utf": {"SET client_encoding = 'utf-8'"},
	}
	for name, stmts := range attempts {
		for _, ks := range []string{"main", "other"} {
			t.Run(ks+"/"+name, func(t *testing.T) {
				c := connectTo(t, g, ks, nil)
				defer c.Close(context.Background())
				for _, s := range stmts {
					_, _, err := gatetest.QueryText(context.Background(), c, s)
					if strings.Contains(s, "SET") && strings.Contains(s, "off") && strings.Contains(s, "standard_conforming") && !strings.Contains(s, "set_config") {
						if gatetest.SQLState(err) != "0A000" {
							t.Errorf("%s: want 0A000, got %v", s, err)
						}
					}
					if strings.Contains(s, "SJIS") && !strings.Contains(s, "set_config") && gatetest.SQLState(err) != "0A000" {
						t.Errorf("%s: want 0A000, got %v", s, err)
					}
				}
				// The attack is either answered as the gate read it (no
				// row: name is not that string) or refused.
				_, rows, err := gatetest.QueryText(context.Background(), c, smuggle)
				if err == nil && len(rows) != 0 {
					t.Errorf("smuggle answered %v", rows)
				}
				noSmuggledTable(t, g)
				// and the session goes on, on fresh shard connections
				gatetest.QueryText(context.Background(), c, "ROLLBACK")
				var n int
				if err := c.QueryRow(context.Background(), "SELECT count(*) FROM tenants").Scan(&n); err != nil || n != 2 {
					t.Errorf("after: count %d %v", n, err)
				}
			})
		}
	}
	// The startup packet: a parameter and options=-c.
	for _, params := range []map[string]string{
		{"standard_conforming_strings": "off"},
		{"options": "-c standard_conforming_strings=off"},
		{"options": "--standard-conforming-strings=off"},
		{"client_encoding": "SJIS"},
	} {
		for _, ks := range []string{"main", "other"} {
			cc, err := pgx.ParseConfig(g.URL(ks))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range params {
				cc.RuntimeParams[k] = v
			}
			c, err := pgx.ConnectConfig(context.Background(), cc)
			if err == nil {
				c.Close(context.Background())
				t.Errorf("%s %v: connected", ks, params)
			} else if gatetest.SQLState(err) != "0A000" {
				t.Errorf("%s %v: %v", ks, params, err)
			}
		}
	}
	// After all that, every keyspace still answers.
	for _, ks := range []string{"main", "other"} {
		c := connectTo(t, g, ks, nil)
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM tenants").Scan(&n); err != nil || n != 2 {
			t.Errorf("%s: count %d %v", ks, n, err)
		}
		c.Close(context.Background())
	}
}

// TestOneReadingSQLite: SQLite shards refuse the same settings.
func TestOneReadingSQLite(t *testing.T) {
	g := gatetest.StartEngine(t, "sqlite", 2, "")
	c := g.Connect(t)
	for _, s := range []string{"SET standard_conforming_strings = off", "SET client_encoding = 'LATIN1'"} {
		if _, _, err := gatetest.QueryText(context.Background(), c, s); gatetest.SQLState(err) != "0A000" {
			t.Errorf("%s: %v", s, err)
		}
	}
	gatetest.MustExec(t, c, "SET standard_conforming_strings = on")
	gatetest.MustExec(t, c, "SET client_encoding = 'UTF8'")
}

// connectTo opens a pgx connection to keyspace ks with extra startup
// parameters.
func connectTo(t *testing.T, g *gatetest.Gate, ks string, params map[string]string) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(g.URL(ks))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		cc.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noSmuggledTable checks every Postgres shard directly.
func noSmuggledTable(t *testing.T, g *gatetest.Gate) {
	t.Helper()
	for ks, kc := range g.Cfg.Keyspaces {
		for name, u := range kc.Shards {
			if n := shardCount(t, u, "SELECT count(*) FROM pg_class WHERE relname = 'smuggled'"); n != 0 {
				t.Fatalf("%s/%s: smuggled table exists (%d)", ks, name, n)
			}
		}
	}
}
