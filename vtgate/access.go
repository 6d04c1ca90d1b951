package vtgate

import (
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
)

const codeInsufficientPrivilege = sqltypes.InsufficientPrivilege

// accessFor is the user's rights: Gate.Access's answer, or everything when
// the gate has no users (trust: any client may claim any name).
func (g *Executor) accessFor(user string) *engine.Access {
	if g.Access == nil {
		return engine.FullAccess
	}
	if a := g.Access(user); a != nil {
		return a
	}
	return engine.FullAccess
}

// errNoConnect is Postgres's refusal of a database the role may not
// connect to.
func errNoConnect(keyspace string) error {
	return &pgconn.PgError{Severity: "FATAL", Code: codeInsufficientPrivilege,
		Message: `permission denied for database "` + keyspace + `"`, Detail: "User does not have CONNECT privilege."}
}

// Access implements engine.AccessEnv: the planner refuses what the
// session's user may not touch.
func (s *session) Access() *engine.Access { return s.access }

// mayRelay reports whether a relayed session (the client's protocol passed
// to the shard unread) is safe for the user: not when the keyspace holds
// lookup vindex tables the user may not change, since nothing would read
// the statements that change them.
func (g *Executor) mayRelay(ks *router.Keyspace, acc *engine.Access) bool {
	if acc.Admin {
		return true
	}
	for _, other := range g.Planner.VSchema.Keyspaces {
		for _, t := range other.Tables() {
			for _, l := range t.Lookups {
				if l.Keyspace == ks.Name {
					return false
				}
			}
		}
	}
	return true
}

// shardsFor is the shards the user's sessions use.
func (g *Executor) shardsFor(user string) map[string]map[string]engine.Shard {
	if g.ShardsFor != nil {
		if m := g.ShardsFor(user); m != nil {
			return m
		}
	}
	return g.Shards
}
