package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// pgIdleTimeout is how long a connection may sit idle in the pool before it
// is closed.
const pgIdleTimeout = 5 * time.Minute

// pgPingIdle is how long a connection may sit idle before the pool checks
// it with a round trip when it hands it out.
const pgPingIdle = time.Second

// pgMaxStatements bounds the named statements the gate keeps prepared on one
// backend connection; the oldest is deallocated beyond it.
const pgMaxStatements = 256

// pgPool is a bounded pool of backend connections to one Postgres server. At
// most size connections exist at once, counting idle ones, ones running a
// statement, and ones held by transactions and reservations: a slot token is
// held by every connection in use, and a connection is dialed only when no
// idle one is left, so idle + in use never exceeds size.
type pgPool struct {
	cfg    *pgx.ConnConfig
	size   int
	logger *slog.Logger

	slots chan struct{} // one token per connection in use (or being dialed)
	done  chan struct{} // closed by close: pending acquires fail

	mu     sync.Mutex
	idle   []*pgBackend // LIFO: the last released is reused first
	all    map[*pgBackend]struct{}
	closed bool
}

func newPgPool(cfg *pgx.ConnConfig, size int, logger *slog.Logger) *pgPool {
	return &pgPool{
		cfg:    cfg,
		size:   size,
		logger: logger,
		slots:  make(chan struct{}, size),
		done:   make(chan struct{}),
		all:    map[*pgBackend]struct{}{},
	}
}

// pgBackend is one backend connection and what the gate remembers about it.
type pgBackend struct {
	pool *pgPool // nil for the health connection
	conn *pgx.Conn

	// key is the sqltypes.Settings key the connection was last brought to
	// ("" = the connection's startup defaults); dirty means a statement may
	// have changed settings since, so the next acquire must reset them.
	key   string
	dirty bool
	// broken connections are closed instead of pooled.
	broken bool

	// notices is the sink of the statement running on the connection.
	notices atomic.Pointer[sqltypes.Notices]

	// stmts are the gate's named statements on this connection, by SQL
	// text, with their order of preparation for eviction; garbage are
	// server-side statements to deallocate at the next occasion. The gate
	// prepares and runs them through pgconn directly, so pgx's own
	// statement caches stay empty.
	stmts   map[string]*pgconn.StatementDescription
	order   []string
	garbage []string
	seq     int

	idleSince time.Time
}

// dial opens a new backend connection.
func dialBackend(ctx context.Context, base *pgx.ConnConfig, pool *pgPool) (*pgBackend, error) {
	b := &pgBackend{pool: pool, stmts: map[string]*pgconn.StatementDescription{}}
	cfg := base.Copy()
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if s := b.notices.Load(); s != nil {
			s.Add(n)
		}
	}
	// A cancelled statement sends the server a CancelRequest (the backend
	// stops and answers 57014, and the connection stays usable); the socket
	// deadline is only the fallback for a server that does not answer.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: time.Second}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(err)
	}
	b.conn = conn
	return b, nil
}

// connectError reports a failed dial: the server's own error when it
// refused us (bad database, authentication, too many clients), else 08001.
func connectError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr
	}
	return sqltypes.Errorf(sqltypes.SQLClientUnableToEstablishSQLConnection, "could not connect to shard: %v", err)
}

// poolWait is how long a statement waits for a free backend connection.
const poolWait = 30 * time.Second

// acquire takes a connection, waiting for a free slot until ctx ends or
// poolWait passes.
func (p *pgPool) acquire(ctx context.Context) (*pgBackend, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		// Wait for a slot, but not forever: a client gets a clear error.
		wait := time.NewTimer(poolWait)
		defer wait.Stop()
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, sqltypes.Errorf(sqltypes.TooManyConnections, "too many connections for shard pool (pool_size %d)", p.size)
		case <-wait.C:
			return nil, sqltypes.Errorf(sqltypes.TooManyConnections, "too many connections for shard pool (pool_size %d): no connection free after %s", p.size, poolWait)
		case <-p.done:
			return nil, errPoolClosed()
		}
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return nil, errPoolClosed()
		}
		if len(p.idle) == 0 {
			p.mu.Unlock()
			break
		}
		b := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		idle := time.Since(b.idleSince)
		if b.conn.IsClosed() || idle > pgIdleTimeout {
			delete(p.all, b)
			p.mu.Unlock()
			go b.close()
			continue
		}
		p.mu.Unlock()
		// A connection idle for a while may have been cut (server restart,
		// idle timeouts): check it with one round trip rather than fail
		// the client's statement.
		if idle > pgPingIdle {
			if err := b.conn.PgConn().Ping(ctx); err != nil {
				p.mu.Lock()
				delete(p.all, b)
				p.mu.Unlock()
				go b.close()
				if ctx.Err() != nil {
					<-p.slots
					return nil, pgError(ctx, err)
				}
				continue
			}
		}
		return b, nil
	}
	b, err := dialBackend(ctx, p.cfg, p)
	if err != nil {
		<-p.slots
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		go b.close()
		return nil, errPoolClosed()
	}
	p.all[b] = struct{}{}
	p.mu.Unlock()
	return b, nil
}

// takeSlot reserves one of the pool's connection slots for a connection
// that lives outside the pool (a client's dedicated relay session), waiting
// for a free slot until ctx ends. An idle pooled connection is closed to
// make room, so that the server never sees more than size connections.
// give returns the slot; it may be called more than once.
func (p *pgPool) takeSlot(ctx context.Context) (give func(), err error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, sqltypes.Errorf(sqltypes.TooManyConnections, "too many connections for shard pool (pool_size %d)", p.size)
	case <-p.done:
		return nil, errPoolClosed()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errPoolClosed()
	}
	// Idle connections hold no slot: idle + slots in use stay <= size.
	for len(p.idle) > 0 && len(p.idle)+len(p.slots) > p.size {
		b := p.idle[0] // the oldest
		p.idle = p.idle[1:]
		delete(p.all, b)
		go b.close()
	}
	p.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { <-p.slots }) }, nil
}

func errPoolClosed() error {
	return sqltypes.Errorf(sqltypes.ConnectionFailure, "connection to shard lost: shard pool is closed")
}

// release returns a connection to the pool, or closes it when it is broken
// or not idle (a transaction left open, a result not read to the end).
func (p *pgPool) release(b *pgBackend) {
	b.notices.Store(nil)
	pc := b.conn.PgConn()
	reuse := !b.broken && b.oneReading() == nil && !pc.IsClosed() && !pc.IsBusy() && pc.TxStatus() == 'I'
	p.mu.Lock()
	if reuse && !p.closed {
		now := time.Now()
		b.idleSince = now
		// Close connections idle for too long (the oldest are at the bottom).
		n := 0
		for n < len(p.idle) && now.Sub(p.idle[n].idleSince) > pgIdleTimeout {
			delete(p.all, p.idle[n])
			go p.idle[n].close()
			n++
		}
		if n > 0 {
			p.idle = append(p.idle[:0], p.idle[n:]...)
		}
		p.idle = append(p.idle, b)
	} else {
		delete(p.all, b)
		go b.close()
	}
	p.mu.Unlock()
	<-p.slots
}

// close closes the pool: idle connections now, connections in use are cut
// (their statements fail with a connection error) and closed on release.
func (p *pgPool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	idle := p.idle
	p.idle = nil
	var busy []*pgBackend
	for b := range p.all {
		busy = append(busy, b)
	}
	p.all = map[*pgBackend]struct{}{}
	p.mu.Unlock()
	inIdle := map[*pgBackend]bool{}
	for _, b := range idle {
		inIdle[b] = true
		b.close()
	}
	for _, b := range busy {
		if !inIdle[b] {
			// net.Conn.Close is safe while another goroutine reads.
			b.conn.PgConn().Conn().Close()
		}
	}
}

func (b *pgBackend) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	b.conn.Close(ctx)
}

// start prepares the connection for one operation: the operation's notice
// sink.
func (b *pgBackend) start(ctx context.Context) error {
	b.notices.Store(sqltypes.NoticesFrom(ctx))
	return nil
}

// forgetStatements is for after DISCARD ALL / DEALLOCATE ALL: the server
// has no prepared statements left.
func (b *pgBackend) forgetStatements() {
	b.stmts = map[string]*pgconn.StatementDescription{}
	b.order = nil
	b.garbage = nil
}

// sync brings the connection to the settings in ctx (transaction pool mode
// and every fresh acquire): RESET ALL and the client's SETs in one round
// trip, only when they differ from what the connection last had.
func (b *pgBackend) sync(ctx context.Context) error {
	s := sqltypes.SettingsFrom(ctx)
	key := s.Key()
	if key == b.key && !b.dirty {
		return nil
	}
	if err := b.oneReading(); err != nil {
		return err
	}
	_, err := b.conn.PgConn().Exec(ctx, "RESET ALL;"+s.SQL()).ReadAll()
	if err != nil {
		b.dirty = true
		return b.fail(ctx, err)
	}
	b.key, b.dirty = key, false
	return nil
}

// statement returns the gate's named prepared statement for sql on this
// connection, preparing it the first time.
func (b *pgBackend) statement(ctx context.Context, sql string, oids []uint32) (*pgconn.StatementDescription, error) {
	if len(sql) > maxCachedStatement {
		// A bulk statement is prepared unnamed, not kept.
		sd, err := b.conn.PgConn().Prepare(ctx, "", sql, oids)
		if err != nil {
			return nil, b.fail(ctx, err)
		}
		return sd, nil
	}
	key := sql
	if len(oids) > 0 {
		var k strings.Builder
		k.WriteString(sql)
		for _, o := range oids {
			k.WriteByte(0)
			k.WriteString(itoa(int(o)))
		}
		key = k.String()
	}
	if sd, ok := b.stmts[key]; ok {
		return sd, nil
	}
	if len(b.order) >= pgMaxStatements || len(b.garbage) >= pgMaxStatements/4 {
		if err := b.evict(ctx); err != nil {
			return nil, err
		}
	}
	b.seq++
	name := "vitess_s" + itoa(b.seq)
	sd, err := b.conn.PgConn().Prepare(ctx, name, sql, oids)
	if err != nil {
		var pe *pgconn.PrepareError
		if errors.As(err, &pe) && pe.ParseComplete {
			b.garbage = append(b.garbage, name)
		}
		return nil, b.fail(ctx, err)
	}
	b.stmts[key] = sd
	b.order = append(b.order, key)
	return sd, nil
}

// evict deallocates the older half of the gate's statements (and the
// garbage) in one round trip; only outside a transaction, so that a failure
// cannot abort the client's transaction.
func (b *pgBackend) evict(ctx context.Context) error {
	if b.conn.PgConn().TxStatus() != 'I' {
		return nil
	}
	names := b.garbage
	n := 0
	if len(b.order) >= pgMaxStatements {
		n = len(b.order) / 2
	}
	for _, sql := range b.order[:n] {
		names = append(names, b.stmts[sql].Name)
		delete(b.stmts, sql)
	}
	b.order = append([]string(nil), b.order[n:]...)
	b.garbage = nil
	if len(names) == 0 {
		return nil
	}
	var q strings.Builder
	for _, name := range names {
		q.WriteString("DEALLOCATE ")
		q.WriteString(name)
		q.WriteString(";")
	}
	if _, err := b.conn.PgConn().Exec(ctx, q.String()).ReadAll(); err != nil {
		// Some were not there (or the connection failed): start afresh.
		b.noteError(err)
		if !b.broken {
			_, err = b.conn.PgConn().Exec(ctx, "DEALLOCATE ALL").ReadAll()
		}
		if err != nil {
			return b.fail(ctx, err)
		}
		b.forgetStatements()
	}
	return nil
}

// dropStatement forgets sql's statement after the server said its plan went
// stale ("cached plan must not change result type"); the next use prepares
// it again under a new name.
func (b *pgBackend) dropStatement(ctx context.Context, sql string) {
	sd := b.stmts[sql]
	if sd == nil {
		return
	}
	delete(b.stmts, sql)
	for i, s := range b.order {
		if s == sql {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
	b.garbage = append(b.garbage, sd.Name)
}

// after records what a finished statement did to the connection.
func (b *pgBackend) after(tag string, err error) {
	switch {
	case strings.HasPrefix(tag, "SET"), strings.HasPrefix(tag, "RESET"):
		b.dirty = true
	case tag == "DISCARD ALL":
		b.forgetStatements()
		b.key, b.dirty = "", false
	case tag == "DEALLOCATE ALL":
		b.forgetStatements()
	}
	if err != nil {
		b.noteError(err)
	}
}

// noteError marks the connection broken after an error that was not the
// server's answer (the socket failed, the protocol got out of step).
func (b *pgBackend) noteError(err error) {
	if b.conn.IsClosed() {
		b.broken = true
		return
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		b.broken = true
	}
}

// fail records err against the connection and converts it for the client.
func (b *pgBackend) fail(ctx context.Context, err error) error {
	b.noteError(err)
	return pgError(ctx, err)
}

// pgError converts an error from pgx to what the gate returns: the
// server's *pgconn.PgError unchanged, 57014 for a cancelled statement, 08006
// for a lost connection; other (local) errors as they are.
func pgError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == sqltypes.QueryCanceled && errors.Is(ctx.Err(), context.DeadlineExceeded) && isQueryTimeout(ctx) {
			e := *pgErr
			e.Message = "canceling statement due to statement timeout"
			return &e
		}
		return pgErr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && isQueryTimeout(ctx) {
			return sqltypes.Errorf(sqltypes.QueryCanceled, "canceling statement due to statement timeout")
		}
		if ctx.Err() != nil {
			return sqltypes.Errorf(sqltypes.QueryCanceled, "canceling statement due to user request")
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "conn closed") {
		return sqltypes.Errorf(sqltypes.ConnectionFailure, "connection to shard lost: %v", err)
	}
	return err
}

type queryTimeoutKey struct{}

// withQueryTimeout applies the shard's query_timeout to one statement.
func withQueryTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	deadline := time.Now().Add(d)
	if pd, ok := ctx.Deadline(); ok && pd.Before(deadline) {
		return ctx, func() {}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	return context.WithValue(ctx, queryTimeoutKey{}, deadline), cancel
}

// isQueryTimeout reports whether ctx's deadline is the shard's
// query_timeout.
func isQueryTimeout(ctx context.Context) bool {
	d, ok := ctx.Value(queryTimeoutKey{}).(time.Time)
	if !ok {
		return false
	}
	cd, _ := ctx.Deadline()
	return cd.Equal(d)
}

// maxCachedStatement bounds the statements kept prepared per connection.
const maxCachedStatement = 8 << 10

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(buf[i:])
}

// usage is the pool's connections in use (or being dialed), idle, and its
// bound.
func (p *pgPool) usage() (inUse, idle, size int) {
	p.mu.Lock()
	idle = len(p.idle)
	p.mu.Unlock()
	return len(p.slots), idle, p.size
}

// PoolUsage is the backend connections in use, idle, and the pool's bound.
func (e *Engine) PoolUsage() (inUse, idle, size int) { return e.pool.usage() }
