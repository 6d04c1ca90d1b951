package main

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
)

// pgCode is the SQLSTATE of err ("" when it is not a Postgres error).
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// dialRaw dials the gate with a plain socket, for what drivers never send.
func dialRaw(t *testing.T, g *testGate) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", g.addr.String(), 5*time.Second)
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

// sendJunk writes n bytes of nothing from a small buffer, as an attacker
// streams a huge message without holding it; it stops at the first error
// (the gate closed the connection).
func sendJunk(nc net.Conn, n int64) {
	buf := make([]byte, 64<<10)
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
	g := startTestGate(t, 2, "limits: {maxConnections: 3}\nusers:\n  - {name: app, password: s3cret}\n")
	ctx := context.Background()
	url := func(pw string) string {
		return fmt.Sprintf("postgres://app:%s@%s/main?sslmode=disable", pw, g.addr)
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
	g := startTestGate(t, 2, "users:\n  - {name: app, password: s3cret}\n")
	const huge = 60 << 20
	debug.FreeOSMemory()
	before := vmRSS(t)
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
	runtime.GC()
	after := vmRSS(t)
	t.Logf("RSS before %d MB, after 4 x (60 MB startup packet + 60 MB SASL message) %d MB", before>>20, after>>20)
	if after-before > 100<<20 {
		t.Errorf("RSS grew by %d MB", (after-before)>>20)
	}
	// Logging in still works.
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://app:s3cret@%s/main?sslmode=disable", g.addr))
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
}

// TestAuthTimeout: a client that has not logged in within
// limits.authTimeout is disconnected: silently while it has sent nothing
// (as Postgres), with FATAL 57014 in the middle of authentication.
func TestAuthTimeout(t *testing.T) {
	g := startTestGate(t, 2, "limits: {authTimeout: 1s}\nusers:\n  - {name: app, password: s3cret}\n")
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
