package router

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the gate's config file (YAML or JSON).
type Config struct {
	Listen   string       `yaml:"listen" json:"listen"`
	Admin    AdminConfig  `yaml:"admin" json:"admin"`
	Metadata string       `yaml:"metadata" json:"metadata"`
	DataDir  string       `yaml:"dataDir" json:"dataDir"`
	Users    []UserConfig `yaml:"users" json:"users"`
	// TLS, when set, lets clients connect with TLS (sslmode=require).
	TLS       *TLSConfig                 `yaml:"tls" json:"tls"`
	Keyspaces map[string]*KeyspaceConfig `yaml:"keyspaces" json:"keyspaces"`
	// Transactions tunes multi-shard commits.
	Transactions TransactionsConfig `yaml:"transactions" json:"transactions"`
	// Limits bound what one client may make the gate hold.
	Limits LimitsConfig `yaml:"limits" json:"limits"`
	// Defaults are session settings every session starts with (as in
	// postgresql.conf): a startup parameter or SET overrides them, RESET
	// returns to them. Values are written as in Postgres ("30s", "10min").
	Defaults map[string]string `yaml:"defaults" json:"defaults"`
}

// LimitsConfig bounds connections, messages and the memory of a query.
// Zero means the default.
type LimitsConfig struct {
	// MaxConnections bounds the client connections (default 1000).
	MaxConnections int `yaml:"maxConnections" json:"maxConnections"`
	// AuthTimeout bounds startup and authentication (default 60s).
	AuthTimeout Duration `yaml:"authTimeout" json:"authTimeout"`
	// MaxMessageSize bounds one client message after login (default 64MB).
	MaxMessageSize Size `yaml:"maxMessageSize" json:"maxMessageSize"`
	// QueryMemory bounds what the gate holds for one statement: rows of
	// sorts, DISTINCT sets, buffered results, COPY rows (default 256MB).
	QueryMemory Size `yaml:"queryMemory" json:"queryMemory"`
}

// TransactionsConfig tunes the two-phase commit's resolver.
type TransactionsConfig struct {
	// AbortAfter: a prepared transaction with no commit decision this old
	// is rolled back by the resolver (default 30s).
	AbortAfter Duration `yaml:"abortAfter" json:"abortAfter"`
	// ResolveInterval: how often the resolver looks (default 10s).
	ResolveInterval Duration `yaml:"resolveInterval" json:"resolveInterval"`
	// LockWait bounds a transaction's wait for a SQLite shard another
	// transaction holds (default 10s); then the statement fails with 55P03.
	LockWait Duration `yaml:"lockWait" json:"lockWait"`
}

// AdminConfig is the admin HTTP server: `admin: host:port` (or "off"), or
// `admin: {listen: host:port, token: SECRET, pprof: true}`.
type AdminConfig struct {
	Listen string `yaml:"listen" json:"listen"`
	// Token, when set, is the bearer token every endpoint but /healthz and
	// /readyz requires.
	Token string `yaml:"token" json:"token"`
	// Pprof serves /debug/pprof (off by default: profiles and goroutine
	// dumps show the gate's internals and cost CPU).
	Pprof bool `yaml:"pprof" json:"pprof"`
}

// UnmarshalYAML accepts the mapping or the plain address string.
func (a *AdminConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = AdminConfig{Listen: n.Value}
		return nil
	}
	type plain AdminConfig
	return n.Decode((*plain)(a))
}

// UnmarshalJSON accepts the object or the plain address string.
func (a *AdminConfig) UnmarshalJSON(b []byte) error {
	var addr string
	if json.Unmarshal(b, &addr) == nil {
		*a = AdminConfig{Listen: addr}
		return nil
	}
	type plain AdminConfig
	return json.Unmarshal(b, (*plain)(a))
}

// MarshalYAML writes the address alone when nothing else is set.
func (a AdminConfig) MarshalYAML() (any, error) {
	if a.Token == "" && !a.Pprof {
		return a.Listen, nil
	}
	type plain AdminConfig
	return plain(a), nil
}

// TLSConfig is the gate's server certificate for client connections.
type TLSConfig struct {
	Cert string `yaml:"cert" json:"cert"` // PEM certificate file (chain, leaf first)
	Key  string `yaml:"key" json:"key"`   // PEM private key file
	// Require refuses clients that connect without TLS: "remote" (all but
	// loopback addresses), "all", or "" (none: TLS is the client's choice).
	Require string `yaml:"require" json:"require"`
}

// UserConfig is one client login.
type UserConfig struct {
	Name string `yaml:"name" json:"name"`
	// Password is a SCRAM-SHA-256 verifier (`vitess passwd` makes one) or,
	// warned about at startup, the password itself.
	Password string `yaml:"password" json:"password"`
	// Keyspaces the user may connect to and name as keyspace.table;
	// absent: all.
	Keyspaces []string `yaml:"keyspaces,omitempty" json:"keyspaces,omitempty"`
	// Admin users may change lookup vindex tables (to repair them).
	Admin bool `yaml:"admin,omitempty" json:"admin,omitempty"`
	// ShardUser and ShardPassword replace the user and password of every
	// Postgres shard URL for this user's backend connections (pools of
	// their own), so that the user has that role's rights on the shards
	// instead of the URL's role's.
	ShardUser     string `yaml:"shardUser,omitempty" json:"shardUser,omitempty"`
	ShardPassword string `yaml:"shardPassword,omitempty" json:"shardPassword,omitempty"`
}

// KeyspaceConfig declares one keyspace: its shards and its vschema.
type KeyspaceConfig struct {
	Sharded bool `yaml:"sharded" json:"sharded"`
	// MaxTransactions bounds the open transactions on each shard of the
	// keyspace (0: no bound); a BEGIN past it is refused, not queued.
	MaxTransactions int                     `yaml:"maxTransactions" json:"maxTransactions"`
	Pool            PoolConfig              `yaml:"pool" json:"pool"`
	Shards          map[string]string       `yaml:"shards" json:"shards"`
	Vindexes        map[string]VindexConfig `yaml:"vindexes" json:"vindexes"`
	Tables          map[string]TableConfig  `yaml:"tables" json:"tables"`
}

// PoolConfig sizes the backend pools of a keyspace (used by Postgres shards).
type PoolConfig struct {
	Mode string `yaml:"mode" json:"mode"`
	Size int    `yaml:"size" json:"size"`
}

// VindexConfig is a vindex declaration: inline in a table, or named under
// vindexes: and referenced from a table by name.
type VindexConfig struct {
	Name    string   `yaml:"-" json:"-"`
	Type    string   `yaml:"type" json:"type"`
	Columns []string `yaml:"columns" json:"columns"`
	// Table is a lookup vindex's table, "keyspace.table" or, in the
	// owner's keyspace, "table".
	Table string `yaml:"table,omitempty" json:"table,omitempty"`
	// Unique makes a lookup vindex refuse a second row with the same value.
	Unique bool `yaml:"unique,omitempty" json:"unique,omitempty"`
	// Ranges is a range vindex's value range per shard: [from, to), from
	// included and to excluded, null for unbounded.
	Ranges map[string][]any `yaml:"ranges,omitempty" json:"ranges,omitempty"`
	// VirtualNodes is the number of points each shard has on a
	// consistent_hash ring (default 256).
	VirtualNodes int `yaml:"virtualNodes,omitempty" json:"virtualNodes,omitempty"`
}

// UnmarshalYAML accepts either a mapping or the name of a keyspace vindex.
func (v *VindexConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v.Name = n.Value
		return nil
	}
	type plain VindexConfig
	return n.Decode((*plain)(v))
}

// MarshalYAML writes a reference to a keyspace vindex as its name.
func (v VindexConfig) MarshalYAML() (any, error) {
	if v.Name != "" {
		return v.Name, nil
	}
	type plain VindexConfig
	return plain(v), nil
}

// TableConfig declares one table.
type TableConfig struct {
	Type   string        `yaml:"type" json:"type"` // "" (sharded) or "reference"
	Vindex *VindexConfig `yaml:"vindex" json:"vindex"`
	// Lookups are the table's secondary (lookup) vindexes, by name or
	// inline; the gate keeps their lookup tables in step with the rows.
	Lookups       []VindexConfig       `yaml:"lookups,omitempty" json:"lookups,omitempty"`
	AutoIncrement *AutoIncrementConfig `yaml:"autoIncrement" json:"autoIncrement"`
}

// AutoIncrementConfig makes the gate fill Column from a global sequence.
type AutoIncrementConfig struct {
	Column   string `yaml:"column" json:"column"`
	Sequence string `yaml:"sequence" json:"sequence"`
}

// LoadConfig reads a YAML or JSON config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a YAML or JSON config. A key the gate does not know is
// an error naming it and where it is: a misspelt setting would otherwise
// be dropped silently and the gate run without it.
func ParseConfig(data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if err := checkKnownKeys(&doc); err != nil {
		return nil, err
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DefaultKeyspace is the keyspace `vitess serve` makes when no config names any:
// keyspace main, n SQLite shards with evenly split key ranges.
func DefaultKeyspace(dataDir string, n int) (map[string]*KeyspaceConfig, error) {
	names, err := EvenShards(n)
	if err != nil {
		return nil, err
	}
	shards := map[string]string{}
	for _, s := range names {
		shards[s] = "sqlite:" + filepath.Join(dataDir, "main", s+".db")
	}
	return map[string]*KeyspaceConfig{"main": {Sharded: true, Shards: shards}}, nil
}

// Validate checks the config for mistakes a user should hear about at startup.
func (c *Config) Validate() error {
	if len(c.Keyspaces) == 0 {
		return fmt.Errorf("config: no keyspaces")
	}
	if err := c.TLS.validate(); err != nil {
		return err
	}
	if err := c.Limits.validate(); err != nil {
		return err
	}
	if err := c.validateUsers(); err != nil {
		return err
	}
	for name, ks := range c.Keyspaces {
		if len(ks.Shards) == 0 {
			return fmt.Errorf("keyspace %s: no shards", name)
		}
		var names []string
		for s := range ks.Shards {
			names = append(names, s)
		}
		sort.Strings(names)
		if !ks.Sharded && len(names) != 1 {
			return fmt.Errorf("keyspace %s: an unsharded keyspace has exactly one shard, got %d", name, len(names))
		}
		if ks.Sharded {
			if err := ValidateTiling(names); err != nil {
				return fmt.Errorf("keyspace %s: %w", name, err)
			}
		}
		for s, url := range ks.Shards {
			switch {
			case strings.HasPrefix(url, "sqlite:"):
			case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
			default:
				return fmt.Errorf("keyspace %s shard %s: unknown shard URL %q (want sqlite:PATH or postgres://...)", name, s, url)
			}
		}
		for tname, t := range ks.Tables {
			if t.Type != "" && t.Type != "reference" && t.Type != "sharded" {
				return fmt.Errorf("keyspace %s table %s: unknown table type %q (want reference or sharded)", name, tname, t.Type)
			}
			if t.Vindex != nil && t.Vindex.Name != "" {
				if _, ok := ks.Vindexes[t.Vindex.Name]; !ok {
					return fmt.Errorf("keyspace %s table %s: vindex %q is not declared under vindexes", name, tname, t.Vindex.Name)
				}
			}
			for _, l := range t.Lookups {
				if l.Name != "" {
					if _, ok := ks.Vindexes[l.Name]; !ok {
						return fmt.Errorf("keyspace %s table %s: lookup vindex %q is not declared under vindexes", name, tname, l.Name)
					}
				}
			}
		}
	}
	return nil
}

func (t *TLSConfig) validate() error {
	if t == nil {
		return nil
	}
	if t.Cert == "" || t.Key == "" {
		return fmt.Errorf("config: tls needs both cert and key (PEM files)")
	}
	switch t.Require {
	case "", "remote", "all":
	default:
		return fmt.Errorf("config: tls.require %q: want remote or all (or leave it out)", t.Require)
	}
	return nil
}

// Duration is a time.Duration written as "30s", "500ms", "2m" in the config.
type Duration time.Duration

// UnmarshalText reads "30s" (JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads "30s" (YAML).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return d.UnmarshalText([]byte(n.Value)) }

// MarshalText writes "30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// MarshalYAML writes "30s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Size is a byte count written as 1048576, "64kB", "64MB" or "1GB" (units
// of 1024, as in Postgres; KiB, MiB and GiB are accepted too).
type Size int64

// UnmarshalText reads "64MB" (JSON).
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = Size(v)
	return nil
}

// UnmarshalYAML reads 1048576 or "64MB" (YAML).
func (z *Size) UnmarshalYAML(n *yaml.Node) error { return z.UnmarshalText([]byte(n.Value)) }

// ParseSize reads a byte count with an optional unit.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with kB, MB or GB", s)
	}
	units := map[string]int64{"": 1, "b": 1, "kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}
	u, ok := units[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok || n > math.MaxInt64/u {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with kB, MB or GB", s)
	}
	return n * u, nil
}

// maxMessageSizeLimit is Postgres's own bound on a message (PQ_LARGE_MESSAGE_LIMIT).
const maxMessageSizeLimit = 1 << 30

func (l LimitsConfig) validate() error {
	switch {
	case l.MaxConnections < 0:
		return fmt.Errorf("limits.maxConnections: %d is negative", l.MaxConnections)
	case l.AuthTimeout < 0:
		return fmt.Errorf("limits.authTimeout: %s is negative", time.Duration(l.AuthTimeout))
	case l.MaxMessageSize < 0 || l.MaxMessageSize > maxMessageSizeLimit:
		return fmt.Errorf("limits.maxMessageSize: %d is not between 0 and 1GB", l.MaxMessageSize)
	case l.QueryMemory < 0:
		return fmt.Errorf("limits.queryMemory: %d is negative", l.QueryMemory)
	}
	return nil
}

// validateUsers checks the users: names given once, keyspaces that exist.
func (c *Config) validateUsers() error {
	seen := map[string]bool{}
	for i, u := range c.Users {
		if u.Name == "" {
			return fmt.Errorf("users[%d]: no name", i)
		}
		if seen[u.Name] {
			return fmt.Errorf("users: %s is given twice", u.Name)
		}
		seen[u.Name] = true
		if u.ShardPassword != "" && u.ShardUser == "" {
			return fmt.Errorf("user %s: shardPassword without shardUser", u.Name)
		}
		if u.Keyspaces != nil && len(u.Keyspaces) == 0 {
			return fmt.Errorf("user %s: keyspaces: [] lets the user use nothing (leave it out for all keyspaces)", u.Name)
		}
		for _, ks := range u.Keyspaces {
			if _, ok := c.Keyspaces[ks]; !ok {
				return fmt.Errorf("user %s: keyspace %q is not in the config", u.Name, ks)
			}
		}
	}
	return nil
}
