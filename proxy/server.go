package proxy

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/proxy/relay"
	"github.com/dotdo/vitess/sqltypes"
)

// Config configures a Server. The zero value serves every client without a
// password.
type Config struct {
	// Users maps user names to passwords. Nil or empty: trust, no password
	// is asked.
	Users map[string]string
	// AuthMethod is AuthSCRAM ("scram-sha-256", the default) or
	// AuthCleartext ("password").
	AuthMethod string
	// ServerVersion is reported as server_version; drivers parse it, so it
	// must look like a Postgres version. Default "15.0".
	ServerVersion string
	// MaxMessageSize is the largest message body a client may send after
	// login; a larger one is refused (54000) and that connection closed.
	// Default 64 MiB.
	MaxMessageSize int
	// TLS, when set, makes the server answer SSLRequest with 'S' and run
	// the handshake with it (see LoadTLS); nil: 'N', no TLS.
	TLS *tls.Config
	// TLSRequire is TLSOptional, TLSRequireRemote or TLSRequireAll: which
	// clients that start without TLS get FATAL 28000 before
	// authentication. It needs TLS.
	TLSRequire string
	// MaxConnections bounds the client connections, authenticated or not;
	// one more is refused with 53300 before any authentication work.
	// Default 1000.
	MaxConnections int
	// AuthTimeout bounds the startup and authentication exchange; a client
	// that has not logged in by then is disconnected. Default 60 s.
	AuthTimeout time.Duration
	// Logger receives connection-level events; default slog.Default().
	Logger *slog.Logger
	// RelayGoroutines relays pass-through clients with a goroutine pair
	// each instead of the epoll loop (Linux); NewServer also sets it when
	// VITESS_RELAY_GOROUTINES is set. RelayNoYield keeps the epoll loop
	// from yielding the CPU after each write (VITESS_RELAY_YIELD=0); both
	// are for measuring.
	RelayGoroutines, RelayNoYield bool
}

// Defaults.
const (
	DefaultServerVersion  = "15.0"
	DefaultMaxMessageSize = 64 << 20
	DefaultMaxConnections = 1000
	DefaultAuthTimeout    = time.Minute
	// maxAuthMessage bounds a password or SASL message before login.
	// Postgres allows 65535 (PG_MAX_AUTH_TOKEN_LENGTH, sized for GSSAPI
	// tokens); SCRAM messages are under 200 bytes and a password message
	// is one password, so a few KB is plenty and costs nothing to hold.
	maxAuthMessage = 8 << 10
	// maxRefusing bounds the connections past MaxConnections that are
	// still being answered 53300; more are closed at once.
	maxRefusing = 64
	// refuseTimeout bounds reading the startup packet of a connection
	// that is to be refused.
	refuseTimeout = 5 * time.Second
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("proxy: server closed")

// Server accepts Postgres clients and hands their statements to sessions.
type Server struct {
	cfg     Config
	factory SessionFactory
	log     *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	byPID     map[uint32]*conn
	closing   bool
	nextPID   uint32

	shutdown chan struct{} // closed when Shutdown starts
	wg       sync.WaitGroup

	scram      sync.Map // user -> *scramKeys
	mockSecret [32]byte

	// onPanic, when set (tests), is called with a recovered panic.
	onPanic func(any)
	panics  atomic.Int64

	refusing atomic.Int64 // connections being answered 53300

	pollOnce sync.Once // the relay's epoll loop, started by its first client
	poller   *relay.Poller
	pollErr  error
}

// relayPoller returns the server's epoll loop for relayed clients.
func (s *Server) relayPoller() (*relay.Poller, error) {
	s.pollOnce.Do(func() { s.poller, s.pollErr = relay.NewPoller(!s.cfg.RelayNoYield) })
	return s.poller, s.pollErr
}

// stopPoller ends the epoll loop once no connection is left.
func (s *Server) stopPoller() {
	s.pollOnce.Do(func() {}) // no loop starts after this
	if s.poller != nil {
		s.poller.Stop()
	}
}

// NewServer returns a server that opens sessions with factory.
func NewServer(cfg Config, factory SessionFactory) *Server {
	if cfg.AuthMethod == "" {
		cfg.AuthMethod = AuthSCRAM
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = DefaultAuthTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Read once here, never per request.
	cfg.RelayGoroutines = cfg.RelayGoroutines || os.Getenv("VITESS_RELAY_GOROUTINES") != ""
	cfg.RelayNoYield = cfg.RelayNoYield || os.Getenv("VITESS_RELAY_YIELD") == "0"
	s := &Server{
		cfg:       cfg,
		factory:   factory,
		log:       cfg.Logger,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*conn]struct{}{},
		byPID:     map[uint32]*conn{},
		shutdown:  make(chan struct{}),
	}
	_, _ = rand.Read(s.mockSecret[:])
	var b [2]byte
	_, _ = rand.Read(b[:])
	s.nextPID = 1000 + uint32(b[0])<<8 | uint32(b[1])
	return s
}

// Addr returns the address of a listener the server is serving on, or nil
// before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		return l.Addr()
	}
	return nil
}

// Serve accepts connections on l until Shutdown or a permanent accept
// error, serving each on its own goroutine. It closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			select {
			case <-s.shutdown:
				return ErrServerClosed
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				s.log.Warn("proxy: accept error; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
				case <-s.shutdown:
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		delay = 0
		c, full := s.newConn(nc)
		if full {
			s.refuseConn(nc)
			continue
		}
		if c == nil {
			nc.Close()
			return ErrServerClosed
		}
		go s.serveConn(c)
	}
}

// isTemporary reports an accept error worth retrying (too many open files
// and the like); Go marks them with a Temporary method.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// newConn registers a connection; nil once the server is shutting down,
// full when MaxConnections are open.
func (s *Server) newConn(nc net.Conn) (c *conn, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, false
	}
	if len(s.conns) >= s.cfg.MaxConnections {
		return nil, true
	}
	c = newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c, false
}

// refuseConn answers a connection past MaxConnections as Postgres does:
// its startup packet is read (a CancelRequest is still served), then FATAL
// 53300. No authentication runs and no session is made. Past maxRefusing
// such connections at once, the rest are closed without a word.
func (s *Server) refuseConn(nc net.Conn) {
	if s.refusing.Add(1) > maxRefusing {
		s.refusing.Add(-1)
		nc.Close()
		return
	}
	s.log.Warn("proxy: too many clients", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxConnections)
	go func() {
		defer s.refusing.Add(-1)
		c := newConn(s, nc)
		defer c.close()
		c.be = pgproto3.NewBackend(nc, nc)
		_ = nc.SetDeadline(time.Now().Add(refuseTimeout))
		if _, ok := c.startup(); !ok {
			return
		}
		c.sendFatal(sqltypes.Errorf(sqltypes.TooManyConnections, "sorry, too many clients already"))
		c.lingerClose(0, refuseTimeout)
	}()
}

func (s *Server) serveConn(c *conn) {
	defer s.wg.Done()
	defer s.forget(c)
	defer func() {
		if r := recover(); r != nil {
			s.connPanicked(c, r) // a panic in closing the connection
		}
	}()
	c.serve()
}

// recoverConn, deferred by serve, answers a panic of the connection's
// main goroutine.
func (c *conn) recoverConn() {
	if r := recover(); r != nil {
		c.srv.connPanicked(c, r)
	}
}

// connPanicked ends the one connection whose goroutine panicked: it logs
// the panic with its stack, tells the client (FATAL XX000) and closes it.
// Other connections go on.
func (s *Server) connPanicked(c *conn, r any) {
	s.panics.Add(1)
	err := sqltypes.PanicError(s.log.With("remote", c.nc.RemoteAddr().String()), "connection", r)
	if s.onPanic != nil {
		s.onPanic(r)
	}
	defer c.close()
	defer func() { _ = recover() }() // the client may be unreachable
	// Written directly: the Backend's buffer may hold half a message.
	msg, _ := errorResponse(fatal(err)).Encode(nil)
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(msg)
}

// recoverGoroutine, deferred by a goroutine that serves one connection
// besides its main one (relay pumps, watchers), ends only that connection
// on a panic. It writes nothing: another goroutine may be mid-message.
func (c *conn) recoverGoroutine(where string) {
	if r := recover(); r != nil {
		c.srv.panics.Add(1)
		sqltypes.PanicError(c.log.With("remote", c.nc.RemoteAddr().String()), where, r)
		if c.srv.onPanic != nil {
			c.srv.onPanic(r)
		}
		c.close()
	}
}

// register gives an authenticated connection its BackendKeyData process id.
func (s *Server) register(c *conn) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.nextPID++
		if s.nextPID == 0 {
			s.nextPID = 1
		}
		if _, used := s.byPID[s.nextPID]; !used {
			s.byPID[s.nextPID] = c
			return s.nextPID
		}
	}
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.pid != 0 && s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
}

// cancelRequest cancels the statement the session with the given key is
// running, if any. A wrong secret is ignored, as Postgres does.
func (s *Server) cancelRequest(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(secret, c.secret[:]) != 1 {
		return
	}
	if r, ok := c.sess.(Relayer); ok {
		ctx, cancel := context.WithTimeout(context.Background(), relayCancelTimeout)
		_ = r.CancelBackend(ctx) // relay mode: the backend runs the statement
		cancel()
	}
	c.cancelRunning()
}

// Shutdown stops accepting connections, closes idle ones (ready for a query
// outside a transaction) and waits for the others to become idle and close,
// until ctx is done; then it closes whatever is left and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.shutdown)
	}
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.stopPoller()
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	return ctx.Err()
}

// shuttingDown is closed when Shutdown starts.
func (s *Server) shuttingDown() <-chan struct{} { return s.shutdown }

// Sessions is the number of client connections open now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
