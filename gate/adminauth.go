package gate

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/dotdo/vitess/router"
)

// startAdmin listens for the admin HTTP unless it is "off" or empty.
func (g *Gate) startAdmin(cfg router.AdminConfig) error {
	if cfg.Listen == "" || cfg.Listen == "off" {
		return nil
	}
	g.adminCfg = cfg
	al, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", cfg.Listen, err)
	}
	g.admin = &http.Server{Handler: g.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	if cfg.Token != "" && len(cfg.Token) < 16 {
		g.log.Warn("SECURITY: the admin token is shorter than 16 characters; use a long random one (openssl rand -hex 32)")
	}
	g.adminAddr = al.Addr()
	go g.admin.Serve(al)
	g.log.Info("admin http", "addr", al.Addr().String(), "token", cfg.Token != "", "pprof", cfg.Pprof)
	warnAdmin(g.log, al.Addr(), cfg.Token != "")
	return nil
}

// openPaths answer without a token: probes from load balancers and
// orchestrators carry none, and they reveal only up or down.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true}

// requireToken makes every request but the open paths carry
// "Authorization: Bearer TOKEN". With no token, requests must at least be
// addressed to an IP or localhost, so a web page whose own name was
// re-pointed at this host (DNS rebinding) is not answered.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !openPaths[r.URL.Path] && !addressedByIP(r.Host) {
				http.Error(w, fmt.Sprintf("403 forbidden: without an admin token, the admin HTTP answers only requests to an IP address or localhost, not %q; set admin: {token: ...}", r.Host), http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	// Hashes compared in constant time: neither the bytes nor the length
	// of the token leak through response times.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			challenge := `Bearer realm="vitess admin"`
			if r.Header.Get("Authorization") != "" {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "401 unauthorized: send Authorization: Bearer <admin token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// addressedByIP: a request's Host is an IP literal or localhost.
func addressedByIP(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.ParseIP(host) != nil || strings.EqualFold(host, "localhost")
}

// jsonPost guards an endpoint that changes state: POST only (405), with
// a JSON body (415), and not from another site's page (403). A browser
// sends a cross-origin form or text/plain POST without asking; a JSON
// one it preflights first, which the admin HTTP never allows.
func jsonPost(next http.HandlerFunc) http.Handler {
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "405 method not allowed: POST with Content-Type: application/json", http.StatusMethodNotAllowed)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			http.Error(w, "415 unsupported media type: the body must be Content-Type: application/json", http.StatusUnsupportedMediaType)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		next(w, r)
	})
	return http.NewCrossOriginProtection().Handler(check)
}

// warnListen warns when the Postgres port is reachable from other hosts
// with no password asked (no users:) or in clear text (no TLS).
func warnListen(log *slog.Logger, addr net.Addr, usersConfigured, tlsConfigured bool) {
	if isLoopback(addr) {
		return
	}
	if !usersConfigured {
		log.Warn("SECURITY: the gate listens on a non-loopback address with trust authentication (no users: in the config): "+
			"anyone who can reach it connects as any user without a password", "addr", addr.String())
	}
	if !tlsConfigured {
		log.Warn("SECURITY: the gate listens on a non-loopback address without TLS: passwords and data cross the network in clear", "addr", addr.String())
	}
}

// warnAdmin warns when the admin HTTP is reachable from other hosts and
// asks no token.
func warnAdmin(log *slog.Logger, addr net.Addr, tokenSet bool) {
	if !isLoopback(addr) && !tokenSet {
		log.Warn("SECURITY: the admin HTTP listens on a non-loopback address without a token (admin: {token: ...}): "+
			"anyone who can reach it reads the status and vschema and runs backfills", "addr", addr.String())
	}
}

// isLoopback: a bound address only this host can reach (0.0.0.0 and ::
// are every interface).
func isLoopback(addr net.Addr) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
