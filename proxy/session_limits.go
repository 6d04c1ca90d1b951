package proxy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dotdo/vitess/sqltypes"
)

// DefaultQueryMemory bounds what the gate holds for one statement when the
// config names no limits.queryMemory.
const DefaultQueryMemory = 256 << 20

// durationDefaults are the Defaults whose values must be times.
var durationDefaults = map[string]bool{"statement_timeout": true, "idle_session_timeout": true, "idle_in_transaction_session_timeout": true, "lock_timeout": true}

// CheckDefaults refuses a Defaults entry the gate could not apply: a time
// setting that is not a Postgres time ("30s", "10min", "500ms", "0").
func (g *Gate) CheckDefaults() error {
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
func (g *Gate) withDefaults(params map[string]string) map[string]string {
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
func (g *Gate) withQueryMemory(ctx context.Context) context.Context {
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
