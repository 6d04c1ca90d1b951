package vtgate

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"
)

// The gate reads every statement with standard_conforming_strings on and
// UTF8 text, and the shards must read the text it forwards the same way
// (see shards/reading.go): a backslash that escapes a quote for one reader
// and not the other lets a client hide a second statement inside what the
// gate planned as a string. So a session may not turn either setting to
// something else, by SET, SET LOCAL, the startup packet or options=-c.
// backslash_quote and escape_string_warning stay free: with UTF8 and
// standard_conforming_strings on they change only whether \' in an E'...'
// string is an error or a warning, never where a string ends.

// checkReading refuses a value of a setting that would change how a shard
// reads statement text.
func checkReading(name, value string) error {
	v := strings.ToLower(strings.TrimSpace(value))
	switch strings.ToLower(name) {
	case "standard_conforming_strings":
		switch v {
		case "on", "true", "yes", "1", "t", "y":
			return nil
		}
		return sqltypes.Errorf(sqltypes.FeatureNotSupported, "standard_conforming_strings = %s is not supported: the gate reads every statement with standard_conforming_strings on (write E'...' strings for backslash escapes)", value)
	case "client_encoding":
		switch encodingSpelling.Replace(v) {
		case "utf8", "unicode", "sqlascii":
			return nil
		}
		return sqltypes.Errorf(sqltypes.FeatureNotSupported, "client_encoding %s is not supported: the gate speaks UTF8 only", value)
	}
	return nil
}

// checkStartupReading checks the startup parameters and their options=-c
// settings.
func checkStartupReading(params map[string]string) error {
	for k, v := range params {
		if err := checkReading(k, v); err != nil {
			return err
		}
	}
	for k, v := range parseOptions(params["options"]) {
		if err := checkReading(k, v); err != nil {
			return err
		}
	}
	return nil
}

// encodingSpelling drops what encoding names may differ by (UTF-8, utf_8).
var encodingSpelling = strings.NewReplacer("-", "", "_", "")
