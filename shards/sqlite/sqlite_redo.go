package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dotdo/vitess/dialect"
	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

// Atomic multi-shard commits on SQLite shards. A SQLite transaction lives
// in the gate's process and dies with it, so it cannot be "prepared" as a
// Postgres transaction can. Instead every transaction records its row
// changes as they happen (SQLite's pre-update hook: table, rowid, the new
// row), and phase one hands that redo to the coordinator, which logs it
// with its commit decision. Phase two commits the transaction together
// with a marker row (_vt_applied) naming it. After a crash, a resolver
// finds the decision, sees the marker missing, and replays the redo by
// rowid in one transaction that also writes the marker. The replay is
// exact: while the transaction was open it held the shard's write lock,
// so nothing else changed the shard between its changes and the crash.

// redoLimit bounds the redo a transaction keeps; a bigger transaction can
// still commit on one shard, but not atomically across shards.
const redoLimit = 64 << 20

const appliedTable = "_vt_applied"

// redoChange is one row change.
type redoChange struct {
	Op     string   `json:"op"` // insert, update, delete
	Table  string   `json:"t"`
	OldRow int64    `json:"o,omitempty"`
	NewRow int64    `json:"n,omitempty"`
	Vals   []string `json:"v,omitempty"` // the new row, typed (redoValue)
}

// redoCapture collects a transaction's row changes from the hook.
type redoCapture struct {
	mu       sync.Mutex
	changes  []redoChange
	size     int
	overflow bool
	err      error
	marks    []redoMark // savepoints
}

func (c *redoCapture) hook(d sqlitedrv.SQLitePreUpdateData) {
	if strings.HasPrefix(d.TableName, "sqlite_") || d.TableName == appliedTable || d.DatabaseName != "main" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.overflow || c.err != nil {
		return
	}
	ch := redoChange{Table: d.TableName, OldRow: d.OldRowID, NewRow: d.NewRowID}
	switch d.Op {
	case sqlite3.SQLITE_INSERT:
		ch.Op = "insert"
	case sqlite3.SQLITE_UPDATE:
		ch.Op = "update"
	case sqlite3.SQLITE_DELETE:
		ch.Op = "delete"
	}
	if ch.Op != "delete" {
		vals := make([]any, d.Count())
		if err := d.New(vals...); err != nil {
			c.err = err
			return
		}
		ch.Vals = make([]string, len(vals))
		for i, v := range vals {
			ch.Vals[i] = redoValue(v)
			c.size += len(ch.Vals[i])
		}
	}
	c.size += 32 + len(ch.Table)
	if c.size > redoLimit {
		c.overflow, c.changes = true, nil
		return
	}
	c.changes = append(c.changes, ch)
}

// redoValue encodes a SQLite value with its storage class.
func redoValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "n"
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "t" + x
	case []byte:
		return "b" + base64.StdEncoding.EncodeToString(x)
	}
	return "t" + fmt.Sprint(v)
}

func redoDecode(s string) (any, error) {
	if s == "" {
		return nil, fmt.Errorf("empty redo value")
	}
	switch s[0] {
	case 'n':
		return nil, nil
	case 'i':
		return strconv.ParseInt(s[1:], 10, 64)
	case 'f':
		return strconv.ParseFloat(s[1:], 64)
	case 't':
		return s[1:], nil
	case 'b':
		return base64.StdEncoding.DecodeString(s[1:])
	}
	return nil, fmt.Errorf("bad redo value %q", s)
}

type preUpdater interface {
	RegisterPreUpdateHook(sqlitedrv.PreUpdateHookFn)
}

// beginCaptured opens an IMMEDIATE transaction on a connection of its own
// whose row changes are recorded.
func (s *Engine) beginCaptured(ctx context.Context) (*sqliteTx, error) {
	unlock := func() {}
	if owner := sqltypes.TxOwner(ctx); owner != 0 {
		var err error
		if unlock, err = s.locks.acquire(ctx, s, owner); err != nil {
			return nil, err
		}
	}
	tx, err := s.beginOn(ctx)
	if err != nil {
		unlock()
		return nil, err
	}
	tx.unlock = unlock
	return tx, nil
}

func (s *Engine) beginOn(ctx context.Context) (*sqliteTx, error) {
	conn, err := s.db.Conn(context.WithoutCancel(ctx))
	if err != nil {
		return nil, dialect.MapError(err)
	}
	c := &redoCapture{}
	if err := conn.Raw(func(dc any) error {
		pu, ok := dc.(preUpdater)
		if !ok {
			return fmt.Errorf("sqlite driver has no pre-update hook")
		}
		pu.RegisterPreUpdateHook(c.hook)
		return nil
	}); err != nil {
		conn.Close()
		return nil, err
	}
	// database/sql rolls a transaction back when its context ends; the
	// transaction outlives the statement that opened it.
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		unhook(conn)
		conn.Close()
		return nil, dialect.MapError(err)
	}
	return &sqliteTx{s: s, tx: tx, conn: conn, capture: c}, nil
}

func unhook(conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		if pu, ok := dc.(preUpdater); ok {
			pu.RegisterPreUpdateHook(nil)
		}
		return nil
	})
}

// finish gives the transaction's connection back.
func (t *sqliteTx) finish() {
	if t.conn != nil {
		unhook(t.conn)
		t.conn.Close()
		t.conn = nil
	}
	if t.unlock != nil {
		t.unlock()
		t.unlock = nil
	}
}

// Prepare ends phase one: the marker row is written in the transaction,
// and the redo is returned for the coordinator's log.
func (t *sqliteTx) Prepare(ctx context.Context, gid string) (engine.Prepared, error) {
	c := t.capture
	c.mu.Lock()
	overflow, cerr, changes := c.overflow, c.err, c.changes
	c.mu.Unlock()
	if cerr != nil {
		return nil, fmt.Errorf("redo log: %w", cerr)
	}
	if overflow {
		return nil, sqltypes.Unsupported("a transaction changing more than %d MB on a SQLite shard cannot commit atomically with other shards", redoLimit>>20)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO `+appliedTable+` (gid, at_ms) VALUES (?, ?)`, gid, time.Now().UnixMilli()); err != nil {
		return nil, dialect.MapError(err)
	}
	redo, err := json.Marshal(changes)
	if err != nil {
		return nil, err
	}
	return &sqlitePrepared{t: t, redo: redo}, nil
}

type sqlitePrepared struct {
	t    *sqliteTx
	redo []byte
}

func (p *sqlitePrepared) Redo() []byte                       { return p.redo }
func (p *sqlitePrepared) Commit(ctx context.Context) error   { return p.t.Commit(ctx) }
func (p *sqlitePrepared) Rollback(ctx context.Context) error { return p.t.Rollback(ctx) }

// ApplyRedo finishes a committed multi-shard transaction whose commit on
// this shard was lost: unless the marker for gid is there, it replays redo
// and writes the marker, in one transaction.
func (s *Engine) ApplyRedo(ctx context.Context, gid string, redo []byte) error {
	var changes []redoChange
	if err := json.Unmarshal(redo, &changes); err != nil {
		return fmt.Errorf("redo of %s: %w", gid, err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The replay writes the rows as they were; foreign-key actions were
	// recorded with them and must not run twice.
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+appliedTable+` WHERE gid = ?`, gid).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil // committed before the crash
	}
	cols := map[string][]string{}
	for _, ch := range changes {
		names, ok := cols[ch.Table]
		if !ok {
			names, err = tableColumns(ctx, tx, ch.Table)
			if err != nil {
				return err
			}
			cols[ch.Table] = names
		}
		args := make([]any, 0, len(ch.Vals)+2)
		for _, v := range ch.Vals {
			x, err := redoDecode(v)
			if err != nil {
				return err
			}
			args = append(args, x)
		}
		if len(args) > len(names) {
			return fmt.Errorf("redo of %s: table %s has %d columns, the redo %d", gid, ch.Table, len(names), len(args))
		}
		tbl := sqltypes.QuoteIdent(ch.Table)
		var q string
		switch ch.Op {
		case "insert":
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(args)+1), ", ")
			q = fmt.Sprintf(`INSERT OR REPLACE INTO %s (rowid, %s) VALUES (%s)`, tbl, joinQuoted(names[:len(args)]), ph)
			args = append([]any{ch.NewRow}, args...)
		case "update":
			sets := make([]string, len(args))
			for i, n := range names[:len(args)] {
				sets[i] = sqltypes.QuoteIdent(n) + " = ?"
			}
			q = fmt.Sprintf(`UPDATE %s SET rowid = ?, %s WHERE rowid = ?`, tbl, strings.Join(sets, ", "))
			args = append(append([]any{ch.NewRow}, args...), ch.OldRow)
		case "delete":
			q = fmt.Sprintf(`DELETE FROM %s WHERE rowid = ?`, tbl)
			args = []any{ch.OldRow}
		default:
			return fmt.Errorf("redo of %s: unknown change %q", gid, ch.Op)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("redo of %s on %s: %w", gid, ch.Table, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+appliedTable+` (gid, at_ms) VALUES (?, ?)`, gid, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// ForgetApplied removes commit markers older than before, except those
// named in keep (their commit is not finished everywhere yet).
func (s *Engine) ForgetApplied(ctx context.Context, keep []string, before time.Time) error {
	q := `DELETE FROM ` + appliedTable + ` WHERE at_ms < ?`
	args := []any{before.UnixMilli()}
	if len(keep) > 0 {
		q += ` AND gid NOT IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(keep)), ", ") + `)`
		for _, k := range keep {
			args = append(args, k)
		}
	}
	_, err := s.db.ExecContext(ctx, q, args...)
	return err
}

func tableColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 && rows.Err() == nil {
		return nil, fmt.Errorf("table %s is gone", table)
	}
	return out, rows.Err()
}

func joinQuoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = sqltypes.QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}
