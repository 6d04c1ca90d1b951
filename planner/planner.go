package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Planner plans statements for the keyspaces of a vschema.
type Planner struct {
	VSchema *router.VSchema
	Shards  map[string]map[string]Shard // keyspace -> shard name -> shard
	Seq     *router.Sequences

	mu       sync.Mutex
	cache    map[string]*Plan
	colTypes map[string]uint32
}

// New returns a planner.
func New(vs *router.VSchema, shards map[string]map[string]Shard, seq *router.Sequences) *Planner {
	return &Planner{VSchema: vs, Shards: shards, Seq: seq, cache: map[string]*Plan{}, colTypes: map[string]uint32{}}
}

// SessionStmt is a statement the session handles itself.
type SessionStmt struct {
	Node *pg_query.Node
}

// ResetCache drops every cached plan (after DDL).
func (p *Planner) ResetCache() {
	p.mu.Lock()
	p.cache = map[string]*Plan{}
	p.colTypes = map[string]uint32{}
	p.mu.Unlock()
}

func cacheKey(keyspace, sql string, paramOIDs []uint32) string {
	var b strings.Builder
	b.WriteString(keyspace)
	b.WriteByte(0)
	for _, o := range paramOIDs {
		fmt.Fprintf(&b, "%d,", o)
	}
	b.WriteByte(0)
	b.WriteString(sql)
	return b.String()
}

// Plan parses and plans one statement for keyspace. Plans are cached by
// statement text.
func (p *Planner) Plan(ctx context.Context, keyspace, sql string, paramOIDs []uint32) (*Plan, error) {
	key := cacheKey(keyspace, sql, paramOIDs)
	p.mu.Lock()
	pl, ok := p.cache[key]
	p.mu.Unlock()
	if ok {
		return pl, nil
	}
	pl, err := p.build(ctx, keyspace, sql, paramOIDs)
	if err != nil {
		return nil, err
	}
	// A route at the root sends its rows straight to the client.
	if r, ok := pl.Root.(*Route); ok {
		r.Direct = true
	}
	// Like Postgres, a parameter whose type nothing determines is text.
	for i, o := range pl.ParamOIDs {
		if o == 0 {
			pl.ParamOIDs[i] = sqltypes.OIDText
		}
	}
	if pl.Kind == KindQuery && !pl.SchemaChange {
		p.mu.Lock()
		if len(p.cache) > 5000 {
			p.cache = map[string]*Plan{}
		}
		p.cache[key] = pl
		p.mu.Unlock()
	}
	return pl, nil
}

// ParseError converts a pg_query parse error to 42601 with its position.
func ParseError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		e := sqltypes.Errorf("42601", "%s", pe.Message)
		e.Position = int32(pe.Cursorpos)
		return e
	}
	return sqltypes.Errorf("42601", "%s", err.Error())
}

type builder struct {
	p         *Planner
	ctx       context.Context
	ks        *router.Keyspace
	shards    map[string]Shard
	sql       string
	paramOIDs []uint32
}

func (p *Planner) build(ctx context.Context, keyspace, sql string, paramOIDs []uint32) (*Plan, error) {
	ks, ok := p.VSchema.Keyspaces[keyspace]
	if !ok {
		return nil, sqltypes.Errorf("3D000", "database \"%s\" does not exist", keyspace)
	}
	res, err := pg_query.Parse(sql)
	if err != nil {
		return nil, ParseError(err)
	}
	if len(res.Stmts) == 0 {
		return &Plan{Kind: KindSession, Type: "empty", SQL: sql}, nil
	}
	if len(res.Stmts) > 1 {
		return nil, sqltypes.Errorf("42601", "cannot insert multiple commands into a prepared statement")
	}
	b := &builder{p: p, ctx: ctx, ks: ks, shards: p.Shards[keyspace], sql: sql, paramOIDs: paramOIDs}
	return b.statement(res.Stmts[0].Stmt)
}

func (b *builder) statement(n *pg_query.Node) (*Plan, error) {
	switch {
	case n.GetSelectStmt() != nil:
		return b.selectPlan(n)
	case n.GetInsertStmt() != nil:
		return b.insertPlan(n)
	case n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil:
		return b.dmlPlan(n)
	case n.GetCreateStmt() != nil, n.GetDropStmt() != nil, n.GetAlterTableStmt() != nil, n.GetIndexStmt() != nil,
		n.GetTruncateStmt() != nil, n.GetRenameStmt() != nil:
		return b.ddlPlan(n)
	case n.GetExplainStmt() != nil:
		return b.explainPlan(n)
	case n.GetTransactionStmt() != nil, n.GetVariableSetStmt() != nil, n.GetVariableShowStmt() != nil,
		n.GetDiscardStmt() != nil, n.GetDeallocateStmt() != nil:
		return &Plan{Kind: KindSession, Type: "session", SQL: b.sql, Session: &SessionStmt{Node: n}}, nil
	}
	return nil, unsupported("statement not supported by the gate: %s", nodeName(n))
}

func nodeName(n *pg_query.Node) string {
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return name
}

// firstShard is the shard used for describing statements.
func (b *builder) firstShard() Shard { return b.shards[b.ks.Shards[0]] }

func (b *builder) describe(sql string) ([]uint32, []sqltypes.Field, error) {
	return b.firstShard().Describe(b.ctx, sql, b.paramOIDs)
}

// colType is the type of a table column, asked of a shard once and cached.
func (b *builder) colType(table, col string) (uint32, error) {
	key := b.ks.Name + "." + table + "." + col
	b.p.mu.Lock()
	oid, ok := b.p.colTypes[key]
	b.p.mu.Unlock()
	if ok {
		return oid, nil
	}
	_, fields, err := b.firstShard().Describe(b.ctx, fmt.Sprintf("SELECT %s FROM %s", quoteIdent(col), quoteIdent(table)), nil)
	if err != nil {
		return 0, err
	}
	if len(fields) != 1 {
		return 0, fmt.Errorf("describe %s.%s: got %d columns", table, col, len(fields))
	}
	b.p.mu.Lock()
	b.p.colTypes[key] = fields[0].OID
	b.p.mu.Unlock()
	return fields[0].OID, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// route returns a Route for this keyspace with the statement's SQL.
func (b *builder) route(op Opcode, sql string) *Route {
	return &Route{Opcode: op, Keyspace: b.ks, Shards: b.shards, SQL: sql}
}

// describedRoute is a route running the client's statement unchanged, with
// its parameter and result types asked of a shard.
func (b *builder) describedRoute(op Opcode) (*Route, []uint32, error) {
	params, fields, err := b.describe(b.sql)
	if err != nil {
		return nil, nil, err
	}
	r := b.route(op, b.sql)
	r.Fields = fields
	r.EmptyTag = emptyTag(b.sql, fields)
	return r, params, nil
}

// passthrough plans a statement that runs unchanged on one route.
func (b *builder) passthrough(typ string, op Opcode) (*Plan, error) {
	r, params, err := b.describedRoute(op)
	if err != nil {
		return nil, err
	}
	return &Plan{Type: typ, Root: r, Fields: r.Fields, ParamOIDs: params, SQL: b.sql}, nil
}

// emptyTag guesses the command tag for a statement no shard ran.
func emptyTag(sql string, fields []sqltypes.Field) string {
	w := strings.ToUpper(strings.Fields(strings.TrimSpace(sql) + " x")[0])
	switch w {
	case "INSERT":
		return "INSERT 0 0"
	case "UPDATE", "DELETE":
		return w + " 0"
	}
	return "SELECT 0"
}
