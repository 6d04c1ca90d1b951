package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dotdo/vitess/sqltypes"
)

// Startup packet codes (the protocol version field of the first packet).
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
	maxStartupPacket  = 10000 // MAX_STARTUP_PACKET_LENGTH in Postgres
	flushThreshold    = 32 << 10
	inboxSize         = 16
)

// conn is one client connection: startup, authentication, then the message
// loop of the simple and extended query protocols.
type conn struct {
	srv  *Server
	nc   net.Conn   // a *tls.Conn after an SSLRequest was accepted
	ncMu sync.Mutex // guards replacing nc against close from another goroutine
	be   *pgproto3.Backend
	log  *slog.Logger

	notices *sqltypes.Notices // shard notices waiting to be relayed

	ctx    context.Context // ends with the connection
	cancel context.CancelFunc
	closed chan struct{}
	once   sync.Once

	pid    uint32
	secret [4]byte
	sess   Session
	tmap   *pgtype.Map

	stmts   map[string]*prepared
	portals map[string]*portal

	inbox <-chan inMsg // the client's messages, read by COPY FROM STDIN too

	outBytes int   // bytes sent since the last flush (approximate)
	werr     error // first write error; the connection is done
	scratch  [][]byte

	report bool              // the client asked for vitess_* ParameterStatus
	copied bool              // a COPY ran since the last ReadyForQuery
	held   map[string]string // vitess_* reports held back after a COPY

	mu       sync.Mutex // guards running and canceled (CancelRequest)
	running  context.CancelFunc
	canceled bool
}

// prepared is a statement created by Parse.
type prepared struct {
	stmt      Statement // nil for an empty query string
	paramOIDs []uint32
	fields    []sqltypes.Field
}

// portal is a statement bound to its arguments by Bind. Its Rows stay open
// while Execute with a row limit suspends it.
type portal struct {
	prep    *prepared
	bound   *sqltypes.Bound
	formats []int16 // one per field

	ctx    context.Context // lives from the first Execute to the close
	cancel context.CancelFunc
	rows   sqltypes.Rows
	done   bool
	tag    string
}

func newConn(s *Server, nc net.Conn) *conn {
	notices := &sqltypes.Notices{}
	ctx, cancel := context.WithCancel(sqltypes.WithNotices(context.Background(), notices))
	return &conn{
		srv:     s,
		nc:      nc,
		log:     s.log,
		notices: notices,
		ctx:     ctx,
		cancel:  cancel,
		closed:  make(chan struct{}),
		stmts:   map[string]*prepared{},
		portals: map[string]*portal{},
	}
}

// close ends the connection; safe to call from any goroutine, many times.
func (c *conn) close() {
	c.once.Do(func() {
		c.cancel()
		close(c.closed)
		c.ncMu.Lock()
		nc := c.nc
		c.ncMu.Unlock()
		nc.Close()
	})
}

func (c *conn) serve() {
	defer c.close()
	defer c.recoverConn() // before the socket closes
	c.be = pgproto3.NewBackend(c.nc, c.nc)
	// Before login a client may send only small messages: nothing it
	// sends is held beyond maxStartupPacket or maxAuthMessage bytes.
	c.be.SetMaxBodyLen(maxAuthMessage)
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.AuthTimeout))

	info, ok := c.startup()
	if !ok {
		return
	}
	if err := c.checkTLSRequired(info); err != nil {
		c.sendFatal(err)
		return
	}
	if err := c.authenticate(info.User); err != nil {
		c.authFailed(err)
		return
	}
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	sess, err := c.srv.factory(c.ctx, info)
	if err != nil {
		c.sendFatal(err)
		return
	}
	c.sess = sess
	defer func() {
		c.closePortals(func(*portal) bool { return true })
		sess.Close()
	}()
	c.tmap = pgtype.NewMap()
	_, _ = rand.Read(c.secret[:])
	c.pid = c.srv.register(c)
	if r, ok := sess.(Relayer); ok {
		c.relay(r) // relay mode: the protocol passes through (relay.go)
		return
	}

	params := map[string]string{
		"server_version":                c.srv.cfg.ServerVersion,
		"server_encoding":               "UTF8",
		"client_encoding":               "UTF8",
		"DateStyle":                     "ISO, MDY",
		"integer_datetimes":             "on",
		"standard_conforming_strings":   "on",
		"TimeZone":                      "UTC",
		"IntervalStyle":                 "postgres",
		"is_superuser":                  "off",
		"session_authorization":         info.User,
		"application_name":              info.Params["application_name"],
		"default_transaction_read_only": "off",
		"in_hot_standby":                "off",
	}
	c.report = info.Report
	for k, v := range c.reportable(sess.ParameterStatus()) {
		params[k] = v
	}
	c.sendParams(params)
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.readyForQuery()
	if c.werr != nil {
		return
	}
	_ = c.nc.SetDeadline(time.Time{})
	c.loop()
}

// startup reads the startup packets: an SSLRequest (or, first, a TLS
// ClientHello: direct negotiation) starts TLS when the config has it
// (tls.go), else it is refused with 'N', as is every GSSENCRequest; a
// CancelRequest is served (and the connection closed),
// and a StartupMessage for protocol 3.x is accepted as 3.0. ok is false when
// the connection is to be closed.
func (c *conn) startup() (info StartupInfo, ok bool) {
	for refusals := 0; ; refusals++ {
		var hdr [4]byte
		if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
			return info, false
		}
		if refusals == 0 && hdr[0] == tlsRecordHandshake && c.srv.cfg.TLS != nil {
			if !c.startDirectTLS(hdr[:]) {
				return info, false
			}
			continue
		}
		n := int(int32(binary.BigEndian.Uint32(hdr[:])))
		if n < 8 || n > maxStartupPacket {
			c.log.Debug("proxy: invalid length of startup packet", "remote", c.nc.RemoteAddr().String(), "len", n)
			c.sendFatal(sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid length of startup packet"))
			c.lingerClose(0, preAuthLinger)
			return info, false
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c.nc, body); err != nil {
			return info, false
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode, gssEncRequestCode:
			if c.isTLS() {
				// Inside TLS: Postgres takes it for a protocol version it
				// does not know.
				c.sendFatal(sqltypes.Unsupported("unsupported frontend protocol %d.%d: server supports 3.0", code>>16, code&0xffff))
				return info, false
			}
			if refusals >= 2 {
				return info, false
			}
			if code == sslRequestCode && c.srv.cfg.TLS != nil {
				if !c.startTLS() {
					return info, false
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return info, false
			}
			continue
		case cancelRequestCode:
			if len(body) >= 12 {
				c.srv.cancelRequest(binary.BigEndian.Uint32(body[4:]), body[8:])
			}
			return info, false
		}
		major, minor := code>>16, code&0xffff
		if major != 3 {
			c.sendFatal(sqltypes.Unsupported("unsupported frontend protocol %d.%d: server supports 3.0", major, minor))
			return info, false
		}
		params, err := parseStartupParams(body[4:])
		if err != nil {
			c.sendFatal(err)
			return info, false
		}
		var unknown []string
		for k := range params {
			if len(k) > 5 && k[:5] == "_pq_." {
				unknown = append(unknown, k)
				delete(params, k)
			}
		}
		if minor > 0 || len(unknown) > 0 {
			sort.Strings(unknown)
			c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
		}
		info.User = params["user"]
		if info.User == "" {
			c.sendFatal(sqltypes.Errorf(sqltypes.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet"))
			return info, false
		}
		info.Database = params["database"]
		if info.Database == "" {
			info.Database = info.User
		}
		info.Report = takeReportParam(params)
		info.Params = params
		return info, true
	}
}

// parseStartupParams reads the name/value pairs of a StartupMessage.
func parseStartupParams(b []byte) (map[string]string, error) {
	params := map[string]string{}
	bad := sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
	for {
		if len(b) == 0 {
			return nil, bad
		}
		if b[0] == 0 {
			if len(b) != 1 {
				return nil, bad
			}
			return params, nil
		}
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, bad
		}
		name := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return nil, bad
		}
		params[name] = string(b[:j])
		b = b[j+1:]
	}
}

// inMsg is a message (copied out of pgproto3's reused structs) or the read
// error that ends the connection.
type inMsg struct {
	msg pgproto3.FrontendMessage
	err error
}

// reader receives client messages for the loop. It keeps reading while a
// statement runs, so a client that goes away cancels the statement.
func (c *conn) reader(out chan<- inMsg) {
	defer func() {
		if r := recover(); r != nil {
			// The loop answers FATAL XX000 and ends this connection.
			err := error(sqltypes.PanicError(c.log, "reading a client message", r))
			c.cancel()
			select {
			case out <- inMsg{err: err}:
			case <-c.closed:
			}
		}
	}()
	for {
		msg, err := c.be.Receive()
		if err != nil {
			c.cancel()
		} else {
			msg = cloneMsg(msg)
		}
		select {
		case out <- inMsg{msg, err}:
		case <-c.closed:
			return
		}
		if err != nil {
			return
		}
	}
}

// cloneMsg copies what a message references in the Backend's read buffer.
func cloneMsg(msg pgproto3.FrontendMessage) pgproto3.FrontendMessage {
	switch m := msg.(type) {
	case *pgproto3.Parse:
		cp := *m
		cp.ParameterOIDs = slices.Clone(m.ParameterOIDs)
		return &cp
	case *pgproto3.Bind:
		cp := *m
		cp.ParameterFormatCodes = slices.Clone(m.ParameterFormatCodes)
		cp.ResultFormatCodes = slices.Clone(m.ResultFormatCodes)
		cp.Parameters = make([][]byte, len(m.Parameters))
		for i, p := range m.Parameters {
			cp.Parameters[i] = bytes.Clone(p)
		}
		// The Backend keeps its Bind until the next one: without this its
		// read buffer (as big as the message) would stay live with it.
		m.Parameters = nil
		return &cp
	case *pgproto3.Query:
		cp := *m
		return &cp
	case *pgproto3.Describe:
		cp := *m
		return &cp
	case *pgproto3.Execute:
		cp := *m
		return &cp
	case *pgproto3.Close:
		cp := *m
		return &cp
	case *pgproto3.Sync:
		return &pgproto3.Sync{}
	case *pgproto3.Flush:
		return &pgproto3.Flush{}
	case *pgproto3.Terminate:
		return &pgproto3.Terminate{}
	case *pgproto3.CopyData:
		cp := &pgproto3.CopyData{Data: bytes.Clone(m.Data)}
		m.Data = nil // as for Bind
		return cp
	case *pgproto3.CopyDone:
		return &pgproto3.CopyDone{}
	case *pgproto3.CopyFail:
		cp := *m
		return &cp
	case *pgproto3.FunctionCall:
		return &pgproto3.FunctionCall{Function: m.Function}
	}
	return msg
}

// loop serves messages until Terminate, a read or write error, or a
// shutdown that finds the connection idle.
func (c *conn) loop() {
	inbox := make(chan inMsg, inboxSize)
	go c.reader(inbox)
	c.inbox = inbox
	idle := true // ReadyForQuery sent, nothing pending
	skipToSync := false
	for c.werr == nil {
		var in inMsg
		var shutdown <-chan struct{} // nil (never ready) unless idle
		var idleTx <-chan time.Time  // idle_in_transaction_session_timeout
		var idleSession <-chan time.Time
		var timer *time.Timer
		if idle {
			if st := c.sess.TxStatus(); st == 'I' {
				shutdown = c.srv.shuttingDown()
				timer, idleSession = c.idleSessionTimer()
			} else if it, ok := c.sess.(interface{ IdleInTransactionTimeout() time.Duration }); ok {
				if d := it.IdleInTransactionTimeout(); d > 0 {
					timer = time.NewTimer(d)
					idleTx = timer.C
				}
			}
		}
		select {
		case in = <-inbox:
		case <-c.closed:
			return
		case <-shutdown:
			c.sendFatal(sqltypes.Errorf(sqltypes.AdminShutdown, "terminating connection due to administrator command"))
			return
		case <-idleTx:
			// As Postgres does: the session ends, and with it the
			// transaction on every shard (serve closes the session).
			c.sendFatal(sqltypes.Errorf(sqltypes.IdleInTransactionSessionTimeout, "terminating connection due to idle-in-transaction timeout"))
			return
		case <-idleSession:
			c.sendFatal(sqltypes.Errorf(sqltypes.IdleSessionTimeout, "terminating connection due to idle-session timeout"))
			return
		}
		if timer != nil {
			timer.Stop()
		}
		idle = false
		if in.err != nil {
			c.readFailed(in.err)
			return
		}
		if skipToSync {
			switch in.msg.(type) {
			case *pgproto3.Sync:
				skipToSync = false
			case *pgproto3.Terminate:
				return
			default:
				continue
			}
		}
		var err error
		switch m := in.msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
			c.readyForQuery()
			idle = true
		case *pgproto3.Parse:
			err = c.parse(m)
		case *pgproto3.Bind:
			err = c.bind(m)
		case *pgproto3.Describe:
			err = c.describe(m)
		case *pgproto3.Execute:
			err = c.execute(m)
		case *pgproto3.Close:
			c.closeObject(m)
		case *pgproto3.Sync:
			c.closePortals(func(p *portal) bool { return p == c.portals[""] })
			if c.sess.TxStatus() != 'T' {
				c.closePortals(func(*portal) bool { return true })
			}
			c.readyForQuery()
			idle = true
		case *pgproto3.Flush:
			c.flush()
		case *pgproto3.Terminate:
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Postgres ignores COPY messages outside COPY mode.
		case *pgproto3.FunctionCall:
			err = sqltypes.Unsupported("function call protocol is not supported")
		default:
			c.sendFatal(sqltypes.Errorf(sqltypes.ProtocolViolation, "unexpected message type %T", m))
			return
		}
		if err != nil {
			c.sendError(err)
			skipToSync = true
		}
	}
}

// readFailed answers a read error: a message the server refuses gets a FATAL
// error; a closed or broken socket ends the connection quietly.
func (c *conn) readFailed(err error) {
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		c.sendFatal(err) // a panic while reading (XX000)
	case errors.As(err, &tooBig):
		c.sendFatal(errTooBig(tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen))
		c.lingerClose(int64(tooBig.ActualBodyLen), lingerTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &ne):
	default:
		c.sendFatal(sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid frontend message: %v", err))
	}
}

// send queues a message; flush writes the queue to the client.
// send queues a message, after any notices the shards sent meanwhile.
func (c *conn) send(msg pgproto3.BackendMessage) {
	if c.notices != nil {
		for _, n := range c.notices.Take() {
			c.be.Send((*pgproto3.NoticeResponse)(errorResponse((*pgconn.PgError)(n))))
		}
	}
	c.be.Send(msg)
}

func (c *conn) flush() {
	c.outBytes = 0
	if c.werr != nil {
		return
	}
	if err := c.be.Flush(); err != nil {
		c.werr = err
		c.cancel()
	}
}

func (c *conn) sendError(err error) {
	c.send(errorResponse(err))
}

func (c *conn) sendFatal(err error) {
	c.send(errorResponse(fatal(err)))
	c.flush()
}

func (c *conn) sendParams(params map[string]string) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c.send(&pgproto3.ParameterStatus{Name: k, Value: params[k]})
	}
}

func (c *conn) readyForQuery() {
	if ps := c.reportable(c.sess.ParameterStatus()); len(ps) > 0 {
		c.sendParams(ps)
	}
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
	c.flush()
}

// track runs f as the statement a CancelRequest stops (by calling cancel).
// An error after such a cancel is reported as 57014.
func (c *conn) track(cancel context.CancelFunc, f func() error) error {
	c.mu.Lock()
	c.running, c.canceled = cancel, false
	c.mu.Unlock()
	err := f()
	c.mu.Lock()
	canceled := c.canceled
	c.running, c.canceled = nil, false
	c.mu.Unlock()
	if err != nil && canceled {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || errors.Is(err, context.Canceled) {
			return errCanceledByRequest
		}
	}
	return err
}

// cancelRunning is called by the CancelRequest of another connection.
func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		c.canceled = true
		c.running()
	}
}
