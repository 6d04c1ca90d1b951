package vtgate

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/sqltypes"
)

// Executor is the gate-side state every session shares: the planner and the
// shards of each keyspace.
type Executor struct {
	Planner *planner.Planner
	Shards  map[string]map[string]engine.Shard
	// Coordinator commits transactions that touched several shards
	// (two-phase commit, txn.Coordinator); without it they are refused.
	Coordinator engine.Committer
	// Reporter answers SHOW vitess_status, vitess_shards, vitess_vschema.
	Reporter Reporter
	// Observe, when set, is told each planned statement's plan type, the
	// time to its answer (its first row for a stream) and whether it failed.
	Observe func(planType string, d time.Duration, failed bool)
	// Visibility is held by the coordinator's phase twos and by each
	// scatter read outside a transaction while it starts its shard
	// queries, so that such a read sees a multi-shard commit on all of its
	// shards or on none.
	Visibility *engine.Visibility
	// Defaults are the settings every session starts with, below its
	// startup parameters (statement_timeout, idle_session_timeout ...).
	Defaults map[string]string
	// QueryMemory bounds the bytes the gate holds for one statement
	// (0: DefaultQueryMemory); see sqltypes.WithMemoryLimit.
	QueryMemory int64
	// Access, when set, gives a user's rights (nil for a user it does not
	// restrict); unset, every user may do everything (trust).
	Access func(user string) *engine.Access
	// ShardsFor, when set, gives the shards a user's sessions use (their
	// Postgres shards reached as the user's own shard role); nil or a nil
	// answer: Shards.
	ShardsFor func(user string) map[string]map[string]engine.Shard
}

// Pool modes (per keyspace, like PgBouncer's).
const (
	// PoolSession gives each client its own backend connection on every
	// shard it uses, for its whole life: everything behaves as on Postgres.
	PoolSession = "session"
	// PoolTransaction shares backends between transactions; the client's
	// settings are applied before each use.
	PoolTransaction = "transaction"
)

// NewSession is the SessionFactory: the database name picks the keyspace.
func (g *Executor) NewSession(ctx context.Context, info proxy.StartupInfo) (proxy.Session, error) {
	name := info.Database
	if name == "" {
		name = info.User
	}
	acc := g.accessFor(info.User)
	ks, ok := g.Planner.VSchema.Keyspaces[name]
	if !ok {
		var names []string
		for n := range g.Planner.VSchema.Keyspaces {
			if acc.MayUse(n) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		return nil, sqltypes.Errorf(sqltypes.InvalidCatalogName, "database \"%s\" does not exist (keyspaces: %s)", name, strings.Join(names, ", "))
	}
	if !acc.MayUse(name) {
		return nil, errNoConnect(name)
	}
	if err := checkStartupReading(info.Params); err != nil {
		return nil, err
	}
	s := &session{id: sqltypes.NewTxOwner(), gate: g, keyspace: name, cache: g.Planner.NewCache(), changed: map[string]string{},
		mode: ks.Pool.Mode, reserved: map[string]engine.Reserved{}, access: acc, shards: g.shardsFor(info.User)}
	if s.mode == "" {
		s.mode = PoolSession
	}
	for _, sh := range s.shards[name] {
		if engine.IsPostgresShard(sh) {
			s.forward = true
		} else {
			s.embedded = true
		}
	}
	params := g.withDefaults(info.Params)
	s.startup = startupSettings(params)
	s.settings = s.startup
	if app := params["application_name"]; app != "" {
		s.changed["application_name"] = app
	}
	if d := relayDialer(ks, s.mode, s.shards); d != nil && g.mayRelay(ks, acc) {
		return newRelay(ctx, s, d, params) // see relay.go
	}
	return s, nil
}

// startupSettings keeps the startup parameters a Postgres session would
// apply (DateStyle, TimeZone, application_name, options=-c name=value ...),
// so that they reach the shard sessions.
func startupSettings(params map[string]string) *sqltypes.Settings {
	s := &sqltypes.Settings{}
	for k, v := range params {
		switch strings.ToLower(k) {
		case "user", "database", "client_encoding", "replication", "options", "fallback_application_name":
			continue
		}
		s = s.With(k, v, "")
	}
	for k, v := range parseOptions(params["options"]) {
		s = s.With(k, v, "")
	}
	return s
}

// parseOptions reads "-c name=value --name=value" from the options startup
// parameter (backslash escapes a space).
func parseOptions(opts string) map[string]string {
	var words []string
	var cur strings.Builder
	esc := false
	for _, r := range opts {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t':
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	out := map[string]string{}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-c" && i+1 < len(words):
			i++
			w = words[i]
		case strings.HasPrefix(w, "--"):
			w = w[2:]
		case strings.HasPrefix(w, "-c"):
			w = w[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(w, "="); ok {
			out[strings.ReplaceAll(k, "-", "_")] = v
		}
	}
	return out
}
