package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/dotdo/vitess/dialect"
	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQLite is the embedded engine: one SQLite file per shard in WAL mode.
// Statements arrive as Postgres SQL and are translated by package dialect.
type Engine struct {
	db    *sql.DB
	path  string     // absolute
	locks *LockGraph // shared by the gate's SQLite shards

	mu     sync.Mutex
	cols   map[string][]dialect.Column // catalog cache, cleared by DDL
	trans  map[string]*dialect.Translation
	stmts  map[string]*sql.Stmt
	closed bool
}

// Open opens (creating if needed) the SQLite file at path. locks is the
// transaction-lock graph the gate's SQLite shards share (deadlocks across
// them are found; waits are bounded); nil: the shard's own, with a 10s wait.
func Open(ctx context.Context, path string, locks *LockGraph) (*Engine, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+appliedTable+` (gid TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	if locks == nil {
		locks = NewLockGraph(0)
	}
	return &Engine{db: db, path: abs, locks: locks, cols: map[string][]dialect.Column{}, trans: map[string]*dialect.Translation{}, stmts: map[string]*sql.Stmt{}}, nil
}

// Path is the absolute path of the shard's file.
func (s *Engine) Path() string { return s.path }

// Kind is "sqlite".
func (s *Engine) Kind() string { return "sqlite" }

// Close closes the database.
func (s *Engine) Close() error { return s.db.Close() }

// Table implements dialect.Catalog from PRAGMA table_info.
func (s *Engine) Table(name string) ([]dialect.Column, bool) {
	s.mu.Lock()
	c, ok := s.cols[name]
	s.mu.Unlock()
	if ok {
		return c, c != nil
	}
	c, err := tableColumnsOf(context.Background(), s.db, name)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	s.cols[name] = c
	s.mu.Unlock()
	return c, c != nil
}

// tableColumnsOf reads the columns of a table (by its Postgres name) from
// SQLite's catalog; nil when there is no such table.
func tableColumnsOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, name string) ([]dialect.Column, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, type, "notnull" FROM pragma_table_info(?)`, dialect.SQLiteName(name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var c []dialect.Column
	for rows.Next() {
		var n, typ string
		var nn int
		if err := rows.Scan(&n, &typ, &nn); err != nil {
			return nil, err
		}
		oid, mod := dialect.ColumnType(typ)
		c = append(c, dialect.Column{Name: dialect.PGName(n), OID: oid, TypeMod: mod, NotNull: nn != 0})
	}
	return c, rows.Err()
}

// txCatalog is the catalog a transaction sees after its own DDL (the
// shard's cached catalog is read on other connections, which do not see
// uncommitted tables and columns).
type txCatalog struct {
	ctx context.Context
	tx  *sql.Tx
}

func (c txCatalog) Table(name string) ([]dialect.Column, bool) {
	cols, err := tableColumnsOf(c.ctx, c.tx, name)
	return cols, err == nil && cols != nil
}

func (s *Engine) translate(sqlText string) (*dialect.Translation, error) {
	s.mu.Lock()
	tr, ok := s.trans[sqlText]
	s.mu.Unlock()
	if ok {
		return tr, nil
	}
	tr, err := dialect.Translate(sqlText, s)
	if err != nil {
		return nil, err
	}
	if tr.Kind != dialect.KindDDL && len(sqlText) <= maxCachedSQL {
		s.mu.Lock()
		if len(s.trans) > 10000 {
			s.trans = map[string]*dialect.Translation{}
		}
		s.trans[sqlText] = tr
		s.mu.Unlock()
	}
	return tr, nil
}

func (s *Engine) schemaChanged() {
	s.mu.Lock()
	s.cols = map[string][]dialect.Column{}
	s.trans = map[string]*dialect.Translation{}
	s.mu.Unlock()
}

// Describe translates the statement and reports its inferred types.
func (s *Engine) Describe(ctx context.Context, sqlText string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	tr, err := s.translate(sqlText)
	if err != nil {
		return nil, nil, err
	}
	return describeParams(tr, paramOIDs), tr.Fields, nil
}

// describeParams is the translation's parameter types, those the client
// gave taking precedence.
func describeParams(tr *dialect.Translation, paramOIDs []uint32) []uint32 {
	params := append([]uint32(nil), tr.ParamOIDs...)
	for i, o := range paramOIDs {
		if i < len(params) && o != 0 {
			params[i] = o
		}
	}
	return params
}

// Query runs one statement in autocommit mode.
func (s *Engine) Query(ctx context.Context, sqlText string, args []any) (sqltypes.Rows, error) {
	return s.run(ctx, nil, sqlText, args)
}

// prepared returns the cached prepared statement for SQLite SQL; SQLite
// re-prepares it by itself after a schema change.
func (s *Engine) prepared(ctx context.Context, sqlText string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[sqlText]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, sqlText)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.stmts[sqlText]; ok {
		st.Close()
		return old, nil
	}
	if len(s.stmts) >= maxPrepared {
		// Statements in use keep working: database/sql closes a statement
		// only once its last user is done.
		for k, old := range s.stmts {
			old.Close()
			delete(s.stmts, k)
		}
	}
	s.stmts[sqlText] = st
	return st, nil
}

const maxPrepared = 1000

// maxCachedSQL bounds the statements whose translation and prepared form
// are cached: a bulk INSERT's text is not worth keeping.
const maxCachedSQL = 8 << 10

// querier runs one statement: a prepared *sql.Stmt or the statement text.
type querier interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}

type directQuerier struct {
	db  *sql.DB
	tx  *sql.Tx
	sql string
}

func (d directQuerier) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if d.tx != nil {
		return d.tx.ExecContext(ctx, d.sql, args...)
	}
	return d.db.ExecContext(ctx, d.sql, args...)
}

func (d directQuerier) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if d.tx != nil {
		return d.tx.QueryContext(ctx, d.sql, args...)
	}
	return d.db.QueryContext(ctx, d.sql, args...)
}

// run executes a statement in transaction t, or in autocommit mode when t
// is nil.
func (s *Engine) run(ctx context.Context, t *sqliteTx, sqlText string, args []any) (sqltypes.Rows, error) {
	var tx *sql.Tx
	var tr *dialect.Translation
	var err error
	if t != nil {
		tx = t.tx
	}
	if t != nil && t.ddl {
		// after its own DDL a transaction translates against what it sees
		tr, err = dialect.Translate(sqlText, txCatalog{ctx, tx})
	} else {
		tr, err = s.translate(sqlText)
	}
	if err != nil {
		return nil, err
	}
	if tr.SQL == "" {
		return &sqltypes.Buffered{Command: tr.Tag}, nil
	}
	// Arguments past the highest $n the statement uses are not bound (a
	// shard's part of a split INSERT may not use them all).
	if len(args) > len(tr.ParamOIDs) {
		args = args[:len(tr.ParamOIDs)]
	}
	bound := make([]any, len(args))
	for i, a := range args {
		bound[i] = dialect.BindArg(a, tr.ParamOIDs[i])
	}
	if tr.Kind == dialect.KindDDL {
		var err error
		if tx != nil {
			_, err = tx.ExecContext(ctx, tr.SQL, bound...)
			t.ddl = true
		} else {
			_, err = s.db.ExecContext(ctx, tr.SQL, bound...)
		}
		s.schemaChanged()
		if err != nil {
			return nil, dialect.MapError(err)
		}
		return &sqltypes.Buffered{Command: commandTag(tr, 0)}, nil
	}
	var q querier
	switch {
	case len(tr.SQL) > maxCachedSQL || t != nil && t.ddl:
		// Long statements (bulk INSERTs) are not kept prepared, nor those
		// of a transaction after its DDL (preparing on another connection
		// would not see its tables).
		q = directQuerier{db: s.db, tx: tx, sql: tr.SQL}
	default:
		st, err := s.prepared(ctx, tr.SQL)
		if err != nil {
			return nil, dialect.MapError(err)
		}
		if tx != nil {
			st = tx.StmtContext(ctx, st)
		}
		q = st
	}
	if tr.Fields == nil {
		res, err := q.ExecContext(ctx, bound...)
		if err != nil {
			return nil, dialect.MapError(err)
		}
		n, _ := res.RowsAffected()
		return &sqltypes.Buffered{Command: commandTag(tr, n)}, nil
	}
	rows, err := q.QueryContext(ctx, bound...)
	if err != nil {
		return nil, dialect.MapError(err)
	}
	return &sqliteRows{rows: rows, tr: tr, vals: make([]any, len(tr.Fields))}, nil
}

func commandTag(tr *dialect.Translation, n int64) string {
	switch tr.Kind {
	case dialect.KindSelect:
		return fmt.Sprintf("SELECT %d", n)
	case dialect.KindInsert:
		return fmt.Sprintf("INSERT 0 %d", n)
	case dialect.KindUpdate:
		return fmt.Sprintf("UPDATE %d", n)
	case dialect.KindDelete:
		return fmt.Sprintf("DELETE %d", n)
	}
	return tr.Tag
}

type sqliteRows struct {
	rows *sql.Rows
	tr   *dialect.Translation
	vals []any
	n    int64
	done bool
}

func (r *sqliteRows) Fields() []sqltypes.Field { return r.tr.Fields }

func (r *sqliteRows) Next(ctx context.Context) (sqltypes.Row, error) {
	if r.done {
		return nil, sqltypes.EOF
	}
	if !r.rows.Next() {
		r.done = true
		err := r.rows.Err()
		r.rows.Close()
		if err != nil {
			return nil, dialect.MapError(err)
		}
		return nil, sqltypes.EOF
	}
	if len(r.vals) == 0 {
		r.n++ // SELECT FROM t: the SQL has a placeholder column, the rows none
		return sqltypes.Row{}, nil
	}
	ptrs := make([]any, len(r.vals))
	for i := range r.vals {
		ptrs[i] = &r.vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, dialect.MapError(err)
	}
	row := make(sqltypes.Row, len(r.vals))
	for i, v := range r.vals {
		b, err := r.tr.Render(i, v)
		if err != nil {
			return nil, err
		}
		row[i] = b
	}
	r.n++
	return row, nil
}

func (r *sqliteRows) Tag() string { return commandTag(r.tr, r.n) }

func (r *sqliteRows) Close() {
	if !r.done {
		r.done = true
		r.rows.Close()
	}
}

// Ping checks the database answers.
func (s *Engine) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Reserve returns the engine itself: a SQLite shard keeps no per-client
// session state, so every client shares the file.
func (s *Engine) Reserve(ctx context.Context) (engine.Reserved, error) {
	return sqliteReserved{s}, nil
}

type sqliteReserved struct{ *Engine }

func (sqliteReserved) Release() {}

// Begin opens an IMMEDIATE transaction (SQLite's single writer lock is taken
// at BEGIN, so two transactions never deadlock on lock upgrade) that
// records its changes for an atomic multi-shard commit (sqlite_redo.go).
func (s *Engine) Begin(ctx context.Context) (engine.Tx, error) {
	return s.beginCaptured(ctx)
}

type sqliteTx struct {
	s       *Engine
	tx      *sql.Tx
	conn    *sql.Conn
	capture *redoCapture
	unlock  func() // the shard's transaction lock (sqlite_locks.go)
	ddl     bool   // the transaction has run DDL (see run)
}

func (t *sqliteTx) Query(ctx context.Context, sqlText string, args []any) (sqltypes.Rows, error) {
	return t.s.run(ctx, t, sqlText, args)
}

// Describe is SQLite.Describe as the transaction sees the schema (after
// its own DDL, tables the shard's catalog does not show yet).
func (t *sqliteTx) Describe(ctx context.Context, sqlText string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if !t.ddl {
		return t.s.Describe(ctx, sqlText, paramOIDs)
	}
	tr, err := dialect.Translate(sqlText, txCatalog{ctx, t.tx})
	if err != nil {
		return nil, nil, err
	}
	return describeParams(tr, paramOIDs), tr.Fields, nil
}

func (t *sqliteTx) Commit(ctx context.Context) error {
	defer t.finish()
	if t.ddl {
		// translations other connections cached during the transaction
		// read the schema it replaced
		defer t.s.schemaChanged()
	}
	return dialect.MapError(t.tx.Commit())
}

func (t *sqliteTx) Rollback(ctx context.Context) error {
	defer t.finish()
	if t.ddl {
		defer t.s.schemaChanged() // the cached catalog may hold the undone DDL
	}
	err := t.tx.Rollback()
	if err == sql.ErrTxDone {
		return nil
	}
	return dialect.MapError(err)
}

// ColumnDefault reports what a column takes when an INSERT leaves it out:
// its DEFAULT expression, "GENERATED ..." for a generated column, or ""
// when it takes NULL (or the table is not there).
func (s *Engine) ColumnDefault(ctx context.Context, table, column string) (string, error) {
	var def sql.NullString
	var hidden int
	err := s.db.QueryRowContext(ctx, `SELECT dflt_value, hidden FROM pragma_table_xinfo(?) WHERE name = ?`, dialect.SQLiteName(table), dialect.SQLiteName(column)).Scan(&def, &hidden)
	switch {
	case err == sql.ErrNoRows:
		return "", nil
	case err != nil:
		return "", err
	case hidden == 2 || hidden == 3:
		return "GENERATED ALWAYS", nil
	}
	return def.String, nil
}
