package dialect

import "github.com/dotdo/vitess/sqltypes"

// Postgres compares an integer or numeric with a float by converting it to
// float8 (int8 9007199254740993 equals 9007199254740992::float8); SQLite
// compares INTEGER with REAL exactly. asFloat8 converts such an operand.

func isFloat(t typ) bool { return t.cat() == sqltypes.CatFloat }

func isExactNum(t typ) bool {
	c := t.cat()
	return c == sqltypes.CatInt || c == sqltypes.CatNumeric
}

func asFloat8(e ex) ex {
	if isExactNum(e.t) {
		e.sql = "CAST(" + e.sql + " AS REAL)"
	}
	return e
}

// floatPair converts the integer or numeric side of a comparison with a
// float to float8.
func floatPair(l, r ex) (ex, ex) {
	if isFloat(l.t) && isExactNum(r.t) {
		return l, asFloat8(r)
	}
	if isFloat(r.t) && isExactNum(l.t) {
		return asFloat8(l), r
	}
	return l, r
}
