package sqltypes

import (
	"fmt"
	"math/big"
	"strings"
)

// Postgres numeric limits (numeric.h).
const (
	numericMinSigDigits    = 16   // NUMERIC_MIN_SIG_DIGITS
	numericMaxDisplayScale = 1000 // NUMERIC_MAX_DISPLAY_SCALE
	numericMinDisplayScale = 0    // NUMERIC_MIN_DISPLAY_SCALE
	numericMaxExponent     = 1000 // NUMERIC_MAX_PRECISION bounds input exponents
	decDigits              = 4    // DEC_DIGITS: decimal digits per base-10000 digit
)

type decKind uint8

const (
	decFinite decKind = iota
	decNaN
	decPosInf
	decNegInf
)

// Decimal is an exact Postgres numeric: an arbitrary-precision unscaled
// integer and a display scale (digits after the decimal point), or one of
// the special values NaN, Infinity and -Infinity. The zero value is 0.
// Decimals are immutable.
type Decimal struct {
	kind  decKind
	u     *big.Int // unscaled value; nil means 0
	scale int32
}

// NaNDecimal is the numeric 'NaN'.
var NaNDecimal = Decimal{kind: decNaN}

// DecimalFromInt64 returns v with scale 0.
func DecimalFromInt64(v int64) Decimal {
	return Decimal{u: big.NewInt(v)}
}

// NewDecimal returns unscaled * 10^-scale. scale must not be negative.
func NewDecimal(unscaled *big.Int, scale int) Decimal {
	if scale < 0 {
		panic("sqltypes: negative decimal scale")
	}
	return Decimal{u: new(big.Int).Set(unscaled), scale: int32(scale)}
}

// ParseDecimal parses Postgres numeric input: an optional sign, digits with
// an optional decimal point, an optional exponent ("1.5e3"), surrounding
// spaces, or NaN / Infinity / -Infinity (case-insensitive, "inf" too). The
// scale is the number of digits after the point (reduced by a positive
// exponent, never below 0), as Postgres's numeric_in sets it.
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan":
		return Decimal{kind: decNaN}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return Decimal{kind: decPosInf}, nil
	case "-infinity", "-inf":
		return Decimal{kind: decNegInf}, nil
	}
	bad := func() (Decimal, error) {
		return Decimal{}, fmt.Errorf("invalid input syntax for type numeric: %q", s)
	}
	i := 0
	neg := false
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		neg = t[i] == '-'
		i++
	}
	digits := make([]byte, 0, len(t))
	scale := 0
	seenPoint, seenDigit := false, false
	for ; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			seenDigit = true
			if seenPoint {
				scale++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			goto exponent
		}
	}
exponent:
	if !seenDigit {
		return bad()
	}
	if i < len(t) {
		if t[i] != 'e' && t[i] != 'E' {
			return bad()
		}
		i++
		eneg := false
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			eneg = t[i] == '-'
			i++
		}
		if i == len(t) {
			return bad()
		}
		exp := 0
		for ; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return bad()
			}
			exp = exp*10 + int(c-'0')
			if exp > numericMaxExponent {
				return Decimal{}, fmt.Errorf("invalid input syntax for type numeric: %q (exponent out of range)", s)
			}
		}
		if eneg {
			exp = -exp
		}
		// value = digits * 10^(exp - scale)
		scale -= exp
		if scale < 0 {
			for ; scale < 0; scale++ {
				digits = append(digits, '0')
			}
		}
	}
	u, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return bad()
	}
	if neg {
		u.Neg(u)
	}
	return Decimal{u: u, scale: int32(scale)}, nil
}

// MustParseDecimal is ParseDecimal for constants; it panics on error.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Decimal) unscaled() *big.Int {
	if d.u == nil {
		return new(big.Int)
	}
	return d.u
}

// IsNaN reports whether d is NaN.
func (d Decimal) IsNaN() bool { return d.kind == decNaN }

// IsInf reports whether d is Infinity or -Infinity.
func (d Decimal) IsInf() bool { return d.kind == decPosInf || d.kind == decNegInf }

// Scale is the number of digits after the decimal point (0 for specials).
func (d Decimal) Scale() int { return int(d.scale) }

// Sign returns -1, 0 or +1 (NaN gives 0).
func (d Decimal) Sign() int {
	switch d.kind {
	case decPosInf:
		return 1
	case decNegInf:
		return -1
	case decNaN:
		return 0
	}
	if d.u == nil {
		return 0
	}
	return d.u.Sign()
}

// rescaled returns the unscaled value of d at a scale >= d.scale.
func (d Decimal) rescaled(scale int32) *big.Int {
	u := d.unscaled()
	if scale == d.scale {
		return u
	}
	return new(big.Int).Mul(u, pow10(int(scale-d.scale)))
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// Add returns d + e with the larger of the two scales, as Postgres's
// numeric addition does. NaN plus anything and Infinity plus -Infinity are
// NaN; an infinity plus a finite value is that infinity.
func (d Decimal) Add(e Decimal) Decimal {
	if d.kind != decFinite || e.kind != decFinite {
		switch {
		case d.kind == decNaN || e.kind == decNaN:
			return NaNDecimal
		case d.kind == decFinite:
			return e
		case e.kind == decFinite || d.kind == e.kind:
			return d
		default:
			return NaNDecimal
		}
	}
	scale := max(d.scale, e.scale)
	return Decimal{u: new(big.Int).Add(d.rescaled(scale), e.rescaled(scale)), scale: scale}
}

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	switch d.kind {
	case decPosInf:
		return Decimal{kind: decNegInf}
	case decNegInf:
		return Decimal{kind: decPosInf}
	case decNaN:
		return d
	}
	return Decimal{u: new(big.Int).Neg(d.unscaled()), scale: d.scale}
}

// Sub returns d - e.
func (d Decimal) Sub(e Decimal) Decimal { return d.Add(e.Neg()) }

// Mul returns d * e with the sum of the two scales, exactly, as Postgres's
// numeric multiplication does (its result scale is the sum of the display
// scales, so no digit is rounded away). NaN times anything and an infinity
// times zero are NaN; an infinity times a non-zero value is an infinity
// with the product's sign.
func (d Decimal) Mul(e Decimal) Decimal {
	if d.kind != decFinite || e.kind != decFinite {
		if d.kind == decNaN || e.kind == decNaN || d.Sign() == 0 || e.Sign() == 0 {
			return NaNDecimal
		}
		if d.Sign()*e.Sign() < 0 {
			return Decimal{kind: decNegInf}
		}
		return Decimal{kind: decPosInf}
	}
	scale := min(d.scale+e.scale, numericMaxDisplayScale)
	u := new(big.Int).Mul(d.unscaled(), e.unscaled())
	if extra := d.scale + e.scale - scale; extra > 0 {
		u.Quo(u, pow10(int(extra))) // beyond Postgres's maximum display scale
	}
	return Decimal{u: u, scale: scale}
}

// rank orders the kinds as Postgres sorts numerics: -Infinity, finite
// values, Infinity, NaN.
func (d Decimal) rank() int {
	switch d.kind {
	case decNegInf:
		return 0
	case decPosInf:
		return 2
	case decNaN:
		return 3
	}
	return 1
}

// Cmp compares d and e in Postgres order: -Infinity < finite < Infinity <
// NaN, NaN equal to NaN, and finite values by value regardless of scale
// (1.0 equals 1.00).
func (d Decimal) Cmp(e Decimal) int {
	if rd, re := d.rank(), e.rank(); rd != re || rd != 1 {
		return cmpInt(rd, re)
	}
	scale := max(d.scale, e.scale)
	return d.rescaled(scale).Cmp(e.rescaled(scale))
}

// String renders d as Postgres's numeric output: no exponent, exactly
// Scale digits after the point ("12.50", "-0.001", "3"), or NaN, Infinity,
// -Infinity.
func (d Decimal) String() string {
	switch d.kind {
	case decNaN:
		return "NaN"
	case decPosInf:
		return "Infinity"
	case decNegInf:
		return "-Infinity"
	}
	u := d.unscaled()
	digits := new(big.Int).Abs(u).String()
	scale := int(d.scale)
	var b strings.Builder
	b.Grow(len(digits) + scale + 3)
	if u.Sign() < 0 {
		b.WriteByte('-')
	}
	if scale == 0 {
		b.WriteString(digits)
		return b.String()
	}
	if len(digits) <= scale {
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", scale-len(digits)))
		b.WriteString(digits)
		return b.String()
	}
	b.WriteString(digits[:len(digits)-scale])
	b.WriteByte('.')
	b.WriteString(digits[len(digits)-scale:])
	return b.String()
}

// weightAndFirstDigit returns the weight (power of 10000) of the most
// significant base-10000 digit of |d| and that digit's value, as
// Postgres's NumericVar holds them; 0 has weight 0 and first digit 0.
func (d Decimal) weightAndFirstDigit() (weight, first int) {
	u := d.unscaled()
	if u.Sign() == 0 {
		return 0, 0
	}
	digits := new(big.Int).Abs(u).String()
	e := len(digits) - 1 - int(d.scale) // decimal exponent of the leading digit
	weight = floorDiv(e, decDigits)
	n := e - weight*decDigits + 1 // decimal digits in the leading base-10000 digit, 1..4
	for i := 0; i < n; i++ {
		first *= 10
		if i < len(digits) {
			first += int(digits[i] - '0')
		}
	}
	return weight, first
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// divScale is Postgres's select_div_scale: enough digits for at least
// NUMERIC_MIN_SIG_DIGITS significant digits, never less than either
// operand's scale, within the display-scale bounds.
func divScale(d, e Decimal) int {
	w1, f1 := d.weightAndFirstDigit()
	w2, f2 := e.weightAndFirstDigit()
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := numericMinSigDigits - qweight*decDigits
	rscale = max(rscale, int(d.scale), int(e.scale), numericMinDisplayScale)
	return min(rscale, numericMaxDisplayScale)
}

// Div returns d / e as Postgres's numeric division does: the result scale
// is chosen by select_div_scale and the quotient is rounded half away from
// zero at that scale. Division of a finite value by zero is an error
// (SQLSTATE 22012).
func (d Decimal) Div(e Decimal) (Decimal, error) {
	if d.kind != decFinite || e.kind != decFinite {
		switch {
		case d.kind == decNaN || e.kind == decNaN:
			return NaNDecimal, nil
		case d.kind != decFinite && e.kind != decFinite:
			return NaNDecimal, nil // Inf / Inf
		case d.kind == decFinite:
			return Decimal{}, nil // finite / Inf = 0
		default: // Inf / finite
			switch e.Sign() {
			case 0:
				return Decimal{}, Errorf(DivisionByZero, "division by zero")
			case -1:
				return d.Neg(), nil
			}
			return d, nil
		}
	}
	if e.Sign() == 0 {
		return Decimal{}, Errorf(DivisionByZero, "division by zero")
	}
	rscale := divScale(d, e)
	// d/e * 10^rscale = ud * 10^(se + rscale - sd) / ue
	num := new(big.Int).Abs(d.unscaled())
	den := new(big.Int).Abs(e.unscaled())
	if shift := int(e.scale) + rscale - int(d.scale); shift >= 0 {
		num.Mul(num, pow10(shift))
	} else {
		den.Mul(den, pow10(-shift))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if d.unscaled().Sign()*e.unscaled().Sign() < 0 {
		q.Neg(q)
	}
	return Decimal{u: q, scale: int32(rscale)}, nil
}

// DivAvg returns sum / count the way Postgres's avg over int2, int4, int8
// or numeric computes its numeric result (numeric_div of the sum by the
// count), e.g. avg of {1, 2} is 1.5000000000000000. count must be positive:
// avg over no rows is NULL and the caller must produce that itself; a
// count below 1 returns NaN.
func DivAvg(sum Decimal, count int64) Decimal {
	if count <= 0 {
		return NaNDecimal
	}
	q, err := sum.Div(DecimalFromInt64(count))
	if err != nil {
		return NaNDecimal // unreachable: count is not zero
	}
	return q
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
