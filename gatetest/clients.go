package gatetest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ConnectURL opens a pgx connection to url (a gate's, a shard's or a
// reference database's) and closes it when the test ends.
func ConnectURL(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// HaveTool reports whether the client program name (psql, pgbench) is
// installed. CI installs them all, so there a missing one fails the test.
func HaveTool(t testing.TB, name string) bool {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is not installed: %v", name, err)
		}
		return false
	}
	return true
}

// RequireTool skips the test when the client program name is missing
// (and fails it under CI=true).
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if !HaveTool(t, name) {
		t.Skipf("%s is not installed", name)
	}
}

// ClientArgs are the options that point a libpq program (psql, pgbench)
// at the gate as user.
func (g *Gate) ClientArgs(user string) []string {
	return []string{"-h", "127.0.0.1", "-p", strconv.Itoa(g.Port()), "-U", user}
}

// Psql is the psql command on database db of the gate as user, without
// ~/.psqlrc (-X); args follow the connection options.
func (g *Gate) Psql(ctx context.Context, user, db string, args ...string) *exec.Cmd {
	all := append([]string{"-X"}, g.ClientArgs(user)...)
	return exec.CommandContext(ctx, "psql", append(append(all, "-d", db), args...)...)
}
