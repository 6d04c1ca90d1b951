package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/pgtest"

	"github.com/dotdo/vitess/router"
)

// testGate is a real gate on a free port over SQLite shards in a temp dir.
type testGate struct {
	*gate.Gate
	dir string
	cfg *router.Config
}

// startTestGate starts a gate with the default keyspace (n SQLite shards),
// plus whatever the yaml config adds.
func startTestGate(t testing.TB, n int, yamlConfig string) *testGate {
	t.Helper()
	dir := t.TempDir()
	o := gate.Options{Listen: "127.0.0.1:0", Admin: "off", DataDir: dir, Shards: n}
	if yamlConfig != "" {
		p := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(p, []byte(yamlConfig), 0o644); err != nil {
			t.Fatal(err)
		}
		o.Config = p
	}
	return startTestGateOpts(t, o)
}

func startTestGateOpts(t testing.TB, o gate.Options) *testGate {
	t.Helper()
	cfg, err := gate.LoadConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("VITESS_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	g, err := gate.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	tg := &testGate{Gate: g, dir: o.DataDir, cfg: cfg}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Close(ctx)
	})
	return tg
}

func (g *testGate) url(db string) string {
	return fmt.Sprintf("postgres://app@%s/%s?sslmode=disable", g.Addr().String(), db)
}

func (g *testGate) port() int { return g.Addr().(*net.TCPAddr).Port }

// connect opens a pgx connection in its default mode (extended protocol,
// binary results) unless a mode is given.
func (g *testGate) connect(t testing.TB, modes ...pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(g.url("main"))
	if err != nil {
		t.Fatal(err)
	}
	if len(modes) > 0 {
		cc.DefaultQueryExecMode = modes[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// engines are the shard engines the end-to-end suites run on.
var engines = []string{"sqlite", "postgres", "mixed"}

// startEngineGate starts a gate whose keyspace main has n shards on engine:
// "sqlite" (files in a temp dir), "postgres" (each shard a database of the
// shared test server) or "mixed" (the first half SQLite, the rest Postgres).
// extra is YAML config merged in (tables of main, other keyspaces, users).
func startEngineGate(t testing.TB, engine string, n int, extra string) *testGate {
	t.Helper()
	return startTestGateOpts(t, engineOptions(t, engine, n, extra))
}

// engineOptions writes the config for startEngineGate; starting twice from
// the same options restarts the gate over the same shards.
func engineOptions(t testing.TB, engine string, n int, extra string) gate.Options {
	t.Helper()
	dir := t.TempDir()
	if engine == "sqlite" {
		o := gate.Options{Listen: "127.0.0.1:0", Admin: "off", DataDir: dir, Shards: n}
		if extra != "" {
			p := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(p, []byte(extra), 0o644); err != nil {
				t.Fatal(err)
			}
			o.Config = p
		}
		return o
	}
	cfg := &router.Config{}
	if extra != "" {
		if err := yaml.Unmarshal([]byte(extra), cfg); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Keyspaces == nil {
		cfg.Keyspaces = map[string]*router.KeyspaceConfig{}
	}
	main := cfg.Keyspaces["main"]
	if main == nil {
		main = &router.KeyspaceConfig{}
		cfg.Keyspaces["main"] = main
	}
	main.Sharded = true
	main.Shards = map[string]string{}
	names, err := router.EvenShards(n)
	if err != nil {
		t.Fatal(err)
	}
	pg := pgtest.Shared(t)
	for i, s := range names {
		if engine == "mixed" && i < n/2 {
			main.Shards[s] = "sqlite:" + filepath.Join(dir, "main", s+".db")
			continue
		}
		_, url := pg.CreateDB(t)
		main.Shards[s] = url
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return gate.Options{Config: p, Listen: "127.0.0.1:0", Admin: "off", DataDir: dir}
}

// forEachEngine runs test once per shard engine, as subtests.
func forEachEngine(t *testing.T, test func(t *testing.T, engine string)) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { test(t, engine) })
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// optionsWithConfig writes a config file and returns options for it.
func optionsWithConfig(t testing.TB, yamlConfig string) gate.Options {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(yamlConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return gate.Options{Config: p, Listen: "127.0.0.1:0", Admin: "off", DataDir: dir}
}
