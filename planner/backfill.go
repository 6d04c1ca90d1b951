package planner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// BackfillResult is what a backfill did.
type BackfillResult struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	Vindex   string `json:"vindex"`
	Shards   int    `json:"shards"`  // data shards read
	Rows     int64  `json:"rows"`    // rows with a value to look up
	Entries  int64  `json:"entries"` // lookup rows written or corrected
}

// Backfill builds a lookup vindex's table for the rows a table already
// has: every row's value gets its entry (a non-unique lookup's refs become
// the number of rows sharing value and keyspace id). It works one data
// shard at a time, in one transaction with that shard's lookup writes,
// committed atomically; the shard's writers wait meanwhile (a Postgres
// shard's table is locked in SHARE mode, a SQLite shard is locked by the
// transaction), so the result is exact even while clients write. Entries
// for values no row has any more are left alone. A unique lookup that
// finds one value on two rows fails with 23505 naming it.
func (p *Planner) Backfill(ctx context.Context, keyspace, table, vindex string, commit engine.Committer) (BackfillResult, error) {
	res := BackfillResult{Keyspace: keyspace, Table: table, Vindex: vindex}
	ks, ok := p.VSchema.Keyspaces[keyspace]
	if !ok {
		return res, sqltypes.Errorf(sqltypes.InvalidCatalogName, "database \"%s\" does not exist", keyspace)
	}
	t, ok := ks.Table(table)
	if !ok || t.Type != router.Sharded {
		return res, sqltypes.Errorf(sqltypes.UndefinedTable, "keyspace %s has no sharded table %s", keyspace, table)
	}
	var l *router.Lookup
	for _, cand := range t.Lookups {
		if cand.Name == vindex {
			l = cand
		}
	}
	if l == nil {
		return res, sqltypes.Errorf(sqltypes.UndefinedObject, "table %s has no lookup vindex %s", table, vindex)
	}
	b := &builder{p: p, ks: ks}
	lt, err := b.lookupTable(l)
	if err != nil {
		return res, err
	}
	for _, shard := range ks.Shards {
		var rows, entries int64
		var err error
		// A writer may hold the lookup table's shard while it waits for
		// this data shard: the deadlock (or lock timeout) rolls the
		// backfill's part back, and it is tried again.
		for attempt := 1; ; attempt++ {
			rows, entries, err = p.backfillShard(ctx, ks, t, lt, shard, commit)
			var pe *pgconn.PgError
			if err == nil || attempt == 10 || !errors.As(err, &pe) || (pe.Code != sqltypes.DeadlockDetected && pe.Code != sqltypes.SerializationFailure && pe.Code != sqltypes.LockNotAvailable) {
				break
			}
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
			}
		}
		if err != nil {
			return res, fmt.Errorf("shard %s: %w", shard, err)
		}
		res.Shards++
		res.Rows += rows
		res.Entries += entries
	}
	return res, nil
}

func (p *Planner) backfillShard(ctx context.Context, ks *router.Keyspace, t *router.Table, lt *engine.LookupTable, shard string, commit engine.Committer) (int64, int64, error) {
	// The shards' lock graph sees the backfill as one more transaction.
	ctx = sqltypes.WithTxOwner(ctx, sqltypes.NewTxOwner())
	env := &txEnv{p: p, txs: map[[2]string]engine.Tx{}}
	defer env.rollback(ctx)
	data, err := env.ConnIn(ctx, ks.Name, shard)
	if err != nil {
		return 0, 0, err
	}
	tname, col := sqltypes.QuoteIdent(t.Name), sqltypes.QuoteIdent(lt.L.Column)
	if engine.IsPostgresShard(p.Shards[ks.Name][shard]) {
		r, err := data.Query(ctx, "LOCK TABLE "+tname+" IN SHARE MODE", nil)
		if err != nil {
			return 0, 0, err
		}
		r.Close()
	}
	r, err := data.Query(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IS NOT NULL", sqltypes.QuoteIdent(t.VindexColumn()), col, tname, col), nil)
	if err != nil {
		return 0, 0, err
	}
	fields := r.Fields()
	rows, err := sqltypes.ReadAll(ctx, r)
	if err != nil {
		return 0, 0, err
	}
	type entry struct{ val, ksid string }
	counts := map[entry]int64{}
	var order []entry
	for _, row := range rows {
		cv, err := engine.CoerceFor(t, string(row[0]), fields[0].OID)
		if err != nil {
			return 0, 0, err
		}
		ksid, err := t.Vindex.Map(cv)
		if err != nil {
			return 0, 0, err
		}
		val, err := engine.LookupText(string(row[1]), fields[1].OID)
		if err != nil {
			return 0, 0, err
		}
		e := entry{val, router.KeyspaceIDText(ksid)}
		if counts[e] == 0 {
			order = append(order, e)
		}
		counts[e]++
	}
	var written int64
	for _, e := range order {
		ksid, _ := router.ParseKeyspaceIDText(e.ksid)
		changed, err := lt.Ensure(ctx, env, e.val, ksid, counts[e])
		if err != nil {
			return 0, 0, err
		}
		if changed {
			written++
		}
	}
	if err := env.commit(ctx, commit); err != nil {
		return 0, 0, err
	}
	return int64(len(rows)), written, nil
}

// txEnv runs everything in transactions it opens itself, one per shard.
type txEnv struct {
	p     *Planner
	txs   map[[2]string]engine.Tx
	order [][2]string
}

func (e *txEnv) Conn(ctx context.Context, shard string) (engine.Conn, error) {
	return nil, fmt.Errorf("txEnv: no default keyspace")
}

func (e *txEnv) Bound() *sqltypes.Bound { return nil }

func (e *txEnv) ConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	k := [2]string{keyspace, shard}
	if tx, ok := e.txs[k]; ok {
		return tx, nil
	}
	sh, ok := e.p.Shards[keyspace][shard]
	if !ok {
		return nil, fmt.Errorf("no shard %s in keyspace %s", shard, keyspace)
	}
	tx, err := sh.Begin(ctx)
	if err != nil {
		return nil, err
	}
	e.txs[k] = tx
	e.order = append(e.order, k)
	return tx, nil
}

func (e *txEnv) DescribeConnIn(ctx context.Context, keyspace, shard string) (engine.Conn, error) {
	return e.ConnIn(ctx, keyspace, shard)
}

func (e *txEnv) commit(ctx context.Context, commit engine.Committer) error {
	var parts []engine.Participant
	for _, k := range e.order {
		parts = append(parts, engine.Participant{Keyspace: k[0], Shard: k[1], Tx: e.txs[k]})
	}
	e.txs, e.order = map[[2]string]engine.Tx{}, nil
	if len(parts) == 1 {
		return parts[0].Tx.Commit(ctx)
	}
	if commit == nil {
		for _, p := range parts {
			p.Tx.Rollback(ctx)
		}
		return fmt.Errorf("a backfill over several shards needs the commit coordinator")
	}
	return commit.Commit(ctx, parts)
}

func (e *txEnv) rollback(ctx context.Context) {
	for _, tx := range e.txs {
		tx.Rollback(ctx)
	}
	e.txs = map[[2]string]engine.Tx{}
}
