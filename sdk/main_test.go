package sdk_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dotdo/vitess/pgtest"
)

// endpoint is the gate the examples and tests talk to: a real `vitess
// serve` process over two SQLite shards, started by TestMain, with the
// user app and the password (token) s3cret. endpointPG is the same over
// two Postgres shards (databases of a server the tests start), with its
// second shard on a server of its own (pgShard2) that a test stops.
var endpoint, endpointPG string

var pgShard2 *pgtest.Server

// gateBin and gateDir are the built `vitess` binary and the tests' temp
// dir, for tests that start a gate of their own.
var gateBin, gateDir string

const token = "s3cret"

func TestMain(m *testing.M) {
	code := run(m)
	pgtest.StopShared()
	os.Exit(code)
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vitess-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vitess")
	gateBin, gateDir = bin, dir
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	const tables = `    tables:
      users:
        vindex: {type: hash, columns: [id]}
        autoIncrement: {column: id, sequence: users_id_seq}
      m_users:
        vindex: {type: hash, columns: [id]}
        autoIncrement: {column: id, sequence: m_users_id_seq}
`
	var stop func()
	endpoint, stop, err = startGate(bin, dir, "sqlite", `users:
  - {name: app, password: s3cret}
keyspaces:
  main:
`+tables, "--shards", "2")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	// Postgres shards: one database of the shared test server, and one
	// server of its own.
	t := &fakeT{}
	shared := pgtest.Shared(t)
	if t.failed != "" {
		fmt.Fprintln(os.Stderr, t.failed)
		return 1
	}
	_, u1 := shared.CreateDB(t)
	pgShard2 = pgtest.Start(t)
	_, u2 := pgShard2.CreateDB(t)
	if t.failed != "" {
		fmt.Fprintln(os.Stderr, t.failed)
		return 1
	}
	defer t.cleanup()
	endpointPG, stop, err = startGate(bin, dir, "pg", fmt.Sprintf(`users:
  - {name: app, password: s3cret}
keyspaces:
  main:
    sharded: true
    shards: {"-80": %q, "80-": %q}
`, u1, u2)+tables)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	return m.Run()
}

// startGate runs `vitess serve` with the config on a free port and returns
// its endpoint.
func startGate(bin, dir, name, config string, args ...string) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	return startGateAt(bin, dir, name, config, addr, args...)
}

// freeAddr reserves a free local port and releases it for the caller.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startGateAt is startGate on the given address.
func startGateAt(bin, dir, name, config, addr string, args ...string) (string, func(), error) {
	cfg := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		return "", nil, err
	}
	gate := exec.Command(bin, append([]string{"serve", "--config", cfg, "--listen", addr, "--admin", "off", "--data-dir", filepath.Join(dir, name+"-data")}, args...)...)
	if os.Getenv("VITESS_TEST_LOG") != "" {
		gate.Stderr = os.Stderr
	}
	if err := gate.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { gate.Process.Kill(); gate.Wait() }
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "postgres://app@" + addr + "/main?sslmode=disable", stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("gate %s did not start", name)
}

// fakeT lets TestMain use pgtest, which reports through testing.TB.
type fakeT struct {
	testing.TB
	failed   string
	cleanups []func()
}

func (f *fakeT) Helper()                           {}
func (f *fakeT) Fatal(args ...any)                 { f.failed = fmt.Sprint(args...); panic(f.failed) }
func (f *fakeT) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }
func (f *fakeT) Skip(args ...any)                  { f.Fatal(args...) }
func (f *fakeT) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) TempDir() string {
	d, _ := os.MkdirTemp("", "sdk-pg-")
	f.cleanups = append(f.cleanups, func() { os.RemoveAll(d) })
	return d
}
func (f *fakeT) Name() string { return "sdk" }
func (f *fakeT) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
