package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// dialRaw dials the gate with a plain socket, for what drivers never send.
func dialRaw(t *testing.T, g *gatetest.Gate) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", g.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return nc, pgproto3.NewFrontend(nc, nc)
}

// receiveError reads messages until an ErrorResponse (nil if the
// connection ends first).
func receiveError(fe *pgproto3.Frontend) *pgproto3.ErrorResponse {
	for {
		msg, err := fe.Receive()
		if err != nil {
			return nil
		}
		if e, ok := msg.(*pgproto3.ErrorResponse); ok {
			cp := *e
			return &cp
		}
	}
}

// vmRSS is this process's resident set (gate and test share it), in bytes.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// rssBaseline is the RSS once the heap's garbage is collected and given
// back to the OS: what checkRSSGrowth compares with.
func rssBaseline(t *testing.T) int64 {
	t.Helper()
	debug.FreeOSMemory() // collects first
	return vmRSS(t)
}

// checkRSSGrowth fails the test when, after a GC, the RSS has grown by
// more than 100 MB from before; load names what ran, for the log.
func checkRSSGrowth(t *testing.T, before int64, load string) {
	t.Helper()
	runtime.GC()
	after := vmRSS(t)
	t.Logf("RSS before %d MB, after %s %d MB", before>>20, load, after>>20)
	if after-before > 100<<20 {
		t.Errorf("RSS grew by %d MB", (after-before)>>20)
	}
}

// sendJunk writes n bytes of 'x' from a small buffer, as an attacker
// streams a huge message without holding it; it stops at the first error
// (the gate closed the connection).
func sendJunk(nc net.Conn, n int64) {
	buf := []byte(strings.Repeat("x", 64<<10))
	for n > 0 {
		k := int64(len(buf))
		if k > n {
			k = n
		}
		if _, err := nc.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

// TestConnectionLimit: past limits.maxConnections a client gets FATAL 53300
// as from Postgres, before authentication (a wrong password gets 53300,
// not 28P01); once a connection closes a new one gets in.
func TestConnectionLimit(t *testing.T) {
	g := gatetest.Start(t, 2, "limits: {maxConnections: 3}\nusers:\n  - {name: app, password: s3cret}\n")
	ctx := context.Background()
	url := func(pw string) string {
		return fmt.Sprintf("postgres://app:%s@%s/main?sslmode=disable", pw, g.Addr())
	}
	var open []*pgx.Conn
	for i := 0; i < 3; i++ {
		c, err := pgx.Connect(ctx, url("s3cret"))
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		open = append(open, c)
	}
	for _, pw := range []string{"s3cret", "wrong"} {
		_, err := pgx.Connect(ctx, url(pw))
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "53300" || pe.Message != "sorry, too many clients already" || pe.Severity != "FATAL" {
			t.Fatalf("4th connection (password %s): %v", pw, err)
		}
	}
	// A raw client past the limit reads the same error after its startup packet.
	nc, fe := dialRaw(t, g)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": "main"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if e := receiveError(fe); e == nil || e.Code != "53300" {
		t.Fatalf("raw 4th connection: %+v", e)
	}
	nc.Close()
	// The open ones still work; after one closes, a new one gets in.
	var one int
	if err := open[2].QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("open connection: %v", err)
	}
	open[0].Close(ctx)
	var err error
	var c *pgx.Conn
	for i := 0; i < 100; i++ {
		if c, err = pgx.Connect(ctx, url("s3cret")); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // the gate notices the close
	}
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	c.Close(ctx)
	for _, c := range open[1:] {
		c.Close(ctx)
	}
}

// TestPreAuthMessageLimits: before login the gate holds no more than a
// startup packet of 10,000 bytes and authentication messages of a few KB.
// A 60 MB startup packet or SASL message is refused (08P01) from its
// length alone, and several of them leave the gate's memory where it was.
func TestPreAuthMessageLimits(t *testing.T) {
	g := gatetest.Start(t, 2, "users:\n  - {name: app, password: s3cret}\n")
	const huge = 60 << 20
	before := rssBaseline(t)
	for i := 0; i < 4; i++ {
		// A startup packet claiming 60 MB.
		nc, fe := dialRaw(t, g)
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:], huge)
		binary.BigEndian.PutUint32(hdr[4:], pgproto3.ProtocolVersionNumber)
		if _, err := nc.Write(hdr[:]); err != nil {
			t.Fatal(err)
		}
		go sendJunk(nc, huge)
		if e := receiveError(fe); e == nil || e.Code != "08P01" || e.Message != "invalid length of startup packet" {
			t.Fatalf("60 MB startup packet: %+v", e)
		}
		nc.Close()

		// A SASL initial response of 60 MB.
		nc, fe = dialRaw(t, g)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": "main"}})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		msg, err := fe.Receive()
		if _, ok := msg.(*pgproto3.AuthenticationSASL); !ok || err != nil {
			t.Fatalf("want AuthenticationSASL, got %T %v", msg, err)
		}
		var mh [5]byte
		mh[0] = 'p'
		binary.BigEndian.PutUint32(mh[1:], huge+4)
		if _, err := nc.Write(mh[:]); err != nil {
			t.Fatal(err)
		}
		go sendJunk(nc, huge)
		e := receiveError(fe)
		if e == nil || e.Code != "08P01" || !strings.Contains(e.Message, "exceeds the maximum of 8192") {
			t.Fatalf("60 MB SASL message: %+v", e)
		}
		nc.Close()
	}
	checkRSSGrowth(t, before, "4 x (60 MB startup packet + 60 MB SASL message)")
	// Logging in still works.
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://app:s3cret@%s/main?sslmode=disable", g.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
}

// TestAuthTimeout: a client that has not logged in within
// limits.authTimeout is disconnected: silently while it has sent nothing
// (as Postgres), with FATAL 57014 in the middle of authentication.
func TestAuthTimeout(t *testing.T) {
	g := gatetest.Start(t, 2, "limits: {authTimeout: 1s}\nusers:\n  - {name: app, password: s3cret}\n")
	start := time.Now()
	nc, _ := dialRaw(t, g)
	var b [1]byte
	if _, err := nc.Read(b[:]); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("silent client: read %v after %v", err, time.Since(start))
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("closed after %v, before the timeout", d)
	}

	start = time.Now()
	_, fe := dialRaw(t, g)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": "main"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	e := receiveError(fe)
	if e == nil || e.Code != "57014" || e.Message != "canceling authentication due to timeout" || time.Since(start) > 10*time.Second {
		t.Fatalf("stalled SASL exchange: %+v after %v", e, time.Since(start))
	}
	if _, err := fe.Receive(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the error: %v", err)
	}
}

// TestMaxMessageSizeAfterLogin: a 70 MB Bind (over the 64 MB default of
// limits.maxMessageSize) gets 54000 through pgx, with the sizes in the
// message, and the connection is closed cleanly; other clients go on. On
// the planner path and on both relays (one unsharded Postgres shard).
func TestMaxMessageSizeAfterLogin(t *testing.T) {
	big := strings.Repeat("x", 70<<20)
	check := func(t *testing.T, g *gatetest.Gate, db string) {
		other := connectDB(t, g, db)
		c := connectDB(t, g, db)
		var n int
		if err := c.QueryRow(context.Background(), "SELECT length($1::text)", "small").Scan(&n); err != nil || n != 5 {
			t.Fatalf("small Bind: %d %v", n, err)
		}
		err := c.QueryRow(context.Background(), "SELECT length($1::text)", big).Scan(&n)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "54000" || !strings.Contains(pe.Message, "exceeds the maximum of 67108864") || !strings.Contains(pe.Message, "message of ") {
			t.Fatalf("70 MB Bind: %v", err)
		}
		if err := c.Ping(context.Background()); err == nil {
			t.Errorf("the refused connection still answers")
		}
		if err := other.QueryRow(context.Background(), "SELECT length($1::text)", "other").Scan(&n); err != nil || n != 5 {
			t.Errorf("another connection: %d %v", n, err)
		}
		connectDB(t, g, db)
	}
	t.Run("planner", func(t *testing.T) { check(t, gatetest.Start(t, 2, ""), "main") })
	t.Run("configured", func(t *testing.T) {
		g := gatetest.Start(t, 2, "limits: {maxMessageSize: 1MB}\n")
		c := connectDB(t, g, "main")
		var n int
		if err := c.QueryRow(context.Background(), "SELECT length($1::text)", strings.Repeat("y", 1000000)).Scan(&n); err != nil || n != 1000000 {
			t.Fatalf("1,000,000 bytes: %d %v", n, err)
		}
		err := c.QueryRow(context.Background(), "SELECT length($1::text)", strings.Repeat("y", 2<<20)).Scan(&n)
		if gatetest.SQLState(err) != "54000" || !strings.Contains(err.Error(), "exceeds the maximum of 1048576") {
			t.Fatalf("2 MB Bind under maxMessageSize 1MB: %v", err)
		}
	})
	t.Run("relay-poll", func(t *testing.T) {
		g, _ := startUnshardedPG(t, "session", 0)
		check(t, g, "app")
	})
	t.Run("relay-goroutines", func(t *testing.T) {
		t.Setenv("VITESS_RELAY_GOROUTINES", "1")
		g, _ := startUnshardedPG(t, "session", 0)
		check(t, g, "app")
	})
}

// TestOversizedMessageMemory: messages past maxMessageSize after login,
// streamed by raw clients that hold nothing themselves, leave the gate's
// memory where it was: they are refused from their length alone.
func TestOversizedMessageMemory(t *testing.T) {
	g := gatetest.Start(t, 2, "")
	const huge = 70 << 20
	before := rssBaseline(t)
	for i := 0; i < 6; i++ {
		nc, fe := startupRaw(t, g, "main")
		var mh [5]byte
		mh[0] = 'B'
		binary.BigEndian.PutUint32(mh[1:], huge+4)
		if _, err := nc.Write(mh[:]); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { sendJunk(nc, huge); close(done) }()
		e := receiveError(fe)
		if e == nil || e.Code != "54000" || e.Message != fmt.Sprintf("message of %d bytes exceeds the maximum of %d", huge, 64<<20) {
			t.Fatalf("70 MB Bind: %+v", e)
		}
		<-done
		if _, err := fe.Receive(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("after the error: %v", err)
		}
		nc.Close()
	}
	checkRSSGrowth(t, before, "6 refused 70 MB Binds")
}

// TestLargeBindsNotRetained: eight accepted 60 MB Binds (under the 64 MB
// maxMessageSize), on connections that then stay open and idle, leave
// nothing of themselves on the heap: the Backend's reused Bind no longer
// pins its read buffer.
func TestLargeBindsNotRetained(t *testing.T) {
	g := gatetest.Start(t, 2, "")
	const n = 60 << 20
	before := rssBaseline(t)
	peak := before
	for i := 0; i < 8; i++ {
		nc, fe := startupRaw(t, g, "main")
		fe.Send(&pgproto3.Parse{Query: "SELECT length($1::text)"})
		fe.Flush()
		body := []byte{0, 0, 0, 0, 0, 1}
		body = binary.BigEndian.AppendUint32(body, n)
		hdr := []byte{'B'}
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(4+len(body)+n+2))
		nc.Write(append(hdr, body...))
		sendJunk(nc, n)
		nc.Write([]byte{0, 0})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := m.(*pgproto3.ErrorResponse); ok {
				t.Fatal(e.Message)
			}
			if d, ok := m.(*pgproto3.DataRow); ok && string(d.Values[0]) != "62914560" {
				t.Fatalf("length %s", d.Values[0])
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		if r := vmRSS(t); r > peak {
			peak = r
		}
	}
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("RSS %d -> peak %d -> %d MB; heap in use after GC %d MB", before>>20, peak>>20, vmRSS(t)>>20, ms.HeapInuse>>20)
	if ms.HeapInuse > 100<<20 {
		t.Errorf("%d MB of heap in use after 8 idle connections each sent a 60 MB Bind", ms.HeapInuse>>20)
	}
}

// loadPads fills table t (id, pad, n) with rows distinct pads of 100 bytes.
func loadPads(t *testing.T, c *pgx.Conn, rows int) {
	t.Helper()
	gatetest.MustExec(t, c, `CREATE TABLE t (id bigint PRIMARY KEY, pad text, n int)`)
	var vals []string
	for i := 1; i <= rows; i++ {
		vals = append(vals, fmt.Sprintf("(%d, '%0100d', 0)", i, i))
		if len(vals) == 3000 || i == rows {
			gatetest.MustExec(t, c, `INSERT INTO t VALUES `+strings.Join(vals, ","))
			vals = vals[:0]
		}
	}
}

// TestQueryMemoryLimit: what the gate itself holds for one statement (the
// groups of a scatter GROUP BY it sorts, a DISTINCT set, the RETURNING rows
// of a multi-shard write, one COPY row) is bounded by limits.queryMemory:
// past it the statement is refused with 53200 naming the operator and the
// limit, and nothing is changed. A scatter ORDER BY streams and passes.
// With the default limit the same statements run.
func TestQueryMemoryLimit(t *testing.T) {
	const rows = 12000 // about 2 MB of rows held at the gate
	queries := []struct{ op, q string }{
		{"Sort", `SELECT pad, count(*) FROM t GROUP BY pad ORDER BY count(*) DESC, pad`},
		{"Distinct", `SELECT DISTINCT pad FROM t`},
		{"buffering result rows", `UPDATE t SET n = n + 1 RETURNING pad`},
		// Outside a transaction a WITH HOLD cursor is read whole at once.
		{"buffering result rows", `DECLARE h CURSOR WITH HOLD FOR SELECT id, pad FROM t`},
	}
	copyRow := fmt.Sprintf("%d\t%s\t0\n", rows+1, strings.Repeat("z", 2<<20))
	ctx := context.Background()

	small := gatetest.Start(t, 4, "limits: {queryMemory: 1MB}\n")
	c := small.Connect(t)
	loadPads(t, c, rows)
	for _, tc := range queries {
		op, q := tc.op, tc.q
		_, err := c.Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "53200" || pe.Message != "out of memory" || !strings.Contains(pe.Detail, op) || !strings.Contains(pe.Detail, "1MB") {
			t.Errorf("%s under queryMemory 1MB: %v (detail %q)", q, err, detailOf(err))
		}
	}
	var sum int64
	if err := c.QueryRow(ctx, `SELECT sum(n) FROM t`).Scan(&sum); err != nil || sum != 0 {
		t.Errorf("the refused UPDATE changed rows: sum %d %v", sum, err)
	}
	_, err := c.PgConn().CopyFrom(ctx, strings.NewReader(copyRow), `COPY t (id, pad, n) FROM STDIN`)
	if gatetest.SQLState(err) != "53200" || !strings.Contains(detailOf(err), "COPY row") {
		t.Errorf("a 2 MB COPY row under queryMemory 1MB: %v (%s)", err, detailOf(err))
	}
	var n int
	r, err := c.Query(ctx, `SELECT id, pad FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		n++
	}
	if r.Err() != nil || n != rows {
		t.Errorf("scatter ORDER BY under queryMemory 1MB: %d rows, %v", n, r.Err())
	}

	def := gatetest.Start(t, 4, "")
	d := def.Connect(t)
	loadPads(t, d, rows)
	for _, tc := range queries {
		if _, err := d.Exec(ctx, tc.q); err != nil {
			t.Errorf("%s with the default limit: %v", tc.q, err)
		}
	}
	if _, err := d.PgConn().CopyFrom(ctx, strings.NewReader(copyRow), `COPY t (id, pad, n) FROM STDIN`); err != nil {
		t.Errorf("a 2 MB COPY row with the default limit: %v", err)
	}
}

func detailOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Detail
	}
	return ""
}

// startupRaw logs a raw client in (trust) and reads up to ReadyForQuery.
func startupRaw(t *testing.T, g *gatetest.Gate, db string) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, fe := dialRaw(t, g)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "app", "database": db}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return nc, fe
		}
	}
}

// checkTimeoutDefaults: the session starts with the configured
// statement_timeout and idle_session_timeout; SET and startup options
// change them per session, RESET returns to the config's; a session idle
// past idle_session_timeout is ended with FATAL 57P05.
func checkTimeoutDefaults(t *testing.T, g *gatetest.Gate, db, slow string) {
	ctx := context.Background()
	c := connectDB(t, g, db)
	if got := queryString(t, c, "SHOW statement_timeout"); got != "300ms" {
		t.Errorf("SHOW statement_timeout: %q", got)
	}
	if got := queryString(t, c, "SHOW idle_session_timeout"); got != "1s" {
		t.Errorf("SHOW idle_session_timeout: %q", got)
	}
	start := time.Now()
	if _, err := c.Exec(ctx, slow); gatetest.SQLState(err) != "57014" || time.Since(start) > 10*time.Second {
		t.Errorf("slow statement under the default statement_timeout: %v after %v", err, time.Since(start))
	}
	gatetest.MustExec(t, c, "SET statement_timeout = '5min'")
	if got := queryString(t, c, "SHOW statement_timeout"); got != "5min" {
		t.Errorf("after SET: %q", got)
	}
	gatetest.MustExec(t, c, "RESET statement_timeout")
	if got := queryString(t, c, "SHOW statement_timeout"); got != "300ms" {
		t.Errorf("after RESET: %q", got)
	}
	if got := queryString(t, connectDB(t, g, db, "options=-c%20statement_timeout%3D7s"), "SHOW statement_timeout"); got != "7s" {
		t.Errorf("with options=-c statement_timeout=7s: %q", got)
	}

	// Idle past the timeout: FATAL 57P05, then the end.
	_, fe := startupRaw(t, g, db)
	start = time.Now()
	e := receiveError(fe)
	if e == nil || e.Code != "57P05" || e.Severity != "FATAL" || time.Since(start) < 900*time.Millisecond || time.Since(start) > 10*time.Second {
		t.Errorf("idle session: %+v after %v", e, time.Since(start))
	}
	// With SET idle_session_timeout = 0 the session stays.
	k := connectDB(t, g, db)
	gatetest.MustExec(t, k, "SET idle_session_timeout = 0")
	time.Sleep(1500 * time.Millisecond)
	if got := queryString(t, k, "SELECT 'alive'"); got != "alive" {
		t.Errorf("after SET idle_session_timeout = 0: %q", got)
	}
}

// TestTimeoutDefaults: defaults: in the config, on SQLite shards (the gate
// enforces both timeouts) and on a relayed Postgres shard (Postgres does).
func TestTimeoutDefaults(t *testing.T) {
	const defaults = "defaults: {statement_timeout: 300ms, idle_session_timeout: 1s}\n"
	t.Run("sqlite", func(t *testing.T) {
		g := gatetest.Start(t, 2, defaults+fmt.Sprintf("keyspaces:\n  lite:\n    sharded: false\n    shards: {\"-\": \"sqlite:%s/lite.db\"}\n", t.TempDir()))
		c := connectDB(t, g, "lite")
		gatetest.MustExec(t, c, "SET statement_timeout = 0")
		gatetest.MustExec(t, c, `CREATE TABLE big (id bigint PRIMARY KEY)`)
		var vals []string
		for i := 1; i <= 400; i++ {
			vals = append(vals, fmt.Sprintf("(%d)", i))
		}
		gatetest.MustExec(t, c, `INSERT INTO big VALUES `+strings.Join(vals, ","))
		checkTimeoutDefaults(t, g, "lite", `SELECT count(*) FROM big a, big b, big c`)
	})
	t.Run("postgres", func(t *testing.T) {
		_, shardURL := pgtest.Shared(t).CreateDB(t)
		g := gatetest.Start(t, 1, defaults+fmt.Sprintf("keyspaces:\n  app:\n    sharded: false\n    shards: {\"-\": %q}\n", shardURL))
		checkTimeoutDefaults(t, g, "app", `SELECT pg_sleep(5)`)
	})
	t.Run("postgres-sharded", func(t *testing.T) {
		g := gatetest.StartEngine(t, "postgres", 2, defaults)
		checkTimeoutDefaults(t, g, "main", `SELECT pg_sleep(5)`)
		// The shards get statement_timeout, not idle_session_timeout:
		// their backends idle while the client works on another shard.
		c := connectDB(t, g, "main")
		if got := queryString(t, c, "SELECT current_setting('statement_timeout') || ' ' || current_setting('idle_session_timeout')"); got != "300ms 0" {
			t.Errorf("on the shard: %q", got)
		}
	})
}

// TestBadDefaultRefused: a default time the shards would refuse ("10m" is
// not a Postgres time) stops the gate at startup.
func TestBadDefaultRefused(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/config.yaml"
	if err := os.WriteFile(p, []byte("defaults: {statement_timeout: 10m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := gate.LoadConfig(gate.Options{Config: p, Listen: "127.0.0.1:0", Admin: "off", DataDir: dir, Shards: 2})
	if err == nil {
		var g *gate.Gate
		g, err = gate.Start(context.Background(), cfg, gatetest.DiscardLog())
		if g != nil {
			defer g.Close(context.Background())
		}
	}
	if err == nil || !strings.Contains(err.Error(), "defaults.statement_timeout") {
		t.Errorf("statement_timeout 10m: %v", err)
	}
}
