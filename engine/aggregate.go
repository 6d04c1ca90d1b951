package engine

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
)

// AggFunc is a mergeable aggregate.
type AggFunc string

// The aggregates the gate merges across shards. avg is computed from a
// pushed-down sum and count.
const (
	AggCount AggFunc = "count"
	AggSum   AggFunc = "sum"
	AggMin   AggFunc = "min"
	AggMax   AggFunc = "max"
	AggAvg   AggFunc = "avg"
	// AggFirst keeps the first value of a group: an expression over the
	// group keys, the same on every shard.
	AggFirst AggFunc = "first"
)

// AggSpec merges one aggregate from the shards' partial results.
type AggSpec struct {
	Func     AggFunc
	Col      int    // input column of the partial (the sum, for avg)
	CountCol int    // avg only: input column of the partial count
	InOID    uint32 // type of the partial at Col
	Out      sqltypes.Field
	Label    string // for EXPLAIN, e.g. "avg(id)"
}

// Aggregate merges partial aggregates. Its input is sorted on the first
// NumKeys columns (the GROUP BY keys), so it streams one group at a time;
// without keys it returns exactly one row. Output: the keys, then one column
// per AggSpec.
type Aggregate struct {
	Input   Operator
	NumKeys int
	KeyOIDs []uint32
	Aggs    []AggSpec
	Fields  []sqltypes.Field
}

// Open wraps the input.
func (a *Aggregate) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return openInput(ctx, env, args, a.Input, func(in sqltypes.Rows) sqltypes.Rows {
		return &aggRows{a: a, in: in}
	})
}

// Explain lists the groups and aggregates.
func (a *Aggregate) Explain() *ExplainNode {
	var labels []string
	for _, g := range a.Aggs {
		labels = append(labels, g.Label)
	}
	props := []string{fmt.Sprintf("group_keys=%d", a.NumKeys), "aggregates=" + strings.Join(labels, ", ")}
	return &ExplainNode{Op: "Aggregate", Props: props, Children: []*ExplainNode{a.Input.Explain()}}
}

type accum struct {
	null  bool // no non-NULL input seen (sum/min/max) or no rows (avg)
	i     int64
	f     float64
	d     sqltypes.Decimal
	cnt   int64
	bytes []byte
}

type aggRows struct {
	a       *Aggregate
	in      sqltypes.Rows
	pending sqltypes.Row // first row of the next group
	done    bool
	started bool
	n       int64
}

func (r *aggRows) Fields() []sqltypes.Field { return r.a.Fields }
func (r *aggRows) Tag() string              { return selectTag(r.n) }
func (r *aggRows) Close()                   { r.in.Close() }

func (r *aggRows) sameGroup(a, b sqltypes.Row) (bool, error) {
	for i := 0; i < r.a.NumKeys; i++ {
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if (x == nil) != (y == nil) {
				return false, nil
			}
			continue
		}
		c, err := sqltypes.Compare(r.a.KeyOIDs[i], x, y)
		if err != nil {
			return false, err
		}
		if c != 0 {
			return false, nil
		}
	}
	return true, nil
}

func (r *aggRows) Next(ctx context.Context) (sqltypes.Row, error) {
	if r.done {
		return nil, io.EOF
	}
	if !r.started {
		r.started = true
		row, err := r.in.Next(ctx)
		if err == io.EOF {
			r.done = true
			if r.a.NumKeys == 0 {
				r.n++
				return r.finish(nil, make([]accum, len(r.a.Aggs)))
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		r.pending = row
	}
	if r.pending == nil {
		r.done = true
		return nil, io.EOF
	}
	first := r.pending
	acc := make([]accum, len(r.a.Aggs))
	for i := range acc {
		acc[i].null = true
	}
	if err := r.add(acc, first); err != nil {
		return nil, err
	}
	for {
		row, err := r.in.Next(ctx)
		if err == io.EOF {
			r.pending = nil
			break
		}
		if err != nil {
			return nil, err
		}
		same, err := r.sameGroup(first, row)
		if err != nil {
			return nil, err
		}
		if !same {
			r.pending = row
			break
		}
		if err := r.add(acc, row); err != nil {
			return nil, err
		}
	}
	r.n++
	return r.finish(first, acc)
}

func (r *aggRows) add(acc []accum, row sqltypes.Row) error {
	for i, g := range r.a.Aggs {
		v := row[g.Col]
		ac := &acc[i]
		switch g.Func {
		case AggCount:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("merge count: %w", err)
			}
			ac.i += n
			ac.null = false
		case AggSum, AggAvg:
			if g.Func == AggAvg {
				n, err := strconv.ParseInt(string(row[g.CountCol]), 10, 64)
				if err != nil {
					return fmt.Errorf("merge avg count: %w", err)
				}
				ac.cnt += n
			}
			if v == nil {
				continue
			}
			if err := addSum(ac, g.InOID, v); err != nil {
				return err
			}
		case AggFirst:
			if ac.cnt == 0 {
				ac.bytes, ac.cnt = v, 1
			}
		case AggMin, AggMax:
			if v == nil {
				continue
			}
			if ac.null {
				ac.bytes, ac.null = v, false
				continue
			}
			c, err := sqltypes.Compare(g.InOID, v, ac.bytes)
			if err != nil {
				return err
			}
			if (g.Func == AggMin && c < 0) || (g.Func == AggMax && c > 0) {
				ac.bytes = v
			}
		}
	}
	return nil
}

func addSum(ac *accum, oid uint32, v []byte) error {
	switch sqltypes.CategoryOf(oid) {
	case sqltypes.CatInt:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("merge sum: %w", err)
		}
		if (n > 0 && ac.i > math.MaxInt64-n) || (n < 0 && ac.i < math.MinInt64-n) {
			return sqltypes.Errorf(sqltypes.NumericValueOutOfRange, "bigint out of range")
		}
		ac.i += n
	case sqltypes.CatFloat:
		f, err := sqltypes.ParseFloat(string(v))
		if err != nil {
			return fmt.Errorf("merge sum: %w", err)
		}
		ac.f += f
	case sqltypes.CatNumeric:
		d, err := sqltypes.ParseDecimal(string(v))
		if err != nil {
			return fmt.Errorf("merge sum: %w", err)
		}
		if ac.null {
			ac.d = d
		} else {
			ac.d = ac.d.Add(d)
		}
	default:
		return sqltypes.Unsupported("sum over %s across shards", sqltypes.TypeName(oid))
	}
	ac.null = false
	return nil
}

func (r *aggRows) finish(keys sqltypes.Row, acc []accum) (sqltypes.Row, error) {
	out := make(sqltypes.Row, r.a.NumKeys+len(r.a.Aggs))
	copy(out, keys)
	for i, g := range r.a.Aggs {
		ac := acc[i]
		var v []byte
		switch g.Func {
		case AggCount:
			v = []byte(strconv.FormatInt(ac.i, 10))
		case AggFirst:
			v = ac.bytes
		case AggMin, AggMax:
			if !ac.null {
				v = ac.bytes
			}
		case AggSum:
			if !ac.null {
				v = sumText(g.InOID, ac)
			}
		case AggAvg:
			if ac.cnt > 0 && !ac.null {
				switch sqltypes.CategoryOf(g.InOID) {
				case sqltypes.CatFloat:
					v = []byte(sqltypes.FormatFloat8(ac.f / float64(ac.cnt)))
				case sqltypes.CatInt:
					d, err := sqltypes.ParseDecimal(strconv.FormatInt(ac.i, 10))
					if err != nil {
						return nil, err
					}
					v = []byte(sqltypes.DivAvg(d, ac.cnt).String())
				default:
					v = []byte(sqltypes.DivAvg(ac.d, ac.cnt).String())
				}
			}
		}
		out[r.a.NumKeys+i] = v
	}
	return out, nil
}

func sumText(oid uint32, ac accum) []byte {
	switch sqltypes.CategoryOf(oid) {
	case sqltypes.CatInt:
		return []byte(strconv.FormatInt(ac.i, 10))
	case sqltypes.CatFloat:
		if oid == sqltypes.OIDFloat4 {
			return []byte(sqltypes.FormatFloat4(float32(ac.f)))
		}
		return []byte(sqltypes.FormatFloat8(ac.f))
	}
	return []byte(ac.d.String())
}

// Inputs is the operator it reads.
func (a *Aggregate) Inputs() []Operator { return []Operator{a.Input} }
