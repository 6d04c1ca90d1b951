package dialect

import (
	"database/sql/driver"
	"errors"
	"math"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// Integer arithmetic and substr with Postgres semantics. SQLite computes
// integer + - * / in 64 bits and turns an int64 overflow into a REAL;
// Postgres raises 22003 when a result leaves the range of its type
// (int2, int4 or int8). SQLite's substr counts a negative start from the
// end of the string; Postgres's counts it before the first character.
func init() {
	for name, r := range map[string]intRange{
		"pg_i2": {math.MinInt16, math.MaxInt16, "smallint"},
		"pg_i4": {math.MinInt32, math.MaxInt32, "integer"},
		"pg_i8": {math.MinInt64, math.MaxInt64, "bigint"},
	} {
		registerScalar(name, 1, r.check)
	}
	registerScalar("pg_rint", 1, rintFunc)
	registerScalar("pg_substr", -1, substrFunc)
}

type intRange struct {
	lo, hi int64
	name   string
}

// check passes an integer result through, or raises 22003 when it is out of
// the type's range; a REAL is what SQLite made of an int64 overflow.
func (r intRange) check(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch x := args[0].(type) {
	case int64:
		if x >= r.lo && x <= r.hi {
			return x, nil
		}
	case float64:
	default:
		return args[0], nil
	}
	return nil, errors.New("pgerr:22003:" + r.name + " out of range")
}

// intOp wraps integer arithmetic of Postgres type oid in its range check.
func intOp(sql string, oid uint32) string {
	switch oid {
	case sqltypes.OIDInt2:
		return "pg_i2(" + sql + ")"
	case sqltypes.OIDInt8:
		return "pg_i8(" + sql + ")"
	}
	return "pg_i4(" + sql + ")"
}

// substrFunc is Postgres's substr(s, start [, count]) on characters: the
// characters at positions start .. start+count-1 that exist (positions
// before 1 select nothing).
func substrFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, errors.New("pgerr:42883:function substr needs 2 or 3 arguments")
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	s, ok := valueText(args[0])
	start, ok2 := args[1].(int64)
	if !ok || !ok2 {
		return nil, errors.New("pgerr:42883:function substr needs (text, integer [, integer])")
	}
	rs := []rune(s)
	end := int64(len(rs)) + 1
	if len(args) == 3 {
		n, ok := args[2].(int64)
		if !ok {
			return nil, errors.New("pgerr:42883:function substr needs (text, integer, integer)")
		}
		if n < 0 {
			return nil, errors.New("pgerr:22011:negative substring length not allowed")
		}
		if start <= end-n { // start+n without overflow
			end = start + n
		}
	}
	start = max(start, 1)
	end = min(end, int64(len(rs))+1)
	if start >= end {
		return "", nil
	}
	return string(rs[start-1 : end-1]), nil
}

// intRank orders the integer types by width.
func intRank(oid uint32) int {
	switch oid {
	case sqltypes.OIDInt2:
		return 1
	case sqltypes.OIDInt4, sqltypes.OIDOid:
		return 2
	}
	return 3
}

// toInt is e converted to integer type to as Postgres's casts (and
// assignments) do: a narrower type is range-checked, a numeric rounded half
// away from zero and a float to the nearest even (rint), both then checked;
// ok is false when from is not a number.
func toInt(to typ, e ex) (string, bool) {
	switch e.t.cat() {
	case sqltypes.CatInt:
		if intRank(e.t.oid) <= intRank(to.oid) {
			return e.sql, true
		}
		return intOp(e.sql, to.oid), true
	case sqltypes.CatNumeric:
		// pg_round gives a REAL when the value leaves int64: pg_i8 refuses it
		return intOp("pg_round("+e.sql+", 0)", to.oid), true
	case sqltypes.CatFloat:
		return intOp("pg_rint("+e.sql+")", to.oid), true
	}
	return "", false
}

// rintFunc is pg_rint(x): a float rounded to the nearest integer, halves to
// even, as an INTEGER; a REAL (refused by pg_i8) when it leaves int64.
func rintFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch x := args[0].(type) {
	case float64:
		r := math.RoundToEven(x)
		if r >= -(1<<63) && r < 1<<63 {
			return int64(r), nil
		}
		return r, nil
	}
	return args[0], nil
}
