package router

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Vindex maps a column value to the keyspace id that decides which shard
// holds the row.
type Vindex interface {
	// Type is the vindex type name as written in the vschema ("hash", "null").
	Type() string
	// Map returns the keyspace id of a column value. Values arrive as Go
	// values: integers (int64, int, int32, int16, int8, uint64, uint32,
	// uint16, uint8), string or []byte. nil (SQL NULL) is an error unless the
	// vindex says otherwise. Callers must pass integer columns as integers:
	// the string "5" and the integer 5 map to different keyspace ids.
	Map(value any) ([]byte, error)
}

// Factory builds a vindex from its vschema declaration, for a keyspace with
// the given shards (vindexes that place values on shards themselves, such
// as range and consistent_hash, need them).
type Factory func(cfg VindexConfig, shards *ShardMap) (Vindex, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// RegisterVindex adds a vindex type to the registry NewVindex uses. It
// panics if the name is empty or already registered.
func RegisterVindex(typ string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if typ == "" || f == nil {
		panic("router: RegisterVindex with empty type or nil factory")
	}
	if _, dup := registry[typ]; dup {
		panic("router: vindex type " + typ + " registered twice")
	}
	registry[typ] = f
}

// VindexTypes returns the registered vindex type names, sorted.
func VindexTypes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// NewVindex builds a vindex from its declaration for a keyspace with the
// given shards (nil for vindexes that do not need them). An unknown type is
// an error that lists the known ones.
func NewVindex(cfg VindexConfig, shards *ShardMap) (Vindex, error) {
	registryMu.RLock()
	f, ok := registry[cfg.Type]
	registryMu.RUnlock()
	if !ok && cfg.Type == "" {
		return nil, fmt.Errorf("vindex has no type (known types: %s; in YAML write type: \"null\" in quotes, a bare null is no value)", strings.Join(VindexTypes(), ", "))
	}
	if !ok {
		return nil, fmt.Errorf("unknown vindex type %q (known types: %s)", cfg.Type, strings.Join(VindexTypes(), ", "))
	}
	return f(cfg, shards)
}

func init() {
	RegisterVindex("hash", func(cfg VindexConfig, _ *ShardMap) (Vindex, error) {
		if err := noParams(cfg); err != nil {
			return nil, err
		}
		return &Hash{}, nil
	})
	RegisterVindex("null", func(cfg VindexConfig, _ *ShardMap) (Vindex, error) {
		if err := noParams(cfg); err != nil {
			return nil, err
		}
		return &Null{}, nil
	})
	RegisterVindex("consistent_hash", newConsistentHash)
	RegisterVindex("range", newRange)
	RegisterVindex("lookup", func(cfg VindexConfig, _ *ShardMap) (Vindex, error) {
		return nil, fmt.Errorf("a lookup vindex cannot be a table's primary vindex: it only finds rows already placed by another vindex; list it under the table's lookups")
	})
}

// noParams refuses settings that belong to other vindex types.
func noParams(cfg VindexConfig) error {
	switch {
	case cfg.Table != "" || cfg.Unique:
		return fmt.Errorf("vindex type %q takes no table or unique (those are lookup settings)", cfg.Type)
	case len(cfg.Ranges) > 0:
		return fmt.Errorf("vindex type %q takes no ranges (a range vindex setting)", cfg.Type)
	case cfg.VirtualNodes != 0:
		return fmt.Errorf("vindex type %q takes no virtualNodes (a consistent_hash setting)", cfg.Type)
	}
	return nil
}

var (
	_ Vindex = (*Hash)(nil)
	_ Vindex = (*Null)(nil)
)

// Hash is Vitess's hash vindex: an integer maps to the DES encryption
// (all-zero key) of its 8-byte big-endian two's-complement form, so the
// mapping is reversible (Unmap); a string or byte string maps to its
// xxHash64 as Vitess's xxhash vindex does.
type Hash struct{}

// Type returns "hash".
func (*Hash) Type() string { return "hash" }

// Map returns the keyspace id of value.
func (*Hash) Map(value any) ([]byte, error) {
	switch v := value.(type) {
	case nil:
		return nil, fmt.Errorf("hash vindex: cannot map NULL to a keyspace id")
	case string:
		return hashBytes([]byte(v)), nil
	case []byte:
		return hashBytes(v), nil
	}
	u, ok := asUint64(value)
	if !ok {
		return nil, fmt.Errorf("hash vindex: cannot map a value of type %T", value)
	}
	return hashUint64(u), nil
}

// Unmap returns the integer whose keyspace id is ksid (as uint64; a
// negative int64 comes back as its two's complement).
func (*Hash) Unmap(ksid []byte) (uint64, error) {
	return unhashUint64(ksid)
}

// asUint64 converts any Go integer to its 64-bit two's-complement form.
func asUint64(value any) (uint64, bool) {
	switch v := value.(type) {
	case int64:
		return uint64(v), true
	case int:
		return uint64(int64(v)), true
	case int32:
		return uint64(int64(v)), true
	case int16:
		return uint64(int64(v)), true
	case int8:
		return uint64(int64(v)), true
	case uint64:
		return v, true
	case uint:
		return uint64(v), true
	case uint32:
		return uint64(v), true
	case uint16:
		return uint64(v), true
	case uint8:
		return uint64(v), true
	}
	return 0, false
}

// Null maps every value, NULL included, to the keyspace id of eight zero
// bytes, so every row lands in the first shard.
type Null struct{}

// Type returns "null".
func (*Null) Type() string { return "null" }

// Map returns eight zero bytes.
func (*Null) Map(any) ([]byte, error) { return make([]byte, 8), nil }
