package sqltypes

import (
	"bytes"
	"math"
	"strconv"
)

// Compare orders two non-NULL values of the same type, given in Postgres
// text format, as Postgres orders them; it returns -1, 0 or +1.
//
//   - int2, int4, int8, oid: numerically.
//   - float4, float8: numerically; NaN equals NaN and sorts above
//     everything, Infinity and -Infinity parse, -0 equals 0.
//   - numeric: exactly, at any precision; -Infinity < finite < Infinity < NaN.
//   - bool: f < t.
//   - text, varchar, name, unknown, json, uuid: bytewise (C collation);
//     bpchar bytewise with trailing spaces removed.
//   - bytea (hex or escape output): by the decoded bytes.
//   - date, time, timestamp, timestamptz in ISO DateStyle: by time, with
//     timestamptz offsets applied, -infinity and infinity at the ends.
//
// Types whose order the gate cannot reproduce (interval, jsonb, anything
// not listed) return a 0A000 error, so the planner refuses the query
// rather than answer wrongly.
func Compare(oid uint32, a, b []byte) (int, error) {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8:
		return compareParsed(a, b, func(v []byte) (int64, error) { return parseInt(oid, v) }, cmpOrdered[int64])
	case OIDOid:
		return compareParsed(a, b, parseOid, cmpOrdered[uint64])
	case OIDFloat4, OIDFloat8:
		bits := 64
		if oid == OIDFloat4 {
			bits = 32
		}
		return compareParsed(a, b, func(v []byte) (float64, error) { return parseFloatBits(string(v), bits) }, CompareFloat)
	case OIDNumeric:
		return compareNumeric(a, b)
	case OIDBool:
		return compareParsed(a, b, parseBool, func(x, y bool) int { return cmpOrdered(b2i(x), b2i(y)) })
	case OIDText, OIDVarchar, OIDName, OIDUnknown, OIDJSON, OIDUUID:
		return bytes.Compare(a, b), nil
	case OIDBPChar:
		return bytes.Compare(bytes.TrimRight(a, " "), bytes.TrimRight(b, " ")), nil
	case OIDBytea:
		return compareBytea(a, b)
	case OIDDate, OIDTime, OIDTimestamp, OIDTimestamptz:
		return compareParsed(a, b, func(v []byte) (timeKey, error) { return parseTimeKey(oid, v) }, timeKey.cmp)
	case OIDInterval:
		return 0, Unsupported("cannot compare interval values at the gate")
	case OIDJSONB:
		return 0, Unsupported("cannot compare jsonb values at the gate")
	}
	return 0, Unsupported("cannot compare values of type %s at the gate", TypeName(oid))
}

// compareParsed parses both values, a first, and orders them with cmp.
func compareParsed[T any](a, b []byte, parse func([]byte) (T, error), cmp func(x, y T) int) (int, error) {
	x, err := parse(a)
	if err != nil {
		return 0, err
	}
	y, err := parse(b)
	if err != nil {
		return 0, err
	}
	return cmp(x, y), nil
}

// Equal reports whether two non-NULL values of the same type are equal in
// the sense of Compare (and of Postgres's GROUP BY and DISTINCT): numeric
// 1.0 equals 1.00, float NaN equals NaN, bpchar ignores trailing spaces,
// timestamptz values are equal when they denote the same instant.
func Equal(oid uint32, a, b []byte) (bool, error) {
	switch oid {
	case OIDText, OIDVarchar, OIDName, OIDUnknown, OIDJSON, OIDUUID:
		return bytes.Equal(a, b), nil
	}
	c, err := Compare(oid, a, b)
	return c == 0, err
}

// CompareNullable is Compare extended to SQL NULLs (nil values): two NULLs
// are equal, and a NULL sorts after every value when nullsFirst is false
// (Postgres's default for ascending order) or before every value when it is
// true.
func CompareNullable(oid uint32, a, b []byte, nullsFirst bool) (int, error) {
	switch {
	case a == nil && b == nil:
		return 0, nil
	case a == nil:
		if nullsFirst {
			return -1, nil
		}
		return 1, nil
	case b == nil:
		if nullsFirst {
			return 1, nil
		}
		return -1, nil
	}
	return Compare(oid, a, b)
}

// CompareFloat orders floats as Postgres does: NaN equals NaN and is
// greater than every other value, -0 equals 0.
func CompareFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpOrdered[T int | int64 | uint64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseInt(oid uint32, v []byte) (int64, error) {
	bits := 64
	switch oid {
	case OIDInt2:
		bits = 16
	case OIDInt4:
		bits = 32
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, bits)
	if err != nil {
		return 0, Errorf(InvalidTextRepresentation, "invalid input syntax for type %s: %q", TypeName(oid), v)
	}
	return n, nil
}

func parseOid(v []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 32)
	if err != nil {
		return 0, Errorf(InvalidTextRepresentation, "invalid input syntax for type oid: %q", v)
	}
	return n, nil
}

func parseBool(v []byte) (bool, error) {
	switch string(v) {
	case "t", "true", "TRUE", "True":
		return true, nil
	case "f", "false", "FALSE", "False":
		return false, nil
	}
	return false, Errorf(InvalidTextRepresentation, "invalid input syntax for type boolean: %q", v)
}

// compareNumeric compares numeric text exactly. Plain Postgres output
// ("-12.50") is compared digit by digit without allocating; anything else
// goes through ParseDecimal.
func compareNumeric(a, b []byte) (int, error) {
	x, okx := scanPlainNumeric(a)
	y, oky := scanPlainNumeric(b)
	if okx && oky {
		return x.cmp(y), nil
	}
	d, err := ParseDecimal(string(a))
	if err != nil {
		return 0, Errorf(InvalidTextRepresentation, "%s", err.Error())
	}
	e, err := ParseDecimal(string(b))
	if err != nil {
		return 0, Errorf(InvalidTextRepresentation, "%s", err.Error())
	}
	return d.Cmp(e), nil
}

// plainNumeric is a numeric in Postgres output form, split into its parts.
type plainNumeric struct {
	rank     int    // 0 -Infinity, 1 finite, 2 Infinity, 3 NaN
	neg      bool   // finite and below zero
	intPart  []byte // no leading zeros
	fracPart []byte // no trailing zeros
}

func scanPlainNumeric(v []byte) (plainNumeric, bool) {
	switch string(v) {
	case "NaN":
		return plainNumeric{rank: 3}, true
	case "Infinity":
		return plainNumeric{rank: 2}, true
	case "-Infinity":
		return plainNumeric{rank: 0}, true
	}
	p := plainNumeric{rank: 1}
	i := 0
	if i < len(v) && v[i] == '-' {
		p.neg = true
		i++
	}
	start := i
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	p.intPart = v[start:i]
	if i < len(v) && v[i] == '.' {
		i++
		fs := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		p.fracPart = v[fs:i]
		if len(p.fracPart) == 0 {
			return p, false
		}
	}
	if i != len(v) || len(p.intPart) == 0 {
		return p, false
	}
	p.intPart = bytes.TrimLeft(p.intPart, "0")
	p.fracPart = bytes.TrimRight(p.fracPart, "0")
	if len(p.intPart) == 0 && len(p.fracPart) == 0 {
		p.neg = false // -0 is 0
	}
	return p, true
}

func (p plainNumeric) cmp(q plainNumeric) int {
	if p.rank != q.rank || p.rank != 1 {
		return cmpOrdered(p.rank, q.rank)
	}
	if p.neg != q.neg {
		if p.neg {
			return -1
		}
		return 1
	}
	c := cmpOrdered(len(p.intPart), len(q.intPart))
	if c == 0 {
		c = bytes.Compare(p.intPart, q.intPart)
	}
	if c == 0 {
		c = bytes.Compare(p.fracPart, q.fracPart)
	}
	if p.neg {
		c = -c
	}
	return c
}

// compareBytea compares bytea text by the bytes it denotes.
func compareBytea(a, b []byte) (int, error) {
	if isLowerHexBytea(a) && isLowerHexBytea(b) {
		// Two hex digits per byte, lower case: hex order is byte order.
		return bytes.Compare(a[2:], b[2:]), nil
	}
	return compareParsed(a, b, DecodeBytea, bytes.Compare)
}

func isLowerHexBytea(v []byte) bool {
	if len(v) < 2 || v[0] != '\\' || v[1] != 'x' || len(v)%2 != 0 {
		return false
	}
	for _, c := range v[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DecodeBytea decodes bytea text output, in hex format (\x0aff) or escape
// format (\000\377\\A).
func DecodeBytea(v []byte) ([]byte, error) {
	bad := func() ([]byte, error) {
		return nil, Errorf(InvalidTextRepresentation, "invalid input syntax for type bytea: %q", v)
	}
	if len(v) >= 2 && v[0] == '\\' && v[1] == 'x' {
		out := make([]byte, 0, (len(v)-2)/2)
		var hi byte
		half := false
		for _, c := range v[2:] {
			var n byte
			switch {
			case c >= '0' && c <= '9':
				n = c - '0'
			case c >= 'a' && c <= 'f':
				n = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				n = c - 'A' + 10
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				if half {
					return bad()
				}
				continue
			default:
				return bad()
			}
			if half {
				out = append(out, hi<<4|n)
			} else {
				hi = n
			}
			half = !half
		}
		if half {
			return bad()
		}
		return out, nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(v) && isOctal(v[i+1]) && v[i+1] <= '3' && isOctal(v[i+2]) && isOctal(v[i+3]):
			out = append(out, (v[i+1]-'0')<<6|(v[i+2]-'0')<<3|(v[i+3]-'0'))
			i += 3
		default:
			return bad()
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// timeKey is a date/time value reduced to something orderable: seconds
// since 1970-01-01 00:00 UTC (or since midnight for time) plus
// microseconds, and a rank for the infinities.
type timeKey struct {
	rank   int // -1 -infinity, 0 finite, 1 infinity
	secs   int64
	micros int64
}

func (t timeKey) cmp(u timeKey) int {
	if c := cmpOrdered(t.rank, u.rank); c != 0 || t.rank != 0 {
		return c
	}
	if c := cmpOrdered(t.secs, u.secs); c != 0 {
		return c
	}
	return cmpOrdered(t.micros, u.micros)
}

// parseTimeKey parses ISO DateStyle output of date ("2024-01-02",
// "0044-03-15 BC"), time ("13:04:05.5"), timestamp ("2024-01-02
// 13:04:05.123456") and timestamptz ("2024-01-02 13:04:05+05:30").
func parseTimeKey(oid uint32, v []byte) (timeKey, error) {
	switch string(v) {
	case "infinity":
		if oid != OIDTime {
			return timeKey{rank: 1}, nil
		}
	case "-infinity":
		if oid != OIDTime {
			return timeKey{rank: -1}, nil
		}
	}
	s := scanner{b: v}
	var k timeKey
	ok := true
	if oid == OIDTime {
		k.secs, k.micros, ok = s.clock()
	} else {
		var y, mo, d int64
		y, ok = s.digits(4, 9)
		ok = ok && s.lit('-')
		if ok {
			mo, ok = s.digits(2, 2)
		}
		ok = ok && s.lit('-')
		if ok {
			d, ok = s.digits(2, 2)
		}
		ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= 31
		var tod, frac, off int64
		// A timestamp constant may be a bare date (midnight), as Postgres reads it.
		if ok && oid != OIDDate && !(oid == OIDTimestamp && s.done()) {
			ok = s.lit(' ')
			if ok {
				tod, frac, ok = s.clock()
			}
			if ok && oid == OIDTimestamptz {
				off, ok = s.offset()
			}
		}
		if ok && s.lit(' ') {
			ok = s.lit('B') && s.lit('C')
			y = 1 - y // 1 BC is year 0
		}
		days := daysFromCivil(y, mo, d)
		k.secs = days*86400 + tod - off
		k.micros = frac
	}
	if !ok || !s.done() {
		return timeKey{}, Errorf(InvalidDatetimeFormat, "invalid input syntax for type %s: %q (the gate expects ISO DateStyle)", TypeName(oid), v)
	}
	return k, nil
}

// daysFromCivil returns the days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (astronomical year numbering).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) done() bool { return s.i == len(s.b) }

func (s *scanner) lit(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// digits reads between minN and maxN decimal digits.
func (s *scanner) digits(minN, maxN int) (int64, bool) {
	var n int64
	j := s.i
	for j < len(s.b) && j-s.i < maxN && s.b[j] >= '0' && s.b[j] <= '9' {
		n = n*10 + int64(s.b[j]-'0')
		j++
	}
	if j-s.i < minN {
		return 0, false
	}
	s.i = j
	return n, true
}

// clock reads HH:MM:SS[.ffffff] and returns seconds since midnight and
// microseconds.
func (s *scanner) clock() (secs, micros int64, ok bool) {
	h, ok := s.digits(2, 2)
	ok = ok && s.lit(':')
	var m, sec int64
	if ok {
		m, ok = s.digits(2, 2)
	}
	ok = ok && s.lit(':')
	if ok {
		sec, ok = s.digits(2, 2)
	}
	if !ok || h > 24 || m > 59 || sec > 60 {
		return 0, 0, false
	}
	if s.lit('.') {
		j := s.i
		f, ok := s.digits(1, 9)
		if !ok {
			return 0, 0, false
		}
		for n := s.i - j; n < 6; n++ {
			f *= 10
		}
		for n := s.i - j; n > 6; n-- {
			f /= 10 // Postgres never prints more than 6 digits
		}
		micros = f
	}
	return h*3600 + m*60 + sec, micros, true
}

// offset reads a UTC offset +HH[:MM[:SS]] and returns it in seconds.
func (s *scanner) offset() (int64, bool) {
	sign := int64(1)
	switch {
	case s.lit('+'):
	case s.lit('-'):
		sign = -1
	default:
		return 0, false
	}
	h, ok := s.digits(2, 2)
	if !ok {
		return 0, false
	}
	secs := h * 3600
	if s.lit(':') {
		m, ok := s.digits(2, 2)
		if !ok {
			return 0, false
		}
		secs += m * 60
		if s.lit(':') {
			sc, ok := s.digits(2, 2)
			if !ok {
				return 0, false
			}
			secs += sc
		}
	}
	return sign * secs, true
}
