package gatetest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The vitess binary is built once per test binary, into a temp dir that
// Main removes.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	binErr    error
)

// Binary builds the vitess command (the module's root package) once and
// returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "vitess-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "vitess")
		if out, err := exec.Command("go", "build", "-o", binPath, "github.com/dotdo/vitess").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// FreeAddr is a loopback address with a port free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartProcess runs the gate as its own process (so that its RSS is its
// own) on a free port with config cfg, data and log (gate.log) in dir; it
// returns the address and the pid.
func StartProcess(t testing.TB, dir, cfg string) (string, int) {
	t.Helper()
	bin := Binary(t)
	p := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--config", p, "--listen", addr, "--admin", "off", "--data-dir", dir)
	logf, err := os.Create(filepath.Join(dir, "gate.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	for i := 0; i < 100; i++ {
		if nc, err := net.Dial("tcp", addr); err == nil {
			nc.Close()
			return addr, cmd.Process.Pid
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the gate did not listen on %s", addr)
	return "", 0
}

// ProcStatus is a field of /proc/<pid>/status ("VmHWM": peak RSS).
func ProcStatus(pid int, field string) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
