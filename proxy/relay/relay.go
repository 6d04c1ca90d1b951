// Package relay is the byte relay of pass-through clients: every message
// the client sends goes to its backend as it was sent, and every message
// the backend sends comes back unchanged. One frame state machine
// (frames.go) watches both directions; two pumps move the bytes: a
// goroutine pair (pair.go), or on Linux one epoll loop shared by every
// relayed client (poll_linux.go), owned by the wire server.
//
// The relay knows the protocol only as far as framing needs: message
// lengths, which messages a ReadyForQuery answers, and the gate's own
// commands (GateCommand), which the client answers itself (Client.Answer).
package relay

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"time"

	"github.com/dotdo/vitess/sqltypes"
)

const (
	bufSize       = 64 << 10
	cancelTimeout = 5 * time.Second
	shutdownPoll  = 50 * time.Millisecond
	// LingerTimeout bounds how long a refused client may take to send the
	// rest of an oversized message before the connection is closed.
	LingerTimeout = 10 * time.Second
	// lingerSlack is read past a refused message's declared end (the Sync
	// and friends a driver sends after it).
	lingerSlack = 1 << 20
)

// Client is the relayed client as the wire server holds it.
type Client interface {
	// Answer runs one of the gate's own commands (GateCommand) and
	// returns the messages the client gets for it, ReadyForQuery last.
	Answer(sql string) []byte
	// Fatal is err encoded as a FATAL ErrorResponse.
	Fatal(err error) []byte
	// Panicked counts and logs a panic the relay recovered and returns
	// the error the client is told.
	Panicked(where string, r any) error
	// Recover, deferred by the relay's goroutines, ends only this client
	// on a panic.
	Recover(where string)
	// Close ends the client connection (from any goroutine, many times).
	Close()
	// Done is closed when the client connection ends.
	Done() <-chan struct{}
}

// Backend is the backend session the client is relayed to.
type Backend interface {
	// TxStatus and SetTxStatus hold the status of the backend's last
	// ReadyForQuery.
	TxStatus() byte
	SetTxStatus(status byte)
	// CancelBackend sends the backend a CancelRequest with its key.
	CancelBackend(ctx context.Context) error
}

// Options are the wire server's settings the relay follows.
type Options struct {
	// MaxMessageSize refuses longer client messages (FATAL 54000).
	MaxMessageSize int
	// Shutdown is closed when the server shuts down: an idle client
	// outside a transaction is then ended with FATAL 57P01.
	Shutdown <-chan struct{}
	// Poller is the epoll loop to relay on; nil (or a socket without a
	// file descriptor) relays with a goroutine pair.
	Poller *Poller
}

// Run relays client (connection nc) and its backend (connection back)
// until either ends, then closes both.
func Run(cl Client, nc net.Conn, b Backend, back net.Conn, o Options) {
	if o.Poller == nil || !o.Poller.relay(cl, nc, b, back, o) {
		runPair(cl, nc, b, back, o)
	}
	cl.Close()
	back.Close()
}

// GateCommand reports whether the body of a simple Query is one of the
// gate's own commands, and its SQL: it starts (after white space and
// comments) with EXPLAIN (ROUTE or SHOW vitess_, in any case.
func GateCommand(body []byte) (string, bool) {
	q := body
	i := sqltypes.SkipBlank(q, 0)
	w, i := sqltypes.Word(q, i)
	// EqualFold, not ToLower: this runs on every relayed query.
	ok := false
	switch {
	case bytes.EqualFold(w, []byte("explain")):
		i = sqltypes.SkipBlank(q, i)
		if i < len(q) && q[i] == '(' {
			w, _ = sqltypes.Word(q, sqltypes.SkipBlank(q, i+1))
			ok = bytes.EqualFold(w, []byte("route"))
		}
	case bytes.EqualFold(w, []byte("show")):
		w, _ = sqltypes.Word(q, sqltypes.SkipBlank(q, i))
		ok = len(w) > len("vitess_") && bytes.EqualFold(w[:len("vitess_")], []byte("vitess_"))
	}
	if !ok {
		return "", false
	}
	if i := bytes.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	return string(body), true
}

// cancelBackend stops what the backend still runs for a client that went
// away (Postgres would only notice when it next writes to the socket).
func cancelBackend(b Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	_ = b.CancelBackend(ctx)
}

// errShutdown ends an idle client when the server shuts down.
var errShutdown = sqltypes.Errorf(sqltypes.AdminShutdown, "terminating connection due to administrator command")

// watchShutdown calls tryEnd every shutdownPoll once the server shuts
// down, until done is closed; tryEnd ends the client if it is idle
// outside a transaction, as the message loop does.
func watchShutdown(cl Client, shutdown, done <-chan struct{}, tryEnd func()) {
	defer cl.Recover("relay shutdown watch")
	select {
	case <-shutdown:
	case <-done:
		return
	}
	tick := time.NewTicker(shutdownPoll)
	defer tick.Stop()
	for {
		tryEnd()
		select {
		case <-tick.C:
		case <-done:
			return
		}
	}
}

// Linger ends a connection after an error was sent, as Postgres does: it
// stops writing and reads what the client still sends (up to pending
// bytes and some slack, for at most d), so that the client reads the
// error rather than a reset.
func Linger(nc net.Conn, pending int64, d time.Duration) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(d))
	_, _ = io.CopyN(io.Discard, nc, pending+lingerSlack)
}

// lingerFD does what Linger does on a client socket the poll loop owned
// (fd, a duplicate): it writes out, blocking, what the client is still
// owed (the error last), then drains and closes.
func lingerFD(fd int, out []byte, pending int64) {
	f := os.NewFile(uintptr(fd), "client")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	defer nc.Close()
	_ = nc.SetWriteDeadline(time.Now().Add(LingerTimeout))
	if _, err := nc.Write(out); err != nil {
		return
	}
	Linger(nc, pending, LingerTimeout)
}
