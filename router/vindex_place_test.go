package router

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// evenShardMap is the ShardMap of EvenShards(n).
func evenShardMap(t *testing.T, n int) *ShardMap {
	t.Helper()
	names, err := EvenShards(n)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewShardMap(names)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testRing builds a consistent_hash ring over arbitrary shard names (which
// need not tile), the way NewConsistentHash builds it over a ShardMap's
// names. It exists because NewShardMap only accepts names that tile, so
// there is no way to add a fifth shard to a four-shard map while keeping
// the four names. TestTestRingMatchesNewConsistentHash checks that it
// builds the same ring as NewConsistentHash.
func testRing(names []string, vnodes int) *ConsistentHash {
	starts := map[string][]byte{}
	for _, n := range names {
		starts[n] = make([]byte, 8)
	}
	return newRing(names, starts, vnodes)
}

// checkEven fails if any shard's share of n values is outside [0.9, 1.1]
// times the even share, and returns the shares.
func checkEven(t *testing.T, what string, names []string, counts map[string]int, n int) []float64 {
	t.Helper()
	even := 1 / float64(len(names))
	var fracs []float64
	for _, s := range names {
		frac := float64(counts[s]) / float64(n)
		fracs = append(fracs, frac)
		if frac < even*0.9 || frac > even*1.1 {
			t.Errorf("%s: shard %s got %.4f of %d values, want within 10%% of %.4f", what, s, frac, n, even)
		}
	}
	t.Logf("%s: shares %v", what, fracs)
	return fracs
}

func TestTestRingMatchesNewConsistentHash(t *testing.T) {
	m := evenShardMap(t, 4)
	for _, vnodes := range []int{1, 16, defaultVirtualNodes} {
		c, err := NewConsistentHash(m, vnodes)
		if err != nil {
			t.Fatal(err)
		}
		r := testRing(m.Names(), vnodes)
		if !c.Same(r) || !r.Same(c) {
			t.Errorf("vnodes %d: testRing differs from NewConsistentHash", vnodes)
		}
		if len(c.points) != 4*vnodes || !sort.SliceIsSorted(c.points, func(i, j int) bool { return c.points[i] < c.points[j] }) {
			t.Errorf("vnodes %d: %d points, sorted %v", vnodes, len(c.points), sort.SliceIsSorted(c.points, func(i, j int) bool { return c.points[i] < c.points[j] }))
		}
	}
}

func TestConsistentHashDistribution(t *testing.T) {
	m := evenShardMap(t, 4)
	v, err := NewVindex(VindexConfig{Type: "consistent_hash"}, m)
	if err != nil {
		t.Fatal(err)
	}
	c := v.(*ConsistentHash)
	if c.vnodes != defaultVirtualNodes || len(c.points) != 4*defaultVirtualNodes {
		t.Fatalf("default ring has vnodes %d and %d points, want %d and %d", c.vnodes, len(c.points), defaultVirtualNodes, 4*defaultVirtualNodes)
	}
	const n = 100000
	count := func(gen func(i int) any) map[string]int {
		counts := map[string]int{}
		for i := 0; i < n; i++ {
			s, err := c.Shard(gen(i))
			if err != nil {
				t.Fatal(err)
			}
			counts[s]++
		}
		return counts
	}
	checkEven(t, "sequential int64", m.Names(), count(func(i int) any { return int64(i + 1) }), n)
	rnd := rand.New(rand.NewSource(42))
	checkEven(t, "random int64", m.Names(), count(func(int) any { return int64(rnd.Uint64()) }), n)
	checkEven(t, "strings", m.Names(), count(func(i int) any { return fmt.Sprintf("user-%d", i) }), n)
}

func TestConsistentHashAddShardMovesOneNth(t *testing.T) {
	old := []string{"s0", "s1", "s2", "s3"}
	grown := append(append([]string(nil), old...), "s4")
	before := testRing(old, defaultVirtualNodes)
	after := testRing(grown, defaultVirtualNodes)
	for _, keys := range []struct {
		name string
		gen  func(i int) any
	}{
		{"sequential int64", func(i int) any { return int64(i + 1) }},
		{"strings", func(i int) any { return "user-" + strconv.Itoa(i) }},
	} {
		const n = 100000
		moved, toNew := 0, 0
		for i := 0; i < n; i++ {
			v := keys.gen(i)
			a, err := before.Shard(v)
			if err != nil {
				t.Fatal(err)
			}
			b, err := after.Shard(v)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				moved++
				if b == "s4" {
					toNew++
				} else {
					t.Errorf("%s: %v moved from %s to %s, not to the new shard", keys.name, v, a, b)
				}
			}
		}
		frac := float64(moved) / n
		t.Logf("%s: %.4f of %d keys moved from 4 to 5 shards (ideal 0.20)", keys.name, frac, n)
		if frac < 0.15 || frac > 0.25 {
			t.Errorf("%s: %.4f of the keys moved, want within [0.15, 0.25]", keys.name, frac)
		}
		if toNew != moved {
			t.Errorf("%s: %d keys moved, %d to the new shard", keys.name, moved, toNew)
		}
	}
	// Removing the shard again puts every key back where it was.
	for i := 0; i < 1000; i++ {
		a, _ := before.Shard(int64(i))
		b, _ := after.Shard(int64(i))
		if b != "s4" && a != b {
			t.Errorf("%d: on %s before, %s after", i, a, b)
		}
	}
}

func TestConsistentHashMap(t *testing.T) {
	m := evenShardMap(t, 4)
	v, err := NewVindex(VindexConfig{Type: "consistent_hash", VirtualNodes: 64}, m)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type() != "consistent_hash" {
		t.Errorf("Type() = %q", v.Type())
	}
	c := v.(*ConsistentHash)
	if c.vnodes != 64 || len(c.points) != 4*64 {
		t.Errorf("virtualNodes 64 gave vnodes %d, %d points", c.vnodes, len(c.points))
	}
	starts := map[string]string{"-40": "0000000000000000", "40-80": "4000000000000000", "80-c0": "8000000000000000", "c0-": "c000000000000000"}
	seen := map[string]bool{}
	values := []any{nil, int64(0), int64(1), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 7, int32(7), uint8(7), uint64(7), "", "a", "hello", []byte("hello")}
	for i := 0; i < 200; i++ {
		values = append(values, int64(i), "k"+strconv.Itoa(i))
	}
	for _, val := range values[1:] {
		s, err := c.Shard(val)
		if err != nil {
			t.Fatalf("Shard(%T %v): %v", val, val, err)
		}
		seen[s] = true
		ksid, err := c.Map(val)
		if err != nil {
			t.Fatalf("Map(%T %v): %v", val, val, err)
		}
		if len(ksid) != 8 || hex.EncodeToString(ksid) != starts[s] {
			t.Errorf("Map(%T %v) = %x, want the start of %s (%s)", val, val, ksid, s, starts[s])
		}
		if f, err := m.Find(ksid); err != nil || f != s {
			t.Errorf("Find(Map(%T %v)) = %q, %v; Shard = %q", val, val, f, err, s)
		}
	}
	if len(seen) != 4 {
		t.Errorf("values reached only shards %v", seen)
	}
	// Equal values of different integer types, and string vs []byte, agree.
	for _, pair := range [][2]any{{int64(7), 7}, {int64(7), int32(7)}, {int64(7), uint8(7)}, {int64(7), uint64(7)}, {int64(-1), uint64(math.MaxUint64)}, {"hello", []byte("hello")}} {
		a, _ := c.Shard(pair[0])
		b, _ := c.Shard(pair[1])
		if a != b {
			t.Errorf("%T %v on %s, %T %v on %s", pair[0], pair[0], a, pair[1], pair[1], b)
		}
	}
	for _, bad := range []any{nil, 1.5, true, struct{}{}} {
		if _, err := c.Shard(bad); err == nil {
			t.Errorf("Shard(%T %v) succeeded", bad, bad)
		}
		if _, err := c.Map(bad); err == nil {
			t.Errorf("Map(%T %v) succeeded", bad, bad)
		}
	}
}

func TestConsistentHashWrapAround(t *testing.T) {
	c := testRing([]string{"a", "b"}, 4)
	// A value hashing past the last point goes to the first point's owner.
	first, last := c.owner[0], c.points[len(c.points)-1]
	found := false
	for i := int64(0); i < 100000 && !found; i++ {
		h, _ := (&Hash{}).Map(i)
		if binary.BigEndian.Uint64(h) > last {
			found = true
			if s, _ := c.Shard(i); s != first {
				t.Errorf("%d hashes past the last point; on %s, want %s (the first point's owner)", i, s, first)
			}
		}
	}
	if !found {
		t.Skip("no value hashes past the last point")
	}
}

func TestConsistentHashSame(t *testing.T) {
	m4 := evenShardMap(t, 4)
	m2 := evenShardMap(t, 2)
	mk := func(m *ShardMap, vnodes int) *ConsistentHash {
		c, err := NewConsistentHash(m, vnodes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := mk(m4, 0), mk(m4, 256)
	if !a.Same(b) || !SameVindex(a, b) {
		t.Error("two default rings over the same shards differ")
	}
	if a.Same(mk(m4, 100)) || SameVindex(a, mk(m4, 100)) {
		t.Error("rings with 256 and 100 virtual nodes are the same")
	}
	if a.Same(mk(m2, 0)) {
		t.Error("rings over 4 and 2 shards are the same")
	}
	if a.Same(&Hash{}) || SameVindex(a, &Hash{}) {
		t.Error("consistent_hash is the same as hash")
	}
}

func TestConsistentHashErrors(t *testing.T) {
	m := evenShardMap(t, 4)
	for _, vn := range []int{-1, 10001, math.MaxInt32} {
		if _, err := NewConsistentHash(m, vn); err == nil || !strings.Contains(err.Error(), "virtualNodes") {
			t.Errorf("NewConsistentHash(vnodes %d) = %v, want a virtualNodes error", vn, err)
		}
		if _, err := NewVindex(VindexConfig{Type: "consistent_hash", VirtualNodes: vn}, m); err == nil {
			t.Errorf("NewVindex(consistent_hash, virtualNodes %d) succeeded", vn)
		}
	}
	for _, vn := range []int{1, 10000} {
		if _, err := NewConsistentHash(m, vn); err != nil {
			t.Errorf("NewConsistentHash(vnodes %d): %v", vn, err)
		}
	}
	for _, cfg := range []VindexConfig{
		{Type: "consistent_hash", Table: "t"},
		{Type: "consistent_hash", Unique: true},
		{Type: "consistent_hash", Ranges: map[string][]any{"-40": {nil, 1}}},
		{Type: "consistent_hash", Ranges: map[string][]any{"-80": {nil, nil}}},
	} {
		if _, err := NewVindex(cfg, m); err == nil {
			t.Errorf("NewVindex(%+v) succeeded", cfg)
		}
	}
	if _, err := NewVindex(VindexConfig{Type: "consistent_hash"}, nil); err == nil {
		t.Error("consistent_hash without shards succeeded")
	}
	// virtualNodes is a consistent_hash setting only.
	for _, typ := range []string{"hash", "null"} {
		if _, err := NewVindex(VindexConfig{Type: typ, VirtualNodes: 8}, nil); err == nil {
			t.Errorf("%s accepted virtualNodes", typ)
		}
	}
}

// intRanges is the range vindex {-80: [nil, 1000000), 80-: [1000000, nil)}.
func intRanges(t *testing.T) (*Range, *ShardMap) {
	t.Helper()
	m := evenShardMap(t, 2)
	v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-80": {nil, 1000000}, "80-": {1000000, nil}}}, m)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*Range), m
}

func TestRangeBoundaries(t *testing.T) {
	r, m := intRanges(t)
	if r.Type() != "range" || r.Text() {
		t.Errorf("Type() = %q, Text() = %v", r.Type(), r.Text())
	}
	tests := []struct {
		value any
		want  string
	}{
		{int64(999999), "-80"},
		{int64(1000000), "80-"},
		{int64(1000001), "80-"},
		{int64(0), "-80"},
		{int64(-5), "-80"},
		{int64(math.MinInt64), "-80"},
		{int64(math.MaxInt64), "80-"},
		{999999, "-80"},
		{1000000, "80-"},
		{int32(999999), "-80"},
		{int32(1000000), "80-"},
		{int32(math.MinInt32), "-80"},
		{int16(-1), "-80"},
		{int8(127), "-80"},
		{uint8(255), "-80"},
		{uint16(65535), "-80"},
		{uint32(1000000), "80-"},
		{uint32(math.MaxUint32), "80-"},
		{uint(999999), "-80"},
		{uint64(1000000), "80-"},
		{uint64(math.MaxInt64), "80-"},
	}
	for _, tt := range tests {
		got, err := r.Shard(tt.value)
		if err != nil {
			t.Errorf("Shard(%T %v): %v", tt.value, tt.value, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Shard(%T %v) = %q, want %q", tt.value, tt.value, got, tt.want)
		}
		ksid, err := r.Map(tt.value)
		if err != nil {
			t.Fatalf("Map(%T %v): %v", tt.value, tt.value, err)
		}
		if len(ksid) != 8 {
			t.Errorf("Map(%T %v) = %x, not 8 bytes", tt.value, tt.value, ksid)
		}
		if f, err := m.Find(ksid); err != nil || f != tt.want {
			t.Errorf("Find(Map(%T %v)) = %q, %v, want %q", tt.value, tt.value, f, err, tt.want)
		}
	}
	for _, bad := range []any{nil, "5", []byte("5"), 1.0, 1.5, true} {
		if s, err := r.Shard(bad); err == nil {
			t.Errorf("Shard(%T %v) = %q, want an error", bad, bad, s)
		}
		if _, err := r.Map(bad); err == nil {
			t.Errorf("Map(%T %v) succeeded", bad, bad)
		}
	}
}

func TestRangeUint64AboveMaxInt64(t *testing.T) {
	r, _ := intRanges(t)
	for _, v := range []uint64{1 << 63, math.MaxUint64} {
		if s, err := r.Shard(v); err == nil && s != "80-" {
			t.Errorf("Shard(uint64 %d) = %q, want 80- (or an error)", v, s)
		}
	}
}

func TestRangeConfigBounds(t *testing.T) {
	m := evenShardMap(t, 2)
	tests := []struct {
		name   string
		from   any
		ok     bool
		wantLo string // shard of 999999 when ok
	}{
		{"int", 1000000, true, "-80"},
		{"int64", int64(1000000), true, "-80"},
		{"int32", int32(1000000), true, "-80"},
		{"uint64", uint64(1000000), true, "-80"},
		{"float64 integral (JSON, YAML 1e6)", 1e6, true, "-80"},
		{"float64 negative integral", -1e6, true, "80-"},
		{"float64 fractional", 1.5, false, ""},
		{"float64 huge", 1e19, false, ""},
		{"float64 NaN", math.NaN(), false, ""},
		{"float64 Inf", math.Inf(1), false, ""},
		{"bool", true, false, ""},
		{"float32", float32(1), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-80": {nil, tt.from}, "80-": {tt.from, nil}}}, m)
			if !tt.ok {
				if err == nil {
					t.Fatalf("bound %T %v accepted", tt.from, tt.from)
				}
				return
			}
			if err != nil {
				t.Fatalf("bound %T %v: %v", tt.from, tt.from, err)
			}
			r := v.(*Range)
			if s, err := r.Shard(999999); err != nil || s != tt.wantLo {
				t.Errorf("Shard(999999) = %q, %v, want %q", s, err, tt.wantLo)
			}
			for _, p := range r.Parts() {
				for _, b := range []any{p.From, p.To} {
					if _, isInt := b.(int64); b != nil && !isInt {
						t.Errorf("part %+v: bound of type %T, want int64", p, b)
					}
				}
			}
		})
	}
}

func TestRangeGaps(t *testing.T) {
	m := evenShardMap(t, 4)
	v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-40": {0, 100}, "40-80": {200, 300}}}, m)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Range)
	tests := []struct {
		value int64
		want  string // "": no shard
	}{
		{-1, ""},
		{0, "-40"},
		{99, "-40"},
		{100, ""},
		{150, ""},
		{199, ""},
		{200, "40-80"},
		{299, "40-80"},
		{300, ""},
		{math.MinInt64, ""},
		{math.MaxInt64, ""},
	}
	for _, tt := range tests {
		got, err := r.Shard(tt.value)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Shard(%d) = %q, want an error (in a gap)", tt.value, got)
			}
			if _, err := r.Map(tt.value); err == nil {
				t.Errorf("Map(%d) succeeded in a gap", tt.value)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Shard(%d) = %q, %v, want %q", tt.value, got, err, tt.want)
		}
	}
	// ShardsFor over a gap holds no shard.
	for _, c := range []struct{ lo, hi Bound }{
		{Bound{int64(100), true}, Bound{int64(200), false}},
		{Bound{int64(150), true}, Bound{int64(180), true}},
		{Bound{int64(300), true}, Bound{}},
		{Bound{}, Bound{int64(0), false}},
	} {
		got, err := r.ShardsFor(c.lo, c.hi)
		if err != nil || len(got) != 0 {
			t.Errorf("ShardsFor(%+v, %+v) = %v, %v, want no shard", c.lo, c.hi, got, err)
		}
	}
	if got, _ := r.ShardsFor(Bound{int64(50), true}, Bound{int64(250), true}); !reflect.DeepEqual(got, []string{"-40", "40-80"}) {
		t.Errorf("ShardsFor(50..250) = %v, want [-40 40-80]", got)
	}
}

func TestRangeConfigErrors(t *testing.T) {
	m := evenShardMap(t, 4)
	tests := []struct {
		name   string
		cfg    VindexConfig
		shards *ShardMap
		want   string // a substring of the error
	}{
		{"overlap", VindexConfig{Ranges: map[string][]any{"-40": {0, 100}, "40-80": {50, 200}}}, m, "overlap"},
		{"overlap contained", VindexConfig{Ranges: map[string][]any{"-40": {0, 100}, "40-80": {10, 20}}}, m, "overlap"},
		{"overlap unbounded above", VindexConfig{Ranges: map[string][]any{"-40": {0, nil}, "40-80": {100, 200}}}, m, "overlap"},
		{"overlap unbounded below", VindexConfig{Ranges: map[string][]any{"-40": {nil, 100}, "40-80": {nil, 50}}}, m, "overlap"},
		{"overlap both unbounded", VindexConfig{Ranges: map[string][]any{"-40": {nil, nil}, "40-80": {1, 2}}}, m, "overlap"},
		{"overlap strings", VindexConfig{Ranges: map[string][]any{"-40": {"a", "n"}, "40-80": {"m", "z"}}}, m, "overlap"},
		{"from equals to", VindexConfig{Ranges: map[string][]any{"-40": {100, 100}}}, m, "not below"},
		{"from above to", VindexConfig{Ranges: map[string][]any{"-40": {200, 100}}}, m, "not below"},
		{"from above to strings", VindexConfig{Ranges: map[string][]any{"-40": {"z", "a"}}}, m, "not below"},
		{"mixed across shards", VindexConfig{Ranges: map[string][]any{"-40": {nil, 100}, "40-80": {"m", nil}}}, m, "mix"},
		{"mixed one-sided", VindexConfig{Ranges: map[string][]any{"-40": {nil, 100}, "40-80": {nil, "m"}}}, m, "mix"},
		{"unknown shard", VindexConfig{Ranges: map[string][]any{"-80": {nil, 100}}}, m, "not a shard"},
		{"empty ranges", VindexConfig{Ranges: map[string][]any{}}, m, "no ranges"},
		{"nil ranges", VindexConfig{}, m, "no ranges"},
		{"one bound", VindexConfig{Ranges: map[string][]any{"-40": {100}}}, m, "want [from, to]"},
		{"three bounds", VindexConfig{Ranges: map[string][]any{"-40": {1, 2, 3}}}, m, "want [from, to]"},
		{"bad bound type", VindexConfig{Ranges: map[string][]any{"-40": {1.5, 2}}}, m, "not an integer"},
		{"no shards", VindexConfig{Ranges: map[string][]any{"-40": {1, 2}}}, nil, "shards"},
		{"table", VindexConfig{Table: "t", Ranges: map[string][]any{"-40": {1, 2}}}, m, "only ranges"},
		{"unique", VindexConfig{Unique: true, Ranges: map[string][]any{"-40": {1, 2}}}, m, "only ranges"},
		{"virtualNodes", VindexConfig{VirtualNodes: 8, Ranges: map[string][]any{"-40": {1, 2}}}, m, "only ranges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Type = "range"
			v, err := NewVindex(tt.cfg, tt.shards)
			if err == nil {
				t.Fatalf("NewVindex(%+v) = %+v, want an error", tt.cfg, v)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	// Other vindex types refuse ranges.
	for _, typ := range []string{"hash", "null"} {
		if _, err := NewVindex(VindexConfig{Type: typ, Ranges: map[string][]any{"-40": {1, 2}}}, m); err == nil {
			t.Errorf("%s accepted ranges", typ)
		}
	}
}

func TestRangeMixedBoundsInOneShard(t *testing.T) {
	m := evenShardMap(t, 4)
	for _, b := range [][]any{{0, "m"}, {"a", 100}} {
		if _, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-40": b}}, m); err == nil {
			t.Errorf("bounds %v accepted", b)
		}
	}
}

func TestRangeStrings(t *testing.T) {
	m := evenShardMap(t, 2)
	v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-80": {nil, "m"}, "80-": {"m", nil}}}, m)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Range)
	if !r.Text() {
		t.Error("Text() = false for string bounds")
	}
	tests := []struct {
		value any
		want  string
	}{
		{"apple", "-80"},
		{"", "-80"},
		{"lzzz", "-80"},
		{"m", "80-"},
		{"ma", "80-"},
		{"zebra", "80-"},
		{"M", "-80"}, // bytewise: upper case sorts before lower case
		{[]byte("apple"), "-80"},
		{[]byte("zebra"), "80-"},
		{"\xff", "80-"},
	}
	for _, tt := range tests {
		got, err := r.Shard(tt.value)
		if err != nil || got != tt.want {
			t.Errorf("Shard(%T %q) = %q, %v, want %q", tt.value, tt.value, got, err, tt.want)
			continue
		}
		ksid, _ := r.Map(tt.value)
		if f, _ := m.Find(ksid); f != tt.want {
			t.Errorf("Find(Map(%q)) = %q, want %q", tt.value, f, tt.want)
		}
	}
	for _, bad := range []any{1, int64(5), uint8(1), nil, 1.5} {
		if _, err := r.Shard(bad); err == nil {
			t.Errorf("string ranges placed %T %v", bad, bad)
		}
	}
	if _, err := r.ShardsFor(Bound{Value: int64(1)}, Bound{}); err == nil {
		t.Error("ShardsFor with an integer bound over string ranges succeeded")
	}
	ri, _ := intRanges(t)
	if _, err := ri.ShardsFor(Bound{}, Bound{Value: "m"}); err == nil {
		t.Error("ShardsFor with a string bound over integer ranges succeeded")
	}
	if got, err := r.ShardsFor(Bound{Value: "b", Inclusive: true}, Bound{Value: "c", Inclusive: true}); err != nil || !reflect.DeepEqual(got, []string{"-80"}) {
		t.Errorf("ShardsFor(b..c) = %v, %v, want [-80]", got, err)
	}
	if got, err := r.ShardsFor(Bound{Value: []byte("b"), Inclusive: true}, Bound{Value: "n", Inclusive: false}); err != nil || !reflect.DeepEqual(got, []string{"-80", "80-"}) {
		t.Errorf("ShardsFor(b..n) = %v, %v, want [-80 80-]", got, err)
	}
}

func TestRangeShardsFor(t *testing.T) {
	m := evenShardMap(t, 4)
	v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{
		"-40": {nil, 100}, "40-80": {100, 200}, "80-c0": {200, 300}, "c0-": {300, nil},
	}}, m)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Range)
	parts := r.Parts()
	for i, want := range []string{"-40", "40-80", "80-c0", "c0-"} {
		if parts[i].Shard != want {
			t.Errorf("Parts()[%d] = %+v, want shard %s", i, parts[i], want)
		}
	}
	incl := func(v int64) Bound { return Bound{Value: v, Inclusive: true} }
	excl := func(v int64) Bound { return Bound{Value: v} }
	all := []string{"-40", "40-80", "80-c0", "c0-"}
	tests := []struct {
		name   string
		lo, hi Bound
		want   []string
	}{
		{"unbounded", Bound{}, Bound{}, all},
		{">= 100", incl(100), Bound{}, []string{"40-80", "80-c0", "c0-"}},
		{"> 100 (conservative)", excl(100), Bound{}, []string{"40-80", "80-c0", "c0-"}},
		{"> 99 (conservative: no integer in (99, 100))", excl(99), Bound{}, all},
		{">= 99", incl(99), Bound{}, all},
		{"< 100", Bound{}, excl(100), []string{"-40"}},
		{"<= 100", Bound{}, incl(100), []string{"-40", "40-80"}},
		{"<= 99", Bound{}, incl(99), []string{"-40"}},
		{"< 101", Bound{}, excl(101), []string{"-40", "40-80"}},
		{"BETWEEN 150 AND 250", incl(150), incl(250), []string{"40-80", "80-c0"}},
		{"BETWEEN 100 AND 200", incl(100), incl(200), []string{"40-80", "80-c0"}},
		{">= 100 AND < 200", incl(100), excl(200), []string{"40-80"}},
		{"> 150 AND < 160", excl(150), excl(160), []string{"40-80"}},
		{"= 250", incl(250), incl(250), []string{"80-c0"}},
		{"= 300", incl(300), incl(300), []string{"c0-"}},
		{"= 299", incl(299), incl(299), []string{"80-c0"}},
		{">= 300", incl(300), Bound{}, []string{"c0-"}},
		{">= 299", incl(299), Bound{}, []string{"80-c0", "c0-"}},
		{">= MaxInt64", incl(math.MaxInt64), Bound{}, []string{"c0-"}},
		{"<= MinInt64", Bound{}, incl(math.MinInt64), []string{"-40"}},
		{"< 100 AND >= 100 (empty)", incl(100), excl(100), nil},
		{"> 200 AND < 100 (empty, reversed)", excl(200), excl(100), nil},
		{"int bound types", Bound{Value: 150, Inclusive: true}, Bound{Value: uint16(250), Inclusive: true}, []string{"40-80", "80-c0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.ShardsFor(tt.lo, tt.hi)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ShardsFor(%+v, %+v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
			}
		})
	}
	// Soundness: for every value in a grid, every predicate that matches
	// the value includes the value's shard.
	var bounds []int64
	for b := int64(-10); b <= 410; b += 10 {
		bounds = append(bounds, b-1, b, b+1)
	}
	for _, lo := range bounds {
		for _, hi := range bounds {
			for _, li := range []bool{false, true} {
				for _, hiIncl := range []bool{false, true} {
					got, err := r.ShardsFor(Bound{lo, li}, Bound{hi, hiIncl})
					if err != nil {
						t.Fatal(err)
					}
					in := map[string]bool{}
					for _, s := range got {
						in[s] = true
					}
					for _, v := range []int64{lo - 1, lo, lo + 1, hi - 1, hi, hi + 1} {
						if (v < lo || (v == lo && !li)) || (v > hi || (v == hi && !hiIncl)) {
							continue
						}
						s, err := r.Shard(v)
						if err != nil {
							t.Fatal(err)
						}
						if !in[s] {
							t.Fatalf("ShardsFor(%d %v, %d %v) = %v misses %s, which holds %d", lo, li, hi, hiIncl, got, s, v)
						}
					}
				}
			}
		}
	}
}

func TestRangeSame(t *testing.T) {
	m := evenShardMap(t, 4)
	mk := func(ranges map[string][]any) Vindex {
		v, err := NewVindex(VindexConfig{Type: "range", Ranges: ranges}, m)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := mk(map[string][]any{"-40": {nil, 100}, "40-80": {100, nil}})
	b := mk(map[string][]any{"-40": {nil, int64(100)}, "40-80": {1e2, nil}})
	if !SameVindex(a, b) || !SameVindex(b, a) {
		t.Error("equal range configs are not the same")
	}
	for _, other := range []Vindex{
		mk(map[string][]any{"-40": {nil, 101}, "40-80": {101, nil}}),
		mk(map[string][]any{"-40": {nil, 100}, "80-c0": {100, nil}}),
		mk(map[string][]any{"-40": {nil, 100}}),
		mk(map[string][]any{"-40": {nil, 100}, "40-80": {100, 200}}),
		mk(map[string][]any{"-40": {nil, "100"}, "40-80": {"100", nil}}),
	} {
		if SameVindex(a, other) || SameVindex(other, a) {
			t.Errorf("%+v is the same as %+v", other.(*Range).Parts(), a.(*Range).Parts())
		}
	}
	h1, _ := NewVindex(VindexConfig{Type: "hash"}, nil)
	h2, _ := NewVindex(VindexConfig{Type: "hash"}, nil)
	n, _ := NewVindex(VindexConfig{Type: "null"}, nil)
	ch, _ := NewVindex(VindexConfig{Type: "consistent_hash"}, m)
	if !SameVindex(h1, h2) {
		t.Error("SameVindex(hash, hash) = false")
	}
	for _, c := range [][2]Vindex{{h1, a}, {a, h1}, {h1, n}, {h1, ch}, {ch, a}, {h1, nil}, {nil, h1}, {nil, nil}} {
		if SameVindex(c[0], c[1]) {
			t.Errorf("SameVindex(%v, %v) = true", c[0], c[1])
		}
	}
}

// memRegistry keeps registrations in memory (the metadata store is
// tested in package metastore; router does no I/O).
type memRegistry struct{ recs map[[2]string]Table }

func (m *memRegistry) LoadTables(context.Context) ([]TableRecord, error) {
	var out []TableRecord
	for k, t := range m.recs {
		out = append(out, TableRecord{Keyspace: k[0], Table: t})
	}
	return out, nil
}

func (m *memRegistry) SaveTable(_ context.Context, ks string, t Table) error {
	t.Registered = true
	m.recs[[2]string{ks, t.Name}] = t
	return nil
}

func (m *memRegistry) DeleteTable(_ context.Context, ks, name string) error {
	delete(m.recs, [2]string{ks, name})
	return nil
}

func openTestMeta(*testing.T) Registry { return &memRegistry{recs: map[[2]string]Table{}} }

func TestPlacingVindexesInKeyspace(t *testing.T) {
	dir := t.TempDir()
	cfg, err := DefaultKeyspace(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg["main"].Vindexes = map[string]VindexConfig{
		// A named vindex declares its columns; a table names it (YAML: vindex: by_region).
		"by_region": {Type: "range", Columns: []string{"region"}, Ranges: map[string][]any{"-40": {nil, 100}, "40-80": {100, 200}, "80-c0": {200, 300}, "c0-": {300, nil}}},
	}
	cfg["main"].Tables = map[string]TableConfig{
		"orders":   {Vindex: &VindexConfig{Name: "by_region"}},
		"names":    {Vindex: &VindexConfig{Type: "range", Columns: []string{"name"}, Ranges: map[string][]any{"-40": {nil, "g"}, "40-80": {"g", "n"}, "80-c0": {"n", "t"}, "c0-": {"t", nil}}}},
		"sessions": {Vindex: &VindexConfig{Type: "consistent_hash", Columns: []string{"sid"}}},
	}
	vs, err := NewVSchema(context.Background(), cfg, openTestMeta(t))
	if err != nil {
		t.Fatal(err)
	}
	ks := vs.Keyspaces["main"]
	check := func(table string, values []any) {
		tb, ok := ks.Table(table)
		if !ok {
			t.Fatalf("no table %s", table)
		}
		placer := tb.Vindex.(interface{ Shard(any) (string, error) })
		for _, v := range values {
			want, err := placer.Shard(v)
			if err != nil {
				t.Fatalf("%s: Shard(%v): %v", table, v, err)
			}
			got, err := ks.ShardForValue(tb, v)
			if err != nil || got != want {
				t.Errorf("%s: ShardForValue(%v) = %q, %v; the vindex places it on %q", table, v, got, err, want)
			}
			ksid, _ := tb.Vindex.Map(v)
			if got, _ := ks.ShardFor(ksid); got != want {
				t.Errorf("%s: ShardFor(Map(%v)) = %q, want %q", table, v, got, want)
			}
		}
	}
	check("orders", []any{int64(-7), int64(99), int64(100), 150, int64(200), int32(299), int64(300), int64(math.MaxInt64)})
	check("names", []any{"alice", "g", "harry", "n", "oscar", "t", "zoe"})
	var many []any
	for i := 0; i < 100; i++ {
		many = append(many, int64(i), "s"+strconv.Itoa(i))
	}
	check("sessions", many)
	orders, _ := ks.Table("orders")
	if orders.VindexType != "range" || orders.VindexColumn() != "region" {
		t.Errorf("orders: vindex %s on %s", orders.VindexType, orders.VindexColumn())
	}
	if got, _ := ks.ShardForValue(orders, int64(250)); got != "80-c0" {
		t.Errorf("orders: 250 on %q, want 80-c0", got)
	}
	if _, err := ks.ShardForValue(orders, "x"); err == nil {
		t.Error("orders: a string region was placed")
	}
	// A bad range config fails the vschema.
	cfg["main"].Tables = map[string]TableConfig{
		"bad": {Vindex: &VindexConfig{Type: "range", Columns: []string{"x"}, Ranges: map[string][]any{"-80": {nil, 1}}}},
	}
	if _, err := NewVSchema(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "not a shard") {
		t.Errorf("range over a foreign shard: %v", err)
	}
}

// lookupConfig is keyspace main (4 sharded SQLite shards) with table users
// (hash on id, a unique lookup on email in keyspace lookup, a non-unique
// inline lookup on name in main) and the unsharded keyspace lookup.
func lookupConfig(t *testing.T) map[string]*KeyspaceConfig {
	t.Helper()
	dir := t.TempDir()
	cfg, err := DefaultKeyspace(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg["main"].Vindexes = map[string]VindexConfig{
		"email_lookup": {Type: "lookup", Columns: []string{"email"}, Table: "lookup.users_email", Unique: true},
	}
	cfg["main"].Tables = map[string]TableConfig{
		"users": {
			Vindex:  &VindexConfig{Type: "hash", Columns: []string{"id"}},
			Lookups: []VindexConfig{{Name: "email_lookup"}, {Type: "lookup", Columns: []string{"name"}, Table: "users_name"}},
		},
	}
	cfg["lookup"] = &KeyspaceConfig{Shards: map[string]string{"-": "sqlite:" + filepath.Join(dir, "lookup.db")}}
	return cfg
}

func TestLookupVSchema(t *testing.T) {
	vs, err := NewVSchema(context.Background(), lookupConfig(t), openTestMeta(t))
	if err != nil {
		t.Fatal(err)
	}
	main := vs.Keyspaces["main"]
	users, ok := main.Table("users")
	if !ok {
		t.Fatal("no table users")
	}
	want := []Lookup{
		{Name: "email_lookup", Column: "email", Keyspace: "lookup", Table: "users_email", Unique: true},
		{Name: "users_name", Column: "name", Keyspace: "main", Table: "users_name", Unique: false},
	}
	if len(users.Lookups) != len(want) {
		t.Fatalf("users has %d lookups, want %d", len(users.Lookups), len(want))
	}
	for i, l := range users.Lookups {
		if *l != want[i] {
			t.Errorf("lookup %d = %+v, want %+v", i, *l, want[i])
		}
		if l.Type() != "lookup" {
			t.Errorf("lookup %d: Type() = %q", i, l.Type())
		}
		if _, err := l.Map(int64(1)); err == nil || !strings.Contains(err.Error(), l.Table) {
			t.Errorf("lookup %d: Map = %v, want an error naming the table", i, err)
		}
	}
	// The non-unique lookup's table lives in sharded main: it is declared
	// there, sharded by hash on its column.
	un, ok := main.Table("users_name")
	if !ok {
		t.Fatal("main has no table users_name")
	}
	if un.Type != Sharded || un.VindexType != "hash" || un.VindexColumn() != "name" || !reflect.DeepEqual(un.Columns, []string{"name"}) {
		t.Errorf("users_name = %+v, want sharded by hash on name", un)
	}
	if _, ok := un.Vindex.(*Hash); !ok {
		t.Errorf("users_name vindex = %T, want *Hash", un.Vindex)
	}
	if s, err := main.ShardForValue(un, "bob"); err != nil || s == "" {
		t.Errorf("users_name: ShardForValue(bob) = %q, %v", s, err)
	}
	// The unique lookup's table is in the unsharded keyspace: not declared.
	if _, ok := vs.Keyspaces["lookup"].Table("users_email"); ok {
		t.Error("the unsharded keyspace lookup got a declared users_email table")
	}
	if _, ok := main.Table("users_email"); ok {
		t.Error("main got a users_email table")
	}
	owned := vs.LookupsOf()
	if len(owned) != 2 {
		t.Fatalf("LookupsOf() has %d entries, want 2", len(owned))
	}
	for _, o := range owned {
		if o.Keyspace != main || o.Table != users {
			t.Errorf("lookup %s owned by %s.%s", o.Lookup.Name, o.Keyspace.Name, o.Table.Name)
		}
	}

	unique, nonUnique := users.Lookups[0], users.Lookups[1]
	if got, want := unique.CreateSQL(), `CREATE TABLE IF NOT EXISTS "users_email" ("email" text PRIMARY KEY, keyspace_id text NOT NULL)`; got != want {
		t.Errorf("unique CreateSQL() =\n%s\nwant\n%s", got, want)
	}
	if got, want := nonUnique.CreateSQL(), `CREATE TABLE IF NOT EXISTS "users_name" ("name" text NOT NULL, keyspace_id text NOT NULL, refs bigint NOT NULL DEFAULT 1, PRIMARY KEY ("name", keyspace_id))`; got != want {
		t.Errorf("non-unique CreateSQL() =\n%s\nwant\n%s", got, want)
	}
	odd := &Lookup{Column: `we"ird`, Table: `t"x`, Unique: true}
	if got := odd.CreateSQL(); !strings.Contains(got, `"t""x"`) || !strings.Contains(got, `"we""ird"`) {
		t.Errorf("CreateSQL does not quote identifiers: %s", got)
	}
}

func TestKeyspaceIDText(t *testing.T) {
	h := &Hash{}
	for _, v := range []any{int64(1), int64(-1), "x"} {
		ksid, _ := h.Map(v)
		s := KeyspaceIDText(ksid)
		if len(s) != 16 || strings.ToLower(s) != s {
			t.Errorf("KeyspaceIDText(%x) = %q, want 16 lower-case hex digits", ksid, s)
		}
		back, err := ParseKeyspaceIDText(s)
		if err != nil || !reflect.DeepEqual(back, ksid) {
			t.Errorf("ParseKeyspaceIDText(%q) = %x, %v, want %x", s, back, err, ksid)
		}
		if back, err := ParseKeyspaceIDText(" " + strings.ToUpper(s) + "\n"); err != nil || !reflect.DeepEqual(back, ksid) {
			t.Errorf("ParseKeyspaceIDText(padded upper %q) = %x, %v", s, back, err)
		}
	}
	if s := KeyspaceIDText(nil); s != "" {
		t.Errorf("KeyspaceIDText(nil) = %q", s)
	}
	if b, err := ParseKeyspaceIDText(""); err != nil || len(b) != 0 {
		t.Errorf(`ParseKeyspaceIDText("") = %x, %v`, b, err)
	}
	for _, bad := range []string{"abc", "zz", "12 34"} {
		if _, err := ParseKeyspaceIDText(bad); err == nil {
			t.Errorf("ParseKeyspaceIDText(%q) succeeded", bad)
		}
	}
}

func TestLookupVSchemaErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(cfg map[string]*KeyspaceConfig)
		want   string
	}{
		{"lookup as primary vindex", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "lookup", Columns: []string{"email"}, Table: "lookup.users_email", Unique: true}}
		}, "lookups"},
		{"named lookup as primary vindex", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Name: "email_lookup"}}
		}, "lookups"},
		{"lookup on a reference table", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Type: "reference", Lookups: []VindexConfig{{Name: "email_lookup"}}}
		}, "only a sharded table"},
		{"lookup on an unsharded table", func(cfg map[string]*KeyspaceConfig) {
			cfg["lookup"].Tables = map[string]TableConfig{"things": {Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"x"}, Table: "things_x"}}}}
		}, "only a sharded table"},
		{"undeclared keyspace", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}, Table: "nowhere.users_email"}}}
		}, "no keyspace nowhere"},
		{"two columns", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"first", "last"}, Table: "users_fl"}}}
		}, "exactly one column"},
		{"no columns", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Table: "users_x"}}}
		}, "exactly one column"},
		{"missing table", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}}}}
		}, "needs table"},
		{"empty table after keyspace", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}, Table: "lookup."}}}
		}, "bad table"},
		{"empty keyspace", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}, Table: ".users_email"}}}
		}, "bad table"},
		{"undeclared named lookup", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Name: "nope"}}}
		}, "not declared"},
		{"not a lookup type", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "hash", Columns: []string{"email"}, Table: "users_email"}}}
		}, "type lookup"},
		{"lookup with ranges", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}, Table: "users_email", VirtualNodes: 3}}}
		}, "only columns"},
		{"lookup on the primary column", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"ID"}, Table: "users_id"}}}
		}, "primary vindex column"},
		{"lookup table is the table itself", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"id"}},
				Lookups: []VindexConfig{{Type: "lookup", Columns: []string{"email"}, Table: "main.users"}}}
		}, "the table itself"},
		{"declared lookup table sharded otherwise", func(cfg map[string]*KeyspaceConfig) {
			cfg["main"].Tables["users_name"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"keyspace_id"}}}
		}, "must be sharded by hash on name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := lookupConfig(t)
			tt.modify(cfg)
			_, err := NewVSchema(context.Background(), cfg, nil)
			if err == nil {
				t.Fatal("NewVSchema succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	// A lookup table the config declares the right way is accepted.
	cfg := lookupConfig(t)
	cfg["main"].Tables["users_name"] = TableConfig{Vindex: &VindexConfig{Type: "hash", Columns: []string{"Name"}}}
	vs, err := NewVSchema(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("declared lookup table: %v", err)
	}
	if un, _ := vs.Keyspaces["main"].Table("users_name"); un == nil || !reflect.DeepEqual(un.Columns, []string{"name"}) {
		t.Errorf("declared users_name = %+v, want the config's declaration", un)
	}
}

func TestNewRangeDirect(t *testing.T) {
	m := evenShardMap(t, 4)
	r, err := NewRange(m, []RangePart{{Shard: "c0-", From: int64(10), To: nil}, {Shard: "-40", From: nil, To: int64(10)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Parts(); got[0].Shard != "-40" || got[1].Shard != "c0-" {
		t.Errorf("Parts() = %+v, want value order", got)
	}
	for v, want := range map[int64]string{9: "-40", 10: "c0-"} {
		s, _ := r.Shard(v)
		ksid, _ := r.Map(v)
		f, _ := m.Find(ksid)
		if s != want || f != want {
			t.Errorf("%d: Shard %q, Find(Map) %q, want %q", v, s, f, want)
		}
	}
	// A shard outside the map: Shard and Find(Map) must not disagree.
	r, err = NewRange(m, []RangePart{{Shard: "nope", From: nil, To: nil}})
	if err != nil {
		return // refused: fine
	}
	s, _ := r.Shard(int64(1))
	ksid, _ := r.Map(int64(1))
	if f, _ := m.Find(ksid); f != s {
		t.Errorf("NewRange does not check that the parts' shards belong to the ShardMap (only newRange does); for shard %q Shard returns %q but Map returns %x, which routes to %q", "nope", s, ksid, f)
	}
}

func TestRangeDates(t *testing.T) {
	m := evenShardMap(t, 4)
	v, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{
		"-40": {nil, "2024-01-01"}, "40-80": {"2024-01-01", "2024-07-01"}, "80-c0": {"2024-07-01", "2025-01-01 12:00:00"}, "c0-": {"2025-01-01 12:00:00", nil},
	}}, m)
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Range)
	if !r.Times() || !r.Text() {
		t.Fatalf("Times %v Text %v", r.Times(), r.Text())
	}
	day := func(s string) time.Time {
		tm, ok := ParseRangeTime(s)
		if !ok {
			t.Fatalf("ParseRangeTime(%q) failed", s)
		}
		return tm
	}
	for in, want := range map[string]string{
		"2023-12-31 23:59:59.999999": "-40", "2024-01-01": "40-80", "2024-06-30T23:00:00": "40-80",
		"2024-07-01": "80-c0", "2025-01-01 11:59": "80-c0", "2025-01-01 12:00:00": "c0-", "0001-01-01": "-40", "9999-12-31": "c0-",
	} {
		s, err := r.Shard(day(in))
		if err != nil || s != want {
			t.Errorf("Shard(%s) = %q, %v; want %s", in, s, err, want)
		}
		ksid, _ := r.Map(day(in))
		if f, _ := m.Find(ksid); f != want {
			t.Errorf("Find(Map(%s)) = %s, want %s", in, f, want)
		}
	}
	got, err := r.ShardsFor(Bound{Value: day("2024-06-01"), Inclusive: true}, Bound{Value: day("2024-07-01")})
	if err != nil || strings.Join(got, ",") != "40-80" {
		t.Errorf("[2024-06-01, 2024-07-01) -> %v %v", got, err)
	}
	got, _ = r.ShardsFor(Bound{Value: day("2024-06-01"), Inclusive: true}, Bound{Value: day("2024-07-01"), Inclusive: true})
	if strings.Join(got, ",") != "40-80,80-c0" {
		t.Errorf("[2024-06-01, 2024-07-01] -> %v", got)
	}
	// Strings still place as strings; not every string is a date.
	if s, _ := r.Shard("2024-03-01"); s != "40-80" {
		t.Errorf("Shard(string) = %s", s)
	}
	for _, bad := range []string{"Jan 5 2024", "2024-13-01", "2024-01-01 25:00", ""} {
		if _, ok := ParseRangeTime(bad); ok {
			t.Errorf("ParseRangeTime(%q) accepted", bad)
		}
	}
	notDates, err := NewVindex(VindexConfig{Type: "range", Ranges: map[string][]any{"-80": {nil, "m"}, "80-": {"m", nil}}}, evenShardMap(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if notDates.(*Range).Times() {
		t.Error("ranges of words read as dates")
	}
	if _, err := notDates.Map(day("2024-01-01")); err == nil {
		t.Error("a time placed by ranges of words")
	}
}
