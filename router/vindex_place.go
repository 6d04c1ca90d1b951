package router

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// shardStart is the keyspace id a placing vindex (range, consistent_hash)
// gives the values of a shard: the first id of the shard's key range, so
// that the key ranges route it back to that shard.
func shardStart(m *ShardMap, shard string) []byte {
	ksid := make([]byte, 8)
	for i, n := range m.names {
		if n == shard {
			copy(ksid, m.ranges[i].Start)
		}
	}
	return ksid
}

// ConsistentHash places values on a hash ring: each shard owns
// VirtualNodes points, and a value goes to the shard owning the first point
// at or after the value's hash. Adding a shard takes about 1/N of the
// values, all from the other shards, and moves no value between them.
type ConsistentHash struct {
	points []uint64 // sorted ring positions
	owner  []string // the shard of each point
	starts map[string][]byte
	vnodes int
}

const defaultVirtualNodes = 256

func newConsistentHash(cfg VindexConfig, shards *ShardMap) (Vindex, error) {
	if cfg.Table != "" || cfg.Unique || len(cfg.Ranges) > 0 {
		return nil, fmt.Errorf("vindex type consistent_hash takes only virtualNodes")
	}
	if shards == nil {
		return nil, fmt.Errorf("consistent_hash vindex needs the keyspace's shards")
	}
	return NewConsistentHash(shards, cfg.VirtualNodes)
}

// NewConsistentHash builds the ring over the shards, vnodes points each
// (0: the default, 256). A point's position is the xxHash64 of
// "shard#i", so a shard keeps its points when others come and go.
func NewConsistentHash(shards *ShardMap, vnodes int) (*ConsistentHash, error) {
	if vnodes == 0 {
		vnodes = defaultVirtualNodes
	}
	if vnodes < 1 || vnodes > 10000 {
		return nil, fmt.Errorf("consistent_hash: virtualNodes must be between 1 and 10000, got %d", vnodes)
	}
	starts := map[string][]byte{}
	for _, s := range shards.Names() {
		starts[s] = shardStart(shards, s)
	}
	return newRing(shards.Names(), starts, vnodes), nil
}

// newRing places vnodes points for each named shard; starts are the
// keyspace ids Map returns per shard.
func newRing(names []string, starts map[string][]byte, vnodes int) *ConsistentHash {
	c := &ConsistentHash{starts: starts, vnodes: vnodes}
	type point struct {
		pos   uint64
		shard string
	}
	var pts []point
	for _, s := range names {
		for i := 0; i < vnodes; i++ {
			pts = append(pts, point{binary.LittleEndian.Uint64(hashBytes([]byte(s + "#" + strconv.Itoa(i)))), s})
		}
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].pos != pts[j].pos {
			return pts[i].pos < pts[j].pos
		}
		return pts[i].shard < pts[j].shard
	})
	for _, p := range pts {
		c.points = append(c.points, p.pos)
		c.owner = append(c.owner, p.shard)
	}
	return c
}

// Type returns "consistent_hash".
func (*ConsistentHash) Type() string { return "consistent_hash" }

// Shard returns the shard that owns value on the ring.
func (c *ConsistentHash) Shard(value any) (string, error) {
	h, err := (&Hash{}).Map(value)
	if err != nil {
		return "", fmt.Errorf("consistent_hash vindex: %w", err)
	}
	pos := binary.BigEndian.Uint64(h)
	i := sort.Search(len(c.points), func(i int) bool { return c.points[i] >= pos })
	if i == len(c.points) {
		i = 0 // past the last point: wrap around the ring
	}
	return c.owner[i], nil
}

// Map returns the first keyspace id of the value's shard.
func (c *ConsistentHash) Map(value any) ([]byte, error) {
	s, err := c.Shard(value)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), c.starts[s]...), nil
}

// Same reports whether o places every value as c does.
func (c *ConsistentHash) Same(o Vindex) bool {
	oc, ok := o.(*ConsistentHash)
	if !ok || len(oc.points) != len(c.points) {
		return false
	}
	for i := range c.points {
		if c.points[i] != oc.points[i] || c.owner[i] != oc.owner[i] {
			return false
		}
	}
	return true
}

// Range places values by explicit per-shard value ranges [From, To): From
// is included and To excluded; a nil bound is unbounded. Bounds are all
// integers or all strings (compared bytewise). A value no range holds has
// no shard: writing it is an error.
type Range struct {
	parts  []RangePart // sorted by From
	tparts []RangePart // the string bounds read as dates/timestamps, when they all are
	starts map[string][]byte
	text   bool
}

// RangePart is one shard's value range.
type RangePart struct {
	Shard    string
	From, To any // int64, string or nil
}

func newRange(cfg VindexConfig, shards *ShardMap) (Vindex, error) {
	if cfg.Table != "" || cfg.Unique || cfg.VirtualNodes != 0 {
		return nil, fmt.Errorf("vindex type range takes only ranges")
	}
	if len(cfg.Ranges) == 0 {
		return nil, fmt.Errorf("range vindex: no ranges (want ranges: {SHARD: [from, to], ...}, null for unbounded)")
	}
	if shards == nil {
		return nil, fmt.Errorf("range vindex needs the keyspace's shards")
	}
	var parts []RangePart
	for shard, b := range cfg.Ranges {
		if len(b) != 2 {
			return nil, fmt.Errorf("range vindex: shard %s: want [from, to], got %d values", shard, len(b))
		}
		found := false
		for _, n := range shards.Names() {
			found = found || n == shard
		}
		if !found {
			return nil, fmt.Errorf("range vindex: %s is not a shard of the keyspace", shard)
		}
		from, err := rangeBound(b[0])
		if err != nil {
			return nil, fmt.Errorf("range vindex: shard %s: %w", shard, err)
		}
		to, err := rangeBound(b[1])
		if err != nil {
			return nil, fmt.Errorf("range vindex: shard %s: %w", shard, err)
		}
		parts = append(parts, RangePart{Shard: shard, From: from, To: to})
	}
	return NewRange(shards, parts)
}

func rangeBound(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return x, nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
			return nil, fmt.Errorf("bound %v is not an integer", x)
		}
		return int64(x), nil
	}
	if u, ok := asSignedInt(v); ok {
		return u, nil
	}
	return nil, fmt.Errorf("bound %v (%T) is neither an integer nor a string", v, v)
}

// NewRange checks that the ranges do not overlap and share one bound type.
func NewRange(shards *ShardMap, parts []RangePart) (*Range, error) {
	r := &Range{parts: append([]RangePart(nil), parts...), starts: map[string][]byte{}}
	kinds := map[bool]bool{}
	for _, p := range parts {
		for _, b := range []any{p.From, p.To} {
			switch b.(type) {
			case nil:
			case string:
				kinds[true] = true
			case int64:
				kinds[false] = true
			default:
				return nil, fmt.Errorf("range vindex: shard %s: bound %v (%T) is neither an int64 nor a string", p.Shard, b, b)
			}
		}
	}
	if len(kinds) > 1 {
		return nil, fmt.Errorf("range vindex: bounds mix integers and strings")
	}
	for _, p := range parts {
		known := false
		for _, n := range shards.Names() {
			known = known || n == p.Shard
		}
		if !known {
			return nil, fmt.Errorf("range vindex: %s is not a shard of the keyspace", p.Shard)
		}
		if p.From != nil && p.To != nil && compareBound(p.From, p.To) >= 0 {
			return nil, fmt.Errorf("range vindex: shard %s: from %v is not below to %v", p.Shard, p.From, p.To)
		}
		r.starts[p.Shard] = shardStart(shards, p.Shard)
	}
	r.text = kinds[true]
	sort.Slice(r.parts, func(i, j int) bool { return lessFrom(r.parts[i].From, r.parts[j].From) })
	for i := 1; i < len(r.parts); i++ {
		prev, cur := r.parts[i-1], r.parts[i]
		if prev.To == nil || cur.From == nil || compareBound(prev.To, cur.From) > 0 {
			return nil, fmt.Errorf("range vindex: the ranges of shards %s and %s overlap", prev.Shard, cur.Shard)
		}
	}
	if r.text {
		r.tparts = timeParts(r.parts)
	}
	return r, nil
}

// timeParts reads string bounds as dates or timestamps; nil unless every
// bound is one. ISO dates sort as their strings do, so the order and the
// overlap checks of the strings hold for the times.
func timeParts(parts []RangePart) []RangePart {
	out := make([]RangePart, len(parts))
	for i, p := range parts {
		out[i].Shard = p.Shard
		for j, b := range []any{p.From, p.To} {
			if b == nil {
				continue
			}
			t, ok := ParseRangeTime(b.(string))
			if !ok {
				return nil
			}
			if j == 0 {
				out[i].From = t
			} else {
				out[i].To = t
			}
		}
	}
	return out
}

// ParseRangeTime reads a date or timestamp written in ISO form
// (YYYY-MM-DD, optionally with " HH:MM:SS[.ffffff]" or "T..."), as a
// time without zone (UTC).
func ParseRangeTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Times reports whether the bounds are dates or timestamps, so that date
// and timestamp columns can use the vindex.
func (r *Range) Times() bool { return r.tparts != nil }

// lessFrom orders lower bounds, nil (unbounded) first.
func lessFrom(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b != nil
	}
	return compareBound(a, b) < 0
}

// compareBound compares two non-nil bounds of the same kind.
func compareBound(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case string:
		return cmp.Compare(x, b.(string))
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	return 0
}

// Type returns "range".
func (*Range) Type() string { return "range" }

// Text reports whether the bounds are strings.
func (r *Range) Text() bool { return r.text }

// Parts returns the ranges in value order.
func (r *Range) Parts() []RangePart { return r.parts }

// value converts a column value to the bounds' kind.
func (r *Range) value(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("range vindex: cannot place NULL")
	case time.Time:
		if r.tparts == nil {
			return nil, fmt.Errorf("range vindex: the ranges are not dates, got the time %s", x.Format(time.RFC3339))
		}
		return x, nil
	case string:
		if !r.text {
			return nil, fmt.Errorf("range vindex: the ranges are integers, got the string %q", x)
		}
		return x, nil
	case []byte:
		if !r.text {
			return nil, fmt.Errorf("range vindex: the ranges are integers, got a byte string")
		}
		return string(x), nil
	}
	u, ok := asSignedInt(v)
	if !ok {
		return nil, fmt.Errorf("range vindex: cannot place a value of type %T (or an integer beyond int64)", v)
	}
	if r.text {
		return nil, fmt.Errorf("range vindex: the ranges are strings, got the integer %d", u)
	}
	return u, nil
}

// asSignedInt converts a Go integer to int64, refusing uint64 values
// beyond its range (they would wrap to negative numbers).
func asSignedInt(v any) (int64, bool) {
	switch x := v.(type) {
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	}
	u, ok := asUint64(v)
	return int64(u), ok
}

// partsOf are the ranges to compare a converted value with.
func (r *Range) partsOf(v any) []RangePart {
	if _, isTime := v.(time.Time); isTime {
		return r.tparts
	}
	return r.parts
}

// Shard returns the shard whose range holds value (int64, string, or
// time.Time when the bounds are dates).
func (r *Range) Shard(value any) (string, error) {
	v, err := r.value(value)
	if err != nil {
		return "", err
	}
	for _, p := range r.partsOf(v) {
		if (p.From == nil || compareBound(p.From, v) <= 0) && (p.To == nil || compareBound(v, p.To) < 0) {
			return p.Shard, nil
		}
	}
	return "", fmt.Errorf("range vindex: no shard's range holds the value %v", v)
}

// Map returns the first keyspace id of the value's shard.
func (r *Range) Map(value any) ([]byte, error) {
	s, err := r.Shard(value)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r.starts[s]...), nil
}

// Bound is one end of a range predicate (col > 5, col <= $1).
type Bound struct {
	Value     any // nil: unbounded
	Inclusive bool
}

// ShardsFor returns the shards whose ranges hold some value v with
// lo < v < hi (<= where inclusive), in value order.
func (r *Range) ShardsFor(lo, hi Bound) ([]string, error) {
	var err error
	if lo.Value != nil {
		if lo.Value, err = r.value(lo.Value); err != nil {
			return nil, err
		}
	}
	if hi.Value != nil {
		if hi.Value, err = r.value(hi.Value); err != nil {
			return nil, err
		}
	}
	parts := r.parts
	if lo.Value != nil {
		parts = r.partsOf(lo.Value)
	} else if hi.Value != nil {
		parts = r.partsOf(hi.Value)
	}
	var out []string
	for _, p := range parts {
		// Below the range: the predicate's upper end is under its From.
		if hi.Value != nil && p.From != nil {
			if c := compareBound(hi.Value, p.From); c < 0 || (c == 0 && !hi.Inclusive) {
				continue
			}
		}
		// Above the range: the lower end is at or past its To.
		if lo.Value != nil && p.To != nil && compareBound(lo.Value, p.To) >= 0 {
			continue
		}
		out = append(out, p.Shard)
	}
	return out, nil
}

// Same reports whether o places every value as r does.
func (r *Range) Same(o Vindex) bool {
	or, ok := o.(*Range)
	if !ok || len(or.parts) != len(r.parts) {
		return false
	}
	for i, p := range r.parts {
		q := or.parts[i]
		if p.Shard != q.Shard || p.From != q.From || p.To != q.To {
			return false
		}
	}
	return true
}

// SameVindex reports whether two vindexes place every value on the same
// shard, so that rows of two tables joined on their vindex columns meet on
// one shard.
func SameVindex(a, b Vindex) bool {
	if a == nil || b == nil || a.Type() != b.Type() {
		return false
	}
	if s, ok := a.(interface{ Same(Vindex) bool }); ok {
		return s.Same(b)
	}
	return true
}
