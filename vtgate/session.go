package vtgate

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

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
	// (two-phase commit, shards.Coordinator); without it they are refused.
	Coordinator Committer
	// Reporter answers SHOW vitess_status, vitess_shards, vitess_vschema.
	Reporter Reporter
	// Observe, when set, is told each planned statement's plan type, the
	// time to its answer (its first row for a stream) and whether it failed.
	Observe func(planType string, d time.Duration, failed bool)
	// Visibility is held for writing by the coordinator's phase two and
	// for reading while a scatter read outside a transaction starts its
	// shard queries, so that such a read sees a multi-shard commit on all
	// of its shards or on none.
	Visibility *sync.RWMutex
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

// Committer commits the shard transactions of one client transaction.
type Committer interface {
	Commit(ctx context.Context, parts []engine.Participant) error
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
		return nil, sqltypes.Errorf("3D000", "database \"%s\" does not exist (keyspaces: %s)", name, strings.Join(names, ", "))
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
		if isPostgres(sh) {
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

func isPostgres(c any) bool {
	e, ok := c.(interface{ Engine() string })
	return ok && e.Engine() == "postgres"
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

// session is one client's state: its keyspace, settings, plan cache, the
// backend connections it holds and its open transaction (one shard
// transaction per shard touched, opened lazily).
type session struct {
	gate     *Executor
	keyspace string
	access   *engine.Access // what the user may touch
	shards   map[string]map[string]engine.Shard
	cache    *planner.Cache
	mode     string
	forward  bool // the keyspace has Postgres shards: SET goes to them
	embedded bool // the keyspace has SQLite shards: the gate enforces READ ONLY

	id        uint64 // for the shards' deadlock detection
	mu        sync.Mutex
	inTx      bool
	failed    bool
	pinned    bool // transaction mode, but the client keeps its backends
	txs       map[string]engine.Tx
	txLocal   []string // SET LOCAL statements of the open transaction
	txOpts    txOptions
	spoints   []string // the open transaction's savepoints, oldest first
	cursors   map[string]*cursor
	cursorSeq int
	reserved  map[string]engine.Reserved
	startup   *sqltypes.Settings
	settings  *sqltypes.Settings
	changed   map[string]string
	// shardSettings is settings without what the gate enforces itself
	// (gateSettings), computed when settings change.
	shardSettings, shardFrom *sqltypes.Settings
}

func (s *session) TxStatus() byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failed:
		return 'E'
	case s.inTx:
		return 'T'
	}
	return 'I'
}

func (s *session) ParameterStatus() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.changed) == 0 {
		return nil
	}
	out := s.changed
	s.changed = map[string]string{}
	return out
}

func (s *session) Close() {
	s.closeAllCursors()
	s.mu.Lock()
	txs, reserved := s.txs, s.reserved
	s.txs, s.inTx, s.failed, s.reserved = nil, false, false, nil
	s.mu.Unlock()
	rollbackAll(txs)
	for _, r := range reserved {
		r.Release()
	}
}

// keepsBackends reports whether the client holds its backend connections
// between statements.
func (s *session) keepsBackends() bool { return s.mode != PoolTransaction || s.pinned }

// withSettings gives the shards the client's settings.
func (s *session) withSettings(ctx context.Context) context.Context {
	s.mu.Lock()
	st := s.shardSettingsLocked()
	s.mu.Unlock()
	return sqltypes.WithSettings(ctx, st)
}

// Conn implements engine.Env: inside a transaction, the transaction's
// connection to the shard (joining the shard to it if need be).
func (s *session) Conn(ctx context.Context, shard string) (engine.Conn, error) {
	return s.conn(ctx, s.keyspace, shard, true)
}

// ConnIn implements engine.KeyspaceEnv: Conn for a shard of any keyspace
// (lookup tables, keyspace.table), in the same transaction.
func (s *session) ConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	return s.conn(ctx, keyspace, shard, true)
}

// DescribeConnIn is DescribeConn for a shard of any keyspace.
func (s *session) DescribeConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	return s.conn(ctx, keyspace, shard, false)
}

// backendKey names a shard in the session's maps of transactions and
// reserved connections: the shard name for the session's keyspace,
// "keyspace/shard" for others.
func (s *session) backendKey(keyspace, shard string) string {
	if keyspace == s.keyspace {
		return shard
	}
	return keyspace + "/" + shard
}

// splitBackendKey is backendKey's inverse.
func (s *session) splitBackendKey(key string) (keyspace, shard string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return s.keyspace, key
}

// DescribeConn implements engine.DescribeEnv: the transaction's connection
// to a shard it has joined (its own tables and locks), else one outside any
// transaction (the client's reserved one in session mode), so that
// describing does not open a transaction on a shard the statement does not
// use.
func (s *session) DescribeConn(ctx context.Context, shard string) (engine.Conn, error) {
	return s.conn(ctx, s.keyspace, shard, false)
}

func (s *session) conn(ctx context.Context, keyspace, shard string, join bool) (engine.Conn, error) {
	sh, ok := s.shards[keyspace][shard]
	if !ok {
		return nil, fmt.Errorf("no shard %s in keyspace %s", shard, keyspace)
	}
	key := s.backendKey(keyspace, shard)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inTx && (join || s.txs[key] != nil) {
		if tx, ok := s.txs[key]; ok {
			return tx, nil
		}
		ctx = sqltypes.WithTxOwner(ctx, s.id)
		var tx engine.Tx
		var err error
		if s.keepsBackends() {
			r, rerr := s.reserveLocked(ctx, key, sh)
			if rerr != nil {
				return nil, rerr
			}
			tx, err = beginWith(ctx, r, s.txOpts.sql())
		} else {
			tx, err = beginWith(ctx, sh, s.txOpts.sql())
		}
		if err != nil {
			return nil, err
		}
		for _, stmt := range s.txLocal {
			if r, err := tx.Query(ctx, stmt, nil); err != nil {
				tx.Rollback(ctx)
				return nil, err
			} else {
				r.Close()
			}
		}
		// A shard that joins late gets the savepoints set before, so that
		// ROLLBACK TO undoes its part too.
		for _, name := range s.spoints {
			if err := savepointOf(tx).Savepoint(ctx, name); err != nil {
				tx.Rollback(ctx)
				return nil, err
			}
		}
		s.txs[key] = tx
		s.reportTxShardsLocked()
		return tx, nil
	}
	if s.keepsBackends() {
		return s.reserveLocked(ctx, key, sh)
	}
	return sh, nil
}

// Parameters the gate reports to its clients (the SDK reads them): the id
// a sequence gave the last row an INSERT inserted, and the shards the open
// transaction has touched, comma-separated.
const (
	paramLastInsertID = "vitess_last_insert_id"
	paramTxShards     = "vitess_tx_shards"
)

// ReportInsertID implements engine.InsertIDReporter.
func (s *session) ReportInsertID(id int64) {
	s.mu.Lock()
	s.changed[paramLastInsertID] = strconv.FormatInt(id, 10)
	s.mu.Unlock()
}

func (s *session) reportTxShardsLocked() {
	names := make([]string, 0, len(s.txs))
	for n := range s.txs {
		names = append(names, n)
	}
	sort.Strings(names)
	s.changed[paramTxShards] = strings.Join(names, ",")
}

func (s *session) reserveLocked(ctx context.Context, key string, sh engine.Shard) (engine.Reserved, error) {
	if r, ok := s.reserved[key]; ok {
		b, canBreak := r.(interface{ Broken() bool })
		if !canBreak || !b.Broken() || s.inTx {
			return r, nil
		}
		// The backend is gone (shard restarted): its session state went
		// with it; take a fresh connection rather than fail from now on.
		r.Release()
		delete(s.reserved, key)
	}
	r, err := sh.Reserve(sqltypes.WithSettings(ctx, s.shardSettingsLocked()))
	if err != nil {
		return nil, err
	}
	s.reserved[key] = r
	return r, nil
}

func (s *session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (proxy.Statement, error) {
	ctx = s.withSettings(ctx)
	p, err := s.cache.Plan(ctx, execEnv{session: s}, s.keyspace, sql, paramOIDs)
	if err != nil {
		if s.TxStatus() == 'T' {
			s.fail()
		}
		return nil, err
	}
	return &statement{s: s, plan: p}, nil
}

// PrepareSimple plans a simple-protocol statement by its normalized text
// (literals as parameters). The plan is reused only when it passes the
// statement through unchanged, and then the client's own text is sent: a
// plan that rewrites SQL is made from the literal text instead.
func (s *session) PrepareSimple(ctx context.Context, sql string) (proxy.Statement, error) {
	if !s.gate.Planner.NormalizesLiterals(s.keyspace) {
		return s.Prepare(ctx, sql, nil)
	}
	norm, lits, ok := planner.Normalize(sql)
	if !ok || len(lits) == 0 {
		return s.Prepare(ctx, sql, nil)
	}
	ctx = s.withSettings(ctx)
	// The normalized text is planned speculatively: a Postgres shard
	// describes it under a savepoint inside a transaction (a normalized
	// text may not describe: an operator that needs the literals' types).
	p, err := s.cache.Plan(ctx, execEnv{session: s}, s.keyspace, norm, planner.LiteralOIDs(lits))
	if err != nil || !p.PassesThrough() {
		return s.Prepare(ctx, sql, nil)
	}
	return &statement{s: s, plan: p, lits: lits, text: sql}, nil
}

func (s *session) fail() {
	s.mu.Lock()
	if s.inTx {
		s.failed = true
	}
	s.mu.Unlock()
}

type statement struct {
	s    *session
	plan *engine.Plan
	// lits and text are set for a plan of the normalized statement: the
	// literals are its arguments and text is what the shards get.
	lits []any
	text string
}

func (st *statement) ParamOIDs() []uint32 { return st.plan.ParamOIDs }

func (st *statement) Fields() []sqltypes.Field {
	if st.plan.Kind == engine.KindSession {
		if st.plan.Session != nil && st.plan.Session.Node.GetVariableShowStmt() != nil {
			return showFields(st.plan.Session.Node.GetVariableShowStmt().Name)
		}
		if st.plan.Session != nil && st.plan.Session.Node.GetFetchStmt() != nil {
			return st.s.cursorFields(st.plan.Session.Node.GetFetchStmt())
		}
		return nil
	}
	return st.plan.Fields
}

// execEnv is the planner's view of one execution: the session's shard
// connections and the parameters as the client bound them.
type execEnv struct {
	*session
	bound   *sqltypes.Bound
	barrier *sync.RWMutex // set for a plain read outside a transaction
}

func (e execEnv) ReadBarrier() func() {
	if e.barrier == nil {
		return func() {}
	}
	e.barrier.RLock()
	return e.barrier.RUnlock
}

func (e execEnv) Bound() *sqltypes.Bound { return e.bound }

func (st *statement) Execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	obs := st.s.gate.Observe
	if obs == nil || st.plan.Kind == engine.KindSession {
		return st.run(ctx, b)
	}
	start := time.Now()
	rows, err := st.run(ctx, b)
	obs(st.plan.Type, time.Since(start), err != nil)
	return rows, err
}

// run executes the statement: session statements, transactions, and plans.
func (st *statement) run(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	if st.text != "" {
		b = &sqltypes.Bound{Args: st.lits, Text: st.text}
	}
	// Session statements too: COMMIT materializes WITH HOLD cursors.
	ctx = s.gate.withQueryMemory(ctx)
	if st.plan.Kind == engine.KindSession {
		rows, err := s.sessionStmt(ctx, st.plan)
		if err != nil && (st.plan.Session == nil || st.plan.Session.Node.GetTransactionStmt() == nil) {
			s.fail() // as in Postgres, an error aborts the transaction
		}
		return rows, err
	}
	if s.TxStatus() == 'E' {
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.plan.Writes != "" && s.embedded && s.readOnly() {
		s.fail()
		return nil, sqltypes.Errorf("25006", "cannot execute %s in a read-only transaction", st.plan.Writes)
	}
	ctx = s.withSettings(ctx)
	if st.plan.MayWriteSeveralShards() && s.TxStatus() == 'I' {
		return st.implicitTransaction(ctx, b)
	}
	ctx, stop := s.withStatementTimeout(ctx)
	rows, err := st.execute(ctx, b)
	if stop == nil {
		return rows, err
	}
	if err != nil {
		stop()
		return nil, err
	}
	return withStop(rows, stop), nil
}

// implicitTransaction runs a write that may change several shards, outside
// a transaction, as Postgres runs every statement: in a transaction of its
// own, committed atomically on all its shards (or rolled back). Its rows
// (RETURNING) are read before the commit and then handed out.
func (st *statement) implicitTransaction(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	s.mu.Lock()
	s.inTx, s.failed, s.txs = true, false, map[string]engine.Tx{}
	s.mu.Unlock()
	finish := func() map[string]engine.Tx {
		s.mu.Lock()
		defer s.mu.Unlock()
		txs := s.txs
		s.endTxLocked()
		return txs
	}
	ctx, stop := s.withStatementTimeout(ctx)
	if stop != nil {
		defer stop()
	}
	rows, err := st.execute(ctx, b)
	if err != nil {
		rollbackAll(finish())
		return nil, err
	}
	out := &sqltypes.Buffered{Cols: rows.Fields()}
	out.Data, err = sqltypes.ReadAll(ctx, rows)
	out.Command = rows.Tag()
	if err != nil {
		rollbackAll(finish())
		return nil, err
	}
	if err := s.commit(ctx, finish()); err != nil {
		return nil, err
	}
	if e, ok := rows.(sqltypes.Encoded); ok {
		return &encodedBuffer{Buffered: out, formats: e.Formats()}, nil
	}
	return out, nil
}

// encodedBuffer is a buffered stream of rows already in the client's formats.
type encodedBuffer struct {
	*sqltypes.Buffered
	formats []int16
}

func (e *encodedBuffer) Formats() []int16 { return e.formats }

// withStatementTimeout bounds ctx by the client's statement_timeout (stop
// is nil when it is unset). It is enforced at the gate too, so that
// SQLite shards honour it; a Postgres shard also has the setting and stops
// the statement itself.
func (s *session) withStatementTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := s.durationSetting("statement_timeout"); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, nil
}

// IdleInTransactionTimeout is the client's
// idle_in_transaction_session_timeout (0: none); the wire server ends a
// session idle in a transaction for longer.
func (s *session) IdleInTransactionTimeout() time.Duration {
	return s.durationSetting("idle_in_transaction_session_timeout")
}

// durationSetting reads a time setting of the client's (0: unset).
func (s *session) durationSetting(name string) time.Duration {
	s.mu.Lock()
	v, ok := s.settings.Get(name)
	s.mu.Unlock()
	if !ok {
		return 0
	}
	d, _ := parseDuration(v)
	return d
}

// parseDuration reads a Postgres time setting: a number of milliseconds, or
// a number with a unit (us, ms, s, min, h, d).
func parseDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(strings.Trim(strings.TrimSpace(v), "'"))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := unit[strings.ToLower(strings.TrimSpace(v[i:]))]
	if !ok {
		return 0, false
	}
	return time.Duration(n * float64(u)), true
}

// withStop calls stop when the stream is closed.
func withStop(r sqltypes.Rows, stop context.CancelFunc) sqltypes.Rows {
	w := &stopRows{Rows: r, stop: stop}
	if e, ok := r.(sqltypes.Encoded); ok {
		return &stopEncoded{stopRows: w, formats: e.Formats()}
	}
	return w
}

type stopRows struct {
	sqltypes.Rows
	stop context.CancelFunc
}

func (r *stopRows) Close() { r.Rows.Close(); r.stop() }

type stopEncoded struct {
	*stopRows
	formats []int16
}

func (r *stopEncoded) Formats() []int16 { return r.formats }

func (st *statement) execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	if st.plan.Pins && s.mode == PoolTransaction {
		s.mu.Lock()
		s.pinned = true
		s.mu.Unlock()
	}
	env := execEnv{session: s, bound: b}
	if st.plan.Writes == "" && !st.plan.Locks && s.TxStatus() == 'I' {
		env.barrier = s.gate.Visibility
	}
	rows, err := st.plan.Execute(ctx, env, b.ArgsOf())
	if err != nil {
		s.fail()
		return nil, err
	}
	if st.plan.SchemaChange {
		s.gate.Planner.SchemaChanged()
	}
	w := &watchRows{Rows: rows, s: s}
	if e, ok := rows.(sqltypes.Encoded); ok {
		return &watchEncoded{watchRows: w, formats: e.Formats()}, nil
	}
	return w, nil
}

// watchEncoded keeps a forwarded stream's formats visible to the wire server.
type watchEncoded struct {
	*watchRows
	formats []int16
}

func (w *watchEncoded) Formats() []int16 { return w.formats }

// watchRows marks the transaction failed when streaming fails midway.
type watchRows struct {
	sqltypes.Rows
	s *session
}

func (w *watchRows) Next(ctx context.Context) (sqltypes.Row, error) {
	r, err := w.Rows.Next(ctx)
	if err != nil && err != io.EOF {
		w.s.fail()
	}
	return r, err
}

func tagOnly(tag string) sqltypes.Rows { return &sqltypes.Buffered{Command: tag} }

// sessionStmt runs BEGIN/COMMIT/ROLLBACK, SET, SHOW and friends.
func (s *session) sessionStmt(ctx context.Context, p *engine.Plan) (sqltypes.Rows, error) {
	if p.Session == nil {
		return tagOnly(""), nil
	}
	n := p.Session.Node
	if ts := n.GetTransactionStmt(); ts != nil {
		return s.transaction(ctx, ts)
	}
	if s.TxStatus() == 'E' {
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	switch {
	case n.GetVariableSetStmt() != nil:
		return s.set(ctx, n.GetVariableSetStmt(), p.SQL)
	case n.GetVariableShowStmt() != nil && planner.IsGateSetting(n.GetVariableShowStmt().Name):
		return s.showGate(n.GetVariableShowStmt().Name)
	case n.GetVariableShowStmt() != nil:
		return s.show(n.GetVariableShowStmt().Name)
	case n.GetDiscardStmt() != nil:
		if err := s.forwardSet(ctx, p.SQL, false); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.settings = s.startup
		s.mu.Unlock()
		return tagOnly("DISCARD ALL"), nil
	case n.GetDeallocateStmt() != nil:
		return tagOnly("DEALLOCATE"), nil
	case n.GetDeclareCursorStmt() != nil:
		return s.declare(ctx, n.GetDeclareCursorStmt())
	case n.GetFetchStmt() != nil:
		return s.fetch(ctx, n.GetFetchStmt())
	case n.GetClosePortalStmt() != nil:
		return s.closeCursor(n.GetClosePortalStmt())
	}
	return nil, sqltypes.Unsupported("statement %s", p.SQL)
}

func (s *session) transaction(ctx context.Context, ts *pg_query.TransactionStmt) (sqltypes.Rows, error) {
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		opts, err := parseTxOptions(ts.Options)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.inTx {
			warn(ctx, "25001", "there is already a transaction in progress")
			return tagOnly("BEGIN"), nil
		}
		s.inTx, s.failed, s.txs, s.txLocal, s.spoints = true, false, map[string]engine.Tx{}, nil, nil
		s.txOpts = opts
		return tagOnly("BEGIN"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		s.mu.Lock()
		txs, failed, inTx := s.txs, s.failed, s.inTx
		s.endTxLocked()
		s.mu.Unlock()
		if !inTx {
			warn(ctx, "25P01", "there is no transaction in progress")
			return tagOnly("COMMIT"), nil
		}
		if failed {
			_ = s.endCursors(ctx, false)
			rollbackAll(txs)
			return tagOnly("ROLLBACK"), nil
		}
		if err := s.endCursors(ctx, true); err != nil {
			rollbackAll(txs)
			return nil, err
		}
		if err := s.commit(ctx, txs); err != nil {
			return nil, err
		}
		return tagOnly("COMMIT"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		s.mu.Lock()
		txs, inTx := s.txs, s.inTx
		s.endTxLocked()
		s.mu.Unlock()
		if !inTx {
			warn(ctx, "25P01", "there is no transaction in progress")
		}
		_ = s.endCursors(ctx, false)
		rollbackAll(txs)
		return tagOnly("ROLLBACK"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT,
		pg_query.TransactionStmtKind_TRANS_STMT_RELEASE,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return s.savepoint(ctx, ts)
	}
	s.fail()
	return nil, sqltypes.Unsupported("%s through the gate (the gate runs the two-phase commit of multi-shard transactions itself)", transactionKindName(ts.Kind))
}

func transactionKindName(k pg_query.TransactionStmtKind) string {
	switch k {
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED"
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "RELEASE SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK TO SAVEPOINT"
	}
	return "this transaction statement"
}

// BeginImplicit implements ImplicitTransactor.
func (s *session) BeginImplicit(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inTx {
		return fmt.Errorf("already in a transaction")
	}
	s.inTx, s.failed, s.txs, s.txLocal, s.spoints, s.txOpts = true, false, map[string]engine.Tx{}, nil, nil, txOptions{}
	return nil
}

// EndImplicit implements ImplicitTransactor: it commits (atomically over
// every shard the statements touched) or rolls back.
func (s *session) EndImplicit(ctx context.Context, commit bool) error {
	kind := pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK
	if commit {
		kind = pg_query.TransactionStmtKind_TRANS_STMT_COMMIT
	}
	_, err := s.transaction(ctx, &pg_query.TransactionStmt{Kind: kind})
	return err
}

func (s *session) endTxLocked() {
	if len(s.txs) > 0 {
		s.changed[paramTxShards] = ""
	}
	s.inTx, s.failed, s.txs, s.txLocal, s.spoints, s.txOpts = false, false, nil, nil, nil, txOptions{}
}

// commit commits the shard transactions: one shard in one phase, several
// atomically through the coordinator.
func (s *session) commit(ctx context.Context, txs map[string]engine.Tx) error {
	names := make([]string, 0, len(txs))
	for n := range txs {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]engine.Participant, len(names))
	for i, n := range names {
		ks, shard := s.splitBackendKey(n)
		parts[i] = engine.Participant{Keyspace: ks, Shard: shard, Tx: txs[n]}
	}
	if len(parts) == 1 {
		return parts[0].Tx.Commit(ctx)
	}
	if s.gate.Coordinator == nil {
		rollbackAll(txs)
		return sqltypes.Unsupported("a transaction that wrote to several shards needs the gate's commit coordinator")
	}
	return s.gate.Coordinator.Commit(ctx, parts)
}

// savepoint runs SAVEPOINT, RELEASE and ROLLBACK TO on every shard of the
// transaction (shards that join later get the open savepoints then).
func (s *session) savepoint(ctx context.Context, ts *pg_query.TransactionStmt) (sqltypes.Rows, error) {
	name := ts.SavepointName
	s.mu.Lock()
	if !s.inTx {
		s.mu.Unlock()
		return nil, sqltypes.Errorf("25P01", "%s can only be used in transaction blocks", transactionKindName(ts.Kind))
	}
	if s.failed && ts.Kind != pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO {
		s.mu.Unlock()
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	idx := -1
	for i := len(s.spoints) - 1; i >= 0; i-- {
		if s.spoints[i] == name {
			idx = i
			break
		}
	}
	if ts.Kind != pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT && idx < 0 {
		s.failed = true
		s.mu.Unlock()
		return nil, sqltypes.Errorf("3B001", "savepoint \"%s\" does not exist", name)
	}
	names := make([]string, 0, len(s.txs))
	for n := range s.txs {
		names = append(names, n)
	}
	sort.Strings(names)
	txs := make([]engine.Tx, len(names))
	for i, n := range names {
		txs[i] = s.txs[n]
	}
	s.mu.Unlock()
	for _, tx := range txs {
		sp := savepointOf(tx)
		var err error
		switch ts.Kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
			err = sp.Savepoint(ctx, name)
		case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
			err = sp.Release(ctx, name)
		default:
			err = sp.RollbackTo(ctx, name)
		}
		if err != nil {
			s.fail()
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		s.spoints = append(s.spoints, name)
		return tagOnly("SAVEPOINT"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		s.spoints = s.spoints[:idx]
		return tagOnly("RELEASE"), nil
	}
	s.spoints = s.spoints[:idx+1]
	s.failed = false
	return tagOnly("ROLLBACK"), nil
}

// savepointOf is the transaction's savepoints, or one that refuses.
func savepointOf(tx engine.Tx) engine.Savepointer {
	if sp, ok := tx.(engine.Savepointer); ok {
		return sp
	}
	return noSavepoints{}
}

type noSavepoints struct{}

func (noSavepoints) Savepoint(context.Context, string) error  { return errNoSavepoints }
func (noSavepoints) RollbackTo(context.Context, string) error { return errNoSavepoints }
func (noSavepoints) Release(context.Context, string) error    { return errNoSavepoints }

var errNoSavepoints = sqltypes.Unsupported("savepoints on this shard's engine")

// beginWith opens a transaction with BEGIN's options where the connection
// takes them.
func beginWith(ctx context.Context, c interface {
	Begin(context.Context) (engine.Tx, error)
}, options string) (engine.Tx, error) {
	if bo, ok := c.(engine.BeginOptioner); ok && options != "" {
		return bo.BeginWith(ctx, options)
	}
	return c.Begin(ctx)
}

func rollbackAll(txs map[string]engine.Tx) {
	for _, tx := range txs {
		tx.Rollback(context.Background())
	}
}

// reported are the settings Postgres reports with ParameterStatus when they change.
var reported = map[string]bool{"application_name": true, "datestyle": true, "timezone": true, "client_encoding": true, "intervalstyle": true}

var defaults = map[string]string{
	"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8", "datestyle": "ISO, MDY",
	"timezone": "UTC", "intervalstyle": "postgres", "standard_conforming_strings": "on", "integer_datetimes": "on",
	"transaction_isolation": "serializable", "default_transaction_isolation": "serializable", "application_name": "",
	"search_path": "\"$user\", public", "max_identifier_length": "63", "lc_collate": "C", "lc_ctype": "C",
	"statement_timeout": "0", "idle_session_timeout": "0", "idle_in_transaction_session_timeout": "0",
}

var displayName = map[string]string{"datestyle": "DateStyle", "timezone": "TimeZone", "intervalstyle": "IntervalStyle"}

// forwardSet runs a settings statement on the Postgres backends the client
// holds (and, inside a transaction, on its shard transactions). When the
// client holds none, it is checked on one shard inside a transaction that is
// rolled back, so that a bad name or value is refused now, as Postgres
// would, rather than at the next statement.
func (s *session) forwardSet(ctx context.Context, sql string, local bool) error {
	if !s.forward {
		return nil
	}
	s.mu.Lock()
	var conns []engine.Conn
	if s.inTx {
		for _, tx := range s.txs {
			conns = append(conns, tx)
		}
		if local {
			s.txLocal = append(s.txLocal, sql)
		}
	}
	if !s.inTx && !local {
		for _, r := range s.reserved {
			conns = append(conns, r)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		if !isPostgresConn(c) {
			continue
		}
		r, err := c.Query(ctx, sql, nil)
		if err != nil {
			return err
		}
		r.Close()
	}
	if len(conns) > 0 || local {
		return nil
	}
	for _, name := range s.gate.Planner.VSchema.Keyspaces[s.keyspace].Shards {
		sh := s.shards[s.keyspace][name]
		if !isPostgres(sh) {
			continue
		}
		if s.keepsBackends() {
			c, err := s.Conn(ctx, name)
			if err != nil {
				return err
			}
			r, err := c.Query(ctx, sql, nil)
			if err != nil {
				return err
			}
			r.Close()
			return nil
		}
		tx, err := sh.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		r, err := tx.Query(ctx, sql, nil)
		if err != nil {
			return err
		}
		r.Close()
		return nil
	}
	return nil
}

// isPostgresConn reports whether a connection leads to a Postgres backend
// (SQLite shards keep no settings).
func isPostgresConn(c engine.Conn) bool {
	rq, ok := c.(engine.RawQuerier)
	return ok && rq.CanQueryRaw()
}

func (s *session) set(ctx context.Context, vs *pg_query.VariableSetStmt, sql string) (sqltypes.Rows, error) {
	name := strings.ToLower(vs.Name)
	var vals []string
	for _, a := range vs.Args {
		if c := a.GetAConst(); c != nil {
			switch {
			case c.GetSval() != nil:
				vals = append(vals, c.GetSval().Sval)
			case c.GetIval() != nil:
				vals = append(vals, fmt.Sprint(c.GetIval().Ival))
			case c.GetFval() != nil:
				vals = append(vals, c.GetFval().Fval)
			}
		}
	}
	val := strings.Join(vals, ", ")
	tag := "SET"
	if vs.Kind == pg_query.VariableSetKind_VAR_RESET || vs.Kind == pg_query.VariableSetKind_VAR_RESET_ALL {
		tag = "RESET"
	}
	if vs.Kind == pg_query.VariableSetKind_VAR_SET_MULTI && strings.EqualFold(vs.Name, "TRANSACTION") {
		return s.setTransaction(ctx, vs, sql)
	}
	if vs.Kind == pg_query.VariableSetKind_VAR_SET_VALUE {
		if err := checkReading(name, val); err != nil {
			return nil, err
		}
	}
	reset := vs.Kind == pg_query.VariableSetKind_VAR_SET_DEFAULT || vs.Kind == pg_query.VariableSetKind_VAR_RESET
	if err := s.setGateSetting(ctx, name, val, sql, vs.IsLocal, reset); err != nil {
		return nil, err
	}
	if vs.IsLocal {
		return tagOnly(tag), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch vs.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		s.settings = s.settings.With(name, val, sql)
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		s.settings = s.settings.Without(name)
		if v, ok := s.startup.Get(name); ok {
			s.settings = s.settings.With(name, v, "")
			val = v
		} else {
			val = defaults[name]
		}
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		s.settings = s.startup
		return tagOnly(tag), nil
	default:
		// SET TRANSACTION / SET SESSION CHARACTERISTICS and friends.
		return tagOnly(tag), nil
	}
	if reported[name] {
		dn := name
		if d, ok := displayName[name]; ok {
			dn = d
		}
		s.changed[dn] = val
	}
	return tagOnly(tag), nil
}

func showFields(name string) []sqltypes.Field {
	name = strings.ToLower(name)
	if f := gateShowFields(name); f != nil {
		return f
	}
	if name == "all" {
		return []sqltypes.Field{sqltypes.NewField("name", sqltypes.OIDText), sqltypes.NewField("setting", sqltypes.OIDText), sqltypes.NewField("description", sqltypes.OIDText)}
	}
	return []sqltypes.Field{sqltypes.NewField(name, sqltypes.OIDText)}
}

// show answers SHOW for keyspaces without Postgres shards (Postgres
// keyspaces send SHOW to a shard).
func (s *session) show(name string) (sqltypes.Rows, error) {
	name = strings.ToLower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "all" {
		keys := map[string]bool{}
		for k := range defaults {
			keys[k] = true
		}
		for _, k := range s.settings.Names() {
			keys[k] = true
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var rows []sqltypes.Row
		for _, k := range names {
			v, ok := s.settings.Get(k)
			if !ok {
				v = defaults[k]
			}
			rows = append(rows, sqltypes.Row{[]byte(k), []byte(v), []byte("")})
		}
		return &sqltypes.Buffered{Cols: showFields("all"), Data: rows, Command: "SHOW"}, nil
	}
	v, ok := s.settings.Get(name)
	if !ok {
		v, ok = defaults[name]
	}
	if !ok {
		return nil, sqltypes.Errorf("42704", "unrecognized configuration parameter \"%s\"", name)
	}
	return &sqltypes.Buffered{Cols: showFields(name), Data: []sqltypes.Row{{[]byte(v)}}, Command: "SHOW"}, nil
}
