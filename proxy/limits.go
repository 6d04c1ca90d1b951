package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/sqltypes"
)

const (
	// lingerTimeout bounds how long a refused client may take to send the
	// rest of an oversized message before the connection is closed.
	lingerTimeout = 10 * time.Second
	// preAuthLinger is the same bound before login, where nothing the
	// client says is worth waiting for.
	preAuthLinger = 2 * time.Second
	// lingerSlack is read past a refused message's declared end (the
	// Sync and friends a driver sends after it).
	lingerSlack = 1 << 20
	// maxPreAuthDrain bounds what is read and dropped from a client that
	// has not logged in.
	maxPreAuthDrain = 1 << 20
)

// errTooBig is the refusal of a message longer than the maximum.
func errTooBig(n, limit int) *pgconn.PgError {
	return sqltypes.Errorf(sqltypes.ProgramLimitExceeded, "message of %d bytes exceeds the maximum of %d", n, limit)
}

var errAuthTimeout = sqltypes.Errorf(sqltypes.QueryCanceled, "canceling authentication due to timeout")

// authFailed answers an error of the authentication exchange, then ends
// the connection.
func (c *conn) authFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, errAuthClosed):
		return
	case errors.As(err, &ne) && ne.Timeout():
		err = errAuthTimeout
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.sendFatal(err)
	c.lingerClose(0, preAuthLinger)
}

// lingerClose ends a connection after an error was sent, as Postgres does
// after refusing a message (pq_discardbytes): the write side is shut, so
// the client reads the error and then EOF, and what it still sends (the
// rest of the refused message, up to pending bytes and a little more) is
// read and dropped. Closing with unread data would reset the connection,
// and the client would lose the error. Nothing read is kept.
func (c *conn) lingerClose(pending int64, d time.Duration) {
	if c.werr == nil {
		linger(c.nc, pending, d)
	}
	c.close()
}

func linger(nc net.Conn, pending int64, d time.Duration) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(d))
	_, _ = io.CopyN(io.Discard, nc, pending+lingerSlack)
}

// lingerFD does what lingerClose does on a client socket the poll relay
// owned (fd, a duplicate): it writes out, blocking, what the client is
// still owed (the error last), then drains and closes.
func lingerFD(fd int, out []byte, pending int64) {
	f := os.NewFile(uintptr(fd), "client")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	defer nc.Close()
	_ = nc.SetWriteDeadline(time.Now().Add(lingerTimeout))
	if _, err := nc.Write(out); err != nil {
		return
	}
	linger(nc, pending, lingerTimeout)
}

// idleSessionTimer starts the session's idle_session_timeout, if it has
// one (nil channel otherwise).
func (c *conn) idleSessionTimer() (*time.Timer, <-chan time.Time) {
	is, ok := c.sess.(interface{ IdleSessionTimeout() time.Duration })
	if !ok {
		return nil, nil
	}
	d := is.IdleSessionTimeout()
	if d <= 0 {
		return nil, nil
	}
	t := time.NewTimer(d)
	return t, t.C
}
