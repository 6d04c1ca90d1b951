package engine

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// Coerce converts a value to the Go type the vindex hashes for a column of
// type oid, as Postgres would coerce a literal compared with that column:
// int64 for integer columns, the canonical text for text and uuid columns.
// Other column types are refused: equal values of them have many spellings
// (2.0 and 2.00, dates in several styles), and hashing their text would send
// equal values to different shards.
func Coerce(v any, oid uint32) (any, error) {
	switch sqltypes.CategoryOf(oid) {
	case sqltypes.CatInt:
		switch x := v.(type) {
		case NumericLit:
			if d, err := sqltypes.ParseDecimal(string(x)); err == nil {
				if n, ok := integralDecimal(d); ok {
					return n, nil
				}
			}
			return nil, notIntegralError{sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", sqltypes.TypeName(oid), string(x))}
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
				return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: \"%v\"", sqltypes.TypeName(oid), x)
			}
			return int64(x), nil
		case string:
			t := strings.TrimSpace(x)
			if n, err := strconv.ParseInt(t, 10, 64); err == nil {
				return n, nil
			}
			if d, err := sqltypes.ParseDecimal(t); err == nil {
				if n, ok := integralDecimal(d); ok {
					return n, nil
				}
			}
			return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", sqltypes.TypeName(oid), x)
		}
	case sqltypes.CatString:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case NumericLit:
			s = string(x)
		case []byte:
			s = string(x)
		case int64:
			s = strconv.FormatInt(x, 10)
		default:
			return v, nil
		}
		switch oid {
		case sqltypes.OIDBPChar:
			return strings.TrimRight(s, " "), nil
		case sqltypes.OIDUUID:
			return canonicalUUID(s)
		case sqltypes.OIDJSON, sqltypes.OIDJSONB:
			return nil, sqltypes.Unsupported("vindex on a column of type %s", sqltypes.TypeName(oid))
		}
		return s, nil
	case sqltypes.CatNumeric, sqltypes.CatFloat, sqltypes.CatTime, sqltypes.CatBool, sqltypes.CatBytes:
		return nil, sqltypes.Unsupported("vindex on a column of type %s (use an integer, text or uuid column)", sqltypes.TypeName(oid))
	}
	return v, nil
}

// shardForValue is the shard of t's rows whose vindex column, of type
// oid, holds v: v coerced as CoerceFor does, then mapped by the vindex.
func shardForValue(ks *router.Keyspace, t *router.Table, v any, oid uint32) (string, error) {
	cv, err := CoerceFor(t, v, oid)
	if err != nil {
		return "", err
	}
	return ks.ShardForValue(t, cv)
}

// CoerceFor converts a vindex column's value for the table's vindex: a
// range vindex with date bounds takes date and timestamp columns (as
// times without zone); everything else goes through Coerce.
func CoerceFor(t *router.Table, v any, oid uint32) (any, error) {
	rv, isRange := t.Vindex.(*router.Range)
	if !isRange || sqltypes.CategoryOf(oid) != sqltypes.CatTime {
		return Coerce(v, oid)
	}
	if oid != sqltypes.OIDDate && oid != sqltypes.OIDTimestamp {
		return nil, sqltypes.Unsupported("range vindex on a column of type %s (use date or timestamp: a %s literal depends on the session's TimeZone)", sqltypes.TypeName(oid), sqltypes.TypeName(oid))
	}
	if !rv.Times() {
		return nil, sqltypes.Unsupported("range vindex on %s column %s: its ranges are not dates (write them as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS')", sqltypes.TypeName(oid), t.VindexColumn())
	}
	var tm time.Time
	switch x := v.(type) {
	case time.Time:
		tm = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
	case string, []byte:
		var s string
		if b, ok := x.([]byte); ok {
			s = string(b)
		} else {
			s = x.(string)
		}
		var ok bool
		if tm, ok = router.ParseRangeTime(s); !ok {
			return nil, unprunableError{sqltypes.Unsupported("range vindex on %s column %s: the gate reads values written as 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]', not %q", sqltypes.TypeName(oid), t.VindexColumn(), s)}
		}
	default:
		return nil, sqltypes.Errorf(sqltypes.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%v\"", sqltypes.TypeName(oid), v)
	}
	if oid == sqltypes.OIDDate {
		tm = time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
	}
	return tm, nil
}

// unprunableError is CoerceFor's error for a value the gate cannot read
// but the shard can: a range bound of it does not prune, and anything that
// needs its shard is refused.
type unprunableError struct{ err error }

func (e unprunableError) Error() string { return e.err.Error() }
func (e unprunableError) Unwrap() error { return e.err }

// NumericLit is a numeric literal with a fraction or beyond int64 (1.5,
// 1e30): Postgres compares it with an integer column as a number, so that
// no integer equals it, unlike the string '1.5', which it refuses.
type NumericLit string

// notIntegralError is Coerce's error for a NumericLit that no value of an
// integer column equals.
type notIntegralError struct{ err error }

func (e notIntegralError) Error() string { return e.err.Error() }
func (e notIntegralError) Unwrap() error { return e.err }

// isNotIntegral reports Coerce's error for a number no integer equals:
// equality on it matches no row, and a range bound of it does not prune.
func isNotIntegral(err error) bool {
	var ni notIntegralError
	return errors.As(err, &ni)
}

func isUnprunable(err error) bool {
	var u unprunableError
	return errors.As(err, &u) || isNotIntegral(err)
}

// integralDecimal returns d as an int64 when it has no fraction.
func integralDecimal(d sqltypes.Decimal) (int64, bool) {
	s := d.String()
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// uuidPunct is what Postgres accepts around and between a uuid's digits.
var uuidPunct = strings.NewReplacer("-", "", "{", "", "}", "")

// canonicalUUID writes a uuid as Postgres prints it.
func canonicalUUID(s string) (string, error) {
	h := uuidPunct.Replace(strings.ToLower(strings.TrimSpace(s)))
	bad := len(h) != 32
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			bad = true
		}
	}
	if bad {
		return "", sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type uuid: \"%s\"", s)
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
