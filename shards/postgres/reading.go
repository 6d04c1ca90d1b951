package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/sqltypes"
)

// One reading of each statement. The gate parses a statement with
// standard_conforming_strings on and UTF8 text, then sends its text (or a
// part of it) to a shard; a backend that lexed the same bytes otherwise
// (backslashes escaping quotes, a client-only encoding whose multibyte
// characters hide a quote or backslash) could find a statement boundary or
// a string end where the gate found none, and run a statement the gate
// never planned. So every backend starts with both settings pinned (the
// startup packet outranks ALTER ROLE/DATABASE ... SET), and the text of a
// statement is sent only to a backend whose last reported settings are
// still those: Postgres reports both with ParameterStatus whenever they
// change, also when a function, a DO block or set_config() changed them.

// pinnedParams are the startup parameters of every backend the gate pools.
var pinnedParams = map[string]string{
	"standard_conforming_strings": "on",
	"client_encoding":             "UTF8",
}

// pinReading sets the pinned parameters in a shard URL's config, refusing a
// URL that asks for other values.
func pinReading(cfg *pgx.ConnConfig) error {
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for k, v := range pinnedParams {
		if got, ok := cfg.RuntimeParams[k]; ok && !sameSetting(k, got, v) {
			return fmt.Errorf("shard URL sets %s=%s: the gate reads statements with %s=%s", k, got, k, v)
		}
		cfg.RuntimeParams[k] = v
	}
	return nil
}

// oneReading refuses to send statement text to a backend whose lexing
// settings have changed since its startup, and marks it broken so that the
// pool closes it.
func (b *pgBackend) oneReading() error {
	pc := b.conn.PgConn()
	for k, v := range pinnedParams {
		if got := pc.ParameterStatus(k); !sameSetting(k, got, v) {
			b.broken = true
			return sqltypes.Errorf(sqltypes.FeatureNotSupported, "the shard session's %s changed to %q (the gate reads every statement with %s); the shard connection is closed and the statement was not sent", k, got, v)
		}
	}
	return nil
}

func sameSetting(name, got, want string) bool {
	if got == want {
		return true // every statement asks: the common case costs a compare
	}
	norm := func(s string) string {
		s = strings.ToLower(s)
		if name == "client_encoding" {
			s = encodingSpelling.Replace(s)
			if s == "unicode" {
				s = "utf8"
			}
		}
		return s
	}
	return norm(got) == norm(want)
}

// encodingSpelling drops what encoding names may differ by (UTF-8, utf_8).
var encodingSpelling = strings.NewReplacer("-", "", "_", "")
