// Command vitess is a Postgres-compatible sharding gate: clients connect to
// it as to one Postgres server, and it routes their statements to shards.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards"
	"github.com/dotdo/vitess/txn"
	"github.com/dotdo/vitess/vtgate"
)

// Version is the gate's version, printed by `vitess version`.
var Version = "0.1.0"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "vitess:", err)
		os.Exit(1)
	}
}

// newApp is the command line: serve, status, vschema, vindex, version.
func newApp() *cli.App {
	return &cli.App{
		Name:  "vitess",
		Usage: "a Postgres-compatible sharding gate",
		Commands: []*cli.Command{
			{
				Name:  "serve",
				Usage: "start the gate",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "config", Usage: "config file (YAML or JSON)"},
					&cli.StringFlag{Name: "listen", Usage: "Postgres listen address (default 127.0.0.1:15432)"},
					&cli.StringFlag{Name: "admin", Usage: "admin HTTP address (default 127.0.0.1:15000)"},
					&cli.StringFlag{Name: "admin-token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "bearer token the admin HTTP requires (overrides the config's admin.token)"},
					&cli.StringFlag{Name: "data-dir", Usage: "where SQLite shards and metadata live (default ./vitess-data)"},
					&cli.IntFlag{Name: "shards", Usage: "number of SQLite shards of the default keyspace (default 4)"},
				},
				Action: serve,
			},
			{
				Name:  "status",
				Usage: "print the shards' health and counters (from a running gate's admin HTTP)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "admin", Value: "127.0.0.1:15000", Usage: "the gate's admin address"},
					&cli.StringFlag{Name: "token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "the admin HTTP's bearer token"},
					&cli.StringFlag{Name: "keyspace", Usage: "one keyspace (default: all)"},
					&cli.BoolFlag{Name: "json", Usage: "print the JSON the gate returns"},
				},
				Action: func(c *cli.Context) error {
					return statusCommand(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"), c.Bool("json"))
				},
			},
			{
				Name:  "vschema",
				Usage: "print the vschema (from a running gate's admin HTTP)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "admin", Value: "127.0.0.1:15000", Usage: "the gate's admin address"},
					&cli.StringFlag{Name: "token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "the admin HTTP's bearer token"},
					&cli.StringFlag{Name: "keyspace", Usage: "one keyspace (default: all)"},
				},
				Action: func(c *cli.Context) error {
					return vschemaCommand(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"))
				},
			},
			{
				Name:  "vindex",
				Usage: "lookup vindex tools",
				Subcommands: []*cli.Command{{
					Name:      "backfill",
					Usage:     "build a lookup vindex's table for the rows a table already has (runs in the gate)",
					ArgsUsage: "TABLE VINDEX",
					Flags: []cli.Flag{
						&cli.StringFlag{Name: "admin", Value: "127.0.0.1:15000", Usage: "the gate's admin address"},
						&cli.StringFlag{Name: "token", EnvVars: []string{"VITESS_ADMIN_TOKEN"}, Usage: "the admin HTTP's bearer token"},
						&cli.StringFlag{Name: "keyspace", Value: "main", Usage: "the table's keyspace"},
					},
					Action: func(c *cli.Context) error {
						if c.NArg() != 2 {
							return fmt.Errorf("usage: vitess vindex backfill [--admin ADDR] [--token T] [--keyspace K] TABLE VINDEX (flags first)")
						}
						return backfillCommand(c.App.Writer, c.String("admin"), c.String("token"), c.String("keyspace"), c.Args().Get(0), c.Args().Get(1))
					},
				}},
			},
			{
				Name:  "passwd",
				Usage: "print the SCRAM-SHA-256 verifier of a password (read from stdin, or asked for on a terminal) for users: in the config",
				Action: func(c *cli.Context) error {
					return passwdCommand(os.Stdin, c.App.Writer, os.Stderr)
				},
			},
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Printf("vitess %s\n", Version)
					return nil
				},
			},
		},
	}
}

// options are the serve flags; zero values mean "not given".
type options struct {
	config, listen, admin, dataDir string
	adminToken                     string
	shards                         int
}

func serve(c *cli.Context) error {
	opts := options{config: c.String("config"), listen: c.String("listen"), admin: c.String("admin"), adminToken: c.String("admin-token"),
		dataDir: c.String("data-dir"), shards: c.Int("shards")}
	cfg, err := loadConfig(opts)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, err := startGate(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Close(shutdownCtx)
}

// loadConfig reads the config file (if any) and applies flags and defaults.
func loadConfig(o options) (*router.Config, error) {
	cfg := &router.Config{}
	if o.config != "" {
		var err error
		if cfg, err = router.LoadConfig(o.config); err != nil {
			return nil, err
		}
	}
	if o.listen != "" {
		cfg.Listen = o.listen
	}
	if o.admin != "" {
		cfg.Admin.Listen = o.admin
	}
	if o.adminToken != "" {
		cfg.Admin.Token = o.adminToken
	}
	if o.dataDir != "" {
		cfg.DataDir = o.dataDir
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:15432"
	}
	if cfg.Admin.Listen == "" {
		cfg.Admin.Listen = "127.0.0.1:15000"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "vitess-data"
	}
	if cfg.Metadata == "" {
		cfg.Metadata = "sqlite:" + filepath.Join(cfg.DataDir, "meta.db")
	}
	if len(cfg.Keyspaces) == 0 || o.shards > 0 {
		n := o.shards
		if n == 0 {
			n = 4
		}
		ks, err := router.DefaultKeyspace(cfg.DataDir, n)
		if err != nil {
			return nil, err
		}
		if cfg.Keyspaces == nil {
			cfg.Keyspaces = map[string]*router.KeyspaceConfig{}
		}
		// --shards replaces main's shards; the rest of its config stays.
		if old, ok := cfg.Keyspaces["main"]; ok {
			old.Sharded, old.Shards = ks["main"].Sharded, ks["main"].Shards
			ks["main"] = old
		}
		cfg.Keyspaces["main"] = ks["main"]
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// gate is a running gate: shards, wire server and admin server.
type gate struct {
	tablets []*shards.Tablet
	meta    *metastore.Store
	server  *proxy.Server
	admin   *http.Server
	// adminCfg is what the admin HTTP was started with (token, pprof).
	adminCfg router.AdminConfig
	addr     net.Addr
	log      *slog.Logger
	locks    *shards.LockGraph  // the SQLite shards' transaction locks
	stop     context.CancelFunc // background work (the commit resolver)
	rep      *reporter
	plans    *planMetrics
	planner  *planner.Planner
	coord    *txn.Coordinator

	// loginTablets reach Postgres shards as users' shardUser roles.
	loginTablets []*shards.Tablet
}

// startGate opens the shards and starts listening.
func startGate(ctx context.Context, cfg *router.Config, log *slog.Logger) (*gate, error) {
	g := &gate{log: log, locks: shards.NewLockGraph(time.Duration(cfg.Transactions.LockWait))}
	ok := false
	defer func() {
		if !ok {
			g.Close(context.Background())
		}
	}()
	// The certificate is read first: a wrong path stops the gate before it
	// opens any shard.
	pcfg, err := serverConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	if g.meta, err = metastore.Open(ctx, cfg.Metadata); err != nil {
		return nil, err
	}
	vs, err := router.NewVSchema(ctx, cfg.Keyspaces, g.meta)
	if err != nil {
		return nil, err
	}
	shardMap := map[string]map[string]engine.Shard{}
	var ksNames []string
	for name := range vs.Keyspaces {
		ksNames = append(ksNames, name)
	}
	sort.Strings(ksNames)
	for _, name := range ksNames {
		ks := vs.Keyspaces[name]
		shardMap[name] = map[string]engine.Shard{}
		for _, s := range ks.Shards {
			t, err := shards.Open(ctx, name, s, ks.URLs[s], g.tabletOptions(ks))
			if err != nil {
				return nil, err
			}
			g.tablets = append(g.tablets, t)
			shardMap[name][s] = t
		}
		log.Info("keyspace", "name", name, "sharded", ks.Sharded, "shards", ks.Shards)
	}
	if err := checkTwoPhase(ctx, vs, shardMap); err != nil {
		return nil, err
	}
	users, err := gateUsers(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := g.openShardLogins(ctx, vs, shardMap, users); err != nil {
		return nil, err
	}
	visibility := &sync.RWMutex{}
	coord := &txn.Coordinator{
		Log:        g.meta,
		Visibility: visibility,
		Tablets:    g.txnShards,
		AbortAfter: time.Duration(cfg.Transactions.AbortAfter),
		Logger:     log,
		Failpoint:  os.Getenv("VITESS_FAILPOINT"),
	}
	// What a crash left half-committed is finished before clients come.
	if err := coord.Resolve(ctx); err != nil {
		log.Warn("commit resolver", "err", err)
	}
	createLookupTables(ctx, vs, shardMap, log)
	bg, stop := context.WithCancel(context.Background())
	g.stop = stop
	go resolveLoop(bg, coord, time.Duration(cfg.Transactions.ResolveInterval), log)
	g.plans = newPlanMetrics()
	g.rep = &reporter{vs: vs, tablets: func() []*shards.Tablet { return g.tablets }}
	pl := planner.New(vs, shardMap, metastore.NewSequences(g.meta))
	g.planner, g.coord = pl, coord
	gw := &vtgate.Executor{Planner: pl, Shards: shardMap, Coordinator: coord, Visibility: visibility, Reporter: g.rep,
		Observe: g.plans.observe, Defaults: cfg.Defaults, QueryMemory: int64(cfg.Limits.QueryMemory)}
	if err := gw.CheckDefaults(); err != nil {
		return nil, err
	}
	gw.Access, gw.ShardsFor = users.access, users.shardsFor
	lim := cfg.Limits
	pcfg.Users = users.passwords
	pcfg.MaxConnections, pcfg.AuthTimeout, pcfg.MaxMessageSize = lim.MaxConnections, time.Duration(lim.AuthTimeout), int(lim.MaxMessageSize)
	g.server = proxy.NewServer(pcfg, gw.NewSession)
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	g.addr = l.Addr()
	go func() {
		if err := g.server.Serve(l); err != nil && !errors.Is(err, proxy.ErrServerClosed) {
			log.Error("serve", "err", err)
		}
	}()
	if err := g.startAdmin(cfg.Admin); err != nil {
		return nil, err
	}
	log.Info("listening", "addr", g.addr.String())
	warnListen(log, g.addr, len(cfg.Users) > 0, cfg.TLS != nil)
	ok = true
	return g, nil
}

// serverConfig is the wire server's part of the config: TLS (the logins
// come from gateUsers).
func serverConfig(cfg *router.Config, log *slog.Logger) (proxy.Config, error) {
	pcfg := proxy.Config{Logger: log}
	if cfg.TLS != nil {
		var err error
		if pcfg.TLS, err = proxy.LoadTLS(cfg.TLS.Cert, cfg.TLS.Key); err != nil {
			return pcfg, err
		}
		pcfg.TLSRequire = cfg.TLS.Require
	}
	return pcfg, nil
}

// tabletOptions are the options of a keyspace's shards.
func (g *gate) tabletOptions(ks *router.Keyspace) shards.Options {
	return shards.Options{NameInErrors: ks.Sharded, PoolSize: ks.Pool.Size, PoolMode: ks.Pool.Mode, MaxTransactions: ks.MaxTransactions, Logger: g.log, Locks: g.locks}
}

// checkTwoPhase refuses to start when a keyspace with several shards has a
// Postgres shard that cannot prepare transactions.
func checkTwoPhase(ctx context.Context, vs *router.VSchema, shardMap map[string]map[string]engine.Shard) error {
	for name, ks := range vs.Keyspaces {
		if len(ks.Shards) < 2 {
			continue
		}
		for _, sh := range shardMap[name] {
			if t, ok := sh.(*shards.Tablet); ok {
				if err := t.CheckTwoPhase(ctx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// resolveLoop runs the commit resolver every interval (default 10s).
func resolveLoop(ctx context.Context, c *txn.Coordinator, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Resolve(ctx); err != nil && ctx.Err() == nil {
				log.Warn("commit resolver", "err", err)
			}
		}
	}
}

// Close stops serving and closes the shards.
func (g *gate) Close(ctx context.Context) error {
	if g.stop != nil {
		g.stop()
	}
	if g.server != nil {
		g.server.Shutdown(ctx)
	}
	if g.admin != nil {
		g.admin.Shutdown(ctx)
	}
	for _, t := range g.tablets {
		t.Close()
	}
	for _, t := range g.loginTablets {
		t.Close()
	}
	if g.meta != nil {
		g.meta.Close()
	}
	return nil
}

// txnShards are the coordinator's shards: every tablet, the login roles'
// too (they read the same databases).
func (g *gate) txnShards() []txn.Shard {
	out := make([]txn.Shard, 0, len(g.tablets)+len(g.loginTablets))
	for _, t := range g.tablets {
		out = append(out, t)
	}
	for _, t := range g.loginTablets {
		out = append(out, t)
	}
	return out
}
