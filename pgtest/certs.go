package pgtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
	"time"
)

// Certs are a throwaway certificate authority and a server certificate it
// signed, made at run time (nothing is committed), as PEM files in Dir.
type Certs struct {
	Dir        string
	CA         string // ca.crt
	ServerCert string // server.crt: localhost, 127.0.0.1, ::1 and this machine's other addresses
	ServerKey  string // server.key

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

// MakeCerts makes a CA and a server certificate in a temp dir.
func MakeCerts(t testing.TB) *Certs {
	t.Helper()
	c := &Certs{Dir: t.TempDir()}
	if err := c.make(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *Certs) make() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := c.template("vitess test CA")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	if c.caCert, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	c.caKey = key
	c.CA = filepath.Join(c.Dir, "ca.crt")
	if err := writePEM(c.CA, "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	ips = append(ips, LocalIPs()...)
	c.ServerCert, c.ServerKey, err = c.issue("server", "localhost", []string{"localhost"}, ips, x509.ExtKeyUsageServerAuth)
	return err
}

// Client issues a client certificate whose common name is user (what
// Postgres's cert authentication compares with the user name).
func (c *Certs) Client(t testing.TB, user string) (cert, key string) {
	t.Helper()
	cert, key, err := c.issue("client-"+user, user, nil, nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func (c *Certs) template(cn string) *x509.Certificate {
	c.serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(c.serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
}

// issue writes name.crt and name.key, a certificate signed by the CA.
func (c *Certs) issue(name, cn string, dns []string, ips []net.IP, usage x509.ExtKeyUsage) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := c.template(cn)
	tmpl.DNSNames, tmpl.IPAddresses = dns, ips
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.caCert, &key.PublicKey, c.caKey)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(c.Dir, name+".crt"), filepath.Join(c.Dir, name+".key")
	if err := writePEM(certFile, "CERTIFICATE", der, 0o644); err != nil {
		return "", "", err
	}
	// libpq and Postgres refuse a key file others can read.
	return certFile, keyFile, writePEM(keyFile, "PRIVATE KEY", kder, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

// LocalIPs are this machine's addresses other than loopback ones (IPv4
// first), for tests that need a client that is not local.
func LocalIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var v4, v6 []net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			v4 = append(v4, n.IP)
		} else {
			v6 = append(v6, n.IP)
		}
	}
	return append(v4, v6...)
}

// StartTLS starts a server with ssl = on, the Certs' server certificate,
// and their CA for client certificates.
// hba, when not empty, is the server's pg_hba.conf (for hostssl and cert
// lines); the default trusts every local and TCP connection, with or
// without TLS.
func StartTLS(t testing.TB, c *Certs, hba string) *Server {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	files := map[string]string{"server.crt": c.ServerCert, "server.key": c.ServerKey, "ca.crt": c.CA}
	for name, from := range files {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// ssl_ca_file: client certificates signed by the CA are accepted (hba
	// method cert).
	opts := fmt.Sprintf("-c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s -c ssl_ca_file=%s",
		filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.crt"))
	if hba != "" {
		p := filepath.Join(dir, "pg_hba.conf")
		if err := os.WriteFile(p, []byte(hba), 0o600); err != nil {
			t.Fatal(err)
		}
		opts += " -c hba_file=" + p
	}
	if err := serverOwns(dir); err != nil {
		t.Fatal(err)
	}
	return StartWith(t, opts)
}

// serverOwns gives dir and its files to the postgres user when the tests
// run as root (the server runs as postgres and must read its key).
func serverOwns(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	if _, err := user.Lookup("postgres"); err != nil {
		return err
	}
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil {
			os.Chmod(d, fi.Mode()|0o711)
		}
	}
	if out, err := exec.Command("chown", "-R", "postgres", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("chown: %v: %s", err, out)
	}
	return nil
}
