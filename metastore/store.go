package metastore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dotdo/vitess/router"
	_ "github.com/jackc/pgx/v5/stdlib" // metadata: postgres://
	_ "modernc.org/sqlite"             // metadata: sqlite:PATH
)

// Store is the gate's metadata store: auto-registered tables, sequence
// blocks and the decision log of multi-shard commits. It is a SQLite file
// by default, or a Postgres database that several gates share; every write
// is one statement or one transaction so a crash never leaves half a
// record, and no write reads a value it then overwrites (two gates may
// write at once).
type Store struct {
	db *sql.DB
	pg bool // Postgres: $n placeholders
	// The decision log's statements, prepared once (each multi-shard
	// commit runs them; compiling them again cost more than the write).
	decide, forgetOne *sql.Stmt
}

// Open opens the metadata store named by url: "sqlite:PATH" or a
// postgres:// URL.
func Open(ctx context.Context, url string) (*Store, error) {
	m := &Store{}
	var err error
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		m.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		m.pg = true
		m.db, err = sql.Open("pgx", url)
	default:
		return nil, fmt.Errorf("metadata %q: want sqlite:PATH or postgres://...", url)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS tables (keyspace TEXT NOT NULL, name TEXT NOT NULL, def TEXT NOT NULL, PRIMARY KEY (keyspace, name))`,
		`CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, next_value BIGINT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS decisions (dtid TEXT PRIMARY KEY, outcome TEXT NOT NULL, record TEXT NOT NULL, created_ms BIGINT NOT NULL)`,
	} {
		if _, err := m.db.ExecContext(ctx, s); err != nil {
			m.db.Close()
			return nil, fmt.Errorf("metadata %s: %w", router.RedactURL(url), err)
		}
	}
	if m.decide, err = m.db.PrepareContext(ctx, m.q(`INSERT INTO decisions (dtid, outcome, record, created_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (dtid) DO UPDATE SET outcome = decisions.outcome RETURNING outcome`)); err == nil {
		m.forgetOne, err = m.db.PrepareContext(ctx, m.q(`DELETE FROM decisions WHERE dtid = ?`))
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("metadata %s: %w", router.RedactURL(url), err)
	}
	return m, nil
}

// q rewrites ? placeholders as $n for Postgres.
func (m *Store) q(s string) string {
	if !m.pg {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Close closes the store.
func (m *Store) Close() error {
	for _, st := range []*sql.Stmt{m.decide, m.forgetOne} {
		if st != nil {
			st.Close()
		}
	}
	return m.db.Close()
}

type tableDef struct {
	Type          router.TableType            `json:"type"`
	VindexType    string                      `json:"vindexType,omitempty"`
	Columns       []string                    `json:"columns,omitempty"`
	AutoIncrement *router.AutoIncrementConfig `json:"autoIncrement,omitempty"`
}

// LoadTables returns every registered table.
func (m *Store) LoadTables(ctx context.Context) ([]router.TableRecord, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT keyspace, name, def FROM tables`)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	defer rows.Close()
	var out []router.TableRecord
	for rows.Next() {
		var ks, name, def string
		if err := rows.Scan(&ks, &name, &def); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		var d tableDef
		if err := json.Unmarshal([]byte(def), &d); err != nil {
			return nil, fmt.Errorf("metadata: table %s.%s: %w", ks, name, err)
		}
		out = append(out, router.TableRecord{Keyspace: ks, Table: router.Table{Name: name, Type: d.Type, VindexType: d.VindexType, Columns: d.Columns, AutoIncrement: d.AutoIncrement, Registered: true}})
	}
	return out, rows.Err()
}

// SaveTable persists a registration.
func (m *Store) SaveTable(ctx context.Context, keyspace string, t router.Table) error {
	def, _ := json.Marshal(tableDef{Type: t.Type, VindexType: t.VindexType, Columns: t.Columns, AutoIncrement: t.AutoIncrement})
	_, err := m.db.ExecContext(ctx, m.q(`INSERT INTO tables (keyspace, name, def) VALUES (?, ?, ?) ON CONFLICT (keyspace, name) DO UPDATE SET def = excluded.def`), keyspace, t.Name, string(def))
	if err != nil {
		return fmt.Errorf("metadata: save table %s: %w", t.Name, err)
	}
	return nil
}

// DeleteTable removes a registration.
func (m *Store) DeleteTable(ctx context.Context, keyspace, name string) error {
	if _, err := m.db.ExecContext(ctx, m.q(`DELETE FROM tables WHERE keyspace = ? AND name = ?`), keyspace, name); err != nil {
		return fmt.Errorf("metadata: delete table %s: %w", name, err)
	}
	return nil
}

// ReserveBlock durably reserves n values of a sequence and returns the first;
// the caller owns [first, first+n). Values start at 1.
func (m *Store) ReserveBlock(ctx context.Context, name string, n int64) (int64, error) {
	// One statement: gates sharing the store never hand out a block twice.
	var end int64
	err := m.db.QueryRowContext(ctx, m.q(`INSERT INTO sequences (name, next_value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET next_value = sequences.next_value + ? RETURNING next_value`), name, 1+n, n).Scan(&end)
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	return end - n, nil
}

// Decision is a multi-shard commit's outcome in the decision log: "commit"
// (written before phase two; Record says what finishing it takes) or
// "abort" (written by a resolver that found the transaction prepared and
// undecided, so that its coordinator can no longer decide commit).
type Decision struct {
	DTID    string
	Outcome string
	Record  []byte
	Created time.Time
}

// Decide records outcome for dtid unless an outcome is already recorded,
// and returns the recorded one: the first writer wins. Records of finished
// transactions named in forget are removed in the same write (one sync).
func (m *Store) Decide(ctx context.Context, dtid, outcome string, record []byte, forget ...string) (string, error) {
	got, err := m.DecideMany(ctx, []Decision{{DTID: dtid, Outcome: outcome, Record: record}}, forget)
	if err != nil {
		return "", err
	}
	return got[0], nil
}

// DecideMany records several decisions in one write (group commit): each
// as Decide would, first writer wins, and returns the recorded outcomes in
// order. Records named in forget are removed first, in the same write.
func (m *Store) DecideMany(ctx context.Context, ds []Decision, forget []string) ([]string, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("decision log: %w", err)
	}
	defer tx.Rollback()
	if err := m.forget(ctx, tx, forget); err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	got := make([]string, len(ds))
	decide := tx.StmtContext(ctx, m.decide)
	for i, d := range ds {
		// One statement: a recorded outcome stays (the no-op update only
		// makes RETURNING give it back).
		if err := decide.QueryRowContext(ctx, d.DTID, d.Outcome, string(d.Record), now).Scan(&got[i]); err != nil {
			return nil, fmt.Errorf("decision log: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("decision log: %w", err)
	}
	return got, nil
}

func (m *Store) forget(ctx context.Context, tx *sql.Tx, dtids []string) error {
	if len(dtids) == 0 {
		return nil
	}
	del := tx.StmtContext(ctx, m.forgetOne)
	for _, d := range dtids {
		if _, err := del.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("decision log: %w", err)
		}
	}
	return nil
}

// Decisions returns the log's records with the given outcome.
func (m *Store) Decisions(ctx context.Context, outcome string) ([]Decision, error) {
	rows, err := m.db.QueryContext(ctx, m.q(`SELECT dtid, outcome, record, created_ms FROM decisions WHERE outcome = ? ORDER BY created_ms`), outcome)
	if err != nil {
		return nil, fmt.Errorf("decision log: %w", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		var rec string
		var ms int64
		if err := rows.Scan(&d.DTID, &d.Outcome, &rec, &ms); err != nil {
			return nil, fmt.Errorf("decision log: %w", err)
		}
		d.Record, d.Created = []byte(rec), time.UnixMilli(ms)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Forget removes finished transactions' records.
func (m *Store) Forget(ctx context.Context, dtids ...string) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	defer tx.Rollback()
	if err := m.forget(ctx, tx, dtids); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	return nil
}

// ForgetAbortsBefore removes abort records older than t (a coordinator
// gives up long before).
func (m *Store) ForgetAbortsBefore(ctx context.Context, t time.Time) error {
	if _, err := m.db.ExecContext(ctx, m.q(`DELETE FROM decisions WHERE outcome = 'abort' AND created_ms < ?`), t.UnixMilli()); err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	return nil
}
