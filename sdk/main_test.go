package sdk_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// endpoint is the gate the examples and tests talk to: a real `vitess
// serve` process over two SQLite shards, started by TestMain, with the
// user app and the password (token) s3cret.
var endpoint string

const token = "s3cret"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vitess-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vitess")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(`users:
  - {name: app, password: s3cret}
keyspaces:
  main:
    tables:
      users:
        vindex: {type: hash, columns: [id]}
        autoIncrement: {column: id, sequence: users_id_seq}
`), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	addr := l.Addr().String()
	l.Close()
	gate := exec.Command(bin, "serve", "--config", cfg, "--listen", addr, "--admin", "off", "--data-dir", filepath.Join(dir, "data"), "--shards", "2")
	gate.Stderr = os.Stderr
	if os.Getenv("VITESS_TEST_LOG") == "" {
		gate.Stderr = nil
	}
	if err := gate.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { gate.Process.Kill(); gate.Wait() }()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	endpoint = "postgres://app@" + addr + "/main?sslmode=disable"
	return m.Run()
}
