package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// fakeBackend stands for a Postgres server: the relay's session connections
// arrive on sessions, CancelRequests (pid, secret) on cancels, each on its
// own listener.
type fakeBackend struct {
	l, cl    net.Listener
	sessions chan net.Conn
	cancels  chan [2]uint32
}

func newFakeBackend(t *testing.T) *fakeBackend {
	var ls [2]net.Listener
	for i := range ls {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		ls[i] = l
	}
	fb := &fakeBackend{l: ls[0], cl: ls[1], sessions: make(chan net.Conn, 4), cancels: make(chan [2]uint32, 4)}
	go func() {
		for {
			nc, err := fb.l.Accept()
			if err != nil {
				return
			}
			fb.sessions <- nc
		}
	}()
	go func() {
		for {
			nc, err := fb.cl.Accept()
			if err != nil {
				return
			}
			var pkt [16]byte
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(nc, pkt[:]); err == nil && binary.BigEndian.Uint32(pkt[4:]) == cancelRequestCode {
				fb.cancels <- [2]uint32{binary.BigEndian.Uint32(pkt[8:]), binary.BigEndian.Uint32(pkt[12:])}
			}
			nc.Close()
		}
	}()
	return fb
}

// cancelAddrConn sends the relay's CancelRequests to the fake backend's
// cancel listener.
type cancelAddrConn struct {
	net.Conn
	remote net.Addr
}

func (c *cancelAddrConn) RemoteAddr() net.Addr { return c.remote }

// fakeDialer hands out connections to the fake backend as if their startup
// had been done.
type fakeDialer struct {
	fb       *fakeBackend
	params   chan map[string]string
	released atomic.Int32
}

func (d *fakeDialer) DialSession(ctx context.Context, params map[string]string) (*pgconn.HijackedConn, func(), error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, "tcp", d.fb.l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	d.params <- params
	var once sync.Once
	return &pgconn.HijackedConn{
		Conn: &cancelAddrConn{Conn: nc, remote: d.fb.cl.Addr()}, PID: 4242, SecretKey: []byte{0, 0, 0x30, 0x39}, TxStatus: 'I',
		ParameterStatuses: map[string]string{"server_version": "99.1 fake", "standard_conforming_strings": "on"},
	}, func() { once.Do(func() { d.released.Add(1) }) }, nil
}

func startRelayServer(t *testing.T, d SessionDialer) *Server {
	srv := NewServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(ctx context.Context, info StartupInfo) (Session, error) {
		return newTestRelay(ctx, d, info.Params)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	for srv.Addr() == nil {
		time.Sleep(time.Millisecond)
	}
	return srv
}

func relayClient(t *testing.T, srv *Server) *pgconn.HijackedConn {
	t.Helper()
	return pgtest.Hijack(t, "postgres://me@"+srv.Addr().String()+"/db?sslmode=disable&application_name=relay-test&DateStyle=German")
}

func receive[T pgproto3.Message](t *testing.T, r interface {
	Receive() (T, error)
}, conn net.Conn) T {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := r.Receive()
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return m
}

// TestRelayPassThrough: messages go through unchanged in both directions,
// FunctionCall included; the ReadyForQuery status is tracked; a
// CancelRequest reaches the backend with its key; Terminate ends both
// sides, and nothing is left running; with the epoll loop (Linux) and
// with the goroutine relay (elsewhere, or VITESS_RELAY_GOROUTINES=1).
func TestRelayPassThrough(t *testing.T) {
	for _, mode := range []string{"poll", "goroutines"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "goroutines" {
				t.Setenv("VITESS_RELAY_GOROUTINES", "1")
			}
			testRelayPassThrough(t)
		})
	}
}

func testRelayPassThrough(t *testing.T) {
	base := runtime.NumGoroutine()
	fb := newFakeBackend(t)
	d := &fakeDialer{fb: fb, params: make(chan map[string]string, 4)}
	srv := startRelayServer(t, d)

	cl := relayClient(t, srv)
	if cl.ParameterStatuses["server_version"] != "99.1 fake" || cl.PID == 4242 {
		t.Errorf("startup: %v pid %d", cl.ParameterStatuses, cl.PID)
	}
	params := <-d.params
	if params["application_name"] != "relay-test" || params["DateStyle"] != "German" || params["user"] != "me" {
		t.Errorf("startup params: %v", params)
	}
	bc := <-fb.sessions
	be := pgproto3.NewBackend(bc, bc)

	// A simple query, answered with what the gate would not make itself.
	cl.Frontend.Send(&pgproto3.Query{String: "SELECT 1 +;"})
	if err := cl.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	if q, ok := receive[pgproto3.FrontendMessage](t, be, bc).(*pgproto3.Query); !ok || q.String != "SELECT 1 +;" {
		t.Fatalf("backend got %#v", q)
	}
	be.Send(&pgproto3.RowDescription{})
	be.Send(&pgproto3.NoticeResponse{Severity: "WARNING", Code: sqltypes.ActiveSQLTransaction, Message: "warned"})
	be.Send(&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "off"})
	be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'T'})
	if err := be.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*pgproto3.RowDescription", "*pgproto3.NoticeResponse", "*pgproto3.ParameterStatus", "*pgproto3.CommandComplete", "*pgproto3.ReadyForQuery"} {
		m := receive[pgproto3.BackendMessage](t, cl.Frontend, cl.Conn)
		if got := typeName(m); got != want {
			t.Fatalf("client got %s, want %s", got, want)
		}
		if rfq, ok := m.(*pgproto3.ReadyForQuery); ok && rfq.TxStatus != 'T' {
			t.Errorf("status %c", rfq.TxStatus)
		}
	}
	if st := sessionOf(t, srv).TxStatus(); st != 'T' {
		t.Errorf("session TxStatus %c", st)
	}

	// FunctionCall, byte for byte.
	fc := &pgproto3.FunctionCall{Function: 764, ArgFormatCodes: []uint16{0, 1}, Arguments: [][]byte{[]byte("/tmp/x"), nil}, ResultFormatCode: 1}
	cl.Frontend.Send(fc)
	if err := cl.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	got, ok := receive[pgproto3.FrontendMessage](t, be, bc).(*pgproto3.FunctionCall)
	if !ok || got.Function != 764 || len(got.Arguments) != 2 || string(got.Arguments[0]) != "/tmp/x" || got.Arguments[1] != nil || got.ResultFormatCode != 1 {
		t.Fatalf("backend got %#v", got)
	}
	be.Send(&pgproto3.FunctionCallResponse{Result: []byte{0, 0, 0x40, 0}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		t.Fatal(err)
	}
	if r, ok := receive[pgproto3.BackendMessage](t, cl.Frontend, cl.Conn).(*pgproto3.FunctionCallResponse); !ok || len(r.Result) != 4 {
		t.Fatalf("client got %#v", r)
	}
	receive[pgproto3.BackendMessage](t, cl.Frontend, cl.Conn)

	// Cancel: the backend's key goes to the backend's address.
	if err := cancelOn(srv.Addr().String(), cl.PID, cl.SecretKey); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-fb.cancels:
		if k != [2]uint32{4242, 12345} {
			t.Errorf("cancel key %v", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no CancelRequest reached the backend")
	}

	// Terminate: the backend gets it, then EOF; the slot is given back.
	cl.Frontend.Send(&pgproto3.Terminate{})
	if err := cl.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, ok := receive[pgproto3.FrontendMessage](t, be, bc).(*pgproto3.Terminate); !ok {
		t.Fatal("no Terminate")
	}
	if _, err := be.Receive(); err == nil {
		t.Fatal("backend connection still open")
	}
	waitFor(t, "slot released", func() bool { return d.released.Load() == 1 })

	// The backend goes away: so does the client.
	cl2 := relayClient(t, srv)
	<-d.params
	bc2 := <-fb.sessions
	bc2.Close()
	_ = cl2.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := cl2.Frontend.Receive(); err == nil {
		t.Fatal("client connection still open")
	}
	waitFor(t, "slot released", func() bool { return d.released.Load() == 2 })

	// The client goes away in the middle of a request: the backend gets a
	// CancelRequest and is closed.
	cl3 := relayClient(t, srv)
	<-d.params
	bc3 := <-fb.sessions
	cl3.Frontend.Send(&pgproto3.Query{String: "SELECT pg_sleep(100)"})
	if err := cl3.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	receive[pgproto3.FrontendMessage](t, pgproto3.NewBackend(bc3, bc3), bc3)
	cl3.Conn.Close()
	select {
	case <-fb.cancels:
	case <-time.After(5 * time.Second):
		t.Fatal("no CancelRequest for a vanished client")
	}
	_ = bc3.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bc3.Read(make([]byte, 1)); err == nil {
		t.Fatal("backend connection still open")
	}
	waitFor(t, "slot released", func() bool { return d.released.Load() == 3 })

	// No goroutine is left behind (the server's accept loop, the fake
	// backend's and, on Linux, the relay poller's loop are).
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= base+4 })
}

func typeName(m any) string { return fmt.Sprintf("%T", m) }

func sessionOf(t *testing.T, srv *Server) Session {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for c := range srv.conns {
		if c.sess != nil {
			return c.sess
		}
	}
	t.Fatal("no session")
	return nil
}

func cancelOn(addr string, pid uint32, secret []byte) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	msg := make([]byte, 12, 16)
	binary.BigEndian.PutUint32(msg, 16)
	binary.BigEndian.PutUint32(msg[4:], cancelRequestCode)
	binary.BigEndian.PutUint32(msg[8:], pid)
	msg = append(msg, secret...)
	if _, err := nc.Write(msg); err != nil {
		return err
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, nc)
	return err
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for i := 0; i < 250; i++ {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// testRelay is the smallest relayed session: the backend connection and
// its status; the gate's own commands are refused.
type testRelay struct {
	hc      *pgconn.HijackedConn
	release func()
	status  atomic.Uint32
	once    sync.Once
}

func newTestRelay(ctx context.Context, d SessionDialer, params map[string]string) (Session, error) {
	hc, release, err := d.DialSession(ctx, params)
	if err != nil {
		return nil, err
	}
	r := &testRelay{hc: hc, release: release}
	r.SetTxStatus(hc.TxStatus)
	return r, nil
}

func (r *testRelay) Prepare(context.Context, string, []uint32) (Statement, error) {
	return nil, errors.New("no gate commands in this test")
}
func (r *testRelay) RelayBackend() *pgconn.HijackedConn      { return r.hc }
func (r *testRelay) TxStatus() byte                          { return byte(r.status.Load()) }
func (r *testRelay) SetTxStatus(status byte)                 { r.status.Store(uint32(status)) }
func (r *testRelay) ParameterStatus() map[string]string      { return nil }
func (r *testRelay) CancelBackend(ctx context.Context) error { return SendCancel(ctx, r.hc) }
func (r *testRelay) Close()                                  { r.once.Do(func() { r.hc.Conn.Close(); r.release() }) }
