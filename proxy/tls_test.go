package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dotdo/vitess/sqltypes"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/pgtest"
)

// tlsServer starts a test server with the certificates' server certificate.
func tlsServer(t *testing.T, certs *pgtest.Certs, cfg Config, addr string) *testServer {
	t.Helper()
	tc, err := LoadTLS(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = tc
	return startServerAt(t, cfg, addr)
}

// tlsURL is a connection URL to ts with host in place of its address.
func tlsURL(ts *testServer, host, user, params string) string {
	return fmt.Sprintf("postgres://%s@%s/main?%s", user, net.JoinHostPort(host, fmt.Sprint(ts.port)), params)
}

// TestServerTLS: with a certificate configured, pgx connects with
// sslmode=require and verify-full (by name and by IP), the connection is
// TLS 1.2 or later, SCRAM runs inside it, a wrong CA is refused, and a
// client that does not ask for TLS is still served.
func TestServerTLS(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	ts := tlsServer(t, certs, Config{Users: map[string]string{"app": "pw"}}, "127.0.0.1:0")
	ctx := testCtx(t)
	ca := url.QueryEscape(certs.CA)
	for _, u := range []string{
		tlsURL(ts, "127.0.0.1", "app:pw", "sslmode=require"),
		tlsURL(ts, "localhost", "app:pw", "sslmode=verify-full&sslrootcert="+ca),
		tlsURL(ts, "127.0.0.1", "app:pw", "sslmode=verify-full&sslrootcert="+ca),
	} {
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		tc, ok := c.PgConn().Conn().(*tls.Conn)
		if !ok {
			t.Fatalf("%s: connection is %T, not TLS", u, c.PgConn().Conn())
		}
		if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
			t.Errorf("%s: TLS version %x", u, v)
		}
		var n int
		if err := c.QueryRow(ctx, "select n from series(3)").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%s: query: %v %v", u, n, err)
		}
		c.Close(ctx)
	}
	other := pgtest.MakeCerts(t)
	_, err := pgx.Connect(ctx, tlsURL(ts, "localhost", "app:pw", "sslmode=verify-full&sslrootcert="+url.QueryEscape(other.CA)))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a certificate from another CA: %v", err)
	}
	c, err := pgx.Connect(ctx, tlsURL(ts, "127.0.0.1", "app:pw", "sslmode=disable"))
	if err != nil {
		t.Fatalf("sslmode=disable: %v", err)
	}
	c.Close(ctx)
}

// sslRequest sends an SSLRequest on nc and returns the server's answer.
func sslRequest(t *testing.T, nc net.Conn, code uint32) byte {
	t.Helper()
	var msg [8]byte
	binary.BigEndian.PutUint32(msg[:], 8)
	binary.BigEndian.PutUint32(msg[4:], code)
	if _, err := nc.Write(msg[:]); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil {
		t.Fatalf("answer to request %d: %v", code, err)
	}
	return b[0]
}

func dialRaw(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return nc
}

// wantClosed: the server closes nc (perhaps after an alert or an error;
// a reset counts, as the server may close with the client's bytes unread),
// rather than leaving it open until the deadline.
func wantClosed(t *testing.T, nc net.Conn, what string) {
	t.Helper()
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server did not close the connection: %v", what, err)
	}
}

// TestServerTLSHostileClients: a client that asks for TLS and then sends
// garbage, goes away, offers only TLS 1.1, ignores the 'S', or asks for TLS
// inside TLS is closed without harm to the server; GSSENCRequest is still
// refused with 'N' and the SSLRequest after it accepted.
func TestServerTLSHostileClients(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	ts := tlsServer(t, certs, Config{}, "127.0.0.1:0")

	nc := dialRaw(t, ts)
	if b := sslRequest(t, nc, sslRequestCode); b != 'S' {
		t.Fatalf("SSLRequest answered %q", b)
	}
	nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	wantClosed(t, nc, "garbage after SSLRequest")

	nc = dialRaw(t, ts)
	sslRequest(t, nc, sslRequestCode)
	nc.Close()

	nc = dialRaw(t, ts)
	sslRequest(t, nc, sslRequestCode)
	old := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err := old.Handshake(); err == nil {
		t.Fatal("a TLS 1.1 handshake succeeded")
	}

	nc = dialRaw(t, ts)
	sslRequest(t, nc, sslRequestCode)
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": "main"}})
	fe.Flush()
	wantClosed(t, nc, "a clear startup packet after 'S'")

	nc = dialRaw(t, ts)
	if b := sslRequest(t, nc, gssEncRequestCode); b != 'N' {
		t.Fatalf("GSSENCRequest answered %q", b)
	}
	if b := sslRequest(t, nc, sslRequestCode); b != 'S' {
		t.Fatalf("SSLRequest after GSSENCRequest answered %q", b)
	}
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certs.CA)
	pool.AppendCertsFromPEM(pem)
	tc := tls.Client(nc, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	var req [8]byte
	binary.BigEndian.PutUint32(req[:], 8)
	binary.BigEndian.PutUint32(req[4:], sslRequestCode)
	tc.Write(req[:])
	fe = pgproto3.NewFrontend(tc, tc)
	msg, err := fe.Receive()
	if e, ok := msg.(*pgproto3.ErrorResponse); err != nil || !ok || e.Severity != "FATAL" {
		t.Fatalf("SSLRequest inside TLS: %T %+v %v", msg, msg, err)
	}

	c, err := pgx.Connect(testCtx(t), tlsURL(ts, "127.0.0.1", "app", "sslmode=require"))
	if err != nil {
		t.Fatalf("after the hostile clients: %v", err)
	}
	defer c.Close(testCtx(t))
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatal("not TLS after the hostile clients")
	}
}

// TestTLSRequiredDecision: which client addresses must use TLS under each
// policy.
func TestTLSRequiredDecision(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000} }
	unix := &net.UnixAddr{Name: "/tmp/.s.PGSQL.5432", Net: "unix"}
	cases := []struct {
		policy string
		addr   net.Addr
		want   bool
	}{
		{TLSOptional, tcp("203.0.113.9"), false},
		{TLSRequireRemote, tcp("127.0.0.1"), false},
		{TLSRequireRemote, tcp("127.3.4.5"), false},
		{TLSRequireRemote, tcp("::1"), false},
		{TLSRequireRemote, tcp("::ffff:127.0.0.1"), false},
		{TLSRequireRemote, unix, false},
		{TLSRequireRemote, tcp("10.1.2.3"), true},
		{TLSRequireRemote, tcp("203.0.113.9"), true},
		{TLSRequireRemote, tcp("2001:db8::1"), true},
		{TLSRequireRemote, tcp("::ffff:10.1.2.3"), true},
		{TLSRequireRemote, &net.IPAddr{IP: net.ParseIP("127.0.0.1")}, true}, // unknown kind: refuse
		{TLSRequireAll, tcp("127.0.0.1"), true},
		{TLSRequireAll, tcp("10.1.2.3"), true},
		{TLSRequireAll, unix, false},
	}
	for _, c := range cases {
		if got := tlsRequired(c.policy, c.addr); got != c.want {
			t.Errorf("tlsRequired(%q, %v) = %v, want %v", c.policy, c.addr, got, c.want)
		}
	}
}

// wantTLSRequired: a client that starts without TLS gets FATAL 28000 saying
// TLS is required, before any password is asked.
func wantTLSRequired(t *testing.T, ts *testServer, host string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", net.JoinHostPort(host, fmt.Sprint(ts.port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": "main"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	msg, err := fe.Receive()
	e, ok := msg.(*pgproto3.ErrorResponse)
	if err != nil || !ok {
		t.Fatalf("client at %s without TLS: got %T %v, want an error before authentication", host, msg, err)
	}
	if e.Severity != "FATAL" || e.Code != sqltypes.InvalidAuthorizationSpecification || !strings.Contains(e.Message, "TLS is required") || !strings.Contains(e.Message, "no encryption") {
		t.Fatalf("client at %s without TLS: %s %s %s", host, e.Severity, e.Code, e.Message)
	}
	wantClosed(t, nc, "refused client")
}

// TestServerTLSRequire: require=all refuses a loopback client in clear and
// serves it over TLS; require=remote serves loopback clients in clear and
// refuses clients on this machine's other address (when it has one) unless
// they use TLS.
func TestServerTLSRequire(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	ctx := testCtx(t)
	users := map[string]string{"app": "pw"}
	all := tlsServer(t, certs, Config{Users: users, TLSRequire: TLSRequireAll}, "127.0.0.1:0")
	wantTLSRequired(t, all, "127.0.0.1")
	_, err := pgx.Connect(ctx, tlsURL(all, "127.0.0.1", "app:pw", "sslmode=disable"))
	if pe := wantCode(t, err, "28000"); !strings.Contains(pe.Message, "TLS is required") {
		t.Fatalf("pgx in clear: %v", pe.Message)
	}
	c, err := pgx.Connect(ctx, tlsURL(all, "127.0.0.1", "app:pw", "sslmode=require"))
	if err != nil {
		t.Fatalf("TLS client under require=all: %v", err)
	}
	c.Close(ctx)

	remote := tlsServer(t, certs, Config{Users: users, TLSRequire: TLSRequireRemote}, ":0")
	c, err = pgx.Connect(ctx, tlsURL(remote, "127.0.0.1", "app:pw", "sslmode=disable"))
	if err != nil {
		t.Fatalf("loopback client in clear under require=remote: %v", err)
	}
	c.Close(ctx)
	ips := pgtest.LocalIPs()
	if len(ips) == 0 {
		t.Log("no non-loopback address on this machine: the remote case is covered by TestTLSRequiredDecision only")
		return
	}
	host := ips[0].String()
	wantTLSRequired(t, remote, host)
	c, err = pgx.Connect(ctx, tlsURL(remote, host, "app:pw", "sslmode=verify-full&sslrootcert="+url.QueryEscape(certs.CA)))
	if err != nil {
		t.Fatalf("client at %s with TLS under require=remote: %v", host, err)
	}
	c.Close(ctx)
}

// TestServerDirectTLS: Postgres 17's sslnegotiation=direct (a ClientHello
// instead of an SSLRequest) works from pgx; a direct TLS client that does
// not offer ALPN "postgresql" gets FATAL 08P01, as from Postgres; without
// tls configured the ClientHello is a bad startup packet and is closed.
func TestServerDirectTLS(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	ts := tlsServer(t, certs, Config{}, "127.0.0.1:0")
	ctx := testCtx(t)
	c, err := pgx.Connect(ctx, tlsURL(ts, "localhost", "app", "sslmode=verify-full&sslnegotiation=direct&sslrootcert="+url.QueryEscape(certs.CA)))
	if err != nil {
		t.Fatalf("sslnegotiation=direct: %v", err)
	}
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatal("direct: not TLS")
	}
	var n int
	if err := c.QueryRow(ctx, "select n from series(2)").Scan(&n); err != nil || n != 1 {
		t.Fatalf("direct: %v %v", n, err)
	}
	c.Close(ctx)

	tc := tls.Client(dialRaw(t, ts), &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake without ALPN: %v", err)
	}
	msg, err := pgproto3.NewFrontend(tc, tc).Receive()
	if e, ok := msg.(*pgproto3.ErrorResponse); err != nil || !ok || e.Code != sqltypes.ProtocolViolation || !strings.Contains(e.Message, "ALPN") {
		t.Fatalf("direct TLS without ALPN: %T %+v %v", msg, msg, err)
	}

	plain := startServer(t, Config{})
	if _, err := pgx.Connect(ctx, tlsURL(plain, "127.0.0.1", "app", "sslmode=require&sslnegotiation=direct")); err == nil {
		t.Fatal("direct TLS to a server without tls: connected")
	}
	if _, err := pgx.Connect(ctx, tlsURL(plain, "127.0.0.1", "app", "sslmode=disable")); err != nil {
		t.Fatalf("after a direct TLS attempt: %v", err)
	}
}

// TestCheckGS2: the channel binding flag must agree with the mechanism the
// client chose and with what the server offered.
func TestCheckGS2(t *testing.T) {
	for _, tc := range []struct {
		gs2           string
		plus, offered bool
		wantErr       string
	}{
		{"n,,", false, false, ""},
		{"y,,", false, false, ""},
		{"n,,", false, true, ""},
		{"p=tls-server-end-point,,", true, true, ""},
		{"y,,", false, true, "negotiation error"},
		{"p=tls-server-end-point,,", false, true, "includes channel binding data"},
		{"p=tls-unique,,", true, true, `unsupported SCRAM channel-binding type "tls-unique"`},
		{"n,,", true, true, "does not include channel binding data"},
	} {
		err := checkGS2(tc.gs2, tc.plus, tc.offered)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("checkGS2(%q, %v, %v) = %v, want %q", tc.gs2, tc.plus, tc.offered, err, tc.wantErr)
		}
	}
}

// TestServerChannelBinding: over TLS, pgx (channel_binding=prefer, its
// default, and require) logs in with SCRAM-SHA-256-PLUS bound to the gate's
// certificate; channel_binding=disable still logs in with SCRAM-SHA-256;
// in clear, channel_binding=require is refused by the client, as the gate
// offers no -PLUS there. A wrong password is still 28P01.
func TestServerChannelBinding(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	ts := tlsServer(t, certs, Config{Users: map[string]string{"app": "pw"}}, "127.0.0.1:0")
	ctx := testCtx(t)
	for _, cb := range []string{"prefer", "require", "disable"} {
		c, err := pgx.Connect(ctx, tlsURL(ts, "127.0.0.1", "app:pw", "sslmode=require&channel_binding="+cb))
		if err != nil {
			t.Fatalf("channel_binding=%s: %v", cb, err)
		}
		c.Close(ctx)
	}
	_, err := pgx.Connect(ctx, tlsURL(ts, "127.0.0.1", "app:wrong", "sslmode=require&channel_binding=require"))
	wantCode(t, err, "28P01")
	if _, err := pgx.Connect(ctx, tlsURL(ts, "127.0.0.1", "app:pw", "sslmode=disable&channel_binding=require")); err == nil || !strings.Contains(err.Error(), "channel binding") {
		t.Fatalf("channel_binding=require in clear: %v", err)
	}
}
