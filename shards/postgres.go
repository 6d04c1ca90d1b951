package shards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Postgres is the PostgreSQL engine: a bounded pool of backend connections
// to one server (see pgPool), a health connection outside the pool, and the
// shard URL's query timeout.
//
// Statements run on a pooled connection that is brought to the client's
// settings first (sqltypes.SettingsFrom). Query returns rows in text format
// for the gate's operators; QueryRaw forwards the client's parameters and
// returns the server's DataRow values untouched in the client's result
// formats. A statement with parameters is prepared once per connection (a
// named statement per SQL text, at most pgMaxStatements kept) and reused;
// a statement without parameters (Query without args, QueryRaw of the simple
// protocol) is sent as text with the simple protocol, exactly as the client
// would have sent it to Postgres.
type Postgres struct {
	cfg          *pgx.ConnConfig
	pool         *pgPool
	queryTimeout time.Duration
	logger       *slog.Logger

	healthMu sync.Mutex
	health   *pgBackend
	closed   atomic.Bool
	coll     pgCollation
}

var _ Engine = (*Postgres)(nil)

// defaultPoolSize is a shard's pool size when neither Options.PoolSize nor
// the URL's pool_size sets one.
const defaultPoolSize = 20

// OpenPostgres opens a PostgreSQL shard. The URL is a Postgres connection
// URL; the gate-only parameters pool_size=N (overrides opts.PoolSize) and
// query_timeout=DURATION (Go syntax, e.g. 30s; 0 = none) are taken out
// before pgx parses it. Open fails only for a malformed URL: a server that
// does not answer is logged, reported by Ping, and statements fail with a
// class-08 error until it answers.
func OpenPostgres(ctx context.Context, rawURL string, opts Options) (Engine, error) {
	return openPostgres(ctx, rawURL, opts)
}

func openPostgres(ctx context.Context, rawURL string, opts Options) (*Postgres, error) {
	rest, poolSize, queryTimeout, err := splitGateParams(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(rest)
	if err != nil {
		return nil, fmt.Errorf("invalid postgres shard URL: %w", err)
	}
	if err := pinReading(cfg); err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if poolSize == 0 {
		poolSize = opts.PoolSize
	}
	if poolSize <= 0 {
		poolSize = defaultPoolSize
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	e := &Postgres{
		cfg:          cfg,
		pool:         newPgPool(cfg, poolSize, logger),
		queryTimeout: queryTimeout,
		logger:       logger,
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.Ping(pctx); err != nil {
		logger.Warn("postgres shard does not answer yet", "host", cfg.Host, "port", cfg.Port, "database", cfg.Database, "err", err)
	}
	return e, nil
}

// splitGateParams takes the gate's own parameters out of a shard URL,
// leaving the others exactly as written.
func splitGateParams(raw string) (rest string, poolSize int, queryTimeout time.Duration, err error) {
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw, 0, 0, nil
	}
	frag := ""
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query, frag = query[:i], query[i:]
	}
	var kept []string
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, kerr := url.QueryUnescape(k)
		val, verr := url.QueryUnescape(v)
		if kerr != nil || verr != nil {
			kept = append(kept, part)
			continue
		}
		switch key {
		case "pool_size":
			n, perr := strconv.Atoi(val)
			if perr != nil || n <= 0 {
				return "", 0, 0, fmt.Errorf("invalid postgres shard URL: pool_size=%q is not a positive integer", val)
			}
			poolSize = n
		case "query_timeout":
			if val == "0" || val == "" {
				queryTimeout = 0
				continue
			}
			d, perr := time.ParseDuration(val)
			if perr != nil || d < 0 {
				return "", 0, 0, fmt.Errorf("invalid postgres shard URL: query_timeout=%q is not a duration (e.g. 30s)", val)
			}
			queryTimeout = d
		default:
			kept = append(kept, part)
		}
	}
	rest = base
	if len(kept) > 0 {
		rest += "?" + strings.Join(kept, "&")
	}
	return rest + frag, poolSize, queryTimeout, nil
}

// Kind is "postgres".
func (e *Postgres) Kind() string { return "postgres" }

// PoolSize is the pool's bound on backend connections.
func (e *Postgres) PoolSize() int { return e.pool.size }

// Close closes every connection; pending acquires fail.
func (e *Postgres) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.pool.close()
	e.healthMu.Lock()
	if e.health != nil {
		e.health.close()
		e.health = nil
	}
	e.healthMu.Unlock()
	return nil
}

// Ping runs one round trip on the health connection (outside the pool),
// dialing it again when it broke.
func (e *Postgres) Ping(ctx context.Context) error {
	e.healthMu.Lock()
	defer e.healthMu.Unlock()
	if e.closed.Load() {
		return errPoolClosed()
	}
	if e.health != nil {
		if err := e.health.conn.PgConn().Ping(ctx); err == nil {
			return nil
		}
		// The health connection broke (a restart, a terminated backend):
		// the verdict is whether a new one answers.
		e.health.close()
		e.health = nil
	}
	b, err := dialBackend(ctx, e.cfg, nil)
	if err != nil {
		return err
	}
	if err := b.conn.PgConn().Ping(ctx); err != nil {
		b.close()
		return pgError(ctx, err)
	}
	e.health = b
	return nil
}

// acquire takes a pooled connection brought to ctx's settings.
func (e *Postgres) acquire(ctx context.Context) (*pgBackend, error) {
	if e.closed.Load() {
		return nil, errPoolClosed()
	}
	b, err := e.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.start(ctx); err != nil {
		e.pool.release(b)
		return nil, err
	}
	if err := b.sync(ctx); err != nil {
		e.pool.release(b)
		return nil, err
	}
	return b, nil
}

// DialSession opens a dedicated backend connection for one client (the
// relay mode of an unsharded keyspace): the shard URL's host, port, user,
// password, database and TLS settings, but the client's startup parameters
// (they override the URL's), so that the server session is the one the
// client would have had. It counts against the pool size: it waits for a
// free slot until ctx ends. The connection is returned after its startup,
// handed over (pgconn.Hijack) with the server's ParameterStatus values and
// BackendKeyData; the caller closes hc.Conn and then calls release.
func (e *Postgres) DialSession(ctx context.Context, params map[string]string) (hc *pgconn.HijackedConn, release func(), err error) {
	if e.closed.Load() {
		return nil, nil, errPoolClosed()
	}
	give, err := e.pool.takeSlot(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg := e.cfg.Config.Copy()
	rt := make(map[string]string, len(cfg.RuntimeParams)+len(params))
	for k, v := range cfg.RuntimeParams {
		rt[k] = v
	}
	for k, v := range params {
		switch k {
		case "user", "database", "replication":
			continue
		}
		rt[k] = v
	}
	cfg.RuntimeParams = rt
	// The client speaks protocol 3.0 to the gate; so must the server.
	cfg.MinProtocolVersion, cfg.MaxProtocolVersion = "3.0", "3.0"
	cfg.OnNotice, cfg.OnNotification = nil, nil
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		give()
		return nil, nil, connectError(err)
	}
	hc, err = pc.Hijack()
	if err != nil {
		pc.Close(context.Background())
		give()
		return nil, nil, connectError(err)
	}
	return hc, give, nil
}

// Query runs one statement outside a transaction; rows in text format.
func (e *Postgres) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return e.query(ctx, sql, &sqltypes.Bound{Args: args}, false)
}

// QueryRaw runs one statement with the client's parameters as it encoded
// them; the rows (sqltypes.Encoded) carry the server's values in
// b.ResultFormats. Without encoded parameters but with decoded ones it runs
// like Query (text rows, not Encoded).
func (e *Postgres) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return e.query(ctx, sql, b, rawMode(b))
}

// rawMode reports whether b can be forwarded as the client encoded it.
func rawMode(b *sqltypes.Bound) bool {
	return b != nil && (b.Raw != nil || len(b.Args) == 0)
}

func (e *Postgres) query(ctx context.Context, sql string, bnd *sqltypes.Bound, raw bool) (sqltypes.Rows, error) {
	ctx, cancel := withQueryTimeout(ctx, e.queryTimeout)
	b, err := e.acquire(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	return run(ctx, b, sql, bnd, raw, func(tag string, err error) {
		b.after(tag, err)
		cancel()
		e.pool.release(b)
	})
}

// Describe reports a statement's parameter types and result columns.
func (e *Postgres) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	ctx, cancel := withQueryTimeout(ctx, e.queryTimeout)
	defer cancel()
	b, err := e.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer e.pool.release(b)
	return describe(ctx, b, sql, paramOIDs)
}

func describe(ctx context.Context, b *pgBackend, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if err := b.oneReading(); err != nil {
		return nil, nil, err
	}
	sd, err := b.conn.PgConn().Prepare(ctx, "", sql, paramOIDs)
	if err != nil {
		return nil, nil, b.fail(ctx, err)
	}
	return sd.ParamOIDs, pgFields(sd.Fields), nil
}

// Begin opens a transaction on a pooled connection, held until Commit or
// Rollback.
func (e *Postgres) Begin(ctx context.Context) (engine.Tx, error) {
	return e.BeginWith(ctx, "")
}

// BeginWith opens a transaction with BEGIN's options (e.g. "ISOLATION
// LEVEL SERIALIZABLE READ ONLY"), sent as written.
func (e *Postgres) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	b, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	h := &pgHeld{e: e, b: b}
	if _, err := h.exec(ctx, beginSQL(options)); err != nil {
		h.b.broken = h.b.broken || h.b.conn.PgConn().TxStatus() != 'I'
		e.pool.release(b)
		return nil, err
	}
	return &pgTx{h: h, own: true}, nil
}

func beginSQL(options string) string {
	if options = strings.TrimSpace(options); options != "" {
		return "BEGIN " + options
	}
	return "BEGIN"
}

// Reserve takes a connection for one client (session pool mode), brought to
// ctx's settings; Release cleans it (ROLLBACK if needed, DISCARD ALL) for
// the next client.
func (e *Postgres) Reserve(ctx context.Context) (engine.Reserved, error) {
	b, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pgReserved{h: &pgHeld{e: e, b: b}}, nil
}

// pgHeld is a connection held by a transaction or a reservation: one
// statement at a time.
type pgHeld struct {
	e *Postgres
	b *pgBackend

	mu      sync.Mutex
	busy    bool   // a statement's rows are open
	gone    bool   // released (or being released) to the pool
	pending func() // the release to do once the open statement ends
}

// take claims the connection for one operation.
func (h *pgHeld) take(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.gone:
		return sqltypes.Errorf("08003", "shard connection was already released")
	case h.busy:
		return sqltypes.Errorf("55000", "shard connection is busy: the previous statement's rows are still open")
	case h.b.broken || h.b.conn.IsClosed():
		return sqltypes.Errorf("08006", "connection to shard lost")
	}
	h.busy = true
	if err := h.b.start(ctx); err != nil {
		h.busy = false
		return err
	}
	return nil
}

// give ends an operation; a Release that came meanwhile happens now.
func (h *pgHeld) give() {
	h.mu.Lock()
	h.busy = false
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	if pending != nil {
		pending()
	}
}

// releaseWith gives the connection back with fn: now, or when the
// statement whose rows are open ends. Only the first call counts.
func (h *pgHeld) releaseWith(fn func()) {
	h.mu.Lock()
	if h.gone {
		h.mu.Unlock()
		return
	}
	h.gone = true
	if h.busy {
		h.pending = fn
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	fn()
}

func (h *pgHeld) query(ctx context.Context, sql string, bnd *sqltypes.Bound, raw bool) (sqltypes.Rows, error) {
	if err := h.take(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := withQueryTimeout(ctx, h.e.queryTimeout)
	return run(ctx, h.b, sql, bnd, raw, func(tag string, err error) {
		h.b.after(tag, err)
		cancel()
		h.give()
	})
}

func (h *pgHeld) describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if err := h.take(ctx); err != nil {
		return nil, nil, err
	}
	defer h.give()
	ctx, cancel := withQueryTimeout(ctx, h.e.queryTimeout)
	defer cancel()
	return describe(ctx, h.b, sql, paramOIDs)
}

// exec runs a statement with the simple protocol and returns its tag.
func (h *pgHeld) exec(ctx context.Context, sql string) (string, error) {
	if err := h.take(ctx); err != nil {
		return "", err
	}
	defer h.give()
	if err := h.b.oneReading(); err != nil {
		return "", err
	}
	res, err := h.b.conn.PgConn().Exec(ctx, sql).ReadAll()
	tag := ""
	if len(res) > 0 {
		tag = res[len(res)-1].CommandTag.String()
	}
	h.b.after(tag, err)
	return tag, pgError(ctx, err)
}

// release returns the connection to the pool as it is (transactions; the
// pool closes it if a transaction is still open on it).
func (h *pgHeld) release() {
	h.releaseWith(func() { h.e.pool.release(h.b) })
}

// cleanRelease makes a reserved connection safe for the next client and
// returns it to the pool: ROLLBACK when a transaction is open, DISCARD ALL
// (temp tables, prepared statements, settings, advisory locks, ...), and
// the gate's statement cache emptied to match (pgx's own caches are never
// used). Any failure closes it instead.
func (h *pgHeld) cleanRelease() {
	b := h.b
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.notices.Store(nil)
	pc := b.conn.PgConn()
	if !b.broken && !pc.IsClosed() && !pc.IsBusy() {
		if pc.TxStatus() != 'I' {
			if _, err := pc.Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
				b.broken = true
			}
		}
		if !b.broken {
			if _, err := pc.Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
				b.broken = true
			}
		}
		if !b.broken {
			b.forgetStatements()
			b.key, b.dirty = "", false
		}
	} else {
		b.broken = true
	}
	h.e.pool.release(b)
}

// pgTx is a transaction on a held connection. A transaction of the engine
// (own) releases its connection at Commit or Rollback; one of a reservation
// keeps it.
type pgTx struct {
	h   *pgHeld
	own bool

	mu   sync.Mutex
	done bool
}

func (t *pgTx) open() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return sqltypes.Errorf("25P01", "there is no transaction in progress")
	}
	return nil
}

func (t *pgTx) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	if err := t.open(); err != nil {
		return nil, err
	}
	return t.h.query(ctx, sql, &sqltypes.Bound{Args: args}, false)
}

func (t *pgTx) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	if err := t.open(); err != nil {
		return nil, err
	}
	return t.h.query(ctx, sql, b, rawMode(b))
}

func (t *pgTx) CanQueryRaw() bool { return true }

// Describe describes inside the transaction (its own tables and locks)
// under a savepoint: the gate describes statements it may never run (a
// normalized text whose $n have no type), and a failed Parse would abort
// the transaction.
func (t *pgTx) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	if err := t.open(); err != nil {
		return nil, nil, err
	}
	if _, err := t.h.exec(ctx, "SAVEPOINT vt_describe"); err != nil {
		return nil, nil, err
	}
	params, fields, err := t.h.describe(ctx, sql, paramOIDs)
	end := "RELEASE SAVEPOINT vt_describe"
	if err != nil {
		end = "ROLLBACK TO SAVEPOINT vt_describe; RELEASE SAVEPOINT vt_describe"
	}
	if _, serr := t.h.exec(ctx, end); serr != nil && err == nil {
		err = serr
	}
	return params, fields, err
}

// Commit commits. When the server answers ROLLBACK (the transaction had
// failed), Commit reports 25P02: the transaction was rolled back.
func (t *pgTx) Commit(ctx context.Context) error {
	tag, err := t.end(ctx, "COMMIT")
	if err == nil && tag == "ROLLBACK" {
		err = sqltypes.Errorf("25P02", "current transaction is aborted, COMMIT rolled it back")
	}
	return err
}

// Rollback rolls back.
func (t *pgTx) Rollback(ctx context.Context) error {
	_, err := t.end(ctx, "ROLLBACK")
	return err
}

func (t *pgTx) end(ctx context.Context, sql string) (string, error) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return "", sqltypes.Errorf("25P01", "there is no transaction in progress")
	}
	t.done = true
	t.mu.Unlock()
	tag, err := t.h.exec(ctx, sql)
	if t.own {
		t.h.release()
	}
	return tag, err
}

// pgReserved is a connection reserved for one client.
type pgReserved struct {
	h *pgHeld
}

func (r *pgReserved) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return r.h.query(ctx, sql, &sqltypes.Bound{Args: args}, false)
}

func (r *pgReserved) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return r.h.query(ctx, sql, b, rawMode(b))
}

func (r *pgReserved) CanQueryRaw() bool { return true }

func (r *pgReserved) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
	return r.h.describe(ctx, sql, paramOIDs)
}

// Begin opens a transaction on the reserved connection; its end keeps the
// reservation.
func (r *pgReserved) Begin(ctx context.Context) (engine.Tx, error) {
	return r.BeginWith(ctx, "")
}

// BeginWith is Begin with BEGIN's options.
func (r *pgReserved) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	if _, err := r.h.exec(ctx, beginSQL(options)); err != nil {
		return nil, err
	}
	return &pgTx{h: r.h}, nil
}

// Release cleans the connection for the next client and returns it to the
// pool (see cleanRelease). Safe to call more than once.
func (r *pgReserved) Release() {
	r.h.releaseWith(r.h.cleanRelease)
}

// run starts sql on b (held by the caller) and returns its rows; done is
// called once when the statement has finished on the connection (at once
// for a statement whose answer is already complete, else at the stream's
// end or Close), with the command tag and the error as pgx reported it.
func run(ctx context.Context, b *pgBackend, sql string, bnd *sqltypes.Bound, raw bool, done func(tag string, err error)) (sqltypes.Rows, error) {
	if isCopyStdio(sql) {
		// pgconn's query readers do not speak the COPY sub-protocol: COPY
		// FROM STDIN would wait for data forever and COPY TO STDOUT would
		// drop its rows.
		done("", nil)
		return nil, sqltypes.Unsupported("COPY FROM STDIN / TO STDOUT cannot run as a shard query")
	}
	for attempt := 0; ; attempt++ {
		st, err := start(ctx, b, sql, bnd, raw)
		if err != nil && isStalePlan(err) {
			b.dropStatement(ctx, sql)
			// Outside a transaction nothing ran: prepare again and retry.
			if attempt == 0 && b.conn.PgConn().TxStatus() == 'I' {
				continue
			}
		}
		if err != nil {
			done("", err)
			return nil, pgError(ctx, err)
		}
		if st.ended {
			done(st.tag, nil)
		} else {
			st.done = done
		}
		if raw {
			return &pgEncodedStream{pgStream: st, formats: bnd.ResultFormats}, nil
		}
		return st, nil
	}
}

// start sends the statement and reads up to its first row, so that errors
// raised before any row come back from Query itself.
func start(ctx context.Context, b *pgBackend, sql string, bnd *sqltypes.Bound, raw bool) (*pgStream, error) {
	var src rowSource
	var fields []pgconn.FieldDescription
	var sd *pgconn.StatementDescription
	if err := b.oneReading(); err != nil {
		return nil, err
	}
	pc := b.conn.PgConn()
	switch {
	case raw && bnd.Raw == nil && allText(bnd.ResultFormats), !raw && len(bnd.ArgsOf()) == 0:
		// The client's text with the simple protocol, as Postgres would
		// run it (error positions, statements that cannot be prepared).
		mrr := pc.Exec(ctx, sql)
		s := &simpleSource{mrr: mrr}
		if mrr.NextResult() {
			s.rr = mrr.ResultReader()
			fields = s.rr.FieldDescriptions()
		}
		src = s
	default:
		var oids []uint32
		if raw {
			// The client encoded its values for these types; prepare
			// with them so the server reads them alike.
			oids = bnd.ParamOIDs
		}
		var err error
		sd, err = b.statement(ctx, sql, oids)
		if err != nil {
			return nil, err
		}
		n := len(sd.ParamOIDs)
		if raw {
			vals, formats := bnd.Raw, bnd.ParamFormats
			// Values past the statement's highest $n are not bound.
			if len(vals) > n {
				vals = vals[:n]
				if len(formats) > n {
					formats = formats[:n]
				}
			}
			rr := pc.ExecStatement(ctx, sd, vals, formats, bnd.ResultFormats)
			fields = rr.FieldDescriptions()
			src = resultSource{rr}
		} else {
			args := bnd.ArgsOf()
			if len(args) > n {
				args = args[:n]
			}
			if len(args) < n {
				return nil, sqltypes.Errorf("08P01", "bind message supplies %d parameters, but prepared statement %q requires %d", len(args), sd.Name, n)
			}
			var eqb pgx.ExtendedQueryBuilder
			if err := eqb.Build(b.conn.TypeMap(), sd, args); err != nil {
				return nil, sqltypes.Errorf("22P02", "%v", err)
			}
			rr := pc.ExecStatement(ctx, sd, eqb.ParamValues, eqb.ParamFormats, textResults)
			fields = rr.FieldDescriptions()
			src = resultSource{rr}
		}
	}
	if sd != nil && sd.Fields == nil {
		fields = nil // NoData; the result reader gives an empty slice
	}
	st := &pgStream{ctx: ctx, b: b, sql: sql, src: src, fields: pgFields(fields)}
	if vals, ok := src.next(); ok {
		st.pending = copyRow(vals)
		return st, nil
	}
	tag, err := src.close()
	if err != nil {
		return nil, err
	}
	st.ended, st.tag = true, tag
	return st, nil
}

var textResults = []int16{pgx.TextFormatCode}

func allText(formats []int16) bool {
	for _, f := range formats {
		if f != pgx.TextFormatCode {
			return false
		}
	}
	return true
}

// isStalePlan reports the server's refusal to run a prepared statement whose
// result columns changed (ALTER TABLE, a different search_path).
func isStalePlan(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "0A000" && strings.Contains(pgErr.Message, "cached plan must not change result type")
}

// rowSource is one statement's result as pgx reads it.
type rowSource interface {
	// next returns the next row's values (valid until the next call).
	next() ([][]byte, bool)
	// close reads the rest and returns the command tag or the error.
	close() (string, error)
}

type resultSource struct{ rr *pgconn.ResultReader }

func (s resultSource) next() ([][]byte, bool) {
	if s.rr.NextRow() {
		return s.rr.Values(), true
	}
	return nil, false
}

func (s resultSource) close() (string, error) {
	tag, err := s.rr.Close()
	return tag.String(), err
}

// simpleSource is a simple-protocol query: the rows of its first result;
// further results (several statements in one string) are read to the end,
// and the tag is the last one's.
type simpleSource struct {
	mrr *pgconn.MultiResultReader
	rr  *pgconn.ResultReader
}

func (s *simpleSource) next() ([][]byte, bool) {
	if s.rr != nil && s.rr.NextRow() {
		return s.rr.Values(), true
	}
	return nil, false
}

func (s *simpleSource) close() (string, error) {
	var tag pgconn.CommandTag
	var err error
	if s.rr != nil {
		tag, err = s.rr.Close()
	}
	for err == nil && s.mrr.NextResult() {
		t, e := s.mrr.ResultReader().Close()
		if e != nil {
			err = e
		} else {
			tag = t
		}
	}
	if e := s.mrr.Close(); e != nil && err == nil {
		err = e
	}
	if err != nil {
		return "", err
	}
	return tag.String(), nil
}

// pgStream is a statement's rows; values are copied out of pgx's buffers.
type pgStream struct {
	ctx     context.Context
	b       *pgBackend
	sql     string
	src     rowSource
	fields  []sqltypes.Field
	pending sqltypes.Row
	ended   bool
	tag     string
	err     error
	done    func(tag string, err error)
}

func (s *pgStream) Fields() []sqltypes.Field { return s.fields }

func (s *pgStream) Next(ctx context.Context) (sqltypes.Row, error) {
	if s.pending != nil {
		r := s.pending
		s.pending = nil
		return r, nil
	}
	if s.ended {
		if s.err != nil {
			return nil, s.err
		}
		return nil, sqltypes.EOF
	}
	if vals, ok := s.src.next(); ok {
		return copyRow(vals), nil
	}
	s.finish()
	if s.err != nil {
		return nil, s.err
	}
	return nil, sqltypes.EOF
}

func (s *pgStream) Tag() string { return s.tag }

// Close reads what is left of the result (the connection must reach
// ReadyForQuery before another statement) and frees the connection.
func (s *pgStream) Close() {
	s.pending = nil
	if !s.ended {
		s.finish()
	}
}

func (s *pgStream) finish() {
	tag, err := s.src.close()
	s.ended, s.tag = true, tag
	if err != nil {
		if isStalePlan(err) {
			s.b.dropStatement(s.ctx, s.sql)
		}
		s.err = pgError(s.ctx, err)
	}
	if d := s.done; d != nil {
		s.done = nil
		d(tag, err)
	}
}

// pgEncodedStream is a QueryRaw result: values as the server sent them, in
// the client's result formats.
type pgEncodedStream struct {
	*pgStream
	formats []int16
}

func (s *pgEncodedStream) Formats() []int16 { return s.formats }

var _ sqltypes.Encoded = (*pgEncodedStream)(nil)

// copyRow copies a row's values into one allocation (nil stays NULL).
func copyRow(vals [][]byte) sqltypes.Row {
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	buf := make([]byte, n)
	row := make(sqltypes.Row, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		k := copy(buf, v)
		row[i] = buf[:k:k]
		buf = buf[k:]
	}
	return row
}

func pgFields(fds []pgconn.FieldDescription) []sqltypes.Field {
	if fds == nil {
		return nil // NoData: the statement returns no rows
	}
	out := make([]sqltypes.Field, len(fds))
	for i, f := range fds {
		out[i] = sqltypes.Field{
			Name:         f.Name,
			TableOID:     f.TableOID,
			TableAttrNum: f.TableAttributeNumber,
			OID:          f.DataTypeOID,
			TypeSize:     f.DataTypeSize,
			TypeMod:      f.TypeModifier,
		}
	}
	return out
}

// isCopyStdio reports a COPY statement that uses the client's connection
// for its data.
func isCopyStdio(sql string) bool {
	if !strings.EqualFold(leadingKeyword(sql), "copy") {
		return false
	}
	u := strings.ToUpper(sql)
	return strings.Contains(u, "STDIN") || strings.Contains(u, "STDOUT")
}

// leadingKeyword returns a statement's first word, after white space and
// comments.
func leadingKeyword(sql string) string {
	for {
		sql = strings.TrimLeft(sql, " \t\r\n\f(")
		switch {
		case strings.HasPrefix(sql, "--"):
			i := strings.IndexByte(sql, '\n')
			if i < 0 {
				return ""
			}
			sql = sql[i+1:]
		case strings.HasPrefix(sql, "/*"):
			depth, i := 0, 0
			for i < len(sql) {
				if strings.HasPrefix(sql[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(sql[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth != 0 {
				return ""
			}
			sql = sql[i:]
		default:
			end := 0
			for end < len(sql) && (sql[end] == '_' || sql[end] >= 'a' && sql[end] <= 'z' || sql[end] >= 'A' && sql[end] <= 'Z') {
				end++
			}
			return sql[:end]
		}
	}
}

// Broken reports whether the reserved backend connection is lost (the
// server restarted or the network failed); the session then reserves a new
// one instead of failing every later statement.
func (r *pgReserved) Broken() bool {
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	if r.h.gone || r.h.busy {
		return r.h.gone
	}
	return r.h.b == nil || r.h.b.broken || r.h.b.conn.PgConn().IsClosed()
}

// ColumnDefault reports what a column takes when an INSERT leaves it out:
// its DEFAULT expression, "GENERATED ..." for a generated or identity
// column, or "" when it takes NULL (or the table is not there).
func (e *Postgres) ColumnDefault(ctx context.Context, table, column string) (string, error) {
	r, err := e.Query(ctx, `SELECT coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attgenerated::text, a.attidentity::text
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`, []any{sqltypes.QuoteIdent(table), column})
	if err != nil {
		return "", err
	}
	rows, err := sqltypes.ReadAll(ctx, r)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	def, generated, identity := string(rows[0][0]), string(rows[0][1]), string(rows[0][2])
	switch {
	case generated != "":
		return "GENERATED ALWAYS AS (" + def + ") STORED", nil
	case identity != "":
		return "GENERATED AS IDENTITY", nil
	}
	return nullDefault(def), nil
}

// nullDefault is def, or "" when def only says NULL.
func nullDefault(def string) string {
	d := strings.ToUpper(strings.TrimSpace(def))
	if d == "NULL" || strings.HasPrefix(d, "NULL::") {
		return ""
	}
	return def
}
