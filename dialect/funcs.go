package dialect

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// The SQL functions SQLite shards need for exact Postgres semantics. They are
// registered with modernc.org/sqlite for every connection the "sqlite" driver
// opens after this package's init.
func init() {
	registerScalar("pg_like", 2, likeFunc(false))
	registerScalar("pg_ilike", 2, likeFunc(true))
	registerScalar("pg_nz", 1, nonZero)
	registerScalar("pg_nonneg", 1, nonNegative)
	registerScalar("pg_lower", 1, textFunc(asciiLower))
	registerScalar("pg_upper", 1, textFunc(asciiUpper))
	registerScalar("pg_round", 2, roundNumeric)
	registerAggregate("pg_sum", 2, newExactAgg(false))
	registerAggregate("pg_avg", 2, newExactAgg(true))
	// one-argument forms for DISTINCT (SQLite allows DISTINCT with one
	// argument only): the argument is the value's exact text
	registerAggregate("pg_sum1", 1, newExactAgg(false))
	registerAggregate("pg_avg1", 1, newExactAgg(true))
}

// registerScalar and registerAggregate register a deterministic SQL
// function of nargs arguments (-1: any number).
func registerScalar(name string, nargs int32, fn func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)) {
	sqlite.MustRegisterFunction(name, &sqlite.FunctionImpl{NArgs: nargs, Deterministic: true, Scalar: fn})
}

func registerAggregate(name string, nargs int32, mk func(sqlite.FunctionContext) (sqlite.AggregateFunction, error)) {
	sqlite.MustRegisterFunction(name, &sqlite.FunctionImpl{NArgs: nargs, Deterministic: true, MakeAggregate: mk})
}

// oneArg and twoArgs read the arguments of a strict SQL function with
// conv: null when one is NULL (the function returns NULL), the error msg
// when one does not convert.
func oneArg[T any](x driver.Value, conv func(driver.Value) (T, bool), msg string) (a T, null bool, err error) {
	if x == nil {
		return a, true, nil
	}
	a, ok := conv(x)
	if !ok {
		return a, false, errors.New(msg)
	}
	return a, false, nil
}

func twoArgs[T any](x, y driver.Value, conv func(driver.Value) (T, bool), msg string) (a, b T, null bool, err error) {
	if x == nil || y == nil {
		return a, b, true, nil
	}
	a, ok1 := conv(x)
	b, ok2 := conv(y)
	if !ok1 || !ok2 {
		return a, b, false, errors.New(msg)
	}
	return a, b, false, nil
}

// asciiLower and asciiUpper change the case of ASCII letters only, as
// Postgres's lower/upper (and ILIKE) do under the C locale.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, s)
}

// exactAgg is pg_sum(x, scale) / pg_avg(x, scale): Postgres's sum over int8
// and numeric and avg over integers and numeric, computed exactly with
// sqltypes.Decimal. scale is the display scale of the argument's values
// (-1: take each value's own); it matters because SQLite keeps numeric
// values as INTEGER or REAL, which have lost it. The result is the numeric's
// text (TEXT, so no digit is lost), or NULL when no non-NULL row was seen.
type exactAgg struct {
	avg   bool
	sum   sqltypes.Decimal
	count int64
	// fast holds the sum of the values that fit an int64 once scaled by
	// 10^fastScale: adding them is much cheaper than Decimal arithmetic.
	fast      int64
	fastScale int
	fastUsed  bool
}

func newExactAgg(avg bool) func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
	return func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
		return &exactAgg{avg: avg}, nil
	}
}

var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// scaled returns v * 10^scale as an exact int64 when that is safe: an
// integer, or a REAL of a numeric(p, scale) column (stored rounded to scale
// decimals) small enough that float64 holds it exactly.
func scaled(v driver.Value, scale int) (int64, bool) {
	if scale < 0 || scale >= len(pow10) {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		m := int64(pow10[scale])
		if x > math.MaxInt64/m || x < math.MinInt64/m {
			return 0, false
		}
		return x * m, true
	case float64:
		y := x * pow10[scale]
		if math.IsNaN(y) || math.Abs(y) > 1<<52 {
			return 0, false
		}
		r := math.Round(y)
		if math.Abs(y-r) > 1e-6 {
			return 0, false
		}
		return int64(r), true
	}
	return 0, false
}

func (a *exactAgg) add(args []driver.Value, sign int64) error {
	if args[0] == nil {
		return nil
	}
	scale := -1
	if len(args) < 2 {
		// pg_sum1/pg_avg1: integers or exact texts
	} else if s, ok := args[1].(int64); ok {
		scale = int(s)
	}
	if n, ok := scaled(args[0], scale); ok && (!a.fastUsed || a.fastScale == scale) {
		n *= sign
		if (n > 0 && a.fast <= math.MaxInt64-n) || (n <= 0 && a.fast >= math.MinInt64-n) {
			a.fast += n
			a.fastScale, a.fastUsed = scale, true
			a.count += sign
			return nil
		}
	}
	d, err := toDecimal(args[0], scale)
	if err != nil {
		return err
	}
	if sign < 0 {
		a.sum = a.sum.Sub(d)
	} else {
		a.sum = a.sum.Add(d)
	}
	a.count += sign
	return nil
}

func (a *exactAgg) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	return a.add(args, 1)
}

func (a *exactAgg) WindowInverse(_ *sqlite.FunctionContext, args []driver.Value) error {
	return a.add(args, -1)
}

func (a *exactAgg) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if a.count == 0 {
		return nil, nil
	}
	total := a.sum
	if a.fastUsed {
		total = total.Add(sqltypes.NewDecimal(big.NewInt(a.fast), a.fastScale))
	}
	if a.avg {
		return sqltypes.DivAvg(total, a.count).String(), nil
	}
	return total.String(), nil
}

func (a *exactAgg) Final(*sqlite.FunctionContext) {}

// toDecimal reads a numeric value as SQLite stored it. A REAL is taken with
// the 15 significant digits Postgres's float8 -> numeric cast keeps; with a
// scale >= 0 the value is given exactly that many decimals.
func toDecimal(v driver.Value, scale int) (sqltypes.Decimal, error) {
	var s string
	switch x := v.(type) {
	case int64:
		if scale <= 0 {
			return sqltypes.DecimalFromInt64(x), nil
		}
		s = new(big.Rat).SetInt64(x).FloatString(scale)
	case float64:
		s = formatNumericFloat(x, scale)
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return sqltypes.Decimal{}, fmt.Errorf("pgerr:42883:function sum/avg needs a numeric argument, not %T", v)
	}
	d, err := sqltypes.ParseDecimal(s)
	if err != nil {
		return d, errors.New("pgerr:22P02:" + err.Error())
	}
	if scale > d.Scale() && !d.IsNaN() && !d.IsInf() {
		d = d.Add(sqltypes.NewDecimal(new(big.Int), scale))
	}
	return d, nil
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
		s, p, null, err := twoArgs(args[0], args[1], valueText, "pgerr:42883:LIKE needs text operands")
		if null || err != nil {
			return nil, err
		}
		if fold {
			s, p = asciiLower(s), asciiLower(p)
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
		s, null, err := oneArg(args[0], valueText, "pgerr:42883:function needs a text argument")
		if null || err != nil {
			return nil, err
		}
		return fn(s), nil
	}
}

// roundNumeric is pg_round(x, n): Postgres's round(numeric, int) (also the
// rounding of a numeric(p,s) assignment or cast) on a value SQLite keeps as
// INTEGER or REAL. A REAL is first read as the decimal its 15 significant
// digits spell, then rounded half away from zero, so 2.675 gives 2.68 where
// SQLite's own round() gives 2.67. The result is an INTEGER when it has no
// fraction and fits, otherwise the nearest REAL.
func roundNumeric(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil {
		return nil, nil
	}
	n, ok := args[1].(int64)
	if !ok {
		return nil, errors.New("pgerr:42883:function round(numeric, non-integer) does not exist")
	}
	if x, ok := args[0].(int64); ok && n >= 0 {
		return x, nil
	}
	if x, ok := args[0].(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
		return x, nil
	}
	d, err := toDecimal(args[0], -1)
	if err != nil {
		return nil, err
	}
	r, ok := new(big.Rat).SetString(d.String())
	if !ok {
		return args[0], nil
	}
	n = max(min(n, 1000), -1000)
	// round r * 10^n half away from zero, then scale back
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(n)), nil))
	if n >= 0 {
		r.Mul(r, p)
	} else {
		r.Quo(r, p)
	}
	q := roundHalfAway(r)
	if n > 0 {
		res := new(big.Rat).SetFrac(q, p.Num())
		if res.IsInt() && res.Num().IsInt64() {
			return res.Num().Int64(), nil
		}
		f, _ := res.Float64()
		return f, nil
	}
	if n < 0 {
		q.Mul(q, p.Num())
	}
	if q.IsInt64() {
		return q.Int64(), nil
	}
	f, _ := new(big.Float).SetInt(q).Float64()
	return f, nil
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// roundHalfAway rounds r to the nearest integer, halves away from zero.
func roundHalfAway(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}
