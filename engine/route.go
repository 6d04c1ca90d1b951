package engine

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Opcode is how a Route picks its shards.
type Opcode int

const (
	// SingleShard: equality on the table's vindex column (a literal, or $n
	// evaluated at execution) picks exactly one shard.
	SingleShard Opcode = iota
	// MultiShard: an IN list on the vindex column picks the shards that hold
	// its values.
	MultiShard
	// Scatter: no usable vindex predicate; every shard of the keyspace.
	Scatter
	// Unsharded: the one shard of an unsharded keyspace.
	Unsharded
	// AnyShard: reference tables and statements without tables; every shard
	// has the same answer, so the first one is asked.
	AnyShard
	// AllShards: writes to reference tables and DDL go to every shard.
	AllShards
)

func (o Opcode) String() string {
	switch o {
	case SingleShard:
		return "single_shard"
	case MultiShard:
		return "multi_shard"
	case Scatter:
		return "scatter"
	case Unsharded:
		return "unsharded"
	case AnyShard:
		return "any_shard"
	case AllShards:
		return "all_shards"
	}
	return "unknown"
}

// Value is a vindex value: a literal known at plan time or a $n parameter.
type Value struct {
	Param int // 1-based parameter number; 0 means Lit
	Lit   any
}

func (v Value) eval(args []any) any {
	if v.Param > 0 {
		if v.Param-1 < len(args) {
			return args[v.Param-1]
		}
		return nil
	}
	return v.Lit
}

func (v Value) String() string {
	if v.Param > 0 {
		return fmt.Sprintf("$%d", v.Param)
	}
	if s, ok := v.Lit.(string); ok {
		return sqltypes.QuoteLiteral(s)
	}
	return fmt.Sprint(v.Lit)
}

// Route sends one SQL statement to the shards its opcode picks.
type Route struct {
	Opcode   Opcode
	Keyspace *router.Keyspace
	Shards   map[string]Shard
	Table    *router.Table // the table whose vindex routes (SingleShard, MultiShard)
	ColType  uint32        // the vindex column's type, to coerce values before hashing
	Values   []Value
	SQL      string
	Fields   []sqltypes.Field
	// EmptyTag is the command tag when no shard is asked (e.g. id = NULL).
	EmptyTag string
	// OneTag reports one shard's command tag instead of the sum (reference writes).
	OneTag bool
	// Direct is set when the route's rows go to the client unchanged (the
	// route is the plan's root): shards that can forward rows in the
	// client's formats then do (RawQuerier).
	Direct bool
	// Passthrough is set when SQL is the client's statement unchanged.
	Passthrough bool
	// BindsLiterals: planned from a normalized statement whose literals
	// may run as parameters (see literal_bind.go).
	BindsLiterals bool
	// Lookup is set when a lookup vindex routes: Values are looked up in
	// its table (ColType is then the looked-up column's type).
	Lookup *LookupTable
	// Lows and Highs are range predicates on a range vindex column
	// (Opcode MultiShard, no Values).
	Lows, Highs []RangeValue
}

// Targets resolves the shards the route runs on, in key order. When the
// values name no shard (col = NULL, an integer column = 1.5, a range gap),
// no row anywhere matches, so one shard answers for all: its answer (no
// rows, or one row of aggregates over none) and its errors are Postgres's.
func (r *Route) Targets(args []any) ([]string, error) {
	out, err := r.targets(args)
	if err != nil {
		return nil, err
	}
	return oneIfNone(r.Keyspace, out), nil
}

// oneIfNone is targets, or the first shard when no shard can hold a
// matching row (see Targets; lookups that find nothing do the same).
func oneIfNone(ks *router.Keyspace, targets []string) []string {
	if len(targets) == 0 {
		return ks.Shards[:1]
	}
	return targets
}

func (r *Route) targets(args []any) ([]string, error) {
	switch r.Opcode {
	case Scatter, AllShards:
		return r.Keyspace.Shards, nil
	case Unsharded, AnyShard:
		return r.Keyspace.Shards[:1], nil
	}
	if r.Lookup != nil {
		return nil, fmt.Errorf("route by lookup vindex %s: its shards are read from table %s", r.Lookup.L.Name, r.Lookup.L.Table)
	}
	if len(r.Lows)+len(r.Highs) > 0 {
		return r.rangeTargets(args)
	}
	want := map[string]bool{}
	for _, v := range r.Values {
		val := v.eval(args)
		if val == nil {
			continue // col = NULL matches no row
		}
		s, err := shardForValue(r.Keyspace, r.Table, val, r.ColType)
		if isNotIntegral(err) {
			continue // no integer equals 1.5: no row matches
		}
		if err != nil {
			return nil, err
		}
		want[s] = true
	}
	return inKeyOrder(r.Keyspace, want), nil
}

// inKeyOrder lists the keyspace's shards that want holds, in key order.
func inKeyOrder(ks *router.Keyspace, want map[string]bool) []string {
	var out []string
	for _, s := range ks.Shards {
		if want[s] {
			out = append(out, s)
		}
	}
	return out
}

// OpenEach starts the statement on every target shard at once and returns
// one stream per shard, in key order.
func (r *Route) OpenEach(ctx context.Context, env Env, args []any) ([]sqltypes.Rows, error) {
	targets, err := r.TargetsIn(ctx, env, args)
	if err != nil {
		return nil, err
	}
	return r.openOn(ctx, env, args, targets)
}

// openOn starts the statement on the given shards.
func (r *Route) openOn(ctx context.Context, env Env, args []any, targets []string) ([]sqltypes.Rows, error) {
	out := make([]sqltypes.Rows, len(targets))
	errs := make([]error, len(targets))
	conns := make([]Conn, len(targets))
	for i, s := range targets {
		if conns[i], errs[i] = env.Conn(ctx, s); errs[i] != nil {
			return nil, errs[i]
		}
	}
	// Forward raw only when every shard can, so that all streams are in
	// the same (the client's) formats.
	b := env.Bound()
	raw := r.Direct && b != nil
	for _, c := range conns {
		if rq, ok := c.(RawQuerier); !ok || !rq.CanQueryRaw() {
			raw = false
		}
	}
	sql := r.SQL
	if b != nil && b.Text != "" && r.Passthrough {
		if nb, ok := bindable(r, raw, b); ok {
			// The normalized statement, its literals bound as parameters:
			// each backend prepares the statement's shape once.
			b = nb
		} else {
			// Planned from the normalized statement: send the client's
			// text, whose literals are the arguments.
			sql, args, b = b.Text, nil, &sqltypes.Bound{}
		}
	}
	run := func(i int, shard string) {
		if raw {
			out[i], errs[i] = conns[i].(RawQuerier).QueryRaw(ctx, sql, b)
			return
		}
		out[i], errs[i] = conns[i].Query(ctx, sql, args)
	}
	if len(targets) == 1 {
		run(0, targets[0])
	} else {
		if rb, ok := env.(ReadBarrier); ok {
			defer rb.ReadBarrier()() // released once every shard has answered
		}
		var wg sync.WaitGroup
		for i, s := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer sqltypes.CatchPanic("shard "+s, &errs[i])
				run(i, s)
			}()
		}
		wg.Wait()
	}
	for _, e := range errs {
		if e != nil {
			for _, rs := range out {
				if rs != nil {
					rs.Close()
				}
			}
			return nil, e
		}
	}
	return out, nil
}

// Open runs the statement and concatenates the shards' answers.
func (r *Route) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	streams, err := r.OpenEach(ctx, env, args)
	if err != nil {
		return nil, err
	}
	if len(streams) == 1 {
		return streams[0], nil
	}
	c := &concatRows{fields: r.Fields, streams: streams, emptyTag: r.EmptyTag, oneTag: r.OneTag}
	if len(streams) == 0 {
		return c, nil
	}
	return sqltypes.WithFormatsOf(c, streams[0]), nil
}

// Explain prints the route, its shards and its SQL.
func (r *Route) Explain() *ExplainNode {
	props := []string{"type=" + r.Opcode.String(), "keyspace=" + r.Keyspace.Name}
	switch r.Opcode {
	case SingleShard, MultiShard:
		var vals []string
		runtime := false
		for _, v := range r.Values {
			vals = append(vals, v.String())
			runtime = runtime || v.Param > 0
		}
		switch {
		case r.Lookup != nil:
			props = append(props, fmt.Sprintf("vindex=%s(%s)", r.Lookup.L.Name, r.Lookup.L.Column), "lookup="+r.Lookup.L.Keyspace+"."+r.Lookup.L.Table, "values="+strings.Join(vals, ","))
			runtime = true
		case len(r.Lows)+len(r.Highs) > 0:
			props = append(props, fmt.Sprintf("vindex=%s(%s)", r.Table.VindexType, r.Table.VindexColumn()), "range="+r.rangeText())
			for _, b := range append(append([]RangeValue(nil), r.Lows...), r.Highs...) {
				runtime = runtime || b.Value.Param > 0
			}
		default:
			props = append(props, fmt.Sprintf("vindex=%s(%s)", r.Table.VindexType, r.Table.VindexColumn()), "values="+strings.Join(vals, ","))
		}
		if runtime {
			props = append(props, "shards=chosen at execution")
		} else if t, err := r.Targets(nil); err == nil {
			props = append(props, "shards="+strings.Join(t, ","))
		}
	default:
		t, _ := r.Targets(nil)
		props = append(props, "shards="+strings.Join(t, ","))
	}
	props = append(props, "sql="+r.SQL)
	return &ExplainNode{Op: "Route", Props: props}
}

// concatRows reads the shards' streams one after the other.
type concatRows struct {
	fields   []sqltypes.Field
	streams  []sqltypes.Rows
	i        int
	tags     []string
	emptyTag string
	oneTag   bool
}

func (c *concatRows) Fields() []sqltypes.Field { return c.fields }

func (c *concatRows) Next(ctx context.Context) (sqltypes.Row, error) {
	for c.i < len(c.streams) {
		row, err := c.streams[c.i].Next(ctx)
		if err == io.EOF {
			c.tags = append(c.tags, c.streams[c.i].Tag())
			c.streams[c.i].Close()
			c.i++
			continue
		}
		return row, err
	}
	return nil, io.EOF
}

func (c *concatRows) Tag() string {
	if len(c.tags) == 0 {
		return c.emptyTag
	}
	if c.oneTag {
		return c.tags[0]
	}
	return SumTags(c.tags)
}

func (c *concatRows) Close() {
	for ; c.i < len(c.streams); c.i++ {
		c.streams[c.i].Close()
	}
}

// SumTags adds up the row counts of command tags from several shards
// ("UPDATE 2" + "UPDATE 3" = "UPDATE 5"; "INSERT 0 1" + "INSERT 0 2" = "INSERT 0 3").
func SumTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	var total int64
	prefix := tags[0]
	for _, t := range tags {
		i := strings.LastIndexByte(t, ' ')
		if i < 0 {
			return tags[0]
		}
		n, err := strconv.ParseInt(t[i+1:], 10, 64)
		if err != nil {
			return tags[0]
		}
		total += n
		prefix = t[:i]
	}
	return prefix + " " + strconv.FormatInt(total, 10)
}

// RangeValue is one end of a range predicate on a range vindex column.
type RangeValue struct {
	Value     Value
	Inclusive bool
}

// Inputs is empty: it talks to shards itself.
func (r *Route) Inputs() []Operator { return nil }

// MayWriteSeveralShards: see ShardWriter.
func (r *Route) MayWriteSeveralShards() bool {
	return len(r.Keyspace.Shards) > 1 && r.Opcode != SingleShard && r.Opcode != Unsharded && r.Opcode != AnyShard
}
