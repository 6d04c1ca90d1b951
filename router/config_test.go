package router

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestParseConfigUnknownKeys: a key no setting takes is an error naming
// the key and its place, anywhere in a YAML or JSON config.
func TestParseConfigUnknownKeys(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"top", "listen: x\nlisen: y\n", `top level: unknown key "lisen" (line 2)`},
		{"table", `
keyspaces:
  main:
    shards: {"-": "sqlite:x.db"}
    tables:
      users:
        vindex: {type: hash, columns: [id]}
        secondaryVindexes: [email_lookup]
`, `keyspaces.main.tables.users: unknown key "secondaryVindexes" (line 8)`},
		{"inline lookup", `
keyspaces:
  main:
    tables:
      users:
        lookups: [email_lookup, {type: lookup, columns: [name], tabel: users_name}]
`, `keyspaces.main.tables.users.lookups[1]: unknown key "tabel"`},
		{"inline vindex", "keyspaces: {main: {tables: {t: {vindex: {type: hash, column: [id]}}}}}\n",
			`keyspaces.main.tables.t.vindex: unknown key "column"`},
		{"keyspace vindex", "keyspaces:\n  main:\n    vindexes:\n      v: {type: lookup, columns: [a], table: t, uniq: true}\n",
			`keyspaces.main.vindexes.v: unknown key "uniq"`},
		{"keyspace", "keyspaces:\n  main:\n    shard: {}\n", `keyspaces.main: unknown key "shard"`},
		{"pool", "keyspaces:\n  main:\n    pool: {mode: session, max: 3}\n", `keyspaces.main.pool: unknown key "max"`},
		{"auto increment", "keyspaces: {main: {tables: {t: {autoIncrement: {column: id, seq: s}}}}}\n",
			`keyspaces.main.tables.t.autoIncrement: unknown key "seq"`},
		{"user", "users:\n  - {name: app, passwd: x}\n", `users[0]: unknown key "passwd"`},
		{"limits", "limits: {maxConection: 3}\n", `limits: unknown key "maxConection"`},
		{"transactions", "transactions: {abortAfter: 1s, lockwait: 2s}\n", `transactions: unknown key "lockwait"`},
		{"tls", "tls: {cert: s.crt, key: s.key, requireFor: remote}\n", `tls: unknown key "requireFor" (line 1)`},
		{"merge", "base: &b {type: hash, columns: [id], extra: 1}\n", `top level: unknown key "base"`},
		{"merged in", "keyspaces:\n  main:\n    vindexes:\n      a: &a {type: hash, columns: [id], colums: [x]}\n      b: {<<: *a}\n", `keyspaces.main.vindexes.a: unknown key "colums"`},
		{"json", `{"keyspaces": {"main": {"tables": {"users": {"vindex": {"type": "hash", "columns": ["id"]}, "secondaryVindexes": []}}}}}`,
			`keyspaces.main.tables.users: unknown key "secondaryVindexes" (line 1)`},
		{"json top", `{"listen": "x", "Listen": "y"}`, `top level: unknown key "Listen"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestParseConfigKnownKeys: every key the config types take is accepted,
// vindexes by name and inline, merge keys, JSON, an empty file.
func TestParseConfigKnownKeys(t *testing.T) {
	for _, config := range []string{"", "{}", `
listen: 127.0.0.1:1
admin: "off"
metadata: sqlite:m.db
dataDir: d
transactions: {abortAfter: 30s, resolveInterval: 10s, lockWait: 10s}
users: [{name: app, password: x}]
tls: {cert: server.crt, key: server.key, require: remote}
keyspaces:
  main:
    sharded: true
    maxTransactions: 10
    pool: {mode: session, size: 20}
    shards: {"-80": "sqlite:a.db", "80-": "sqlite:b.db"}
    vindexes:
      h: &h {type: hash, columns: [id]}
      r: {type: range, columns: [d], ranges: {"-80": [null, 5], "80-": [5, null]}}
      c: {type: consistent_hash, columns: [k], virtualNodes: 16}
      l: {type: lookup, columns: [e], table: lookup.t, unique: true}
    tables:
      a: {vindex: h, lookups: [l, {type: lookup, columns: [n], table: a_n}], autoIncrement: {column: id, sequence: s}}
      b: {vindex: {<<: *h}}
      c: {type: reference}
`, `{"keyspaces": {"main": {"sharded": true, "shards": {"-": "sqlite:x.db"}, "tables": {"t": {"vindex": {"type": "hash", "columns": ["id"]}}}}}}`} {
		c, err := ParseConfig([]byte(config))
		if err != nil {
			t.Fatalf("%q: %v", config, err)
		}
		if strings.Contains(config, "maxTransactions") && (c.Keyspaces["main"].Tables["b"].Vindex.Type != "hash" || c.Keyspaces["main"].Tables["a"].Vindex.Name != "h") {
			t.Errorf("decoded: %+v", c.Keyspaces["main"].Tables)
		}
	}
}

// TestConfigTLSValidate: tls needs a certificate and a key, and require is
// one of the policies.
func TestConfigTLSValidate(t *testing.T) {
	ks := "keyspaces: {main: {shards: {\"-\": \"sqlite:x.db\"}}}\n"
	for _, tc := range []struct{ tls, want string }{
		{"tls: {cert: s.crt, key: s.key}", ""},
		{"tls: {cert: s.crt, key: s.key, require: remote}", ""},
		{"tls: {cert: s.crt, key: s.key, require: all}", ""},
		{"tls: {cert: s.crt}", "tls needs both cert and key"},
		{"tls: {key: s.key, require: remote}", "tls needs both cert and key"},
		{"tls: {cert: s.crt, key: s.key, require: nonlocal}", `tls.require "nonlocal": want remote or all`},
	} {
		c, err := ParseConfig([]byte(tc.tls + "\n" + ks))
		if err != nil {
			t.Fatalf("%s: %v", tc.tls, err)
		}
		err = c.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: got %v, want %q", tc.tls, err, tc.want)
		}
	}
}

// TestReadmeConfigsLoad: the complete configs in the README (those with a
// top-level keyspaces:) and in testdata have no unknown keys.
func TestReadmeConfigsLoad(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(data, -1)
	n := 0
	for _, b := range blocks {
		if !regexp.MustCompile(`(?m)^keyspaces:`).Match(b[1]) {
			continue
		}
		n++
		if _, err := ParseConfig(b[1]); err != nil {
			t.Errorf("README config:\n%s\n%v", b[1], err)
		}
	}
	if n == 0 {
		t.Fatal("no configs found in README.md")
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfig(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestLimitsConfig: the limits: sizes and times parse as documented, and a
// bad one is an error.
func TestLimitsConfig(t *testing.T) {
	c, err := ParseConfig([]byte("limits: {maxConnections: 5, authTimeout: 2s, maxMessageSize: 1MB, queryMemory: 65536}\ndefaults: {statement_timeout: 30s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.MaxConnections != 5 || l.AuthTimeout != Duration(2e9) || l.MaxMessageSize != 1<<20 || l.QueryMemory != 65536 || c.Defaults["statement_timeout"] != "30s" {
		t.Errorf("parsed %+v %v", l, c.Defaults)
	}
	for in, want := range map[string]int64{"64kB": 64 << 10, "64 MB": 64 << 20, "1GB": 1 << 30, "2MiB": 2 << 20, "10": 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1TB", "-1", "x", "99999999999999999999GB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	c.Keyspaces = map[string]*KeyspaceConfig{"main": {Shards: map[string]string{"-": "sqlite:x.db"}}}
	c.Limits.MaxMessageSize = 2 << 30
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "maxMessageSize") {
		t.Errorf("maxMessageSize 2GB: %v", err)
	}
}
