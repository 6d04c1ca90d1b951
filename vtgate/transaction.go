package vtgate

import (
	"context"
	"fmt"
	"sort"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

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
		return nil, sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
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
			warn(ctx, sqltypes.ActiveSQLTransaction, "there is already a transaction in progress")
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
			warn(ctx, sqltypes.NoActiveSQLTransaction, "there is no transaction in progress")
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
			warn(ctx, sqltypes.NoActiveSQLTransaction, "there is no transaction in progress")
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
		return nil, sqltypes.Errorf(sqltypes.NoActiveSQLTransaction, "%s can only be used in transaction blocks", transactionKindName(ts.Kind))
	}
	if s.failed && ts.Kind != pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO {
		s.mu.Unlock()
		return nil, sqltypes.Errorf(sqltypes.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
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
		return nil, sqltypes.Errorf(sqltypes.InvalidSavepointSpecification, "savepoint \"%s\" does not exist", name)
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

func (noSavepoints) Savepoint(context.Context, string) error { return errNoSavepoints }

func (noSavepoints) RollbackTo(context.Context, string) error { return errNoSavepoints }

func (noSavepoints) Release(context.Context, string) error { return errNoSavepoints }

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
