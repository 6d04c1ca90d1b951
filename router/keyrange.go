package router

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// KeyRange is a half-open range [Start, End) of keyspace ids. A nil (or
// empty) Start is unbounded below, a nil End unbounded above.
type KeyRange struct {
	Start, End []byte
}

// FullKeyRange is the whole keyspace id space, shard name "-".
var FullKeyRange = KeyRange{}

// ParseKeyRange parses a shard name such as "-40", "40-80", "c0-", "-" or
// "4000-8000". Each side must be empty or an even number of hex digits, and
// when both sides are set the start must be below the end.
func ParseKeyRange(name string) (KeyRange, error) {
	i := strings.IndexByte(name, '-')
	if i < 0 {
		return KeyRange{}, fmt.Errorf("invalid key range %q: missing '-' between start and end", name)
	}
	if strings.IndexByte(name[i+1:], '-') >= 0 {
		return KeyRange{}, fmt.Errorf("invalid key range %q: more than one '-'", name)
	}
	start, err := parseBound(name, name[:i])
	if err != nil {
		return KeyRange{}, err
	}
	end, err := parseBound(name, name[i+1:])
	if err != nil {
		return KeyRange{}, err
	}
	kr := KeyRange{Start: start, End: end}
	if len(end) > 0 && compareKeys(start, end) >= 0 {
		return KeyRange{}, fmt.Errorf("invalid key range %q: start is not below end (the range is empty)", name)
	}
	return kr, nil
}

func parseBound(name, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("invalid key range %q: bound %q has an odd number of hex digits", name, s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid key range %q: bound %q is not hex", name, s)
	}
	return b, nil
}

// MustParseKeyRange is ParseKeyRange for constant names; it panics on error.
func MustParseKeyRange(name string) KeyRange {
	kr, err := ParseKeyRange(name)
	if err != nil {
		panic(err)
	}
	return kr
}

// Contains reports whether ksid lies in the range: start inclusive, end
// exclusive.
func (k KeyRange) Contains(ksid []byte) bool {
	if len(k.Start) > 0 && compareKeys(ksid, k.Start) < 0 {
		return false
	}
	if len(k.End) > 0 && compareKeys(ksid, k.End) >= 0 {
		return false
	}
	return true
}

// IsFull reports whether the range covers the whole keyspace id space.
func (k KeyRange) IsFull() bool {
	return isZero(k.Start) && len(k.End) == 0
}

// String returns the shard name of the range in lower-case hex.
func (k KeyRange) String() string {
	return hex.EncodeToString(k.Start) + "-" + hex.EncodeToString(k.End)
}

// Overlaps reports whether the two ranges share at least one keyspace id.
func (k KeyRange) Overlaps(o KeyRange) bool {
	// k.Start < o.End && o.Start < k.End, with empty ends unbounded.
	if len(o.End) > 0 && compareKeys(k.Start, o.End) >= 0 {
		return false
	}
	if len(k.End) > 0 && compareKeys(o.Start, k.End) >= 0 {
		return false
	}
	return true
}

// compareKeys compares two keyspace ids or bounds as byte strings, the
// shorter one padded with zero bytes, so "40" and "4000" compare equal.
func compareKeys(a, b []byte) int {
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		var x, y byte
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// MaxEvenShards is the largest shard count EvenShards accepts.
const MaxEvenShards = 1 << 16

// EvenShards returns n shard names that split the keyspace id space into n
// ranges of (nearly) equal size, in key order: 1 gives ["-"], 2 gives
// ["-80", "80-"], 4 gives ["-40", "40-80", "80-c0", "c0-"] and 3 gives
// ["-55", "55-aa", "aa-"]. Bounds use one byte for n up to 256 and two
// bytes beyond that; bound i is floor(i * 256^bytes / n).
func EvenShards(n int) ([]string, error) {
	if n < 1 || n > MaxEvenShards {
		return nil, fmt.Errorf("shard count %d out of range: must be between 1 and %d", n, MaxEvenShards)
	}
	width := 1
	space := uint64(256)
	if n > 256 {
		width = 2
		space = 1 << 16
	}
	bound := func(i int) string {
		if i == 0 || i == n {
			return ""
		}
		v := uint64(i) * space / uint64(n)
		return fmt.Sprintf("%0*x", width*2, v)
	}
	names := make([]string, n)
	for i := 0; i < n; i++ {
		names[i] = bound(i) + "-" + bound(i+1)
	}
	return names, nil
}

type namedRange struct {
	name string
	kr   KeyRange
}

// parseSorted parses names and sorts them by start.
func parseSorted(names []string) ([]namedRange, error) {
	rs := make([]namedRange, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("shard %q is listed twice", n)
		}
		seen[n] = true
		kr, err := ParseKeyRange(n)
		if err != nil {
			return nil, err
		}
		rs = append(rs, namedRange{name: n, kr: kr})
	}
	sort.SliceStable(rs, func(i, j int) bool {
		return compareKeys(rs[i].kr.Start, rs[j].kr.Start) < 0
	})
	return rs, nil
}

// ValidateTiling checks that the named ranges cover the whole keyspace id
// space exactly once: no gap, no overlap, no duplicate. The order of names
// does not matter.
func ValidateTiling(names []string) error {
	_, err := tile(names)
	return err
}

func tile(names []string) ([]namedRange, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no shards: the key ranges must cover the whole keyspace id space (use \"-\" for a single shard)")
	}
	rs, err := parseSorted(names)
	if err != nil {
		return nil, err
	}
	if !isZero(rs[0].kr.Start) {
		return nil, fmt.Errorf("gap in key ranges: no shard covers keyspace ids below %s (first shard is %q)",
			hex.EncodeToString(rs[0].kr.Start), rs[0].name)
	}
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		if len(prev.kr.End) == 0 {
			return nil, fmt.Errorf("shards %q and %q overlap: %q extends to the end of the key space", prev.name, cur.name, prev.name)
		}
		switch c := compareKeys(prev.kr.End, cur.kr.Start); {
		case c < 0:
			return nil, fmt.Errorf("gap in key ranges between shards %q and %q: keyspace ids %s-%s are not covered",
				prev.name, cur.name, hex.EncodeToString(prev.kr.End), hex.EncodeToString(cur.kr.Start))
		case c > 0:
			return nil, fmt.Errorf("shards %q and %q overlap", prev.name, cur.name)
		}
	}
	if last := rs[len(rs)-1]; len(last.kr.End) != 0 {
		return nil, fmt.Errorf("gap in key ranges: no shard covers keyspace ids from %s to the end (last shard is %q)",
			hex.EncodeToString(last.kr.End), last.name)
	}
	return rs, nil
}

// ShardMap holds the parsed key ranges of a set of shards that tile the
// keyspace id space, and finds the shard owning a keyspace id. It is
// immutable and safe for concurrent use.
type ShardMap struct {
	names  []string // in key order
	ranges []KeyRange
}

// NewShardMap parses the shard names and checks that they tile the whole
// keyspace id space (see ValidateTiling).
func NewShardMap(names []string) (*ShardMap, error) {
	rs, err := tile(names)
	if err != nil {
		return nil, err
	}
	m := &ShardMap{names: make([]string, len(rs)), ranges: make([]KeyRange, len(rs))}
	for i, r := range rs {
		m.names[i] = r.name
		m.ranges[i] = r.kr
	}
	return m, nil
}

// Find returns the name of the shard whose range contains ksid.
func (m *ShardMap) Find(ksid []byte) (string, error) {
	i, err := m.Index(ksid)
	if err != nil {
		return "", err
	}
	return m.names[i], nil
}

// Index returns the position in Names of the shard whose range contains ksid.
func (m *ShardMap) Index(ksid []byte) (int, error) {
	if len(m.ranges) == 0 {
		return -1, fmt.Errorf("no shards")
	}
	// The first range whose end is above ksid; ranges tile, so it contains it.
	i := sort.Search(len(m.ranges), func(i int) bool {
		end := m.ranges[i].End
		return len(end) == 0 || compareKeys(ksid, end) < 0
	})
	if i == len(m.ranges) || !m.ranges[i].Contains(ksid) {
		return -1, fmt.Errorf("no shard contains keyspace id %x", ksid)
	}
	return i, nil
}

// Names returns the shard names in key order. The caller must not modify
// the slice.
func (m *ShardMap) Names() []string { return m.names }

// Ranges returns the parsed key ranges, parallel to Names. The caller must
// not modify the slice.
func (m *ShardMap) Ranges() []KeyRange { return m.ranges }

// Len is the number of shards.
func (m *ShardMap) Len() int { return len(m.names) }

// ShardsIn returns the names of the shards whose ranges overlap kr, in key
// order.
func (m *ShardMap) ShardsIn(kr KeyRange) []string {
	var out []string
	for i, r := range m.ranges {
		if r.Overlaps(kr) {
			out = append(out, m.names[i])
		}
	}
	return out
}

// ShardForKeyspaceID returns the shard among shards whose key range
// contains ksid. The names need not tile; the first containing shard wins.
// Callers routing many ids should build a ShardMap once instead.
func ShardForKeyspaceID(ksid []byte, shards []string) (string, error) {
	for _, n := range shards {
		kr, err := ParseKeyRange(n)
		if err != nil {
			return "", err
		}
		if kr.Contains(ksid) {
			return n, nil
		}
	}
	return "", fmt.Errorf("no shard contains keyspace id %x (shards %s)", ksid, strings.Join(shards, ", "))
}
