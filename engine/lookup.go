package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
)

// LookupTable reads and writes a lookup vindex's table, in the session's
// transaction, on the shards of the keyspace that holds it.
type LookupTable struct {
	L  *router.Lookup
	Ks *router.Keyspace // the lookup table's keyspace
	T  *router.Table    // its vschema entry when that keyspace is sharded
}

// LookupText is a value as lookup tables store it: the canonical text of
// the value coerced to its column's type.
func LookupText(v any, colType uint32) (string, error) {
	cv, err := Coerce(v, colType)
	if err != nil {
		return "", err
	}
	switch x := cv.(type) {
	case int64:
		return strconv.FormatInt(x, 10), nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", sqltypes.Unsupported("lookup vindex on a value of type %T", cv)
}

func (lt *LookupTable) shardOf(val string) (string, error) {
	if lt.T == nil {
		return lt.Ks.Shards[0], nil
	}
	return lt.Ks.ShardForValue(lt.T, val)
}

func (lt *LookupTable) conn(ctx context.Context, env Env, val string) (Conn, error) {
	shard, err := lt.shardOf(val)
	if err != nil {
		return nil, err
	}
	return EnvIn(env, lt.Ks.Name).Conn(ctx, shard)
}

func (lt *LookupTable) ident() (table, col string) {
	return sqltypes.QuoteIdent(lt.L.Table), sqltypes.QuoteIdent(lt.L.Column)
}

// Find returns the keyspace ids the table holds for the values.
func (lt *LookupTable) Find(ctx context.Context, env Env, vals []string) ([][]byte, error) {
	byShard := map[string][]any{}
	for _, v := range vals {
		s, err := lt.shardOf(v)
		if err != nil {
			return nil, err
		}
		byShard[s] = append(byShard[s], v)
	}
	table, col := lt.ident()
	var out [][]byte
	for shard, vs := range byShard {
		marks := make([]string, len(vs))
		for i := range vs {
			marks[i] = "$" + strconv.Itoa(i+1)
		}
		// Read in the transaction when the lookup shard is in it (it sees
		// its own entries), else outside it: a read need not lock the
		// lookup shard for the rest of the transaction.
		e := EnvIn(env, lt.Ks.Name)
		conn := e.Conn
		if d, ok := e.(DescribeEnv); ok {
			conn = d.DescribeConn
		}
		c, err := conn(ctx, shard)
		if err != nil {
			return nil, err
		}
		rows, err := c.Query(ctx, fmt.Sprintf("SELECT keyspace_id FROM %s WHERE %s IN (%s)", table, col, strings.Join(marks, ", ")), vs)
		if err != nil {
			return nil, fmt.Errorf("lookup vindex %s: %w", lt.L.Name, err)
		}
		data, err := sqltypes.ReadAll(ctx, rows)
		if err != nil {
			return nil, fmt.Errorf("lookup vindex %s: %w", lt.L.Name, err)
		}
		for _, r := range data {
			ksid, err := router.ParseKeyspaceIDText(string(r[0]))
			if err != nil {
				return nil, err
			}
			out = append(out, ksid)
		}
	}
	return out, nil
}

// Add records that a row with the value lives at ksid. A unique lookup
// refuses a value it already holds with 23505.
func (lt *LookupTable) Add(ctx context.Context, env Env, val string, ksid []byte) error {
	c, err := lt.conn(ctx, env, val)
	if err != nil {
		return err
	}
	table, col := lt.ident()
	var sql string
	if lt.L.Unique {
		sql = fmt.Sprintf("INSERT INTO %s (%s, keyspace_id) VALUES ($1, $2)", table, col)
	} else {
		sql = fmt.Sprintf("INSERT INTO %s (%s, keyspace_id, refs) VALUES ($1, $2, 1) ON CONFLICT (%s, keyspace_id) DO UPDATE SET refs = %s.refs + 1", table, col, col, table)
	}
	return lt.exec(ctx, c, sql, val, ksid)
}

// Remove forgets one row with the value at ksid.
func (lt *LookupTable) Remove(ctx context.Context, env Env, val string, ksid []byte) error {
	c, err := lt.conn(ctx, env, val)
	if err != nil {
		return err
	}
	table, col := lt.ident()
	if lt.L.Unique {
		return lt.exec(ctx, c, fmt.Sprintf("DELETE FROM %s WHERE %s = $1 AND keyspace_id = $2", table, col), val, ksid)
	}
	if err := lt.exec(ctx, c, fmt.Sprintf("UPDATE %s SET refs = refs - 1 WHERE %s = $1 AND keyspace_id = $2", table, col), val, ksid); err != nil {
		return err
	}
	return lt.exec(ctx, c, fmt.Sprintf("DELETE FROM %s WHERE %s = $1 AND keyspace_id = $2 AND refs <= 0", table, col), val, ksid)
}

func (lt *LookupTable) exec(ctx context.Context, c Conn, sql, val string, ksid []byte) error {
	rows, err := c.Query(ctx, sql, []any{val, router.KeyspaceIDText(ksid)})
	if err == nil {
		_, err = sqltypes.ReadAll(ctx, rows)
	}
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == sqltypes.UniqueViolation {
		e := sqltypes.Errorf(sqltypes.UniqueViolation, "duplicate key value violates unique lookup vindex %s", lt.L.Name)
		e.Detail = fmt.Sprintf("Key (%s)=(%s) already exists.", lt.L.Column, val)
		return e
	}
	return fmt.Errorf("lookup vindex %s: %w", lt.L.Name, err)
}

// TargetsIn resolves the route's shards; a lookup vindex's values are read
// from its table in env (inside the session's transaction, so that the
// transaction sees its own rows).
func (r *Route) TargetsIn(ctx context.Context, env Env, args []any) ([]string, error) {
	if r.Lookup == nil || (r.Opcode != SingleShard && r.Opcode != MultiShard) {
		return r.Targets(args)
	}
	var vals []string
	for _, v := range r.Values {
		val := v.eval(args)
		if val == nil {
			continue // col = NULL matches no row
		}
		t, err := LookupText(val, r.ColType)
		if isNotIntegral(err) {
			continue // no integer equals 1.5
		}
		if err != nil {
			return nil, err
		}
		vals = append(vals, t)
	}
	if len(vals) == 0 {
		return oneIfNone(r.Keyspace, nil), nil
	}
	ksids, err := r.Lookup.Find(ctx, env, vals)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range ksids {
		s, err := r.Keyspace.ShardFor(k)
		if err != nil {
			return nil, err
		}
		want[s] = true
	}
	return oneIfNone(r.Keyspace, inKeyOrder(r.Keyspace, want)), nil
}

// rangeTargets are the shards whose value ranges meet every range
// predicate of the route.
func (r *Route) rangeTargets(args []any) ([]string, error) {
	rv, ok := r.Table.Vindex.(*router.Range)
	if !ok || (rv.Text() && sqltypes.CategoryOf(r.ColType) != sqltypes.CatTime) {
		// Text ranges do not prune: the shards compare text in their
		// collation, the vindex in bytes.
		return r.Keyspace.Shards, nil
	}
	eval := func(b RangeValue) (router.Bound, bool, error) {
		v := b.Value.eval(args)
		if v == nil {
			return router.Bound{}, false, nil // col < NULL matches no row
		}
		cv, err := CoerceFor(r.Table, v, r.ColType)
		if isUnprunable(err) {
			return router.Bound{}, true, nil // ts < 200.5: no pruning by it
		}
		if err != nil {
			return router.Bound{}, false, err
		}
		return router.Bound{Value: cv, Inclusive: b.Inclusive}, true, nil
	}
	lows, highs := []router.Bound{{}}, []router.Bound{{}}
	if len(r.Lows) > 0 {
		lows = nil
	}
	if len(r.Highs) > 0 {
		highs = nil
	}
	for _, b := range r.Lows {
		bd, ok, err := eval(b)
		if err != nil || !ok {
			return nil, err
		}
		lows = append(lows, bd)
	}
	for _, b := range r.Highs {
		bd, ok, err := eval(b)
		if err != nil || !ok {
			return nil, err
		}
		highs = append(highs, bd)
	}
	// A shard must meet every pair of ends.
	count := map[string]int{}
	pairs := 0
	for _, lo := range lows {
		for _, hi := range highs {
			shards, err := rv.ShardsFor(lo, hi)
			if err != nil {
				return nil, err
			}
			for _, s := range shards {
				count[s]++
			}
			pairs++
		}
	}
	want := map[string]bool{}
	for s, n := range count {
		want[s] = n == pairs
	}
	return inKeyOrder(r.Keyspace, want), nil
}

func (r *Route) rangeText() string {
	var parts []string
	col := r.Table.VindexColumn()
	for _, b := range r.Lows {
		op := ">"
		if b.Inclusive {
			op = ">="
		}
		parts = append(parts, col+" "+op+" "+b.Value.String())
	}
	for _, b := range r.Highs {
		op := "<"
		if b.Inclusive {
			op = "<="
		}
		parts = append(parts, col+" "+op+" "+b.Value.String())
	}
	return strings.Join(parts, " AND ")
}
