package gate

import (
	"path/filepath"

	"github.com/dotdo/vitess/router"
)

// Options are the serve flags; zero values mean "not given".
type Options struct {
	Config, Listen, Admin, DataDir string
	AdminToken                     string
	Shards                         int
}

// LoadConfig reads the config file (if any) and applies flags and defaults.
func LoadConfig(o Options) (*router.Config, error) {
	cfg := &router.Config{}
	if o.Config != "" {
		var err error
		if cfg, err = router.LoadConfig(o.Config); err != nil {
			return nil, err
		}
	}
	if o.Listen != "" {
		cfg.Listen = o.Listen
	}
	if o.Admin != "" {
		cfg.Admin.Listen = o.Admin
	}
	if o.AdminToken != "" {
		cfg.Admin.Token = o.AdminToken
	}
	if o.DataDir != "" {
		cfg.DataDir = o.DataDir
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:15432"
	}
	if cfg.Admin.Listen == "" {
		cfg.Admin.Listen = "127.0.0.1:15000"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "vitess-data"
	}
	if cfg.Metadata == "" {
		cfg.Metadata = "sqlite:" + filepath.Join(cfg.DataDir, "meta.db")
	}
	if len(cfg.Keyspaces) == 0 || o.Shards > 0 {
		n := o.Shards
		if n == 0 {
			n = 4
		}
		ks, err := router.DefaultKeyspace(cfg.DataDir, n)
		if err != nil {
			return nil, err
		}
		if cfg.Keyspaces == nil {
			cfg.Keyspaces = map[string]*router.KeyspaceConfig{}
		}
		// --shards replaces main's shards; the rest of its config stays.
		if old, ok := cfg.Keyspaces["main"]; ok {
			old.Sharded, old.Shards = ks["main"].Sharded, ks["main"].Shards
			ks["main"] = old
		}
		cfg.Keyspaces["main"] = ks["main"]
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}
