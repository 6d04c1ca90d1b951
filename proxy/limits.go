package proxy

import (
	"errors"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/proxy/relay"
	"github.com/dotdo/vitess/sqltypes"
)

const (
	// lingerTimeout bounds how long a refused client may take to send the
	// rest of an oversized message before the connection is closed.
	lingerTimeout = relay.LingerTimeout
	// preAuthLinger is the same bound before login, where nothing the
	// client says is worth waiting for.
	preAuthLinger = 2 * time.Second
	// maxPreAuthDrain bounds what is read and dropped from a client that
	// has not logged in.
	maxPreAuthDrain = 1 << 20
)

// errTooBig is the refusal of a message longer than the maximum.
func errTooBig(n, limit int) *pgconn.PgError { return relay.TooBig(n, limit) }

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
		relay.Linger(c.nc, pending, d)
	}
	c.close()
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
