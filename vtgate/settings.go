package vtgate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

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
		if !engine.IsPostgresShard(sh) {
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
		return nil, sqltypes.Errorf(sqltypes.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}
	return &sqltypes.Buffered{Cols: showFields(name), Data: []sqltypes.Row{{[]byte(v)}}, Command: "SHOW"}, nil
}
