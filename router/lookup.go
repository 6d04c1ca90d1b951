package router

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Lookup is a secondary vindex: a lookup table that maps a column's value
// to the keyspace ids of the rows holding it, so that `col = value` goes to
// those rows' shards instead of every shard. The table has the columns
// (<column> text, keyspace_id text) and, for a non-unique lookup, refs (how
// many rows of the owner share the value and keyspace id). Values are
// stored in their canonical text (integers in decimal, uuids in Postgres's
// form), keyspace ids in hex.
type Lookup struct {
	Name     string // the vindex's name
	Column   string // the owner table's column; the lookup table's column has the same name
	Keyspace string // the keyspace of the lookup table
	Table    string
	Unique   bool
}

// Type returns "lookup".
func (*Lookup) Type() string { return "lookup" }

// Map cannot work without reading the lookup table; the planner reads it.
func (l *Lookup) Map(any) ([]byte, error) {
	return nil, fmt.Errorf("lookup vindex %s: values are found by reading table %s.%s", l.Name, l.Keyspace, l.Table)
}

// CreateSQL is the lookup table's DDL (Postgres dialect).
func (l *Lookup) CreateSQL() string {
	col := quoteIdent(l.Column)
	if l.Unique {
		return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s text PRIMARY KEY, keyspace_id text NOT NULL)", quoteIdent(l.Table), col)
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s text NOT NULL, keyspace_id text NOT NULL, refs bigint NOT NULL DEFAULT 1, PRIMARY KEY (%s, keyspace_id))", quoteIdent(l.Table), col, col)
}

// KeyspaceIDText is how a keyspace id is stored in lookup tables.
func KeyspaceIDText(ksid []byte) string { return hex.EncodeToString(ksid) }

// ParseKeyspaceIDText reads a stored keyspace id.
func ParseKeyspaceIDText(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("bad keyspace id %q in a lookup table: %w", s, err)
	}
	return b, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// lookupFromConfig builds a table's lookup vindex from its declaration
// (inline, or a name under the keyspace's vindexes).
func (k *Keyspace) lookupFromConfig(table string, lc VindexConfig) (*Lookup, error) {
	name := lc.Name
	if name != "" {
		decl, ok := k.Vindexes[name]
		if !ok {
			return nil, fmt.Errorf("table %s: lookup vindex %q is not declared under vindexes", table, name)
		}
		lc = decl
	}
	if lc.Type != "lookup" {
		return nil, fmt.Errorf("table %s: lookups holds vindexes of type lookup, got %q", table, lc.Type)
	}
	if len(lc.Columns) != 1 {
		return nil, fmt.Errorf("table %s: a lookup vindex has exactly one column, got %d", table, len(lc.Columns))
	}
	if len(lc.Ranges) > 0 || lc.VirtualNodes != 0 {
		return nil, fmt.Errorf("table %s: a lookup vindex takes only columns, table and unique", table)
	}
	col := strings.ToLower(lc.Columns[0])
	if name == "" {
		name = table + "_" + col
	}
	l := &Lookup{Name: name, Column: col, Keyspace: k.Name, Unique: lc.Unique}
	ref := strings.ToLower(lc.Table)
	if ref == "" {
		return nil, fmt.Errorf("table %s: lookup vindex %s needs table: [keyspace.]table", table, name)
	}
	if i := strings.IndexByte(ref, '.'); i >= 0 {
		l.Keyspace, l.Table = ref[:i], ref[i+1:]
	} else {
		l.Table = ref
	}
	if l.Table == "" || l.Keyspace == "" {
		return nil, fmt.Errorf("table %s: lookup vindex %s: bad table %q", table, name, lc.Table)
	}
	return l, nil
}

// placeLookupTables checks that every lookup table's keyspace exists and
// declares the lookup tables of sharded keyspaces, sharded by hash on
// their column, unless the config declares them.
func (vs *VSchema) placeLookupTables() error {
	for _, ks := range vs.Keyspaces {
		for _, t := range ks.tables {
			for _, l := range t.Lookups {
				lk, ok := vs.Keyspaces[l.Keyspace]
				if !ok {
					return fmt.Errorf("keyspace %s table %s: lookup vindex %s: no keyspace %s", ks.Name, t.Name, l.Name, l.Keyspace)
				}
				if l.Keyspace == ks.Name && l.Table == t.Name {
					return fmt.Errorf("keyspace %s table %s: lookup vindex %s: the lookup table is the table itself", ks.Name, t.Name, l.Name)
				}
				if !lk.Sharded {
					continue
				}
				if lt, declared := lk.tables[l.Table]; declared {
					if lt.Type != Sharded || lt.VindexColumn() != l.Column || lt.VindexType != "hash" {
						return fmt.Errorf("keyspace %s: lookup table %s must be sharded by hash on %s", lk.Name, l.Table, l.Column)
					}
					continue
				}
				lk.tables[l.Table] = &Table{Name: l.Table, Type: Sharded, VindexType: "hash", Columns: []string{l.Column}, Vindex: &Hash{}}
			}
		}
	}
	return nil
}

// LookupsOf lists every lookup vindex of the vschema's tables, by owner.
func (vs *VSchema) LookupsOf() []OwnedLookup {
	var out []OwnedLookup
	for _, ks := range vs.Keyspaces {
		for _, t := range ks.Tables() {
			for _, l := range t.Lookups {
				out = append(out, OwnedLookup{Keyspace: ks, Table: t, Lookup: l})
			}
		}
	}
	return out
}

// OwnedLookup is a lookup vindex with the table that owns it.
type OwnedLookup struct {
	Keyspace *Keyspace
	Table    *Table
	Lookup   *Lookup
}
