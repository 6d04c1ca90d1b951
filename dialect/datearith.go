package dialect

import (
	"database/sql/driver"
	"errors"
	"time"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// date ± integer and date - date, as Postgres's date_pli/date_mii/date_mi.
// Dates are stored as "YYYY-MM-DD"; a result outside years 1..9999 is
// refused because that text form (and its sort order) would not hold.
func init() {
	registerScalar("pg_date_add", 2, dateAdd)
	registerScalar("pg_date_diff", 2, dateDiff)
}

func storedDate(v driver.Value) (time.Time, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, false
	}
	d, err := time.Parse("2006-01-02", s)
	return d, err == nil
}

func dateAdd(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	d, ok := storedDate(args[0])
	n, isInt := args[1].(int64)
	if !ok || !isInt {
		return nil, errors.New("pgerr:0A000:feature not supported on SQLite shards: date arithmetic on this value")
	}
	r := d.AddDate(0, 0, int(n))
	if r.Year() < 1 || r.Year() > 9999 {
		return nil, errors.New("pgerr:0A000:feature not supported on SQLite shards: dates outside years 1..9999")
	}
	return r.Format("2006-01-02"), nil
}

func dateDiff(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	a, b, null, err := twoArgs(args[0], args[1], storedDate, "pgerr:0A000:feature not supported on SQLite shards: date arithmetic on this value")
	if null || err != nil {
		return nil, err
	}
	// Unix seconds, not a.Sub: a Duration saturates after 292 years
	return (a.Unix() - b.Unix()) / 86400, nil
}

// dateArith prints + and - with a date operand; ok is false when neither
// operand is a date or time.
func dateArith(op string, l, r ex) (ex, bool) {
	lt, rt := l.t.cat() == sqltypes.CatTime, r.t.cat() == sqltypes.CatTime
	if !lt && !rt {
		return ex{}, false
	}
	dateT := mk(sqltypes.OIDDate)
	smallInt := func(t typ) bool { return t.oid == sqltypes.OIDInt4 || t.oid == sqltypes.OIDInt2 }
	switch {
	case op == "+" && l.t.oid == sqltypes.OIDDate && smallInt(r.t):
		return ex{"pg_date_add(" + l.sql + ", " + r.sql + ")", dateT}, true
	case op == "+" && r.t.oid == sqltypes.OIDDate && smallInt(l.t):
		return ex{"pg_date_add(" + r.sql + ", " + l.sql + ")", dateT}, true
	case op == "-" && l.t.oid == sqltypes.OIDDate && smallInt(r.t):
		return ex{"pg_date_add(" + l.sql + ", -(" + r.sql + "))", dateT}, true
	case op == "-" && l.t.oid == sqltypes.OIDDate && r.t.oid == sqltypes.OIDDate:
		return ex{"pg_date_diff(" + l.sql + ", " + r.sql + ")", mk(sqltypes.OIDInt4)}, true
	case (op == "+" || op == "-") && (l.t.oid == 0 || r.t.oid == 0 || lt && rt):
		// date/time with time, timestamp or an untyped operand: intervals
		// and timestamps Postgres computes here are not implemented
		unsupported("operator %s on %s and %s", op, sqltypes.TypeName(l.t.oid), sqltypes.TypeName(r.t.oid))
	}
	fail(sqltypes.UndefinedFunction, "operator does not exist: %s %s %s", sqltypes.TypeName(l.t.oid), op, sqltypes.TypeName(r.t.oid))
	return ex{}, false
}
