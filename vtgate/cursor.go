package vtgate

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

// SQL cursors (DECLARE, FETCH, MOVE, CLOSE) on keyspaces the gate plans.
// A cursor is the open row stream of its query's plan: FETCH reads from
// the shards' streams through the merge operators as far as it needs, so a
// cursor over a large scatter result is never materialised at the gate.
// A WITH HOLD cursor is read to its end when its transaction commits (as
// Postgres does), because the shard transactions it reads from end then.
// Cursors scan forward only.

const (
	cursorOptBinary = 0x0001
	cursorOptScroll = 0x0002
	cursorOptHold   = 0x0020
)

type cursor struct {
	rows   sqltypes.Rows
	fields []sqltypes.Field
	hold   bool
	inTx   bool // declared in the open transaction
	stop   context.CancelFunc
}

func (c *cursor) close() {
	c.rows.Close()
	c.stop()
}

// declare runs DECLARE name CURSOR FOR query.
func (s *session) declare(ctx context.Context, d *pg_query.DeclareCursorStmt) (sqltypes.Rows, error) {
	hold := d.Options&cursorOptHold != 0
	switch {
	case d.Options&cursorOptScroll != 0:
		return nil, sqltypes.Unsupported("SCROLL cursors (cursors scan forward only)")
	case d.Options&cursorOptBinary != 0:
		return nil, sqltypes.Unsupported("BINARY cursors")
	}
	inTx := s.TxStatus() != 'I'
	if !inTx && !hold {
		return nil, sqltypes.Errorf(sqltypes.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	s.mu.Lock()
	_, exists := s.cursors[d.Portalname]
	s.mu.Unlock()
	if exists {
		return nil, sqltypes.Errorf(sqltypes.DuplicateCursor, "cursor \"%s\" already exists", d.Portalname)
	}
	query, err := pgast.Deparse(d.Query)
	if err != nil {
		return nil, err
	}
	p, err := s.cache.Plan(ctx, execEnv{session: s}, s.keyspace, query, nil)
	if err != nil {
		return nil, err
	}
	if p.Kind != engine.KindQuery || p.Fields == nil || p.Writes != "" {
		return nil, sqltypes.Errorf(sqltypes.SyntaxError, "DECLARE CURSOR must be a query that returns rows")
	}
	// The stream outlives this statement: it ends with the cursor. Inside
	// a transaction, Postgres shards read through cursors of their own,
	// so that the transaction's connections stay free between FETCHes.
	cctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var env engine.Env = execEnv{session: s}
	if inTx {
		s.mu.Lock()
		s.cursorSeq++
		env = cursorEnv{execEnv: execEnv{session: s}, prefix: fmt.Sprintf("vt_cursor_%d_", s.cursorSeq)}
		s.mu.Unlock()
	}
	rows, err := p.Execute(cctx, env, nil)
	if err != nil {
		stop()
		return nil, err
	}
	c := &cursor{rows: rows, fields: p.Fields, hold: hold, inTx: inTx, stop: stop}
	if !inTx {
		if err := c.materialize(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[d.Portalname] = c
	s.mu.Unlock()
	return tagOnly("DECLARE CURSOR"), nil
}

// materialize reads the rest of the cursor into memory.
func (c *cursor) materialize(ctx context.Context) error {
	data, err := sqltypes.ReadAll(ctx, c.rows)
	c.stop()
	if err != nil {
		return err
	}
	c.rows = &sqltypes.Buffered{Cols: c.fields, Data: data}
	c.stop = func() {}
	return nil
}

// fetch runs FETCH and MOVE.
func (s *session) fetch(ctx context.Context, f *pg_query.FetchStmt) (sqltypes.Rows, error) {
	s.mu.Lock()
	c := s.cursors[f.Portalname]
	s.mu.Unlock()
	if c == nil {
		return nil, sqltypes.Errorf(sqltypes.InvalidCursorName, "cursor \"%s\" does not exist", f.Portalname)
	}
	if f.Direction != pg_query.FetchDirection_FETCH_FORWARD || f.HowMany < 0 {
		return nil, sqltypes.Errorf(sqltypes.ObjectNotInPrerequisiteState, "cursor can only scan forward")
	}
	n := f.HowMany
	if n == 0 {
		return nil, sqltypes.Unsupported("FETCH 0 (re-reading the current row)")
	}
	if n == math.MaxInt64 { // ALL
		n = -1
	}
	out := &sqltypes.Buffered{}
	if !f.Ismove {
		out.Cols = c.fields
	}
	got := int64(0)
	for n < 0 || got < n {
		row, err := c.rows.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			s.fail()
			return nil, err
		}
		got++
		if !f.Ismove {
			out.Data = append(out.Data, row)
		}
	}
	verb := "FETCH "
	if f.Ismove {
		verb = "MOVE "
	}
	out.Command = verb + strconv.FormatInt(got, 10)
	return out, nil
}

// cursorFields are the row fields FETCH from the named cursor returns.
func (s *session) cursorFields(f *pg_query.FetchStmt) []sqltypes.Field {
	if f.Ismove {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cursors[f.Portalname]; c != nil {
		return c.fields
	}
	return nil
}

// closeCursor runs CLOSE name and CLOSE ALL.
func (s *session) closeCursor(cp *pg_query.ClosePortalStmt) (sqltypes.Rows, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cp.Portalname == "" {
		for name, c := range s.cursors {
			c.close()
			delete(s.cursors, name)
		}
		return tagOnly("CLOSE CURSOR"), nil
	}
	c := s.cursors[cp.Portalname]
	if c == nil {
		return nil, sqltypes.Errorf(sqltypes.InvalidCursorName, "cursor \"%s\" does not exist", cp.Portalname)
	}
	c.close()
	delete(s.cursors, cp.Portalname)
	return tagOnly("CLOSE CURSOR"), nil
}

// endCursors runs at the end of a transaction, before its shards commit or
// roll back: WITH HOLD cursors of a committing transaction are read to
// their end; every other cursor of the transaction is closed.
func (s *session) endCursors(ctx context.Context, commit bool) error {
	s.mu.Lock()
	cursors := s.cursors
	s.mu.Unlock()
	var first error
	for name, c := range cursors {
		if !c.inTx {
			continue
		}
		if commit && c.hold {
			c.inTx = false
			if err := c.materialize(ctx); err != nil && first == nil {
				first = err
			}
			continue
		}
		c.close()
		s.mu.Lock()
		delete(s.cursors, name)
		s.mu.Unlock()
	}
	return first
}

// closeAllCursors closes every cursor (the session ends).
func (s *session) closeAllCursors() {
	s.mu.Lock()
	cursors := s.cursors
	s.cursors = nil
	s.mu.Unlock()
	for _, c := range cursors {
		c.close()
	}
}

// cursorEnv is the environment of a cursor's plan inside a transaction:
// its queries on Postgres shards run as server-side cursors read in
// batches.
type cursorEnv struct {
	execEnv
	prefix string
}

func (e cursorEnv) Conn(ctx context.Context, shard string) (engine.Conn, error) {
	c, err := e.execEnv.Conn(ctx, shard)
	if err != nil || !isPostgresConn(c) {
		return c, err
	}
	return &shardCursor{c: c, name: e.prefix + sanitizeShard(shard)}, nil
}

func sanitizeShard(shard string) string {
	b := []byte(shard)
	for i, ch := range b {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			b[i] = '_'
		}
	}
	return string(b)
}

// cursorBatch is how many rows a shard cursor fetches at a time.
const cursorBatch = 500

// shardCursor runs a query as a cursor on the shard's transaction.
type shardCursor struct {
	c    engine.Conn
	name string
}

func (sc *shardCursor) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	r, err := sc.c.Query(ctx, "DECLARE "+sc.name+" NO SCROLL CURSOR FOR "+sql, args)
	if err != nil {
		return nil, err
	}
	r.Close()
	fr := &fetchRows{c: sc.c, name: sc.name}
	if err := fr.fill(ctx); err != nil {
		fr.Close()
		return nil, err
	}
	return fr, nil
}

// fetchRows reads a shard cursor batch by batch.
type fetchRows struct {
	c      engine.Conn
	name   string
	fields []sqltypes.Field
	buf    []sqltypes.Row
	pos    int
	n      int
	done   bool
	closed bool
}

func (r *fetchRows) fill(ctx context.Context) error {
	rows, err := r.c.Query(ctx, fmt.Sprintf("FETCH %d FROM %s", cursorBatch, r.name), nil)
	if err != nil {
		return err
	}
	r.fields = rows.Fields()
	r.buf, err = sqltypes.ReadAll(ctx, rows)
	r.pos = 0
	r.done = len(r.buf) < cursorBatch
	return err
}

func (r *fetchRows) Fields() []sqltypes.Field { return r.fields }

func (r *fetchRows) Next(ctx context.Context) (sqltypes.Row, error) {
	if r.pos >= len(r.buf) {
		if r.done {
			return nil, io.EOF
		}
		if err := r.fill(ctx); err != nil {
			return nil, err
		}
		if len(r.buf) == 0 {
			return nil, io.EOF
		}
	}
	row := r.buf[r.pos]
	r.pos++
	r.n++
	return row, nil
}

func (r *fetchRows) Tag() string { return "SELECT " + strconv.Itoa(r.n) }

func (r *fetchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if rows, err := r.c.Query(ctx, "CLOSE "+r.name, nil); err == nil {
		rows.Close()
	}
}
