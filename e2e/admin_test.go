package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
)

const adminToken = "s3cret-admin-token"

// adminDo sends one request to the admin HTTP and returns the status
// code, the WWW-Authenticate header and the body.
func adminDo(t *testing.T, method, url, token, contentType, body string, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1] // the client takes Host from here only
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// TestAdminToken: with admin: {listen, token} every endpoint but /healthz
// and /readyz answers 401 (with a Bearer challenge) without the token or
// with a wrong one, and 200 with it; pprof is not served unless enabled
// (the commands that pass the token: TestAdminCommands in the root).
func TestAdminToken(t *testing.T) {
	admin := gatetest.FreeAddr(t)
	gatetest.StartConfig(t, fmt.Sprintf("admin: {listen: %q, token: %q}\n", admin, adminToken))
	base := "http://" + admin
	for _, path := range []string{"/status", "/status?keyspace=main", "/vschema", "/metrics", "/debug/pprof/", "/debug/pprof/profile?seconds=1", "/nope"} {
		if code, challenge, _ := adminDo(t, "GET", base+path, "", "", ""); code != 401 || !strings.HasPrefix(challenge, "Bearer ") {
			t.Errorf("%s without a token: %d %q", path, code, challenge)
		}
		if code, challenge, _ := adminDo(t, "GET", base+path, "wrong", "", ""); code != 401 || !strings.Contains(challenge, "invalid_token") {
			t.Errorf("%s with a wrong token: %d %q", path, code, challenge)
		}
		if code, _, _ := adminDo(t, "GET", base+path, "", "", "", "Authorization", "Basic "+adminToken); code != 401 {
			t.Errorf("%s with the token as Basic: %d", path, code)
		}
	}
	for _, path := range []string{"/status", "/status?keyspace=main", "/vschema", "/metrics"} {
		if code, _, body := adminDo(t, "GET", base+path, adminToken, "", ""); code != 200 || len(body) < 10 {
			t.Errorf("%s with the token: %d %q", path, code, body)
		}
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"} {
		if code, _, _ := adminDo(t, "GET", base+path, adminToken, "", ""); code != 404 {
			t.Errorf("%s with pprof off: %d, want 404", path, code)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, body := adminDo(t, "GET", base+path, "", "", ""); code != 200 {
			t.Errorf("%s without a token: %d %q", path, code, body)
		}
	}
	// A path cleaned to /healthz is only a redirect; where it leads asks
	// the token again.
	if code, _, _ := adminDo(t, "GET", base+"/healthz/../status", "", "", ""); code != 401 {
		t.Errorf("/healthz/../status without a token: %d", code)
	}

}

// TestAdminPprof: pprof: true serves /debug/pprof, behind the token; the
// plain string form of admin: still starts the admin HTTP, with no token,
// answering requests addressed to an IP or localhost only.
func TestAdminPprof(t *testing.T) {
	admin := gatetest.FreeAddr(t)
	gatetest.StartConfig(t, fmt.Sprintf("admin:\n  listen: %q\n  token: %q\n  pprof: true\n", admin, adminToken))
	base := "http://" + admin
	if code, _, _ := adminDo(t, "GET", base+"/debug/pprof/", "", "", ""); code != 401 {
		t.Errorf("pprof without the token: %d", code)
	}
	if code, _, body := adminDo(t, "GET", base+"/debug/pprof/", adminToken, "", ""); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof with the token: %d", code)
	}
	if code, _, body := adminDo(t, "GET", base+"/debug/pprof/goroutine?debug=1", adminToken, "", ""); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine dump with the token: %d %.100s", code, body)
	}

	plain := gatetest.FreeAddr(t)
	gatetest.StartConfig(t, fmt.Sprintf("admin: %s\n", plain))
	if code, _, body := adminDo(t, "GET", "http://"+plain+"/status?keyspace=main", "", "", ""); code != 200 || !strings.Contains(body, `"shardCount":4`) {
		t.Errorf("string form, /status: %d %q", code, body)
	}
	if code, _, _ := adminDo(t, "GET", "http://"+plain+"/debug/pprof/", "", "", ""); code != 404 {
		t.Errorf("string form, pprof: %d, want 404", code)
	}
	// With no token, only requests addressed to an IP or localhost are
	// answered (a rebound DNS name is not), but for the probes.
	port := plain[strings.LastIndex(plain, ":")+1:]
	for host, want := range map[string]int{"attacker.example:" + port: 403, "localhost:" + port: 200, "LOCALHOST": 200, "[::1]:" + port: 200} {
		if code, _, body := adminDo(t, "GET", "http://"+plain+"/status", "", "", "", "Host", host); code != want {
			t.Errorf("Host %s, /status: %d %q, want %d", host, code, body, want)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, _ := adminDo(t, "GET", "http://"+plain+path, "", "", "", "Host", "attacker.example"); code != 200 {
			t.Errorf("Host attacker.example, %s: %d", path, code)
		}
	}
}

// adminVindexConfig is keyspace main on two SQLite shards with users by
// hash on id; withLookup adds a unique lookup on email in keyspace lookup.
func adminVindexConfig(dir, admin, token string, withLookup bool) string {
	lookup := ""
	if withLookup {
		lookup = ", lookups: [{type: lookup, columns: [email], table: lookup.users_email, unique: true}]"
	}
	return fmt.Sprintf(`admin: {listen: %q, token: %q}
keyspaces:
  main:
    sharded: true
    shards: {"-80": %q, "80-": %q}
    tables:
      users: {vindex: {type: hash, columns: [id]}%s}
  lookup:
    sharded: false
    shards: {"-": %q}
`, admin, token, "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db"), lookup, "sqlite:"+filepath.Join(dir, "l.db"))
}

// backfillRefusal is one request POST /vindex/backfill must refuse, and
// the status it gets from a gate with no token and from one with a token
// (0: not tried there).
type backfillRefusal struct {
	name, method, query, token, contentType, body string
	header                                        []string
	open, withToken                               int
}

// backfillRefusals: wrong methods and content types (what a browser's
// cross-origin form or fetch can send without asking), a missing or
// wrong token, another site's Origin, a DNS-rebound name, bad bodies.
// Token "T" stands for the gate's own.
func backfillRefusals(admin string) []backfillRefusal {
	q := "?keyspace=main&table=users&vindex=users_email"
	body := `{"keyspace": "main", "table": "users", "vindex": "users_email"}`
	rebound := "attacker.example:" + admin[strings.LastIndex(admin, ":")+1:]
	return []backfillRefusal{
		{"text/plain", "POST", "", "T", "text/plain", body, nil, 415, 415},
		{"text/plain query", "POST", q, "T", "text/plain;charset=UTF-8", "", nil, 415, 415},
		{"form", "POST", q, "T", "application/x-www-form-urlencoded", "keyspace=main&table=users&vindex=users_email", nil, 415, 415},
		{"multipart", "POST", q, "T", "multipart/form-data; boundary=x", "--x--", nil, 415, 415},
		{"no content type", "POST", q, "T", "", "", nil, 415, 415},
		{"GET", "GET", q, "T", "", "", nil, 405, 405},
		{"PUT", "PUT", "", "T", "application/json", body, nil, 405, 405},
		{"preflight", "OPTIONS", "", "", "", "", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}, 405, 401},
		{"no token", "POST", "", "", "application/json", body, nil, 0, 401},
		{"wrong token", "POST", "", "nope", "application/json", body, nil, 0, 401},
		{"cross-site", "POST", "", "T", "application/json", body, []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, 403},
		{"other origin", "POST", "", "T", "application/json", body, []string{"Origin", "http://evil.example"}, 403, 403},
		{"rebound name", "POST", "", "", "application/json", body, []string{"Host", rebound, "Origin", "http://" + rebound, "Sec-Fetch-Site", "same-origin"}, 403, 401},
		{"unknown field", "POST", "", "T", "application/json", `{"table": "users", "vindex": "users_email", "shard": "-80"}`, nil, 400, 400},
		{"no table", "POST", "", "T", "application/json", `{"vindex": "users_email"}`, nil, 400, 400},
		{"two objects", "POST", "", "T", "application/json", body + body, nil, 400, 400},
	}
}

// TestAdminBackfillGuards: POST /vindex/backfill runs only as a JSON POST
// (with the token when one is set) and not from another site's page:
// every backfillRefusals request, on a gate without a token and on one
// with, gets its status and leaves the lookup table as it was (empty: the
// rows predate the vindex); then the CLI's JSON POST with the token fills
// it, and the query-string form still works on a JSON POST.
func TestAdminBackfillGuards(t *testing.T) {
	dir := t.TempDir()
	admin := gatetest.FreeAddr(t)
	g := gatetest.StartConfig(t, adminVindexConfig(dir, admin, "", false))
	dataDir := g.Dir
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE users (id bigint PRIMARY KEY, email text)`)
	const n = 40
	for i := 1; i <= n; i++ {
		gatetest.MustExec(t, c, `INSERT INTO users (id, email) VALUES ($1, $2)`, i, fmt.Sprintf("u%d@x", i))
	}
	c.Close(context.Background())
	g.Close(context.Background())

	for _, token := range []string{"", adminToken} {
		o := gatetest.OptionsWithConfig(t, adminVindexConfig(dir, admin, token, true))
		o.Admin, o.DataDir = "", dataDir
		g = gatetest.StartOptions(t, o)
		c = g.Connect(t)
		entries := func() int {
			var k int
			if err := c.QueryRow(context.Background(), `SELECT count(*) FROM lookup.users_email`, pgx.QueryExecModeSimpleProtocol).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		if k := entries(); k != 0 {
			t.Fatalf("lookup table has %d entries before the backfill", k)
		}
		for _, tc := range backfillRefusals(admin) {
			want, tok := tc.open, tc.token
			if token != "" {
				want = tc.withToken
			}
			if tok == "T" {
				tok = token
			}
			if want == 0 {
				continue
			}
			code, _, resp := adminDo(t, tc.method, "http://"+admin+"/vindex/backfill"+tc.query, tok, tc.contentType, tc.body, tc.header...)
			if code != want {
				t.Errorf("token %q, %s: %d %q, want %d", token, tc.name, code, resp, want)
			}
			if k := entries(); k != 0 {
				t.Fatalf("token %q, %s: refused, yet the lookup table has %d entries", token, tc.name, k)
			}
		}
		if token == "" {
			c.Close(context.Background())
			g.Close(context.Background())
		}
	}
	var out bytes.Buffer
	if err := gate.Backfill(&out, admin, adminToken, "main", "users", "users_email"); err != nil || !strings.Contains(out.String(), fmt.Sprintf("%d lookup entries written", n)) {
		t.Fatalf("backfill with the token: %v %q", err, out.String())
	}
	var k int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM lookup.users_email`).Scan(&k); err != nil || k != n {
		t.Errorf("after the backfill: %d entries, want %d (%v)", k, n, err)
	}
	query := "http://" + admin + "/vindex/backfill?keyspace=main&table=users&vindex=users_email"
	if code, _, resp := adminDo(t, "POST", query, adminToken, "application/json; charset=utf-8", "", "Origin", "http://"+admin); code != 200 || !strings.Contains(resp, `"entries":0`) {
		t.Errorf("query-string form on a same-origin JSON POST: %d %q", code, resp)
	}
}

// syncBuffer is a log destination the gate's goroutines may write to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestExposureWarnings: the log warns when the Postgres port listens
// beyond loopback with trust auth or without TLS, and when the admin HTTP
// does without a token; on loopback, or with users and a token, those
// warnings are not given.
func TestExposureWarnings(t *testing.T) {
	const trust, clear, open = "trust authentication", "without TLS", "admin HTTP listens on a non-loopback address without a token"
	for _, tc := range []struct {
		name, listen, admin, extra string
		want, notWant              []string
	}{
		{"all interfaces, nothing set", "0.0.0.0:0", "0.0.0.0:0", "", []string{trust, clear, open}, nil},
		{"all interfaces, users and token", "0.0.0.0:0", "0.0.0.0:0",
			fmt.Sprintf("users: [{name: app, password: pw}]\nadmin: {token: %q}\n", adminToken), []string{clear}, []string{trust, open}},
		{"loopback", "127.0.0.1:0", "127.0.0.1:0", "", nil, []string{"SECURITY"}},
		{"ipv6 loopback", "[::1]:0", "off", "", nil, []string{"SECURITY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := gatetest.OptionsWithConfig(t, tc.extra+"dataDir: x\n")
			o.Listen, o.Admin = tc.listen, tc.admin
			cfg, err := gate.LoadConfig(o)
			if err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			g, err := gate.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				if tc.listen == "[::1]:0" && strings.Contains(err.Error(), "assign requested address") {
					t.Skip("no IPv6 loopback here")
				}
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			defer g.Close(ctx)
			got := logs.String()
			for _, w := range tc.want {
				if !strings.Contains(got, "level=WARN msg=\"SECURITY: ") || !strings.Contains(got, w) {
					t.Errorf("no warning %q in the log:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("warning %q in the log:\n%s", w, got)
				}
			}
		})
	}
}
