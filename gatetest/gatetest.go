// Package gatetest starts real gates for end-to-end tests: in process on
// free ports (Start, StartEngine) or as the built vitess binary
// (Binary, StartProcess), and holds the helpers the tests share.
package gatetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gopkg.in/yaml.v3"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/router"
)

// Gate is a real gate on a free port, closed when the test ends.
type Gate struct {
	*gate.Gate
	Dir string         // the data directory
	Cfg *router.Config // the config it was started with
}

// Start starts a gate with the default keyspace (n SQLite shards),
// plus whatever the yaml config adds.
func Start(t testing.TB, n int, yamlConfig string) *Gate {
	t.Helper()
	return StartOptions(t, EngineOptions(t, "sqlite", n, yamlConfig))
}

// StartOptions starts a gate from serve options (listen and admin as
// given: tests pass 127.0.0.1:0 and off).
func StartOptions(t testing.TB, o gate.Options) *Gate {
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
	tg := &Gate{Gate: g, Dir: o.DataDir, Cfg: cfg}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Close(ctx)
	})
	return tg
}

// URL is a connection URL as user app to database db.
func (g *Gate) URL(db string) string {
	return fmt.Sprintf("postgres://app@%s/%s?sslmode=disable", g.Addr().String(), db)
}

// Port is the port the gate listens on.
func (g *Gate) Port() int { return g.Addr().(*net.TCPAddr).Port }

// Connect opens a pgx connection in its default mode (extended protocol,
// binary results) unless a mode is given.
func (g *Gate) Connect(t testing.TB, modes ...pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(g.URL("main"))
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

// MustExec runs sql and fails the test on an error.
func MustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// DiscardLog is a logger that drops everything.
func DiscardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Engines are the shard engines the end-to-end suites run on.
var Engines = []string{"sqlite", "postgres", "mixed"}

// StartEngine starts a gate whose keyspace main has n shards on engine:
// "sqlite" (files in a temp dir), "postgres" (each shard a database of the
// shared test server) or "mixed" (the first half SQLite, the rest Postgres).
// extra is YAML config merged in (tables of main, other keyspaces, users).
func StartEngine(t testing.TB, engine string, n int, extra string) *Gate {
	t.Helper()
	return StartOptions(t, EngineOptions(t, engine, n, extra))
}

// EngineOptions writes the config for StartEngine; starting twice from
// the same options restarts the gate over the same shards.
func EngineOptions(t testing.TB, engine string, n int, extra string) gate.Options {
	t.Helper()
	dir := t.TempDir()
	if engine == "sqlite" {
		o := gate.Options{Listen: "127.0.0.1:0", Admin: "off", DataDir: dir, Shards: n}
		if extra != "" {
			o.Config = writeConfig(t, dir, []byte(extra))
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
	return gate.Options{Config: writeConfig(t, dir, data), Listen: "127.0.0.1:0", Admin: "off", DataDir: dir}
}

// ForEachEngine runs test once per shard engine, as subtests.
func ForEachEngine(t *testing.T, test func(t *testing.T, engine string)) {
	ForEngines(t, Engines, test)
}

// ForEngines runs test once per engine of engines, as subtests.
func ForEngines(t *testing.T, engines []string, test func(t *testing.T, engine string)) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { test(t, engine) })
	}
}

// OptionsWithConfig writes a config file and returns options for it.
func OptionsWithConfig(t testing.TB, yamlConfig string) gate.Options {
	t.Helper()
	dir := t.TempDir()
	return gate.Options{Config: writeConfig(t, dir, []byte(yamlConfig)), Listen: "127.0.0.1:0", Admin: "off", DataDir: dir}
}

// writeConfig writes dir/config.yaml and returns its path.
func writeConfig(t testing.TB, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Main runs a package's tests, then stops the shared Postgres server and
// removes the built binary: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	removeBinary()
	os.Exit(code)
}

// Superuser is the shared test PostgreSQL (the test skips without one)
// and a connection to it as its superuser, closed when the test ends.
func Superuser(t testing.TB) (*pgtest.Server, *pgx.Conn) {
	t.Helper()
	pgtest.Require(t)
	pg := pgtest.Shared(t)
	return pg, ConnectURL(t, pg.URL("postgres"))
}

// StartConfig starts a gate from yamlConfig alone: its admin: stands (the
// other Start functions turn the admin HTTP off).
func StartConfig(t testing.TB, yamlConfig string) *Gate {
	t.Helper()
	o := OptionsWithConfig(t, yamlConfig)
	o.Admin = ""
	return StartOptions(t, o)
}

// SQLState is the SQLSTATE of a Postgres error, "" for any other error.
func SQLState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
