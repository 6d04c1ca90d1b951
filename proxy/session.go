package proxy

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
)

// Gate is the gate-side state every session shares: the planner and the
// shards of each keyspace.
type Gate struct {
	Planner *planner.Planner
	Shards  map[string]map[string]planner.Shard
}

// NewSession is the SessionFactory: the database name picks the keyspace.
func (g *Gate) NewSession(ctx context.Context, info StartupInfo) (Session, error) {
	ks := info.Database
	if ks == "" {
		ks = info.User
	}
	if _, ok := g.Planner.VSchema.Keyspaces[ks]; !ok {
		var names []string
		for n := range g.Planner.VSchema.Keyspaces {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, sqltypes.Errorf("3D000", "database \"%s\" does not exist (keyspaces: %s)", ks, strings.Join(names, ", "))
	}
	s := &session{gate: g, keyspace: ks, settings: map[string]string{}, changed: map[string]string{}}
	if app := info.Params["application_name"]; app != "" {
		s.settings["application_name"] = app
		s.changed["application_name"] = app
	}
	return s, nil
}

// session is one client's state: its keyspace, its settings and its open
// transaction (one shard transaction per shard touched, opened lazily).
type session struct {
	gate     *Gate
	keyspace string

	mu       sync.Mutex
	inTx     bool
	failed   bool
	txs      map[string]planner.Tx
	settings map[string]string
	changed  map[string]string
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
	s.mu.Lock()
	txs := s.txs
	s.txs, s.inTx, s.failed = nil, false, false
	s.mu.Unlock()
	for _, tx := range txs {
		tx.Rollback(context.Background())
	}
}

// Conn implements planner.Env: inside a transaction each shard gets one
// transaction, opened the first time the shard is used.
func (s *session) Conn(ctx context.Context, shard string) (planner.Conn, error) {
	sh, ok := s.gate.Shards[s.keyspace][shard]
	if !ok {
		return nil, fmt.Errorf("no shard %s in keyspace %s", shard, s.keyspace)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inTx {
		return sh, nil
	}
	if tx, ok := s.txs[shard]; ok {
		return tx, nil
	}
	tx, err := sh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	s.txs[shard] = tx
	return tx, nil
}

func (s *session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (Statement, error) {
	p, err := s.gate.Planner.Plan(ctx, s.keyspace, sql, paramOIDs)
	if err != nil {
		if s.TxStatus() == 'T' {
			s.fail()
		}
		return nil, err
	}
	return &statement{s: s, plan: p}, nil
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
	plan *planner.Plan
}

func (st *statement) ParamOIDs() []uint32 { return st.plan.ParamOIDs }

func (st *statement) Fields() []sqltypes.Field {
	if st.plan.Kind == planner.KindSession {
		if st.plan.Session != nil && st.plan.Session.Node.GetVariableShowStmt() != nil {
			return showFields(st.plan.Session.Node.GetVariableShowStmt().Name)
		}
		return nil
	}
	return st.plan.Fields
}

// execEnv is the planner's view of one execution: the session's shard
// connections and the parameters as the client bound them.
type execEnv struct {
	*session
	bound *sqltypes.Bound
}

func (e execEnv) Bound() *sqltypes.Bound { return e.bound }

func (st *statement) Execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	s := st.s
	if st.plan.Kind == planner.KindSession {
		return s.sessionStmt(ctx, st.plan)
	}
	if s.TxStatus() == 'E' {
		return nil, sqltypes.Errorf("25P02", "current transaction is aborted, commands ignored until end of transaction block")
	}
	rows, err := st.plan.Execute(ctx, execEnv{s, b}, b.ArgsOf())
	if err != nil {
		s.fail()
		return nil, err
	}
	if st.plan.SchemaChange {
		s.gate.Planner.ResetCache()
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
func (s *session) sessionStmt(ctx context.Context, p *planner.Plan) (sqltypes.Rows, error) {
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
		return s.set(n.GetVariableSetStmt())
	case n.GetVariableShowStmt() != nil:
		return s.show(n.GetVariableShowStmt().Name)
	case n.GetDiscardStmt() != nil:
		s.mu.Lock()
		s.settings = map[string]string{}
		s.mu.Unlock()
		return tagOnly("DISCARD ALL"), nil
	case n.GetDeallocateStmt() != nil:
		return tagOnly("DEALLOCATE"), nil
	}
	return nil, sqltypes.Unsupported("statement %s", p.SQL)
}

func (s *session) transaction(ctx context.Context, ts *pg_query.TransactionStmt) (sqltypes.Rows, error) {
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.inTx {
			s.inTx, s.failed, s.txs = true, false, map[string]planner.Tx{}
		}
		return tagOnly("BEGIN"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		s.mu.Lock()
		txs, failed, inTx := s.txs, s.failed, s.inTx
		s.inTx, s.failed, s.txs = false, false, nil
		s.mu.Unlock()
		if !inTx {
			return tagOnly("COMMIT"), nil
		}
		if failed {
			rollbackAll(txs)
			return tagOnly("ROLLBACK"), nil
		}
		// Shards commit one after the other; atomic multi-shard commit is
		// not in this version (see README).
		names := make([]string, 0, len(txs))
		for n := range txs {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			if err := txs[n].Commit(ctx); err != nil {
				for _, rest := range names[i+1:] {
					txs[rest].Rollback(ctx)
				}
				return nil, err
			}
		}
		return tagOnly("COMMIT"), nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		s.mu.Lock()
		txs := s.txs
		s.inTx, s.failed, s.txs = false, false, nil
		s.mu.Unlock()
		rollbackAll(txs)
		return tagOnly("ROLLBACK"), nil
	}
	s.fail()
	return nil, sqltypes.Unsupported("savepoints and prepared transactions are not supported yet")
}

func rollbackAll(txs map[string]planner.Tx) {
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
}

var displayName = map[string]string{"datestyle": "DateStyle", "timezone": "TimeZone", "intervalstyle": "IntervalStyle"}

func (s *session) set(vs *pg_query.VariableSetStmt) (sqltypes.Rows, error) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	switch vs.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		s.settings[name] = val
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		delete(s.settings, name)
		val = defaults[name]
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		s.settings = map[string]string{}
		return tagOnly("RESET"), nil
	default:
		return tagOnly("SET"), nil
	}
	if reported[name] {
		dn := name
		if d, ok := displayName[name]; ok {
			dn = d
		}
		s.changed[dn] = val
	}
	if vs.Kind == pg_query.VariableSetKind_VAR_RESET {
		return tagOnly("RESET"), nil
	}
	return tagOnly("SET"), nil
}

func showFields(name string) []sqltypes.Field {
	name = strings.ToLower(name)
	if name == "all" {
		return []sqltypes.Field{sqltypes.NewField("name", sqltypes.OIDText), sqltypes.NewField("setting", sqltypes.OIDText), sqltypes.NewField("description", sqltypes.OIDText)}
	}
	return []sqltypes.Field{sqltypes.NewField(name, sqltypes.OIDText)}
}

func (s *session) show(name string) (sqltypes.Rows, error) {
	name = strings.ToLower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "all" {
		keys := map[string]bool{}
		for k := range defaults {
			keys[k] = true
		}
		for k := range s.settings {
			keys[k] = true
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var rows []sqltypes.Row
		for _, k := range names {
			v, ok := s.settings[k]
			if !ok {
				v = defaults[k]
			}
			rows = append(rows, sqltypes.Row{[]byte(k), []byte(v), []byte("")})
		}
		return &sqltypes.Buffered{Cols: showFields("all"), Data: rows, Command: "SHOW"}, nil
	}
	v, ok := s.settings[name]
	if !ok {
		v, ok = defaults[name]
	}
	if !ok {
		return nil, sqltypes.Errorf("42704", "unrecognized configuration parameter \"%s\"", name)
	}
	return &sqltypes.Buffered{Cols: showFields(name), Data: []sqltypes.Row{{[]byte(v)}}, Command: "SHOW"}, nil
}
