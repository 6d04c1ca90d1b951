package dialect

import (
	"database/sql/driver"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// The SQL functions SQLite shards need for exact Postgres semantics. They are
// registered with modernc.org/sqlite for every connection the "sqlite" driver
// opens after this package's init.
func init() {
	sqlite.MustRegisterFunction("pg_like", &sqlite.FunctionImpl{NArgs: 2, Deterministic: true, Scalar: likeFunc(false)})
	sqlite.MustRegisterFunction("pg_ilike", &sqlite.FunctionImpl{NArgs: 2, Deterministic: true, Scalar: likeFunc(true)})
	sqlite.MustRegisterFunction("pg_nz", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, Scalar: nonZero})
	sqlite.MustRegisterFunction("pg_nonneg", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, Scalar: nonNegative})
	sqlite.MustRegisterFunction("pg_lower", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, Scalar: textFunc(strings.ToLower)})
	sqlite.MustRegisterFunction("pg_upper", &sqlite.FunctionImpl{NArgs: 1, Deterministic: true, Scalar: textFunc(strings.ToUpper)})
}

func valueText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64, float64:
		b, _ := RenderValue(x, sqltypes.NewField("", sqltypes.OIDText))
		return string(b), true
	}
	return "", false
}

func likeFunc(fold bool) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if args[0] == nil || args[1] == nil {
			return nil, nil
		}
		s, ok1 := valueText(args[0])
		p, ok2 := valueText(args[1])
		if !ok1 || !ok2 {
			return nil, errors.New("pgerr:42883:LIKE needs text operands")
		}
		if fold {
			s, p = strings.ToLower(s), strings.ToLower(p)
		}
		m, err := likeMatch(s, p)
		if err != nil {
			return nil, err
		}
		if m {
			return int64(1), nil
		}
		return int64(0), nil
	}
}

// likeMatch implements Postgres LIKE with the default escape character '\'.
func likeMatch(s, p string) (bool, error) {
	for len(p) > 0 {
		r, n := utf8.DecodeRuneInString(p)
		switch r {
		case '%':
			p = p[n:]
			for strings.HasPrefix(p, "%") {
				p = p[1:]
			}
			if p == "" {
				return true, nil
			}
			for i := 0; i <= len(s); {
				if ok, err := likeMatch(s[i:], p); ok || err != nil {
					return ok, err
				}
				if i == len(s) {
					break
				}
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
			return false, nil
		case '_':
			if s == "" {
				return false, nil
			}
			_, w := utf8.DecodeRuneInString(s)
			s, p = s[w:], p[n:]
		default:
			if r == '\\' {
				p = p[n:]
				if p == "" {
					return false, errors.New("pgerr:22025:LIKE pattern must not end with escape character")
				}
				r, n = utf8.DecodeRuneInString(p)
			}
			c, w := utf8.DecodeRuneInString(s)
			if s == "" || c != r {
				return false, nil
			}
			s, p = s[w:], p[n:]
		}
	}
	return s == "", nil
}

func nonZero(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch x := args[0].(type) {
	case int64:
		if x == 0 {
			return nil, errors.New("pgerr:22012:division by zero")
		}
	case float64:
		if x == 0 {
			return nil, errors.New("pgerr:22012:division by zero")
		}
	}
	return args[0], nil
}

func nonNegative(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if x, ok := args[0].(int64); ok && x < 0 {
		return nil, errors.New("pgerr:22011:negative substring length not allowed")
	}
	return args[0], nil
}

func textFunc(fn func(string) string) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if args[0] == nil {
			return nil, nil
		}
		s, ok := valueText(args[0])
		if !ok {
			return nil, errors.New("pgerr:42883:function needs a text argument")
		}
		return fn(s), nil
	}
}
