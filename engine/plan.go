package engine

import (
	"context"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/sqltypes"
)

// Kind says what a plan does, for the session and for EXPLAIN.
type Kind int

const (
	// KindQuery plans run through their operator tree.
	KindQuery Kind = iota
	// KindSession statements (BEGIN, COMMIT, SET, SHOW ...) are handled by the session.
	KindSession
)

// Plan is a prepared statement's plan.
type Plan struct {
	Kind      Kind
	Type      string // single_shard, multi_shard, scatter, scatter_aggregate, unsharded, reference, insert, ddl, ...
	Root      Operator
	Fields    []sqltypes.Field // nil when the statement returns no rows
	ParamOIDs []uint32
	SQL       string
	// Session is set for KindSession plans.
	Session *SessionStmt
	// SchemaChange is true for DDL: cached plans must be dropped after it runs.
	SchemaChange bool
	// Writes names the command when the statement changes data or schema
	// ("INSERT", "CREATE TABLE", ...): a read-only transaction refuses it.
	Writes string
	// Locks is true for SELECT ... FOR UPDATE/SHARE.
	Locks bool
	// Pins is true for statements that leave state on the backend
	// connection; in transaction pool mode the session keeps its backends.
	Pins bool
	// Foreign names the keyspace the plan runs in when the statement named
	// another keyspace's tables (keyspace.table).
	Foreign string
}

// Execute runs the plan.
func (p *Plan) Execute(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	if p.Root == nil {
		return nil, fmt.Errorf("plan %s has no operator tree", p.Type)
	}
	if want := len(p.ParamOIDs); len(args) < want {
		return nil, sqltypes.Errorf(sqltypes.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(args), want)
	}
	if p.Foreign != "" {
		env = EnvIn(env, p.Foreign)
	}
	return p.Root.Open(ctx, env, args)
}

// PassesThrough reports whether the plan sends the client's statement to
// its shards unchanged and returns their rows as they are.
func (p *Plan) PassesThrough() bool {
	r, ok := p.Root.(*Route)
	return ok && p.Kind == KindQuery && r.Passthrough && r.Direct
}

// Explain renders the plan as EXPLAIN (ROUTE) rows.
func (p *Plan) Explain() []string {
	lines := []string{"Plan: " + p.Type}
	if p.Root != nil {
		lines = append(lines, p.Root.Explain().Lines()...)
	}
	return lines
}

// MayWriteSeveralShards reports whether running the plan may change rows
// on more than one shard: such a write outside a transaction must commit
// atomically (the session wraps it in one).
func (p *Plan) MayWriteSeveralShards() bool {
	if p.Writes == "" || p.SchemaChange {
		return false
	}
	several := false
	Walk(p.Root, func(op Operator) bool {
		w, ok := op.(ShardWriter)
		if ok {
			several = w.MayWriteSeveralShards()
		}
		return !ok
	})
	return several
}

// ShardWriter is an operator that changes rows on shards: it tells whether
// it may change them on more than one. The first one a walk from the root
// meets speaks for the plan.
type ShardWriter interface {
	MayWriteSeveralShards() bool
}

// SessionStmt is a statement the session handles itself.
type SessionStmt struct {
	Node *pg_query.Node
}
