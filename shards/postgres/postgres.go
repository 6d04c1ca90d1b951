package postgres

import (
	"context"
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
type Engine struct {
	cfg          *pgx.ConnConfig
	pool         *pgPool
	queryTimeout time.Duration
	logger       *slog.Logger

	healthMu sync.Mutex
	health   *pgBackend
	closed   atomic.Bool
	coll     pgCollation
}

// Options configure a Postgres engine.
type Options struct {
	// PoolSize bounds the backend connections (default 20; a pool_size=N
	// parameter on the shard URL overrides it).
	PoolSize int
	Logger   *slog.Logger
}

// defaultPoolSize is a shard's pool size when neither Options.PoolSize nor
// the URL's pool_size sets one.
const defaultPoolSize = 20

// Open opens a PostgreSQL shard. The URL is a Postgres connection
// URL; the gate-only parameters pool_size=N (overrides opts.PoolSize) and
// query_timeout=DURATION (Go syntax, e.g. 30s; 0 = none) are taken out
// before pgx parses it. Open fails only for a malformed URL: a server that
// does not answer is logged, reported by Ping, and statements fail with a
// class-08 error until it answers.
func Open(ctx context.Context, rawURL string, opts Options) (*Engine, error) {
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
	e := &Engine{
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
func (e *Engine) Kind() string { return "postgres" }

// PoolSize is the pool's bound on backend connections.
func (e *Engine) PoolSize() int { return e.pool.size }

// Close closes every connection; pending acquires fail.
func (e *Engine) Close() error {
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
func (e *Engine) Ping(ctx context.Context) error {
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
func (e *Engine) acquire(ctx context.Context) (*pgBackend, error) {
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
func (e *Engine) DialSession(ctx context.Context, params map[string]string) (hc *pgconn.HijackedConn, release func(), err error) {
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
func (e *Engine) Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error) {
	return e.query(ctx, sql, &sqltypes.Bound{Args: args}, false)
}

// QueryRaw runs one statement with the client's parameters as it encoded
// them; the rows (sqltypes.Encoded) carry the server's values in
// b.ResultFormats. Without encoded parameters but with decoded ones it runs
// like Query (text rows, not Encoded).
func (e *Engine) QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return e.query(ctx, sql, b, rawMode(b))
}

// rawMode reports whether b can be forwarded as the client encoded it.
func rawMode(b *sqltypes.Bound) bool {
	return b != nil && (b.Raw != nil || len(b.Args) == 0)
}

func (e *Engine) query(ctx context.Context, sql string, bnd *sqltypes.Bound, raw bool) (sqltypes.Rows, error) {
	ctx, cancel := withQueryTimeout(ctx, e.queryTimeout)
	b, err := e.acquire(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	return run(ctx, b, "", sql, bnd, raw, func(tag string, err error) {
		b.after(tag, err)
		cancel()
		e.pool.release(b)
	})
}

// Describe reports a statement's parameter types and result columns.
func (e *Engine) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error) {
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
func (e *Engine) Begin(ctx context.Context) (engine.Tx, error) {
	return e.BeginWith(ctx, "")
}

// BeginWith opens a transaction with BEGIN's options (e.g. "ISOLATION
// LEVEL SERIALIZABLE READ ONLY"), sent as written.
func (e *Engine) BeginWith(ctx context.Context, options string) (engine.Tx, error) {
	b, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pgTx{h: &pgHeld{e: e, b: b}, own: true, begin: beginSQL(options)}, nil
}

// Reserve takes a connection for one client (session pool mode), brought to
// ctx's settings; Release cleans it (ROLLBACK if needed, DISCARD ALL) for
// the next client.
func (e *Engine) Reserve(ctx context.Context) (engine.Reserved, error) {
	b, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pgReserved{h: &pgHeld{e: e, b: b}}, nil
}

// isCopyStdio reports a COPY statement that uses the client's connection
// for its data.
func isCopyStdio(sql string) bool {
	q := []byte(sql)
	i := sqltypes.SkipBlank(q, 0)
	for i < len(q) && q[i] == '(' {
		i = sqltypes.SkipBlank(q, i+1)
	}
	if w, _ := sqltypes.Word(q, i); !strings.EqualFold(string(w), "copy") {
		return false
	}
	u := strings.ToUpper(sql)
	return strings.Contains(u, "STDIN") || strings.Contains(u, "STDOUT")
}

// ColumnDefault reports what a column takes when an INSERT leaves it out:
// its DEFAULT expression, "GENERATED ..." for a generated or identity
// column, or "" when it takes NULL (or the table is not there).
func (e *Engine) ColumnDefault(ctx context.Context, table, column string) (string, error) {
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
	return def, nil
}
