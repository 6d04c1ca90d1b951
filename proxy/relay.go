package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/sqltypes"
)

// Relay mode. A client of an unsharded keyspace whose single shard is a
// PostgreSQL server, in session pool mode, gets its own backend connection
// for its whole life, opened with the client's startup parameters, and the
// gate passes the protocol through in both directions: every message the
// client sends goes to the server as it was sent (simple and extended
// protocol, COPY, FunctionCall, statements the gate's parser does not know),
// and every message the server sends comes back unchanged (errors, notices,
// ParameterStatus, zero-column results). Only the gate's own commands
// (EXPLAIN (ROUTE) ... and SHOW vitess_...) sent with the simple protocol
// while no relayed request is in flight are answered by the gate's planner
// path, and CancelRequests are forwarded to the server with the backend's
// key.

const (
	relayBufSize       = 64 << 10
	relayCancelTimeout = 5 * time.Second
	relayShutdownPoll  = 50 * time.Millisecond
)

// SessionDialer is a shard that can open a dedicated backend connection for
// one client with the client's startup parameters (shards.Tablet). The
// connection is returned after its startup; the caller closes hc.Conn and
// then calls release (which gives back the shard pool slot it counted
// against).
type SessionDialer interface {
	DialSession(ctx context.Context, params map[string]string) (hc *pgconn.HijackedConn, release func(), err error)
}

// Relayer is a session in relay mode: the wire server passes the client's
// protocol through to RelayBackend instead of running its message loop.
type Relayer interface {
	Session
	// RelayBackend is the client's backend connection, after its startup
	// (its ParameterStatus values and BackendKeyData).
	RelayBackend() *pgconn.HijackedConn
	// SetTxStatus records the status of the backend's last ReadyForQuery
	// (what TxStatus reports).
	SetTxStatus(status byte)
	// CancelBackend sends the backend a CancelRequest with its key.
	CancelBackend(ctx context.Context) error
}

// SendCancel sends a CancelRequest for the backend of hc to its server, as
// pgconn does: to the address the connection went to (the configured socket
// path for a Unix socket), and waits for the server to close the
// connection, which it does once it has signalled the backend.
func SendCancel(ctx context.Context, hc *pgconn.HijackedConn) error {
	addr := hc.Conn.RemoteAddr()
	network, address := addr.Network(), addr.String()
	if network == "unix" && hc.Config != nil {
		network, address = pgconn.NetworkAddress(hc.Config.Host, hc.Config.Port)
	}
	var dial pgconn.DialFunc
	if hc.Config != nil {
		dial = hc.Config.DialFunc
	}
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	cc, err := dial(ctx, network, address)
	if err != nil {
		return err
	}
	defer cc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = cc.SetDeadline(dl)
	}
	msg := make([]byte, 12, 12+len(hc.SecretKey))
	binary.BigEndian.PutUint32(msg[0:], uint32(12+len(hc.SecretKey)))
	binary.BigEndian.PutUint32(msg[4:], cancelRequestCode)
	binary.BigEndian.PutUint32(msg[8:], hc.PID)
	msg = append(msg, hc.SecretKey...)
	if _, err := cc.Write(msg); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, cc)
	return nil
}

// relayLoop is one relayed client: forward (the serving goroutine) copies
// the client's messages to the backend, pump (its own goroutine) copies the
// backend's messages to the client.
type relayLoop struct {
	c    *conn
	r    Relayer
	back net.Conn

	// mu serializes writes to the client between pump and the gate's
	// own answers.
	mu sync.Mutex
	// pending counts the relayed Query, Sync and FunctionCall messages
	// whose ReadyForQuery has not arrived; unsynced is set by extended
	// protocol messages until their Sync.
	pending  atomic.Int64
	unsynced atomic.Bool
	backDone atomic.Bool // the backend connection ended
	pumpDone chan struct{}
}

// relay serves a relayed client: startup completion with the server's
// parameters, then both directions until either side ends.
func (c *conn) relay(r Relayer) {
	hc := r.RelayBackend()
	c.sendParams(hc.ParameterStatuses)
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.send(&pgproto3.ReadyForQuery{TxStatus: r.TxStatus()})
	c.flush()
	if c.werr != nil {
		return
	}
	_ = c.nc.SetDeadline(time.Time{})
	if !c.srv.cfg.RelayGoroutines && c.pollRelay(r, hc.Conn) {
		c.close()
		return
	}
	rl := &relayLoop{c: c, r: r, back: hc.Conn, pumpDone: make(chan struct{})}
	go rl.pump()
	go rl.watchShutdown()
	rl.forward()
	c.close()
	rl.back.Close()
	<-rl.pumpDone
}

// idle reports that no relayed request is in flight.
func (rl *relayLoop) idle() bool { return rl.pending.Load() == 0 && !rl.unsynced.Load() }

// forward copies the client's messages to the backend, flushing whenever
// the client has nothing more buffered, and answers the gate's own commands.
func (rl *relayLoop) forward() {
	c := rl.c
	in := bufio.NewReaderSize(c.nc, relayBufSize)
	out := bufio.NewWriterSize(rl.back, relayBufSize)
	var hdr [5]byte
	for {
		if in.Buffered() == 0 && out.Buffered() > 0 {
			if out.Flush() != nil {
				return // the backend is gone; pump ends the client
			}
		}
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			rl.clientGone()
			return
		}
		typ := hdr[0]
		n := int64(int32(binary.BigEndian.Uint32(hdr[1:]))) - 4
		switch {
		case n < 0:
			rl.refuse(sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid message length"))
			return
		case n > int64(c.srv.cfg.MaxMessageSize):
			rl.refuse(errTooBig(int(n), c.srv.cfg.MaxMessageSize))
			c.lingerClose(n, lingerTimeout)
			return
		}
		switch typ {
		case 'X': // Terminate: the backend ends too
			out.Write(hdr[:])
			_, _ = io.CopyN(out, in, n)
			_ = out.Flush()
			return
		case 'Q':
			body := make([]byte, n)
			if _, err := io.ReadFull(in, body); err != nil {
				rl.clientGone()
				return
			}
			if rl.idle() && isGateCommand(body) {
				if out.Flush() != nil {
					return
				}
				q := body
				if i := bytes.IndexByte(q, 0); i >= 0 {
					q = q[:i]
				}
				rl.gateCommand(string(q))
				if c.werr != nil {
					return
				}
				continue
			}
			rl.pending.Add(1)
			out.Write(hdr[:])
			out.Write(body)
			continue
		case 'S':
			rl.pending.Add(1)
			rl.unsynced.Store(false)
		case 'F':
			rl.pending.Add(1)
		case 'P', 'B', 'D', 'E', 'C':
			rl.unsynced.Store(true)
		}
		out.Write(hdr[:])
		if _, err := io.CopyN(out, in, n); err != nil {
			rl.clientGone()
			return
		}
	}
}

// gateCommand answers EXPLAIN (ROUTE) or SHOW vitess_... on the gate's
// planner path, as the message loop would.
func (rl *relayLoop) gateCommand(sql string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.c.simpleQuery(sql)
	rl.c.readyForQuery()
}

// refuse sends a FATAL error for a message the gate does not accept.
func (rl *relayLoop) refuse(err error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.c.sendFatal(err)
}

// clientGone stops what the backend still runs for a client that went
// away (Postgres would only notice when it next writes to the socket).
func (rl *relayLoop) clientGone() {
	if rl.backDone.Load() || rl.idle() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), relayCancelTimeout)
	defer cancel()
	_ = rl.r.CancelBackend(ctx)
}

// pump copies the backend's messages to the client, flushing whenever the
// backend has nothing more buffered, and records each ReadyForQuery's
// transaction status. It ends the client connection when the backend ends.
func (rl *relayLoop) pump() {
	c := rl.c
	defer c.recoverGoroutine("relay from the backend")
	in := bufio.NewReaderSize(rl.back, relayBufSize)
	out := bufio.NewWriterSize(c.nc, relayBufSize)
	locked := false
	defer func() {
		if locked {
			_ = out.Flush()
			rl.mu.Unlock()
		}
		rl.backDone.Store(true)
		c.close()
		close(rl.pumpDone)
	}()
	var hdr [5]byte
	for {
		if locked && in.Buffered() == 0 {
			err := out.Flush()
			rl.mu.Unlock()
			locked = false
			if err != nil {
				return
			}
		}
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			return
		}
		n := int64(int32(binary.BigEndian.Uint32(hdr[1:]))) - 4
		if n < 0 {
			return
		}
		if !locked {
			rl.mu.Lock()
			locked = true
		}
		if _, err := out.Write(hdr[:]); err != nil {
			return
		}
		if hdr[0] == 'Z' && n == 1 {
			st, err := in.ReadByte()
			if err != nil {
				return
			}
			rl.r.SetTxStatus(st)
			for {
				p := rl.pending.Load()
				if p <= 0 || rl.pending.CompareAndSwap(p, p-1) {
					break
				}
			}
			if err := out.WriteByte(st); err != nil {
				return
			}
			continue
		}
		if _, err := io.CopyN(out, in, n); err != nil {
			return
		}
	}
}

// watchShutdown closes the connection, as the message loop does, once the
// server shuts down and the client is idle outside a transaction.
func (rl *relayLoop) watchShutdown() {
	c := rl.c
	defer c.recoverGoroutine("relay shutdown watch")
	select {
	case <-c.srv.shuttingDown():
	case <-c.closed:
		return
	}
	tick := time.NewTicker(relayShutdownPoll)
	defer tick.Stop()
	for {
		if rl.idle() && rl.r.TxStatus() == 'I' {
			rl.refuse(sqltypes.Errorf(sqltypes.AdminShutdown, "terminating connection due to administrator command"))
			c.close()
			rl.back.Close()
			return
		}
		select {
		case <-tick.C:
		case <-c.closed:
			return
		}
	}
}

// isGateCommand reports whether a simple Query is one of the gate's own
// commands: it starts (after white space and comments) with
// EXPLAIN (ROUTE or SHOW vitess_, in any case.
func isGateCommand(q []byte) bool {
	i := sqltypes.SkipBlank(q, 0)
	w, i := sqltypes.Word(q, i)
	// EqualFold, not ToLower: this runs on every relayed query.
	switch {
	case bytes.EqualFold(w, []byte("explain")):
		i = sqltypes.SkipBlank(q, i)
		if i >= len(q) || q[i] != '(' {
			return false
		}
		w, _ = sqltypes.Word(q, sqltypes.SkipBlank(q, i+1))
		return bytes.EqualFold(w, []byte("route"))
	case bytes.EqualFold(w, []byte("show")):
		w, _ = sqltypes.Word(q, sqltypes.SkipBlank(q, i))
		return len(w) > len("vitess_") && bytes.EqualFold(w[:len("vitess_")], []byte("vitess_"))
	}
	return false
}
