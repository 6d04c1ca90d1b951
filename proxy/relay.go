package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/proxy/relay"
	"github.com/dotdo/vitess/sqltypes"
)

// Relay mode: a client of an unsharded keyspace over one PostgreSQL shard,
// in session pool mode, gets its own backend connection for its whole
// life, opened with the client's startup parameters, and package relay
// passes the protocol through both ways. CancelRequests are forwarded to
// the server with the backend's key.

// relayCancelTimeout bounds a CancelRequest forwarded to a backend.
const relayCancelTimeout = 5 * time.Second

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
	o := relay.Options{MaxMessageSize: c.srv.cfg.MaxMessageSize, Shutdown: c.srv.shuttingDown()}
	if !c.srv.cfg.RelayGoroutines {
		o.Poller, _ = c.srv.relayPoller()
	}
	relay.Run(relayConn{c}, c.nc, r, hc.Conn, o)
}

// relayConn is a connection as the relay sees it.
type relayConn struct{ c *conn }

// Answer runs a gate command as the message loop would, into a buffer:
// the relay owns the socket.
func (rc relayConn) Answer(sql string) []byte {
	c := rc.c
	var out bytes.Buffer
	c.be = pgproto3.NewBackend(strings.NewReader(""), &out)
	c.simpleQuery(sql)
	c.readyForQuery()
	return out.Bytes()
}

func (rc relayConn) Fatal(err error) []byte {
	msg, _ := errorResponse(fatal(err)).Encode(nil)
	return msg
}

func (rc relayConn) Panicked(where string, r any) error {
	c := rc.c
	c.srv.panics.Add(1)
	err := sqltypes.PanicError(c.log.With("remote", c.nc.RemoteAddr().String()), where, r)
	if c.srv.onPanic != nil {
		c.srv.onPanic(r)
	}
	return err
}

func (rc relayConn) Recover(where string) {
	if r := recover(); r != nil {
		rc.Panicked(where, r)
		rc.c.close()
	}
}

func (rc relayConn) Close()                { rc.c.close() }
func (rc relayConn) Done() <-chan struct{} { return rc.c.closed }
