package vtgate

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/sqltypes"
)

// txOptions are a transaction's characteristics as BEGIN or SET
// TRANSACTION gave them; unset ones follow the session's defaults
// (default_transaction_isolation, default_transaction_read_only), which
// Postgres shards apply themselves.
type txOptions struct {
	isolation  string // "serializable", "repeatable read", ...
	readOnly   *bool
	deferrable *bool
}

func parseTxOptions(opts []*pg_query.Node) (txOptions, error) {
	var o txOptions
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		c := d.GetArg().GetAConst()
		switch d.Defname {
		case "transaction_isolation":
			if c == nil || c.GetSval() == nil {
				return o, sqltypes.Errorf(sqltypes.SyntaxError, "bad isolation level")
			}
			o.isolation = strings.ToLower(c.GetSval().Sval)
		case "transaction_read_only":
			v := constBool(c)
			o.readOnly = &v
		case "transaction_deferrable":
			v := constBool(c)
			o.deferrable = &v
		}
	}
	return o, nil
}

func constBool(c *pg_query.A_Const) bool {
	if c == nil {
		return false
	}
	if b := c.GetBoolval(); b != nil {
		return b.Boolval
	}
	if i := c.GetIval(); i != nil {
		return i.Ival != 0
	}
	return false
}

// merge returns o with what p sets.
func (o txOptions) merge(p txOptions) txOptions {
	if p.isolation != "" {
		o.isolation = p.isolation
	}
	if p.readOnly != nil {
		o.readOnly = p.readOnly
	}
	if p.deferrable != nil {
		o.deferrable = p.deferrable
	}
	return o
}

// sql is the options as BEGIN takes them.
func (o txOptions) sql() string {
	var parts []string
	if o.isolation != "" {
		parts = append(parts, "ISOLATION LEVEL "+strings.ToUpper(o.isolation))
	}
	if o.readOnly != nil {
		if *o.readOnly {
			parts = append(parts, "READ ONLY")
		} else {
			parts = append(parts, "READ WRITE")
		}
	}
	if o.deferrable != nil {
		if *o.deferrable {
			parts = append(parts, "DEFERRABLE")
		} else {
			parts = append(parts, "NOT DEFERRABLE")
		}
	}
	return strings.Join(parts, " ")
}

// readOnly reports whether the current statement runs read-only: the
// transaction's READ ONLY, else default_transaction_read_only.
func (s *session) readOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inTx && s.txOpts.readOnly != nil {
		return *s.txOpts.readOnly
	}
	v, _ := s.settings.Get("default_transaction_read_only")
	switch strings.ToLower(strings.Trim(strings.TrimSpace(v), "'")) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// setTransaction runs SET TRANSACTION: before any shard has joined the
// transaction the options apply when shards join; shards already in it
// get the statement (Postgres refuses an isolation change after the
// transaction's first query, and so does the gate).
func (s *session) setTransaction(ctx context.Context, vs *pg_query.VariableSetStmt, sql string) (sqltypes.Rows, error) {
	opts, err := parseTxOptions(vs.Args)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	inTx, joined := s.inTx, len(s.txs)
	s.mu.Unlock()
	if !inTx {
		warn(ctx, sqltypes.NoActiveSQLTransaction, "SET TRANSACTION can only be used in transaction blocks")
		return tagOnly("SET"), nil
	}
	if joined > 0 {
		if opts.isolation != "" && !s.forward {
			return nil, sqltypes.Errorf(sqltypes.ActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
		if err := s.forwardSet(ctx, sql, false); err != nil {
			s.fail()
			return nil, err
		}
	}
	s.mu.Lock()
	s.txOpts = s.txOpts.merge(opts)
	s.mu.Unlock()
	return tagOnly("SET"), nil
}

// warn sends the client a WARNING with the next response.
func warn(ctx context.Context, code, msg string) {
	if n := sqltypes.NoticesFrom(ctx); n != nil {
		n.Add(&pgconn.Notice{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: code, Message: msg})
	}
}
