package sqltypes

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// FormatFloat8 renders f as Postgres 12+ float8out does with the default
// extra_float_digits = 1: the shortest digits that read back as f, in
// positional form when the decimal exponent is in [-4, 15) and otherwise as
// d.ddde±XX (at least two exponent digits): "0.1", "1e+15", "1.5e-05";
// "NaN", "Infinity", "-Infinity" and "-0" for the special values.
func FormatFloat8(f float64) string {
	return formatShortest(f, 64, 15)
}

// FormatFloat4 is FormatFloat8 for real (float4out): the shortest digits
// that read back as the float32, positional when the decimal exponent is in
// [-4, 6): "100000", "1e+06", "1.234567e+06".
func FormatFloat4(f float32) string {
	return formatShortest(float64(f), 32, 6)
}

func formatShortest(f float64, bits, maxExp int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	e := shortestPG(f, bits)
	i := strings.LastIndexByte(e, 'e')
	exp, err := strconv.Atoi(e[i+1:])
	if err != nil {
		return e // cannot happen
	}
	if exp < -4 || exp >= maxExp {
		return e
	}
	// Positional layout of the same digits.
	mant := e[:i]
	neg := mant[0] == '-'
	if neg {
		mant = mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case exp < 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
	case exp+1 >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", exp+1-len(digits)))
	default:
		b.WriteString(digits[:exp+1])
		b.WriteByte('.')
		b.WriteString(digits[exp+1:])
	}
	return b.String()
}

// shortestPG returns f in Go's 'e' layout ("d.ddde±XX") with the digits
// Postgres's Ryu port chooses: the fewest digits strictly inside the
// interval of values that round to f, and among those the one closest to
// f, exact ties going to the even digit. Go's shortest formatting finds the
// same length but differs in two rare cases: it accepts a decimal lying
// exactly on the interval's edge (halfway to the neighbouring float) when
// f's mantissa is even, which Postgres (built without STRICTLY_SHORTEST)
// never does, and it breaks exact decimal ties upwards.
func shortestPG(f float64, bitSize int) string {
	s := strconv.FormatFloat(f, 'e', -1, bitSize)
	maxDigits := 17
	if bitSize == 32 {
		maxDigits = 9
	}
	n := significantDigits(s)
	for l := n; l <= maxDigits; l++ {
		// The correctly rounded l-digit decimal (ties to even) is Ryu's
		// choice whenever it lies strictly inside the interval.
		c := strconv.FormatFloat(f, 'e', l-1, bitSize)
		if c == s && l == n {
			if !onRoundingBoundary(s, f, bitSize) {
				return s
			}
			continue
		}
		if g, err := strconv.ParseFloat(c, bitSize); err == nil && g == f && !onRoundingBoundary(c, f, bitSize) {
			return trimMantissaZeros(c)
		}
		if l == n && !onRoundingBoundary(s, f, bitSize) {
			return s // the other l-digit neighbour
		}
	}
	return strconv.FormatFloat(f, 'e', maxDigits-1, bitSize)
}

func significantDigits(e string) int {
	n := 0
	for _, c := range e {
		if c == 'e' {
			break
		}
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// trimMantissaZeros turns "1.2300e+05" into "1.23e+05".
func trimMantissaZeros(e string) string {
	i := strings.IndexByte(e, 'e')
	m := e[:i]
	if strings.IndexByte(m, '.') < 0 {
		return e
	}
	m = strings.TrimRight(m, "0")
	m = strings.TrimSuffix(m, ".")
	return m + e[i:]
}

// onRoundingBoundary reports whether the decimal s (in 'e' layout) is
// exactly halfway between f and one of its neighbouring floats.
func onRoundingBoundary(s string, f float64, bitSize int) bool {
	// s = ±D * 10^p
	i := strings.IndexByte(s, 'e')
	exp, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return false
	}
	var d uint64
	n := 0
	for _, c := range s[:i] {
		if c >= '0' && c <= '9' {
			d = d*10 + uint64(c-'0')
			n++
		}
	}
	if d == 0 {
		return false
	}
	p := exp - (n - 1)

	// |f| = m2 * 2^e2
	var m2 uint64
	var e2 int
	var fieldZero, lowestNormal bool
	if bitSize == 32 {
		u := math.Float32bits(float32(f)) &^ (1 << 31)
		be, frac := int(u>>23), uint64(u&(1<<23-1))
		if be == 0 {
			m2, e2 = frac, 1-127-23
		} else {
			m2, e2 = frac|1<<23, be-127-23
		}
		fieldZero, lowestNormal = frac == 0, be <= 1
	} else {
		u := math.Float64bits(f) &^ (1 << 63)
		be, frac := int(u>>52), u&(1<<52-1)
		if be == 0 {
			m2, e2 = frac, 1-1023-52
		} else {
			m2, e2 = frac|1<<52, be-1023-52
		}
		fieldZero, lowestNormal = frac == 0, be <= 1
	}
	if decimalEquals(d, p, 2*m2+1, e2-1) {
		return true
	}
	if fieldZero && !lowestNormal {
		// At a power of two the gap below is half the gap above.
		return decimalEquals(d, p, 4*m2-1, e2-2)
	}
	return decimalEquals(d, p, 2*m2-1, e2-1)
}

// decimalEquals reports whether d * 10^p == odd * 2^q exactly (odd is odd).
func decimalEquals(d uint64, p int, odd uint64, q int) bool {
	tz := bits.TrailingZeros64(d)
	dOdd := d >> uint(tz)
	if p >= 0 {
		// d*10^p = dOdd * 5^p * 2^(tz+p)
		if tz+p != q {
			return false
		}
		v, ok := mulPow5(dOdd, p)
		return ok && v == odd
	}
	// d = odd * 5^-p * 2^(q-p)
	if tz != q-p {
		return false
	}
	v, ok := mulPow5(odd, -p)
	return ok && v == dOdd
}

// mulPow5 returns x * 5^n, or ok == false on overflow.
func mulPow5(x uint64, n int) (uint64, bool) {
	for ; n > 0; n-- {
		hi, lo := bits.Mul64(x, 5)
		if hi != 0 {
			return 0, false
		}
		x = lo
	}
	return x, true
}

// ParseFloat parses Postgres float8 text: decimal or exponent notation with
// optional surrounding spaces, and NaN, Infinity, -Infinity (also inf,
// case-insensitive). A value out of the range of float64 is an error, as in
// Postgres.
func ParseFloat(s string) (float64, error) {
	return parseFloatBits(s, 64)
}

// ParseFloat4 parses Postgres float4 text into the float32 value it denotes.
func ParseFloat4(s string) (float32, error) {
	f, err := parseFloatBits(s, 32)
	return float32(f), err
}

func parseFloatBits(s string, bits int) (float64, error) {
	t := strings.TrimSpace(s)
	switch len(t) {
	case 3, 4, 8, 9: // nan inf +inf -inf infinity +infinity -infinity
		switch strings.ToLower(t) {
		case "nan", "+nan", "-nan":
			return math.NaN(), nil
		case "inf", "+inf", "infinity", "+infinity":
			return math.Inf(1), nil
		case "-inf", "-infinity":
			return math.Inf(-1), nil
		}
	}
	typ := "double precision"
	if bits == 32 {
		typ = "real"
	}
	if t == "" || strings.ContainsRune(t, '_') {
		return 0, Errorf(InvalidTextRepresentation, "invalid input syntax for type %s: %q", typ, s)
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, Errorf(NumericValueOutOfRange, "%q is out of range for type %s", s, typ)
		}
		return 0, Errorf(InvalidTextRepresentation, "invalid input syntax for type %s: %q", typ, s)
	}
	return f, nil
}
