package vtgate

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/sqltypes"
)

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
// transaction (in session mode the client's reserved one when it has one
// there, its temporary tables and settings), so that describing does not
// open a transaction on a shard the statement does not use.
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
	if !s.keepsBackends() {
		return sh, nil
	}
	if !join && s.reserved[key] == nil {
		// Describing (or reading a lookup table) on a shard the session
		// has not used: a pooled connection, with the session's settings.
		// Reserving one would keep a backend there for the session's life
		// (on the first shard, where every statement is described).
		return sh, nil
	}
	return s.reserveLocked(ctx, key, sh)
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
	oids := planner.LiteralOIDs(lits)
	p, err := s.cache.Plan(ctx, execEnv{session: s}, s.keyspace, norm, oids)
	if err != nil || !p.PassesThrough() {
		return s.Prepare(ctx, sql, nil)
	}
	return &statement{s: s, plan: p, lits: lits, litOIDs: oids, text: sql}, nil
}

func (s *session) fail() {
	s.mu.Lock()
	if s.inTx {
		s.failed = true
	}
	s.mu.Unlock()
}
