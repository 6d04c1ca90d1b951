package proxy

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"hash"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/sqltypes"
)

// Client TLS. With Config.TLS set, an SSLRequest is answered 'S' and the
// TLS handshake runs on the socket before the startup packet, as with
// Postgres's ssl = on; without it the answer is 'N' and the client decides
// (sslmode=prefer goes on in clear, sslmode=require gives up).
// Config.TLSRequire refuses clients that start without TLS, as a
// pg_hba.conf with only hostssl lines does.

// Values of Config.TLSRequire.
const (
	TLSOptional      = ""       // TLS when the client asks for it
	TLSRequireRemote = "remote" // clients not on a loopback address or Unix socket must use TLS
	TLSRequireAll    = "all"    // every TCP client must use TLS
)

// alpnPostgres is the ALPN protocol name Postgres 17 clients offer.
const alpnPostgres = "postgresql"

// LoadTLS reads a PEM certificate (chain, leaf first) and its private key
// and returns the server side TLS config: TLS 1.2 at least, as Postgres's
// ssl_min_protocol_version defaults to.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{alpnPostgres},
	}, nil
}

// isTLS reports whether the client's connection is encrypted.
func (c *conn) isTLS() bool {
	_, ok := c.nc.(*tls.Conn)
	return ok
}

// startTLS answers an SSLRequest with 'S' and runs the handshake under the
// startup deadline. The startup packet was read byte by byte (no read
// buffer), so nothing the client sent in clear can be taken as coming over
// TLS. false: the handshake failed (the client sent garbage, went away, or
// offered nothing the config accepts) and the connection is to be closed.
func (c *conn) startTLS() bool {
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return false
	}
	return c.handshake(c.nc, false)
}

// startDirectTLS serves Postgres 17's sslnegotiation=direct: the client
// starts with a TLS ClientHello instead of an SSLRequest (first, the bytes
// already read of it). As in Postgres, the client must offer ALPN
// "postgresql", so that a TLS connection meant for another protocol is not
// taken for one.
func (c *conn) startDirectTLS(first []byte) bool {
	return c.handshake(&prefixConn{Conn: c.nc, pre: first}, true)
}

func (c *conn) handshake(nc net.Conn, direct bool) bool {
	tc := tls.Server(nc, c.srv.cfg.TLS)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.log.Debug("proxy: TLS handshake failed", "remote", c.nc.RemoteAddr().String(), "err", err)
		return false
	}
	c.ncMu.Lock()
	c.nc = tc
	c.ncMu.Unlock()
	c.be = pgproto3.NewBackend(tc, tc)
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	if direct && tc.ConnectionState().NegotiatedProtocol != alpnPostgres {
		c.sendFatal(sqltypes.Errorf(sqltypes.ProtocolViolation, "received direct SSL connection request without ALPN protocol negotiation extension"))
		return false
	}
	return true
}

// tlsRecordHandshake is the first byte of a TLS ClientHello; as the first
// byte of a startup packet's length it would mean more than 10,000 bytes,
// so the two cannot be confused.
const tlsRecordHandshake = 0x16

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// checkTLSRequired refuses a client that started without TLS where the
// config requires it, before any authentication (the password must not go
// in clear).
func (c *conn) checkTLSRequired(info StartupInfo) error {
	if c.isTLS() || !tlsRequired(c.srv.cfg.TLSRequire, c.nc.RemoteAddr()) {
		return nil
	}
	host := c.nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return sqltypes.Errorf(sqltypes.InvalidAuthorizationSpecification,
		"no encryption: TLS is required for host %q, user %q, database %q (connect with sslmode=require or stronger)",
		host, info.User, info.Database)
}

// tlsRequired decides whether a client at addr must use TLS under policy.
// Unix sockets are local; an address of an unknown kind is treated as
// remote, so that a mistake refuses rather than lets a client in clear.
func tlsRequired(policy string, addr net.Addr) bool {
	switch policy {
	case TLSRequireAll:
		_, unix := addr.(*net.UnixAddr)
		return !unix
	case TLSRequireRemote:
		switch a := addr.(type) {
		case *net.UnixAddr:
			return false
		case *net.TCPAddr:
			return !a.IP.IsLoopback()
		}
		return true
	}
	return false
}

// channelBinding is the tls-server-end-point channel binding data (RFC
// 5929) of the client's TLS connection: the hash of the gate's certificate,
// with the hash function of its signature (SHA-256 for MD5 and SHA-1). nil
// without TLS, or when it is not defined (several certificates to choose
// from, an Ed25519 signature): then SCRAM-SHA-256-PLUS is not offered.
func (c *conn) channelBinding() []byte {
	cfg := c.srv.cfg.TLS
	if !c.isTLS() || len(cfg.Certificates) != 1 || cfg.GetCertificate != nil || len(cfg.Certificates[0].Certificate) == 0 {
		return nil
	}
	leaf := cfg.Certificates[0].Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err != nil {
			return nil
		}
	}
	var h hash.Hash
	switch leaf.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil
	}
	h.Write(leaf.Raw)
	return h.Sum(nil)
}
