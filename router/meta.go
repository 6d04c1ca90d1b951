package router

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Meta is the gate's metadata store: auto-registered tables and sequence
// blocks. It is a SQLite file by default; every write is one transaction so
// a crash never leaves half a record.
type Meta struct {
	db *sql.DB
}

// TableRecord is a persisted table registration.
type TableRecord struct {
	Keyspace string
	Table    Table
}

// OpenMeta opens the metadata store named by url ("sqlite:PATH").
func OpenMeta(ctx context.Context, url string) (*Meta, error) {
	path, ok := strings.CutPrefix(url, "sqlite:")
	if !ok {
		return nil, fmt.Errorf("metadata %q: only sqlite:PATH is supported so far", url)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS tables (keyspace TEXT NOT NULL, name TEXT NOT NULL, def TEXT NOT NULL, PRIMARY KEY (keyspace, name))`,
		`CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("metadata %s: %w", path, err)
		}
	}
	return &Meta{db: db}, nil
}

// Close closes the store.
func (m *Meta) Close() error { return m.db.Close() }

type tableDef struct {
	Type          TableType            `json:"type"`
	VindexType    string               `json:"vindexType,omitempty"`
	Columns       []string             `json:"columns,omitempty"`
	AutoIncrement *AutoIncrementConfig `json:"autoIncrement,omitempty"`
}

// LoadTables returns every registered table.
func (m *Meta) LoadTables(ctx context.Context) ([]TableRecord, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT keyspace, name, def FROM tables`)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	defer rows.Close()
	var out []TableRecord
	for rows.Next() {
		var ks, name, def string
		if err := rows.Scan(&ks, &name, &def); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		var d tableDef
		if err := json.Unmarshal([]byte(def), &d); err != nil {
			return nil, fmt.Errorf("metadata: table %s.%s: %w", ks, name, err)
		}
		out = append(out, TableRecord{Keyspace: ks, Table: Table{Name: name, Type: d.Type, VindexType: d.VindexType, Columns: d.Columns, AutoIncrement: d.AutoIncrement, Registered: true}})
	}
	return out, rows.Err()
}

// SaveTable persists a registration.
func (m *Meta) SaveTable(ctx context.Context, keyspace string, t Table) error {
	def, _ := json.Marshal(tableDef{Type: t.Type, VindexType: t.VindexType, Columns: t.Columns, AutoIncrement: t.AutoIncrement})
	_, err := m.db.ExecContext(ctx, `INSERT INTO tables (keyspace, name, def) VALUES (?, ?, ?) ON CONFLICT (keyspace, name) DO UPDATE SET def = excluded.def`, keyspace, t.Name, string(def))
	if err != nil {
		return fmt.Errorf("metadata: save table %s: %w", t.Name, err)
	}
	return nil
}

// DeleteTable removes a registration.
func (m *Meta) DeleteTable(ctx context.Context, keyspace, name string) error {
	if _, err := m.db.ExecContext(ctx, `DELETE FROM tables WHERE keyspace = ? AND name = ?`, keyspace, name); err != nil {
		return fmt.Errorf("metadata: delete table %s: %w", name, err)
	}
	return nil
}

// ReserveBlock durably reserves n values of a sequence and returns the first;
// the caller owns [first, first+n). Values start at 1.
func (m *Meta) ReserveBlock(ctx context.Context, name string, n int64) (int64, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	defer tx.Rollback()
	var next int64
	err = tx.QueryRowContext(ctx, `SELECT next_value FROM sequences WHERE name = ?`, name).Scan(&next)
	if err == sql.ErrNoRows {
		next = 1
	} else if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sequences (name, next_value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET next_value = excluded.next_value`, name, next+n); err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	return next, nil
}
