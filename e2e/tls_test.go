package e2e

import (
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// tlsYAML is the config part that gives the gate the certificates' server
// certificate, with require (may be empty) as tls.require.
func tlsYAML(certs *pgtest.Certs, require string) string {
	y := fmt.Sprintf("tls: {cert: %q, key: %q", certs.ServerCert, certs.ServerKey)
	if require != "" {
		y += ", require: " + require
	}
	return y + "}\n"
}

// psqlConn runs psql with a conninfo string and returns its output.
func psqlConn(conninfo string, args ...string) (string, error) {
	cmd := exec.Command("psql", append([]string{"-X", "-A", "-t", conninfo}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD=s3cret")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTLSClients: with tls: in the config, psql (sslmode=require, and
// verify-full by name and by IP), pgx, lib/pq and psycopg2 connect over
// TLS, log in with SCRAM inside it (psql with channel_binding=require:
// SCRAM-SHA-256-PLUS) and run statements on the shards; a
// client that trusts another CA is refused, and one that does not ask for
// TLS is still served.
func TestTLSClients(t *testing.T) {
	certs := pgtest.MakeCerts(t)
	g := gatetest.Start(t, 2, tlsYAML(certs, "")+"users: [{name: app, password: s3cret}]\n")
	other := pgtest.MakeCerts(t)
	port := strconv.Itoa(g.Port())
	conninfo := func(host, mode, ca string) string {
		s := "host=" + host + " port=" + port + " user=app dbname=main sslmode=" + mode
		if ca != "" {
			s += " sslrootcert=" + ca
		}
		return s
	}
	c := gatetest.ConnectURL(t, fmt.Sprintf("postgres://app:s3cret@localhost:%s/main?sslmode=verify-full&sslrootcert=%s", port, url.QueryEscape(certs.CA)))
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("pgx: connection is %T, not TLS", c.PgConn().Conn())
	}
	gatetest.MustExec(t, c, `CREATE TABLE tt (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, c, `INSERT INTO tt VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')`)

	t.Run("psql", func(t *testing.T) {
		gatetest.RequireTool(t, "psql")
		for _, ci := range []string{
			conninfo("127.0.0.1", "require", ""),
			conninfo("localhost", "verify-full", certs.CA),
			conninfo("127.0.0.1", "verify-full", certs.CA) + " channel_binding=require", // SCRAM-SHA-256-PLUS
		} {
			out, err := psqlConn(ci, "-c", `\conninfo`, "-c", "SELECT count(*) FROM tt")
			if err != nil || !strings.Contains(out, "SSL connection (protocol: TLSv1.") || !strings.HasSuffix(out, "\n4\n") {
				t.Errorf("psql %q: %v\n%s", ci, err, out)
			}
		}
		out, err := psqlConn(conninfo("localhost", "verify-full", other.CA), "-c", "SELECT 1")
		if err == nil || !strings.Contains(out, "certificate verify failed") {
			t.Errorf("psql trusting another CA: %v\n%s", err, out)
		}
		out, err = psqlConn(conninfo("127.0.0.1", "disable", ""), "-c", `\conninfo`)
		if err != nil || strings.Contains(out, "SSL connection") {
			t.Errorf("psql sslmode=disable: %v\n%s", err, out)
		}
	})
	t.Run("libpq", func(t *testing.T) {
		db := openLibPQ(t, conninfo("localhost", "verify-full", certs.CA)+" password=s3cret")
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM tt WHERE id > $1`, 1).Scan(&n); err != nil || n != 3 {
			t.Fatalf("lib/pq verify-full: %d %v", n, err)
		}
		bad, _ := sql.Open("postgres", conninfo("localhost", "verify-full", other.CA)+" password=s3cret")
		defer bad.Close()
		if err := bad.Ping(); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("lib/pq trusting another CA: %v", err)
		}
	})
	t.Run("psycopg2", func(t *testing.T) { psycopg2TLS(t, conninfo("localhost", "verify-full", certs.CA)) })
}

// psycopg2TLS connects with Debian's python3-psycopg2 (.ci/run installs it;
// PyPI is not used) and checks that the connection is encrypted.
func psycopg2TLS(t *testing.T, conninfo string) {
	py := "/usr/bin/python3"
	script := `import sys, psycopg2
c = psycopg2.connect(sys.argv[1], password="s3cret")
cur = c.cursor()
cur.execute("SELECT v FROM tt WHERE id = %s", (3,))
print(c.info.ssl_in_use, c.info.ssl_attribute("protocol"), cur.fetchone()[0])
`
	if err := exec.Command(py, "-c", "import psycopg2").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and psycopg2 is not importable by %s: %v", py, err)
		}
		t.Skip("python3-psycopg2 not installed")
	}
	out, err := exec.Command(py, "-c", script, conninfo).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "True TLSv1.") || !strings.HasSuffix(string(out), " c\n") {
		t.Fatalf("psycopg2: %v\n%s", err, out)
	}
}

// TestTLSRequireRemote: with require: remote, psql from this machine's
// non-loopback address is refused in clear (FATAL 28000, TLS required) and
// served with sslmode=require; from 127.0.0.1 it is served in clear.
func TestTLSRequireRemote(t *testing.T) {
	gatetest.RequireTool(t, "psql")
	certs := pgtest.MakeCerts(t)
	o := gatetest.OptionsWithConfig(t, tlsYAML(certs, "remote")+"users: [{name: app, password: s3cret}]\n")
	o.Listen = ":0"
	g := gatetest.StartOptions(t, o)
	port := strconv.Itoa(g.Port())
	out, err := psqlConn("host=127.0.0.1 port="+port+" user=app dbname=main sslmode=disable", "-c", "SELECT 1")
	if err != nil || out != "1\n" {
		t.Fatalf("loopback client in clear: %v\n%s", err, out)
	}
	ips := pgtest.LocalIPs()
	if len(ips) == 0 {
		t.Skip("no non-loopback address on this machine (the policy itself is tested in proxy's TestTLSRequiredDecision)")
	}
	host := ips[0].String()
	out, err = psqlConn("host="+host+" port="+port+" user=app dbname=main sslmode=disable", "-c", "SELECT 1")
	t.Logf("psql from %s in clear: %s", host, out)
	if err == nil || !strings.Contains(out, "FATAL:  no encryption: TLS is required for host") {
		t.Fatalf("client at %s in clear: %v\n%s", host, err, out)
	}
	out, err = psqlConn("host="+host+" port="+port+" user=app dbname=main sslmode=verify-full sslrootcert="+certs.CA, "-c", `\conninfo`)
	if err != nil || !strings.Contains(out, "SSL connection") {
		t.Fatalf("client at %s with TLS: %v\n%s", host, err, out)
	}
	// prefer (psql's default) asks for TLS first, so it gets in.
	out, err = psqlConn("host="+host+" port="+port+" user=app dbname=main", "-c", "SELECT 2")
	if err != nil || out != "2\n" {
		t.Fatalf("client at %s with sslmode=prefer: %v\n%s", host, err, out)
	}
}
