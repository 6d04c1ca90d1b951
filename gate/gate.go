// Package gate starts a gate from its config: the shards, the commit
// coordinator, the wire server and the admin HTTP.
package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/shards"
	"github.com/dotdo/vitess/shards/sqlite"
	"github.com/dotdo/vitess/txn"
	"github.com/dotdo/vitess/vtgate"
)

// Gate is a running gate: shards, wire server and admin server.
type Gate struct {
	tablets []*shards.Tablet
	meta    *metastore.Store
	server  *proxy.Server
	admin   *http.Server
	// adminCfg is what the admin HTTP was started with (token, pprof).
	adminCfg  router.AdminConfig
	addr      net.Addr
	adminAddr net.Addr // nil when the admin HTTP is off
	log       *slog.Logger
	locks     *sqlite.LockGraph  // the SQLite shards' transaction locks
	stop      context.CancelFunc // background work (the commit resolver)
	rep       *reporter
	plans     *planMetrics
	planner   *planner.Planner
	coord     *txn.Coordinator

	// loginTablets reach Postgres shards as users' shardUser roles.
	loginTablets []*shards.Tablet
}

// Start opens the shards and starts listening.
func Start(ctx context.Context, cfg *router.Config, log *slog.Logger) (*Gate, error) {
	g := &Gate{log: log, locks: sqlite.NewLockGraph(time.Duration(cfg.Transactions.LockWait))}
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
	visibility := &engine.Visibility{}
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
func (g *Gate) tabletOptions(ks *router.Keyspace) shards.Options {
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
func (g *Gate) Close(ctx context.Context) error {
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
func (g *Gate) txnShards() []txn.Shard {
	out := make([]txn.Shard, 0, len(g.tablets)+len(g.loginTablets))
	for _, t := range g.tablets {
		out = append(out, t)
	}
	for _, t := range g.loginTablets {
		out = append(out, t)
	}
	return out
}

// Addr is the address the wire server listens on.
func (g *Gate) Addr() net.Addr { return g.addr }

// AdminAddr is the admin HTTP's address, nil when it is off.
func (g *Gate) AdminAddr() net.Addr { return g.adminAddr }

// Tablets are the shards' tablets, in keyspace then shard order.
func (g *Gate) Tablets() []*shards.Tablet { return g.tablets }

// Planner is the gate's planner.
func (g *Gate) Planner() *planner.Planner { return g.planner }

// Coordinator is the two-phase commit coordinator (tests set its
// failpoint hooks).
func (g *Gate) Coordinator() *txn.Coordinator { return g.coord }
