package planner

import (
	"context"
	"fmt"
	"strings"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Operator is one node of a plan tree.
type Operator interface {
	// Open starts the operator and returns its output stream.
	Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error)
	// Explain describes the operator and its inputs for EXPLAIN (ROUTE).
	Explain() *ExplainNode
}

// ExplainNode is one line of an EXPLAIN (ROUTE) tree.
type ExplainNode struct {
	Op       string
	Props    []string
	Children []*ExplainNode
}

// Lines renders the tree indented two spaces per level.
func (n *ExplainNode) Lines() []string {
	var out []string
	var walk func(n *ExplainNode, depth int)
	walk = func(n *ExplainNode, depth int) {
		pad := strings.Repeat("  ", depth)
		line := pad + n.Op
		if len(n.Props) > 0 {
			line += " (" + strings.Join(n.Props, ", ") + ")"
		}
		out = append(out, line)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return out
}

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
		return nil, sqltypes.Errorf("08P01", "bind message supplies %d parameters, but prepared statement requires %d", len(args), want)
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
	switch r := p.Root.(type) {
	case *Route:
		return len(r.Keyspace.Shards) > 1 && r.Opcode != SingleShard && r.Opcode != Unsharded && r.Opcode != AnyShard
	case *refWrite:
		return len(r.r.Keyspace.Shards) > 1
	case *InsertSplit:
		return len(r.Lookups) > 0 || len(r.Keyspace.Shards) > 1 && (r.Rows > 1 || r.Table.Type == router.Reference)
	case *LookupDML:
		return true
	}
	return false
}
