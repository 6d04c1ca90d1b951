package vtgate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
)

// DefaultQueryMemory bounds what the gate holds for one statement when the
// config names no limits.queryMemory.
const DefaultQueryMemory = 256 << 20

// durationDefaults are the Defaults whose values must be times.
var durationDefaults = map[string]bool{"statement_timeout": true, "idle_session_timeout": true, "idle_in_transaction_session_timeout": true, "lock_timeout": true}

// CheckDefaults refuses a Defaults entry the gate could not apply: a time
// setting that is not a Postgres time ("30s", "10min", "500ms", "0").
func (g *Executor) CheckDefaults() error {
	for k, v := range g.Defaults {
		if durationDefaults[strings.ToLower(k)] {
			if _, ok := parseDuration(v); !ok {
				return fmt.Errorf("defaults.%s: %q is not a time (write it as in Postgres: 30s, 10min, 500ms)", k, v)
			}
		}
	}
	return nil
}

// withDefaults returns the startup parameters with the configured defaults
// under them: a parameter the client sent, itself or in options=-c, wins.
func (g *Executor) withDefaults(params map[string]string) map[string]string {
	if len(g.Defaults) == 0 {
		return params
	}
	out := make(map[string]string, len(params)+len(g.Defaults))
	set := map[string]bool{}
	for k, v := range params {
		out[k] = v
		set[strings.ToLower(k)] = true
	}
	for k := range parseOptions(params["options"]) {
		set[strings.ToLower(k)] = true
	}
	for k, v := range g.Defaults {
		if !set[strings.ToLower(k)] {
			out[strings.ToLower(k)] = v
		}
	}
	return out
}

// withQueryMemory gives a statement its own memory budget.
func (g *Executor) withQueryMemory(ctx context.Context) context.Context {
	limit := g.QueryMemory
	if limit <= 0 {
		limit = DefaultQueryMemory
	}
	return sqltypes.WithMemoryLimit(ctx, limit)
}

// IdleSessionTimeout is the client's idle_session_timeout (0: none); the
// wire server ends a session idle outside a transaction for longer.
func (s *session) IdleSessionTimeout() time.Duration {
	return s.durationSetting("idle_session_timeout")
}

// shardSettingsLocked is the client's settings as the shards get them.
func (s *session) shardSettingsLocked() *sqltypes.Settings {
	if s.shardFrom != s.settings || s.shardSettings == nil {
		st := s.settings
		for name := range planner.GateEnforced {
			if _, ok := st.Get(name); ok {
				st = st.Without(name)
			}
		}
		s.shardSettings, s.shardFrom = st, s.settings
	}
	return s.shardSettings
}

// setGateSetting checks a SET of a gate setting itself (the shards never
// see it) and forwards any other. A RESET of a setting the session started
// with (a startup parameter or the config's defaults) sets the backends to
// that value: theirs would be the shard's own default.
func (s *session) setGateSetting(ctx context.Context, name, val, sql string, local, reset bool) error {
	if !planner.GateEnforced[name] {
		if reset {
			s.mu.Lock()
			v, ok := s.startup.Get(name)
			s.mu.Unlock()
			if ok {
				sql = "SELECT pg_catalog.set_config(" + sqltypes.QuoteLiteral(name) + ", " + sqltypes.QuoteLiteral(v) + ", " + strconv.FormatBool(local) + ")"
			}
		}
		return s.forwardSet(ctx, sql, local)
	}
	if _, ok := parseDuration(val); !ok && val != "" {
		return sqltypes.Errorf(sqltypes.InvalidParameterValue, "invalid value for parameter \"%s\": \"%s\"", name, val)
	}
	return nil
}
