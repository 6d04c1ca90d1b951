package dialect

import (
	"database/sql/driver"
	"errors"
	"math"

	"modernc.org/sqlite"
)

// pg_float(op, a, b, bits) is float4/float8 + - * / as Postgres computes
// it: in the type's precision (float4 in 32 bits), with 22003 when a finite
// computation overflows to infinity or a non-zero one underflows to zero,
// and 22012 for a zero divisor. SQLite would return Inf, 0 or NULL.
func init() {
	registerScalar("pg_float", 4, floatArith)
	registerScalar("pg_f4", 1, toFloat4)
	registerScalar("pg_f8", 1, storeFloat8)
}

// toFloat4 is pg_f4(x): x as a float4 holds it, the nearest float32 (22003
// when that overflows or underflows), as Postgres's casts to real do.
func toFloat4(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	f, null, err := oneArg(args[0], asFloat, "pgerr:42804:cannot convert to real")
	if null || err != nil {
		return nil, err
	}
	r := float64(float32(f))
	if math.IsInf(r, 0) && !math.IsInf(f, 0) {
		return nil, errors.New("pgerr:22003:value out of range: overflow")
	}
	if r == 0 && f != 0 {
		return nil, errors.New("pgerr:22003:value out of range: underflow")
	}
	if r == 0 && math.Signbit(r) {
		return nil, errNegativeZero
	}
	return r, nil
}

func floatArith(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	a, b, null, err := twoArgs(args[1], args[2], asFloat, "pgerr:42883:operator needs numeric operands")
	if null || err != nil {
		return nil, err
	}
	op, _ := args[0].(string)
	bits, _ := args[3].(int64)
	if bits == 32 {
		a, b = float64(float32(a)), float64(float32(b))
	}
	var r float64
	switch op {
	case "+":
		r = a + b
	case "-":
		r = a - b
	case "*":
		r = a * b
	case "/":
		if b == 0 {
			return nil, errors.New("pgerr:22012:division by zero")
		}
		r = a / b
	default:
		return nil, errors.New("pgerr:42883:operator " + op + " does not exist for floats")
	}
	if bits == 32 {
		r = float64(float32(r))
	}
	switch {
	case math.IsInf(r, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0):
		return nil, errors.New("pgerr:22003:value out of range: overflow")
	case r == 0 && a != 0 && (op == "*" && b != 0 || op == "/" && !math.IsInf(b, 0)):
		return nil, errors.New("pgerr:22003:value out of range: underflow")
	}
	return r, nil
}

func asFloat(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// errNegativeZero refuses to store -0 in a float column: SQLite's REAL
// storage keeps it as 0, so it would read back without its sign.
var errNegativeZero = errors.New("pgerr:0A000:-0 in a float column: SQLite shards store it as 0")

// storeFloat8 is pg_f8(x), a value stored in a float8 column: x, or the
// refusal of -0.
func storeFloat8(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if f, ok := args[0].(float64); ok && f == 0 && math.Signbit(f) {
		return nil, errNegativeZero
	}
	return args[0], nil
}
