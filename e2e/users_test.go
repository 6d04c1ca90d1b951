package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
)

// connectAs opens a pgx connection to the gate as user with password.
func connectAs(t testing.TB, g *gatetest.Gate, user, password, db string, modes ...pgx.QueryExecMode) (*pgx.Conn, error) {
	t.Helper()
	cc, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", user, g.Addr(), db))
	if err != nil {
		t.Fatal(err)
	}
	cc.Password = password
	if len(modes) > 0 {
		cc.DefaultQueryExecMode = modes[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		t.Cleanup(func() { c.Close(context.Background()) })
	}
	return c, err
}

func mustConnectAs(t testing.TB, g *gatetest.Gate, user, password, db string, modes ...pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	c, err := connectAs(t, g, user, password, db, modes...)
	if err != nil {
		t.Fatalf("connect as %s to %s: %v", user, db, err)
	}
	return c
}

// wantState checks that err is a Postgres error with SQLSTATE code.
func wantState(t testing.TB, what string, err error, code string) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Errorf("%s: want SQLSTATE %s, got %v", what, code, err)
		return &pgconn.PgError{}
	}
	return pe
}

// passwdVerifier runs `vitess passwd` with the password on stdin.
func passwdVerifier(t *testing.T, password string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, password)
	f.Seek(0, 0)
	var out strings.Builder
	if err := gate.Passwd(f, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

// TestSCRAMVerifierLogin configures users by SCRAM verifiers (one made by
// PostgreSQL itself, one by `vitess passwd`) and a plaintext password, and
// logs in as each with pgx, lib/pq and psql; a wrong password is 28P01.
// The verifier `vitess passwd` makes also logs in to PostgreSQL.
func TestSCRAMVerifierLogin(t *testing.T) {
	pg, super := gatetest.Superuser(t)
	ctx := context.Background()
	role := fmt.Sprintf("vt_scram_%d", time.Now().UnixNano()%1e9)
	gatetest.MustExec(t, super, `SET password_encryption = 'scram-sha-256'`)
	gatetest.MustExec(t, super, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'pg-made pässword'`, role))
	t.Cleanup(func() { super.Exec(ctx, "DROP ROLE IF EXISTS "+role) })
	var pgVerifier string
	if err := super.QueryRow(ctx, `SELECT rolpassword FROM pg_authid WHERE rolname = $1`, role).Scan(&pgVerifier); err != nil {
		t.Fatal(err)
	}
	ours := passwdVerifier(t, "gate-made secret")
	if !strings.HasPrefix(ours, "SCRAM-SHA-256$4096:") || strings.Count(ours, "$") != 2 {
		t.Fatalf("vitess passwd printed %q", ours)
	}
	// PostgreSQL takes the gate's verifier as a stored password.
	gatetest.MustExec(t, super, fmt.Sprintf(`ALTER ROLE %s PASSWORD '%s'`, role, ours))
	pc, err := pgx.Connect(ctx, strings.Replace(pg.URL("postgres"), "postgres@", role+":gate-made%20secret@", 1))
	if err != nil {
		t.Fatalf("PostgreSQL login with the vitess passwd verifier: %v", err)
	}
	pc.Close(ctx)

	g := gatetest.Start(t, 2, fmt.Sprintf("users:\n  - {name: pgmade, password: %q}\n  - {name: ours, password: %q}\n  - {name: plain, password: s3cret}\n", pgVerifier, ours))
	users := []struct{ name, password string }{{"pgmade", "pg-made pässword"}, {"ours", "gate-made secret"}, {"plain", "s3cret"}}
	for _, u := range users {
		c := mustConnectAs(t, g, u.name, u.password, "main")
		var who string
		if err := c.QueryRow(ctx, `SELECT 'in'`).Scan(&who); err != nil || who != "in" {
			t.Errorf("%s: %q %v", u.name, who, err)
		}
		_, err := connectAs(t, g, u.name, u.password+"x", "main")
		pe := wantState(t, u.name+" pgx, wrong password", err, "28P01")
		if pe.Severity != "FATAL" || pe.Message != fmt.Sprintf("password authentication failed for user %q", u.name) {
			t.Errorf("%s: %s %q", u.name, pe.Severity, pe.Message)
		}
		libpqLogin(t, g, u.name, u.password, "")
		libpqLogin(t, g, u.name, "nope", "28P01")
		psqlLogin(t, g, u.name, u.password, true)
		psqlLogin(t, g, u.name, "nope", false)
	}
}

func libpqLogin(t *testing.T, g *gatetest.Gate, user, password, wantCode string) {
	t.Helper()
	conn, err := pq.NewConnector(fmt.Sprintf("host=127.0.0.1 port=%d user=%s password='%s' dbname=main sslmode=disable", g.Port(), user, password))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var one int
	err = db.QueryRow(`SELECT 1`).Scan(&one)
	if wantCode == "" {
		if err != nil || one != 1 {
			t.Errorf("lib/pq as %s: %d %v", user, one, err)
		}
		return
	}
	var pe *pq.Error
	if !errors.As(err, &pe) || string(pe.Code) != wantCode {
		t.Errorf("lib/pq as %s with a wrong password: want %s, got %v", user, wantCode, err)
	}
}

func psqlLogin(t *testing.T, g *gatetest.Gate, user, password string, ok bool) {
	t.Helper()
	cmd := g.Psql(context.Background(), user, "main", "-At", "-c", "SELECT 'psql in'")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	switch {
	case ok && (err != nil || strings.TrimSpace(string(out)) != "psql in"):
		t.Errorf("psql as %s: %v %s", user, err, out)
	case !ok && (err == nil || !strings.Contains(string(out), fmt.Sprintf(`password authentication failed for user "%s"`, user))):
		t.Errorf("psql as %s with a wrong password: %v %s", user, err, out)
	}
}

// TestUsersConfigChecked: a verifier that does not parse, an unknown
// keyspace in a user's keyspaces and a user given twice stop the gate; a
// plaintext password is logged as a warning.
func TestUsersConfigChecked(t *testing.T) {
	for cfg, want := range map[string]string{
		`users: [{name: a, password: "SCRAM-SHA-256$4096:abc"}]`:            "malformed SCRAM verifier",
		`users: [{name: a, password: "SCRAM-SHA-256$x:YQ==$YQ==:YQ=="}]`:    "iteration count",
		`users: [{name: a, password: "SCRAM-SHA-256$4096:YQ==$YQ==:YQ=="}]`: "StoredKey",
		`users: [{name: a, password: p, keyspaces: [nosuch]}]`:              `keyspace "nosuch" is not in the config`,
		`users: [{name: a, password: p}, {name: a, password: q}]`:           "given twice",
		`users: [{name: a, password: p, keyspaces: []}]`:                    "lets the user use nothing",
		`users: [{name: a, password: p, shardPassword: x}]`:                 "shardPassword without shardUser",
		`users: [{name: a, password: p, keyspace: [main]}]`:                 `unknown key "keyspace"`,
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(cfg+"\n"), 0o644)
		o := gate.Options{Config: p, Listen: "127.0.0.1:0", Admin: "off", DataDir: dir, Shards: 2}
		c, err := gate.LoadConfig(o)
		if err == nil {
			var g *gate.Gate
			g, err = gate.Start(context.Background(), c, gatetest.DiscardLog())
			if err == nil {
				g.Close(context.Background())
			}
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error with %q, got %v", cfg, want, err)
		}
	}
}

// TestPlaintextPasswordWarned: a plaintext password in the config is
// accepted and logged as a warning; a verifier is not.
func TestPlaintextPasswordWarned(t *testing.T) {
	var logs strings.Builder
	cfg, err := gate.LoadConfig(gatetest.OptionsWithConfig(t, fmt.Sprintf("users:\n  - {name: plain, password: s3cret}\n  - {name: hashed, password: %q}\n", passwdVerifier(t, "x"))))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	g.Close(context.Background())
	if !strings.Contains(logs.String(), "level=WARN msg=\"user has a plaintext password in the config") || !strings.Contains(logs.String(), "user=plain") || strings.Contains(logs.String(), "user=hashed") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// TestPasswdCommand runs the built `vitess passwd` with the password on
// stdin and logs in to a gate configured with the verifier it printed.
func TestPasswdCommand(t *testing.T) {
	bin := gatetest.Binary(t)
	cmd := exec.Command(bin, "passwd")
	cmd.Stdin = strings.NewReader("from the CLI")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vitess passwd: %v", err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") {
		t.Fatalf("vitess passwd printed %q", out)
	}
	g := gatetest.Start(t, 2, fmt.Sprintf("users:\n  - {name: cli, password: %q}\n", v))
	mustConnectAs(t, g, "cli", "from the CLI", "main")
	_, err = connectAs(t, g, "cli", "from the cli", "main")
	wantState(t, "wrong password", err, "28P01")
	cmd = exec.Command(bin, "passwd")
	cmd.Stdin = strings.NewReader("")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "empty password") {
		t.Errorf("empty password: %v %s", err, out)
	}
}
