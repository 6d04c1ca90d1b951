package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// tlsClient connects to keyspace db of g over TLS, checking the server
// certificate against certs' CA; its context cancels with a CancelRequest.
func tlsClient(t *testing.T, g *gatetest.Gate, certs *pgtest.Certs, db string) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(fmt.Sprintf("postgres://app@localhost:%d/%s?sslmode=verify-full&sslrootcert=%s", g.Port(), db, url.QueryEscape(certs.CA)))
	if err != nil {
		t.Fatal(err)
	}
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 5 * time.Second}
	}
	c, err := pgx.ConnectConfig(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("connection to %s is %T, not TLS", db, c.PgConn().Conn())
	}
	return c
}

// TestTLSRelay: a client of an unsharded keyspace on one Postgres shard in
// session mode is relayed (the server's own server_version reaches it) over
// its TLS connection: statements, COPY in both directions, a large result,
// a cancelled statement and the gate's own EXPLAIN (ROUTE).
func TestTLSRelay(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	pg := pgtest.Shared(t)
	_, shardURL := pg.CreateDB(t)
	g := gatetest.StartOptions(t, gatetest.OptionsWithConfig(t, tlsYAML(certs, "")+
		fmt.Sprintf("keyspaces:\n  app:\n    sharded: false\n    pool: {mode: session}\n    shards: {\"-\": %q}\n", shardURL)))
	c := tlsClient(t, g, certs, "app")
	ctx := context.Background()
	direct := gatetest.ConnectURL(t, shardURL)
	if got, want := c.PgConn().ParameterStatus("server_version"), direct.PgConn().ParameterStatus("server_version"); got != want {
		t.Fatalf("server_version %q, the server's is %q: not relayed", got, want)
	}
	gatetest.MustExec(t, c, `CREATE TABLE r (id int PRIMARY KEY, v text)`)
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, "%d\tvalue %d\n", i, i)
	}
	if tag := copyIn(t, c.PgConn(), `COPY r FROM STDIN`, b.String()); tag != "COPY 20000" {
		t.Fatalf("COPY tag %q", tag)
	}
	out, tag := copyOut(t, c.PgConn(), `COPY (SELECT * FROM r ORDER BY id) TO STDOUT`)
	if tag != "COPY 20000" || out != b.String() {
		t.Fatalf("COPY TO: %s, %d bytes (want %d)", tag, len(out), b.Len())
	}
	if n, rows := countResult(t, c, `SELECT repeat('x', 200) FROM generate_series(1, 50000)`); rows.Err() != nil || n != 50000 {
		t.Fatalf("large result: %d rows, %v", n, rows.Err())
	}
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start := time.Now()
	_, err := c.Exec(qctx, `SELECT pg_sleep(10)`)
	cancel()
	wantSQLState(t, err, "57014")
	if time.Since(start) > 4*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	var plan string
	if err := c.QueryRow(ctx, `EXPLAIN (ROUTE) SELECT 1`, pgx.QueryExecModeSimpleProtocol).Scan(&plan); err != nil || !strings.Contains(plan, "unsharded") {
		t.Fatalf("EXPLAIN (ROUTE): %q %v", plan, err)
	}
	if got := countRows(t, c, `SELECT count(*) FROM r`); got != 20000 {
		t.Fatalf("rows after cancel: %d", got)
	}
}

// tlsShardHBA accepts only TLS connections over TCP: trust, except for
// certuser, who logs in with a client certificate. A gate connection in
// clear would be refused ("no pg_hba.conf entry ... no encryption").
const tlsShardHBA = `local all all trust
hostssl all certuser 127.0.0.1/32 cert
hostssl all certuser ::1/128 cert
hostssl all all 127.0.0.1/32 trust
hostssl all all ::1/128 trust
`

// TestTLSShard: shards, the relay's backend and the metadata store on a
// Postgres with ssl = on that refuses connections in clear, with shard URLs
// saying sslmode=verify-full&sslrootcert=...: the gate's pool, two-phase
// commits, COPY, the relay and the metadata store all connect over TLS; a
// shard URL with sslcert/sslkey logs in by certificate; a URL trusting
// another CA, and sslmode=require against a server without SSL, fail with
// an error that says why.
func TestTLSShard(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	pg := pgtest.StartTLS(t, certs, tlsShardHBA)
	if out, err := pg.Psql("postgres", "-c", "CREATE ROLE certuser LOGIN", "-c", "CREATE DATABASE certdb OWNER certuser"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	tlsURL := func(user, db, params string) string {
		return fmt.Sprintf("postgres://%s@localhost:%d/%s?sslmode=verify-full&sslrootcert=%s%s", user, pg.Port, db, url.QueryEscape(certs.CA), params)
	}
	dbURL := func() string {
		name, _ := pg.CreateDB(t)
		return tlsURL("postgres", name, "")
	}
	clientCert, clientKey := certs.Client(t, "certuser")
	other := pgtest.MakeCerts(t)
	nossl := strings.Replace(func() string { _, u := pgtest.Shared(t).CreateDB(t); return u }(), "sslmode=disable", "sslmode=require", 1)

	if _, err := pgx.Connect(context.Background(), strings.Replace(tlsURL("postgres", "postgres", ""), "verify-full", "disable", 1)); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Fatalf("the shard server accepted a connection in clear: %v", err)
	}
	cfg := tlsYAML(certs, "") + fmt.Sprintf(`metadata: %q
keyspaces:
  main:
    sharded: true
    shards: {"-80": %q, "80-": %q}
  solo:
    sharded: false
    pool: {mode: session}
    shards: {"-": %q}
  certks:
    sharded: false
    pool: {mode: transaction}
    shards: {"-": %q}
  badca:
    sharded: false
    pool: {mode: transaction}
    shards: {"-": %q}
  nossl:
    sharded: false
    pool: {mode: session}
    shards: {"-": %q}
`, dbURL(), dbURL(), dbURL(), dbURL(),
		tlsURL("certuser", "certdb", "&sslcert="+url.QueryEscape(clientCert)+"&sslkey="+url.QueryEscape(clientKey)),
		strings.Replace(tlsURL("postgres", "postgres", ""), url.QueryEscape(certs.CA), url.QueryEscape(other.CA), 1),
		nossl)
	g := gatetest.StartOptions(t, gatetest.OptionsWithConfig(t, cfg))
	ctx := context.Background()

	t.Run("sharded", func(t *testing.T) {
		c := tlsClient(t, g, certs, "main")
		gatetest.MustExec(t, c, `CREATE TABLE s (id bigint PRIMARY KEY, v text)`)
		gatetest.MustExec(t, c, `INSERT INTO s VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')`)
		gatetest.MustExec(t, c, `BEGIN`)
		gatetest.MustExec(t, c, `UPDATE s SET v = v || '!'`)
		gatetest.MustExec(t, c, `COMMIT`) // two shards: a two-phase commit, logged in the metadata store
		if tag := copyIn(t, c.PgConn(), `COPY s FROM STDIN`, "5\te\n6\tf\n7\tg\n"); tag != "COPY 3" {
			t.Fatalf("COPY tag %q", tag)
		}
		if n := countRows(t, c, `SELECT count(*) FROM s WHERE v LIKE '%!'`); n != 4 {
			t.Fatalf("committed rows: %d", n)
		}
		if n := countRows(t, c, `SELECT count(*) FROM s`); n != 7 {
			t.Fatalf("rows: %d", n)
		}
	})
	t.Run("relay", func(t *testing.T) {
		c := tlsClient(t, g, certs, "solo")
		var ssl bool
		var version string
		if err := c.QueryRow(ctx, `SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl, &version); err != nil || !ssl || !strings.HasPrefix(version, "TLSv1.") {
			t.Fatalf("relayed backend: ssl=%v %q %v", ssl, version, err)
		}
	})
	t.Run("client certificate", func(t *testing.T) {
		c := tlsClient(t, g, certs, "certks")
		var user, dn string
		if err := c.QueryRow(ctx, `SELECT current_user, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&user, &dn); err != nil || user != "certuser" || dn != "/CN=certuser" {
			t.Fatalf("certificate login: %q %q %v", user, dn, err)
		}
	})
	t.Run("wrong CA", func(t *testing.T) {
		c := tlsClient(t, g, certs, "badca")
		_, err := c.Exec(ctx, `SELECT 1`)
		if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Fatalf("shard behind a certificate of another CA: %v", err)
		}
		wantSQLState(t, err, "08001")
	})
	t.Run("require without SSL", func(t *testing.T) {
		// Session mode: the client's own backend connection is refused at
		// its startup.
		_, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app@localhost:%d/nossl?sslmode=verify-full&sslrootcert=%s", g.Port(), url.QueryEscape(certs.CA)))
		if err == nil || !strings.Contains(err.Error(), "could not connect to shard") || !strings.Contains(err.Error(), "server refused TLS connection") {
			t.Fatalf("sslmode=require against a server without SSL: %v", err)
		}
		wantSQLState(t, err, "08001")
	})
}
