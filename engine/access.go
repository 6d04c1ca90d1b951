package engine

// Access is what one gate user may reach: the keyspaces it may name and
// whether it may change lookup vindex tables. The gate's own tables
// (_vt_*) and a SQLite shard's internals are refused to everyone.
type Access struct {
	// Keyspaces the user may connect to or name as keyspace.table; nil
	// means every keyspace.
	Keyspaces map[string]bool
	// Admin users may change lookup vindex tables (to repair them).
	Admin bool
}

// MayUse reports whether the user may use keyspace ks.
func (a *Access) MayUse(ks string) bool { return a.Keyspaces == nil || a.Keyspaces[ks] }

// AccessEnv is an Env that knows its user's rights; an Env without it (an
// embedded caller) has FullAccess.
type AccessEnv interface {
	Access() *Access
}

func AccessOf(env Env) *Access {
	if e, ok := env.(AccessEnv); ok && e.Access() != nil {
		return e.Access()
	}
	return FullAccess
}

// FullAccess is a user with every right: an embedded caller, or any client
// when the gate has no users (trust: clients are not told apart).
var FullAccess = &Access{Admin: true}

// Access carries the user's rights into another keyspace's view of env.
func (e keyspaceEnv) Access() *Access { return AccessOf(e.Env) }

// Access carries the user's rights into a refusing view of env.
func (e refusingEnv) Access() *Access { return AccessOf(e.Env) }
