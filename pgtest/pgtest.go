// Package pgtest starts throwaway PostgreSQL servers for tests, from the
// installed server binaries (initdb, pg_ctl) in a temp dir on a free port.
// When the tests run as root the server runs as the postgres user.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running PostgreSQL server.
type Server struct {
	Dir   string
	Port  int
	bin   string
	as    string // run commands as this user ("" = current)
	extra string // more server options
}

// URL is a connection URL for database db as user postgres.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// binDir finds the server binaries.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl) not found")
}

// Require skips the test when Postgres is not installed, except under
// CI=true, where a missing Postgres fails the test.
func Require(t testing.TB) string {
	t.Helper()
	dir, err := binDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
	return dir
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if s.as != "" {
		u, err := user.Lookup(s.as)
		if err != nil {
			return nil, err
		}
		quoted := []string{filepath.Join(s.bin, name)}
		for _, a := range args {
			quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
		}
		cmd = exec.Command("su", u.Username, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
	}
	return cmd.CombinedOutput()
}

// options are the server's command-line settings (fast and unsafe: tests
// only), then Extra.
func (s *Server) options() string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c max_prepared_transactions=50 %s", s.Port, s.Dir, s.extra)
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, "") }

// StartWith is Start with extra server options ("-c name=value ...",
// which override the defaults).
func StartWith(t testing.TB, extra string) *Server {
	t.Helper()
	bin := Require(t)
	s, err := start(bin, t.TempDir(), extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func start(bin, base, extra string) (*Server, error) {
	s := &Server{bin: bin, Dir: filepath.Join(base, "pg"), extra: extra}
	if os.Geteuid() == 0 {
		s.as = "postgres"
		// The postgres user must be able to reach the data dir.
		for d := s.Dir; d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				os.Chmod(d, fi.Mode()|0o711)
			}
		}
		if err := os.MkdirAll(s.Dir, 0o700); err != nil {
			return nil, err
		}
		if out, err := exec.Command("chown", "postgres", s.Dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
		for d := filepath.Dir(s.Dir); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil {
				os.Chmod(d, fi.Mode()|0o711)
			}
		}
	}
	if out, err := s.run("initdb", "-D", s.Dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Port = port
		out, err := s.run("pg_ctl", "-D", s.Dir, "-o", s.options(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "start")
		if err == nil {
			return s, nil
		}
		lastErr = fmt.Errorf("pg_ctl start: %v: %s", err, out)
		time.Sleep(200 * time.Millisecond)
	}
	return nil, lastErr
}

// Stop stops the server immediately.
func (s *Server) Stop() {
	s.run("pg_ctl", "-D", s.Dir, "-m", "immediate", "-w", "stop")
}

// Psql runs psql against the server and returns its output.
func (s *Server) Psql(db string, args ...string) ([]byte, error) {
	all := append([]string{"-X", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", db}, args...)
	return exec.Command("psql", all...).CombinedOutput()
}

var shared struct {
	once sync.Once
	s    *Server
	dir  string
	err  error
	n    atomic.Int64
}

// Shared returns one server for the whole test binary, started on first
// use; call StopShared from TestMain when the tests are done.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := Require(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "vitess-pgtest-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.s, shared.err = start(bin, dir, "")
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.s
}

// StopShared stops the shared server, if one was started, and removes its
// files.
func StopShared() {
	if shared.s != nil {
		shared.s.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// CreateDB creates a fresh database and returns its URL.
func (s *Server) CreateDB(t testing.TB) (name, url string) {
	t.Helper()
	name = fmt.Sprintf("db%d_%d", os.Getpid(), shared.n.Add(1))
	out, err := s.Psql("postgres", "-c", "CREATE DATABASE "+name)
	if err != nil {
		t.Fatalf("create database: %v: %s", err, out)
	}
	return name, s.URL(name)
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() error {
	out, err := s.run("pg_ctl", "-D", s.Dir, "-o", s.options(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// StopClean shuts the server down cleanly (fast mode: sessions are cut,
// committed work is kept even with the test settings' asynchronous commit).
func (s *Server) StopClean() error {
	out, err := s.run("pg_ctl", "-D", s.Dir, "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}
