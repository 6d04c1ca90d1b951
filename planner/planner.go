package planner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Planner plans statements for the keyspaces of a vschema.
type Planner struct {
	VSchema *router.VSchema
	Shards  map[string]map[string]engine.Shard // keyspace -> shard name -> shard
	Seq     engine.Sequencer
	// UnsoundOuterJoins turns off the preserved-side rule of outer joins.
	// Only the differential hunter's self-test sets it, to show that the
	// hunter finds the wrong answers the rule prevents.
	UnsoundOuterJoins atomic.Bool

	gen        atomic.Uint64 // bumped by every schema change
	mu         sync.Mutex
	colTypes   map[string]uint32
	textOrders map[string]textOrder // by keyspace
}

// New returns a planner.
func New(vs *router.VSchema, shards map[string]map[string]engine.Shard, seq engine.Sequencer) *Planner {
	return &Planner{VSchema: vs, Shards: shards, Seq: seq, colTypes: map[string]uint32{}, textOrders: map[string]textOrder{}}
}

// SchemaChanged invalidates every cache after DDL.
func (p *Planner) SchemaChanged() {
	p.mu.Lock()
	p.colTypes = map[string]uint32{}
	p.mu.Unlock()
	p.gen.Add(1)
}

// Cache holds one session's plans by statement text. Plans are per session
// because they are described on the session's own connections (a temp table
// is visible only there); DDL through the gate invalidates them.
type Cache struct {
	p   *Planner
	gen uint64
	m   map[string]*engine.Plan
}

// MaxCachedPlans bounds a session's plan cache; statements longer than
// maxCachedSQL (bulk INSERTs) are not cached.
const (
	MaxCachedPlans = 1000
	maxCachedSQL   = 8 << 10
)

// NewCache returns an empty plan cache.
func (p *Planner) NewCache() *Cache { return &Cache{p: p, m: map[string]*engine.Plan{}} }

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

// Plan returns the cached plan for the statement, planning it on a miss.
func (c *Cache) Plan(ctx context.Context, env engine.Env, keyspace, sql string, paramOIDs []uint32) (*engine.Plan, error) {
	if g := c.p.gen.Load(); g != c.gen {
		c.m, c.gen = map[string]*engine.Plan{}, g
	}
	key := cacheKey(keyspace, sql, paramOIDs)
	if pl, ok := c.m[key]; ok {
		return pl, nil
	}
	pl, err := c.p.Plan(ctx, env, keyspace, sql, paramOIDs)
	if err != nil {
		return nil, err
	}
	if cacheable(pl) && len(sql) <= maxCachedSQL {
		if len(c.m) >= MaxCachedPlans {
			c.m = map[string]*engine.Plan{}
		}
		c.m[key] = pl
	}
	return pl, nil
}

// cacheable reports whether a plan may serve the same text again: queries
// but DDL, and transaction control (BEGIN and COMMIT of every transaction
// would be parsed again each time); other session statements are left to
// the parser, their handling reads the session's state.
func cacheable(pl *engine.Plan) bool {
	if pl.Kind == engine.KindSession {
		return pl.Session != nil && pl.Session.Node.GetTransactionStmt() != nil
	}
	return pl.Kind == engine.KindQuery && !pl.SchemaChange
}

// Plan parses and plans one statement for keyspace. env, when not nil, is
// the session the statement is described in.
func (p *Planner) Plan(ctx context.Context, env engine.Env, keyspace, sql string, paramOIDs []uint32) (*engine.Plan, error) {
	pl, err := p.build(ctx, env, keyspace, sql, paramOIDs)
	if err != nil {
		return nil, err
	}
	// A route at the root sends its rows straight to the client.
	if r, ok := pl.Root.(*engine.Route); ok {
		r.Direct = true
	}
	// Like Postgres, a parameter whose type nothing determines is text.
	for i, o := range pl.ParamOIDs {
		if o == 0 {
			pl.ParamOIDs[i] = sqltypes.OIDText
		}
	}
	return pl, nil
}

// ParseError converts a pg_query parse error to 42601 with its position.
func ParseError(err error) error {
	if pe := sqltypes.AsParseError(err); pe != nil {
		return pe
	}
	return sqltypes.Errorf(sqltypes.SyntaxError, "%s", err.Error())
}

type builder struct {
	p         *Planner
	env       engine.Env
	ctx       context.Context
	ks        *router.Keyspace
	shards    map[string]engine.Shard
	sql       string
	paramOIDs []uint32
	// rewritten: sql is not the client's text (keyspace qualifiers removed).
	rewritten bool
	// foreign is the keyspace the statement runs in when it is not the
	// session's.
	foreign string
}

func (p *Planner) build(ctx context.Context, env engine.Env, keyspace, sql string, paramOIDs []uint32) (*engine.Plan, error) {
	ks, ok := p.VSchema.Keyspaces[keyspace]
	if !ok {
		return nil, sqltypes.Errorf(sqltypes.InvalidCatalogName, "database \"%s\" does not exist", keyspace)
	}
	b := &builder{p: p, env: env, ctx: ctx, ks: ks, shards: p.Shards[keyspace], sql: sql, paramOIDs: paramOIDs}
	native := !ks.Sharded && b.isPostgres(ks.Shards[0])
	if !native {
		// Read literals as the PostgreSQL 15 the gate reports (E'\v' is v),
		// so values route where the shards store them.
		text, err := sqltypes.PG15Text(sql)
		if err != nil {
			return nil, err
		}
		if text != sql {
			b.sql, b.rewritten = text, true
		}
	}
	if err := sqltypes.CheckDepth(b.sql); err != nil {
		return nil, err
	}
	res, err := pg_query.Parse(b.sql)
	if err != nil {
		if isExplainRoute(sql) {
			// EXPLAIN (ROUTE) of what Postgres cannot EXPLAIN (COPY).
			return b.explainRoute()
		}
		if native && (engine.AccessOf(env).Admin || len(b.lookupTables()) == 0) {
			// A grammar this parser does not know may be the server's: let
			// the shard answer (unless it could be a change of a lookup
			// table the gate has not seen).
			return b.native(nil)
		}
		if err := b.checkSQLiteCommand(sql); err != nil {
			return nil, err
		}
		return nil, ParseError(err)
	}
	if len(res.Stmts) == 0 {
		return &engine.Plan{Kind: engine.KindSession, Type: "empty", SQL: sql}, nil
	}
	if len(res.Stmts) > 1 {
		return nil, sqltypes.Errorf(sqltypes.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	n := res.Stmts[0].Stmt
	if vs := n.GetVariableShowStmt(); vs != nil && IsGateSetting(vs.Name) {
		// The gate's own status, on every keyspace.
		return &engine.Plan{Kind: engine.KindSession, Type: "session", SQL: sql, Session: &engine.SessionStmt{Node: n}}, nil
	}
	acc, names := engine.AccessOf(env), scanNames(n)
	if err := b.checkKeyspaces(names, acc); err != nil {
		return nil, err
	}
	other, text, err := b.otherKeyspace(n)
	if err != nil {
		return nil, err
	}
	if other != "" {
		b.sql, b.rewritten = text, true
		if other != keyspace {
			b.ks, b.shards, b.foreign = p.VSchema.Keyspaces[other], p.Shards[other], other
			if env != nil {
				b.env = engine.EnvIn(env, other)
			}
			native = !b.ks.Sharded && b.isPostgres(b.ks.Shards[0])
		}
	}
	if err := b.checkOwnTables(n, names, acc); err != nil {
		return nil, err
	}
	var pl *engine.Plan
	if native {
		pl, err = b.native(n)
	} else {
		pl, err = b.statement(n)
	}
	if err != nil {
		return nil, err
	}
	pl.Foreign = b.foreign
	pl.Pins = pinsSession(n)
	pl.Writes = writeCommand(n)
	pl.Locks = len(n.GetSelectStmt().GetLockingClause()) > 0
	return pl, nil
}

// writeCommand names the command of a statement that changes data or
// schema, as Postgres names it in "cannot execute %s in a read-only
// transaction"; "" for reads.
func writeCommand(n *pg_query.Node) string {
	switch {
	case n.GetInsertStmt() != nil:
		return "INSERT"
	case n.GetUpdateStmt() != nil:
		return "UPDATE"
	case n.GetDeleteStmt() != nil:
		return "DELETE"
	case n.GetMergeStmt() != nil:
		return "MERGE"
	case n.GetTruncateStmt() != nil:
		return "TRUNCATE TABLE"
	case n.GetCopyStmt() != nil:
		if n.GetCopyStmt().IsFrom {
			return "COPY FROM"
		}
	case n.GetCreateStmt() != nil:
		return "CREATE TABLE"
	case n.GetCreateTableAsStmt() != nil:
		return "CREATE TABLE AS"
	case n.GetIndexStmt() != nil:
		return "CREATE INDEX"
	case n.GetAlterTableStmt() != nil:
		return "ALTER TABLE"
	case n.GetDropStmt() != nil:
		return "DROP"
	case n.GetCreateSeqStmt() != nil:
		return "CREATE SEQUENCE"
	case n.GetViewStmt() != nil:
		return "CREATE VIEW"
	}
	if s := n.GetSelectStmt(); s != nil && s.WithClause != nil {
		for _, cte := range s.WithClause.Ctes {
			if q := cte.GetCommonTableExpr().GetCtequery(); q != nil {
				if w := writeCommand(q); w != "" {
					return w
				}
			}
		}
	}
	return ""
}

// GateEnforced are the client settings the gate enforces itself and keeps
// from the shards (SHOW answers them at the gate): an idle_session_timeout
// on a pooled or a second backend would have Postgres end connections the
// gate still counts on (its backends idle while the client works on
// another shard).
var GateEnforced = map[string]bool{"idle_session_timeout": true}

// IsGateSetting reports the names SHOW answers from the gate itself
// (vitess_status, vitess_shards, vitess_vschema).
func IsGateSetting(name string) bool {
	return len(name) > len("vitess_") && strings.EqualFold(name[:len("vitess_")], "vitess_")
}

// NormalizesLiterals reports whether simple-protocol statements of the
// keyspace may be planned with their literals as parameters: only when
// every shard is PostgreSQL, which types a parameter from the literal types
// the gate gives it (LiteralOIDs); SQLite shards infer result types from
// the statement text, where a parameter has none.
func (p *Planner) NormalizesLiterals(keyspace string) bool {
	ks, ok := p.VSchema.Keyspaces[keyspace]
	if !ok {
		return false
	}
	for _, s := range ks.Shards {
		if !engine.IsPostgresShard(p.Shards[keyspace][s]) {
			return false
		}
	}
	return true
}

// isPostgres reports whether a shard is a PostgreSQL server.
func (b *builder) isPostgres(shard string) bool {
	return engine.IsPostgresShard(b.shards[shard])
}

// native plans a statement for an unsharded keyspace on a PostgreSQL shard:
// it goes to the shard as the client wrote it. Only transaction control and
// settings stay with the session, which must track them.
func (b *builder) native(n *pg_query.Node) (*engine.Plan, error) {
	if n != nil && (n.GetTransactionStmt() != nil || n.GetVariableSetStmt() != nil || n.GetDiscardStmt() != nil) {
		return &engine.Plan{Kind: engine.KindSession, Type: "session", SQL: b.sql, Session: &engine.SessionStmt{Node: n}}, nil
	}
	if n != nil && n.GetCopyStmt() != nil {
		return b.nativeCopy(n)
	}
	if n != nil && n.GetExplainStmt() != nil {
		for _, o := range n.GetExplainStmt().Options {
			if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, "route") {
				return b.explainPlan(n)
			}
		}
	}
	pl, err := b.passthrough("unsharded", engine.Unsharded)
	if err != nil {
		return nil, err
	}
	if n == nil || !(n.GetSelectStmt() != nil || n.GetInsertStmt() != nil || n.GetUpdateStmt() != nil || n.GetDeleteStmt() != nil) {
		pl.SchemaChange = true // a utility statement may change what later plans describe
	}
	return pl, nil
}

// pinsSession reports statements that leave state on the backend connection
// (temp tables, LISTEN, SQL PREPARE, session advisory locks, WITH HOLD
// cursors): in transaction pool mode the client then keeps its backends.
func pinsSession(n *pg_query.Node) bool {
	switch {
	case n.GetListenStmt() != nil, n.GetPrepareStmt() != nil:
		return true
	case n.GetCreateStmt() != nil:
		return n.GetCreateStmt().Relation.GetRelpersistence() == "t"
	case n.GetCreateTableAsStmt() != nil:
		return n.GetCreateTableAsStmt().GetInto().GetRel().GetRelpersistence() == "t"
	case n.GetDeclareCursorStmt() != nil:
		return n.GetDeclareCursorStmt().Options&0x0020 != 0 // CURSOR_OPT_HOLD
	}
	pins := false
	pgast.Walk(n, func(m proto.Message) bool {
		if fc, ok := m.(*pg_query.FuncCall); ok {
			switch funcName(fc) {
			case "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared":
				pins = true
			}
		}
		return !pins
	})
	return pins
}

func (b *builder) statement(n *pg_query.Node) (*engine.Plan, error) {
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
	case n.GetCopyStmt() != nil, n.GetVacuumStmt() != nil:
		return b.copyPlan(n)
	case n.GetVariableShowStmt() != nil && b.isPostgres(b.ks.Shards[0]) && !GateEnforced[strings.ToLower(n.GetVariableShowStmt().Name)]:
		// Postgres answers SHOW itself, with the client's settings applied.
		return b.passthrough("any_shard", engine.AnyShard)
	case n.GetTransactionStmt() != nil, n.GetVariableSetStmt() != nil, n.GetVariableShowStmt() != nil,
		n.GetDiscardStmt() != nil, n.GetDeallocateStmt() != nil,
		n.GetDeclareCursorStmt() != nil, n.GetFetchStmt() != nil, n.GetClosePortalStmt() != nil:
		return &engine.Plan{Kind: engine.KindSession, Type: "session", SQL: b.sql, Session: &engine.SessionStmt{Node: n}}, nil
	}
	return nil, unsupported("statement not supported by the gate: %s", nodeName(n))
}

func nodeName(n *pg_query.Node) string {
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return name
}

// firstShard is the shard used for describing statements.
func (b *builder) firstShard() engine.Shard { return b.shards[b.ks.Shards[0]] }

// describe asks the first shard for a statement's types, on the session's
// own connection when there is a session.
func (b *builder) describe(sql string) ([]uint32, []sqltypes.Field, error) {
	return b.describeOn(sql, b.paramOIDs)
}

// describeOn describes sql with the given parameter types on the
// session's describing connection (DescribeEnv) when there is a session.
func (b *builder) describeOn(sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if b.env != nil {
		conn := b.env.Conn
		if dc, ok := b.env.(engine.DescribeEnv); ok {
			conn = dc.DescribeConn
		}
		c, err := conn(b.ctx, b.ks.Shards[0])
		if err != nil {
			return nil, nil, err
		}
		if d, ok := c.(engine.Describer); ok {
			return d.Describe(b.ctx, sql, paramOIDs)
		}
	}
	return b.firstShard().Describe(b.ctx, sql, paramOIDs)
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
	_, fields, err := b.sessionDescribe(fmt.Sprintf("SELECT %s FROM %s", sqltypes.QuoteIdent(col), sqltypes.QuoteIdent(table)))
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

// route returns a Route for this keyspace with the statement's SQL.
func (b *builder) route(op engine.Opcode, sql string) *engine.Route {
	return &engine.Route{Opcode: op, Keyspace: b.ks, Shards: b.shards, SQL: sql}
}

// describedRoute is a route running the client's statement unchanged, with
// its parameter and result types asked of a shard.
func (b *builder) describedRoute(op engine.Opcode) (*engine.Route, []uint32, error) {
	params, fields, err := b.describe(b.sql)
	if err != nil {
		return nil, nil, err
	}
	r := b.route(op, b.sql)
	r.Fields = fields
	r.EmptyTag = emptyTag(b.sql, fields)
	r.Passthrough = !b.rewritten
	return r, params, nil
}

// passthrough plans a statement that runs unchanged on one route.
func (b *builder) passthrough(typ string, op engine.Opcode) (*engine.Plan, error) {
	r, params, err := b.describedRoute(op)
	if err != nil {
		return nil, err
	}
	return &engine.Plan{Type: typ, Root: r, Fields: r.Fields, ParamOIDs: params, SQL: b.sql}, nil
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
