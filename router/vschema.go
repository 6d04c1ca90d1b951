package router

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// TableType says where a table's rows live.
type TableType string

const (
	// Sharded tables spread their rows over the shards by a vindex.
	Sharded TableType = "sharded"
	// Reference tables hold a full copy on every shard.
	Reference TableType = "reference"
	// Unsharded tables live in an unsharded keyspace's single shard.
	Unsharded TableType = "unsharded"
)

// Table is a table's routing entry.
type Table struct {
	Name       string
	Type       TableType
	VindexType string   // "hash", "null"; empty for reference/unsharded
	Columns    []string // the vindex columns (the first one routes)
	Vindex     Vindex
	// Lookups are the table's secondary vindexes; the gate maintains
	// their lookup tables when it writes the table's rows.
	Lookups       []*Lookup
	AutoIncrement *AutoIncrementConfig
	Registered    bool // added by CREATE TABLE rather than the config
}

// VindexColumn is the column that routes the table's rows.
func (t *Table) VindexColumn() string {
	if len(t.Columns) == 0 {
		return ""
	}
	return t.Columns[0]
}

// Keyspace is a logical database: a set of shards and the vschema of its tables.
type Keyspace struct {
	Name     string
	Sharded  bool
	Shards   []string          // shard names in key order
	URLs     map[string]string // shard -> backend URL
	Vindexes map[string]VindexConfig
	Pool     PoolConfig
	// MaxTransactions bounds open transactions per shard (0: none).
	MaxTransactions int

	shardMap *ShardMap
	mu       sync.RWMutex
	tables   map[string]*Table
}

// Table looks up a table by name (lower case, unqualified).
func (k *Keyspace) Table(name string) (*Table, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	t, ok := k.tables[name]
	return t, ok
}

// Tables lists the tables in name order.
func (k *Keyspace) Tables() []*Table {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]*Table, 0, len(k.tables))
	for _, t := range k.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ShardFor maps a keyspace id to the shard that holds it.
func (k *Keyspace) ShardFor(ksid []byte) (string, error) {
	if !k.Sharded {
		return k.Shards[0], nil
	}
	return k.shardMap.Find(ksid)
}

// ShardForValue maps a value of the table's vindex column to its shard.
func (k *Keyspace) ShardForValue(t *Table, v any) (string, error) {
	if !k.Sharded || t.Type != Sharded {
		return k.Shards[0], nil
	}
	if v == nil {
		return "", fmt.Errorf("table %s: NULL in vindex column %s cannot be routed", t.Name, t.VindexColumn())
	}
	ksid, err := t.Vindex.Map(v)
	if err != nil {
		return "", fmt.Errorf("table %s: vindex %s: %w", t.Name, t.VindexType, err)
	}
	return k.shardMap.Find(ksid)
}

// VSchema holds every keyspace and persists auto-registered tables.
type VSchema struct {
	Keyspaces map[string]*Keyspace
	meta      Registry
}

// NewVSchema builds the routing state from the config and the tables
// registered in the metadata store.
func NewVSchema(ctx context.Context, cfg map[string]*KeyspaceConfig, meta Registry) (*VSchema, error) {
	vs := &VSchema{Keyspaces: map[string]*Keyspace{}, meta: meta}
	for name, kc := range cfg {
		ks := &Keyspace{Name: name, Sharded: kc.Sharded, URLs: map[string]string{}, Vindexes: kc.Vindexes, Pool: kc.Pool, MaxTransactions: kc.MaxTransactions, tables: map[string]*Table{}}
		for s, u := range kc.Shards {
			ks.Shards = append(ks.Shards, s)
			ks.URLs[s] = u
		}
		sm, err := NewShardMap(ks.Shards)
		if err != nil {
			return nil, fmt.Errorf("keyspace %s: %w", name, err)
		}
		ks.shardMap = sm
		ks.Shards = sm.Names()
		for tname, tc := range kc.Tables {
			t, err := ks.tableFromConfig(strings.ToLower(tname), tc)
			if err != nil {
				return nil, fmt.Errorf("keyspace %s: %w", name, err)
			}
			ks.tables[t.Name] = t
		}
		vs.Keyspaces[name] = ks
	}
	if err := vs.placeLookupTables(); err != nil {
		return nil, err
	}
	if meta != nil {
		recs, err := meta.LoadTables(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			ks, ok := vs.Keyspaces[r.Keyspace]
			if !ok {
				continue
			}
			if _, declared := ks.tables[r.Table.Name]; declared {
				continue // the config wins over an older registration
			}
			t := r.Table
			if err := ks.attachVindex(&t); err != nil {
				return nil, err
			}
			ks.tables[t.Name] = &t
		}
	}
	return vs, nil
}

func (k *Keyspace) tableFromConfig(name string, tc TableConfig) (*Table, error) {
	t := &Table{Name: name, AutoIncrement: tc.AutoIncrement}
	switch {
	case !k.Sharded:
		t.Type = Unsharded
	case tc.Type == "reference":
		t.Type = Reference
	default:
		t.Type = Sharded
		if tc.Vindex == nil {
			return nil, fmt.Errorf("table %s: a sharded table needs a vindex (vindex: {type: hash, columns: [col]}) or type: reference", name)
		}
		vc := *tc.Vindex
		if vc.Name != "" {
			vc = k.Vindexes[vc.Name]
		}
		if len(vc.Columns) == 0 {
			return nil, fmt.Errorf("table %s: vindex has no columns", name)
		}
		t.VindexType = vc.Type
		for _, c := range vc.Columns {
			t.Columns = append(t.Columns, strings.ToLower(c))
		}
		v, err := NewVindex(vc, k.shardMap)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		t.Vindex = v
	}
	for _, lc := range tc.Lookups {
		if t.Type != Sharded {
			return nil, fmt.Errorf("table %s: only a sharded table has lookup vindexes", name)
		}
		lv, err := k.lookupFromConfig(name, lc)
		if err != nil {
			return nil, err
		}
		for _, c := range t.Columns[:1] {
			if c == lv.Column {
				return nil, fmt.Errorf("table %s: lookup vindex %s is on the primary vindex column %s", name, lv.Name, c)
			}
		}
		t.Lookups = append(t.Lookups, lv)
	}
	return t, nil
}

func (k *Keyspace) attachVindex(t *Table) error {
	if t.Type != Sharded || t.Vindex != nil {
		return nil
	}
	v, err := NewVindex(VindexConfig{Type: t.VindexType}, k.shardMap)
	if err != nil {
		return fmt.Errorf("table %s: %w", t.Name, err)
	}
	t.Vindex = v
	return nil
}

// Register adds a table created by CREATE TABLE that the config does not
// declare, sharded by hash on column, and persists it.
func (vs *VSchema) Register(ctx context.Context, ks *Keyspace, t Table) (*Table, error) {
	t.Registered = true
	if !ks.Sharded {
		t.Type = Unsharded
	}
	if err := ks.attachVindex(&t); err != nil {
		return nil, err
	}
	if vs.meta != nil {
		if err := vs.meta.SaveTable(ctx, ks.Name, t); err != nil {
			return nil, err
		}
	}
	ks.mu.Lock()
	ks.tables[t.Name] = &t
	ks.mu.Unlock()
	return &t, nil
}

// Unregister forgets a registered table after DROP TABLE. Tables declared in
// the config stay.
func (vs *VSchema) Unregister(ctx context.Context, ks *Keyspace, name string) error {
	ks.mu.Lock()
	t, ok := ks.tables[name]
	if ok && t.Registered {
		delete(ks.tables, name)
	}
	ks.mu.Unlock()
	if ok && t.Registered && vs.meta != nil {
		return vs.meta.DeleteTable(ctx, ks.Name, name)
	}
	return nil
}
