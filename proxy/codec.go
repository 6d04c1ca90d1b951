package proxy

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dotdo/vitess/sqltypes"
)

// Wire format codes.
const (
	textFormat   int16 = 0
	binaryFormat int16 = 1
)

// formatCodes expands the format codes of a Bind message to one per value:
// none means all text, one applies to all, otherwise one each. what names the
// values in the error ("parameter", "result").
func formatCodes(codes []int16, n int, what string) ([]int16, error) {
	out := make([]int16, n)
	switch len(codes) {
	case 0:
	case 1:
		for i := range out {
			out[i] = codes[0]
		}
	case n:
		copy(out, codes)
	default:
		return nil, sqltypes.Errorf(sqltypes.ProtocolViolation, "bind message has %d %s formats but %d %ss", len(codes), what, n, what)
	}
	for _, c := range out {
		if c != textFormat && c != binaryFormat {
			return nil, sqltypes.Errorf(sqltypes.ProtocolViolation, "unsupported format code: %d", c)
		}
	}
	return out, nil
}

// supportsBinary reports whether encodeBinary can produce the binary format
// of the type.
func supportsBinary(oid uint32) bool {
	switch oid {
	case sqltypes.OIDBool, sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8, sqltypes.OIDOid,
		sqltypes.OIDFloat4, sqltypes.OIDFloat8, sqltypes.OIDNumeric,
		sqltypes.OIDText, sqltypes.OIDVarchar, sqltypes.OIDBPChar, sqltypes.OIDName, sqltypes.OIDUnknown,
		sqltypes.OIDJSON, sqltypes.OIDJSONB, sqltypes.OIDBytea, sqltypes.OIDUUID,
		sqltypes.OIDDate, sqltypes.OIDTime, sqltypes.OIDTimestamp, sqltypes.OIDTimestamptz, sqltypes.OIDInterval:
		return true
	}
	return false
}

// errNoBinary is the refusal for a result column whose binary format the
// server cannot produce.
func errNoBinary(oid uint32) error {
	return sqltypes.Unsupported("binary format for type %s not supported", sqltypes.TypeName(oid))
}

// pgtypeValue returns a fresh pgtype value that can hold the type, for the
// types whose conversion goes through pgtype.
func pgtypeValue(oid uint32) any {
	switch oid {
	case sqltypes.OIDNumeric:
		return &pgtype.Numeric{}
	case sqltypes.OIDDate:
		return &pgtype.Date{}
	case sqltypes.OIDTime:
		return &pgtype.Time{}
	case sqltypes.OIDTimestamp:
		return &pgtype.Timestamp{}
	case sqltypes.OIDTimestamptz:
		return &pgtype.Timestamptz{}
	case sqltypes.OIDInterval:
		return &pgtype.Interval{}
	case sqltypes.OIDUUID:
		return &pgtype.UUID{}
	}
	return nil
}

// encodeBinary appends the binary format of a value given in text format.
// m is the connection's type map (not safe for concurrent use).
func encodeBinary(m *pgtype.Map, oid uint32, text []byte, buf []byte) ([]byte, error) {
	if buf == nil {
		buf = make([]byte, 0, len(text)+8) // never nil: nil is NULL in a DataRow
	}
	switch oid {
	case sqltypes.OIDNumeric:
		return encodeNumeric(text, buf)
	case sqltypes.OIDBool:
		b, err := parseBool(string(text))
		if err != nil {
			return nil, err
		}
		if b {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8, sqltypes.OIDOid:
		n, err := parseInt(oid, string(text))
		if err != nil {
			return nil, err
		}
		switch oid {
		case sqltypes.OIDInt2:
			return binary.BigEndian.AppendUint16(buf, uint16(n)), nil
		case sqltypes.OIDInt4, sqltypes.OIDOid:
			return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
	case sqltypes.OIDFloat4:
		f, err := parseFloat(oid, string(text))
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), nil
	case sqltypes.OIDFloat8:
		f, err := parseFloat(oid, string(text))
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), nil
	case sqltypes.OIDText, sqltypes.OIDVarchar, sqltypes.OIDBPChar, sqltypes.OIDName, sqltypes.OIDUnknown, sqltypes.OIDJSON:
		return append(buf, text...), nil
	case sqltypes.OIDJSONB:
		buf = append(buf, 1)
		return append(buf, text...), nil
	case sqltypes.OIDBytea:
		return decodeByteaText(buf, text)
	}
	v := pgtypeValue(oid)
	if v == nil {
		return nil, errNoBinary(oid)
	}
	if err := m.Scan(oid, pgtype.TextFormatCode, text, v); err != nil {
		return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: %q", sqltypes.TypeName(oid), text)
	}
	out, err := m.Encode(oid, pgtype.BinaryFormatCode, v, buf)
	if err != nil {
		return nil, sqltypes.Errorf(sqltypes.InternalError, "encoding %s as binary: %v", sqltypes.TypeName(oid), err)
	}
	return out, nil
}

// decodeParam converts one Bind parameter to the Go value Statement.Execute
// takes (see the Statement documentation). n is the 1-based parameter number
// for error messages.
func decodeParam(m *pgtype.Map, oid uint32, format int16, src []byte, n int) (any, error) {
	if src == nil {
		return nil, nil
	}
	if format == textFormat {
		return decodeTextParam(oid, src)
	}
	v, err := decodeBinaryParam(m, oid, src)
	if err != nil {
		if _, ok := err.(interface{ SQLState() string }); ok {
			return nil, err
		}
		return nil, sqltypes.Errorf(sqltypes.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	return v, nil
}

func decodeTextParam(oid uint32, src []byte) (any, error) {
	s := string(src)
	switch oid {
	case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8, sqltypes.OIDOid:
		return parseInt(oid, s)
	case sqltypes.OIDFloat4, sqltypes.OIDFloat8:
		return parseFloat(oid, s)
	case sqltypes.OIDBool:
		return parseBool(s)
	case sqltypes.OIDBytea:
		return decodeByteaText(nil, src)
	}
	return s, nil
}

func decodeBinaryParam(m *pgtype.Map, oid uint32, src []byte) (any, error) {
	bad := fmt.Errorf("bad length %d", len(src))
	switch oid {
	case sqltypes.OIDInt2:
		if len(src) != 2 {
			return nil, bad
		}
		return int64(int16(binary.BigEndian.Uint16(src))), nil
	case sqltypes.OIDInt4:
		if len(src) != 4 {
			return nil, bad
		}
		return int64(int32(binary.BigEndian.Uint32(src))), nil
	case sqltypes.OIDOid:
		if len(src) != 4 {
			return nil, bad
		}
		return int64(binary.BigEndian.Uint32(src)), nil
	case sqltypes.OIDInt8:
		if len(src) != 8 {
			return nil, bad
		}
		return int64(binary.BigEndian.Uint64(src)), nil
	case sqltypes.OIDFloat4:
		if len(src) != 4 {
			return nil, bad
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(src))), nil
	case sqltypes.OIDFloat8:
		if len(src) != 8 {
			return nil, bad
		}
		return math.Float64frombits(binary.BigEndian.Uint64(src)), nil
	case sqltypes.OIDBool:
		if len(src) != 1 {
			return nil, bad
		}
		return src[0] != 0, nil
	case sqltypes.OIDBytea:
		return bytes.Clone(src), nil
	case 0, sqltypes.OIDText, sqltypes.OIDVarchar, sqltypes.OIDBPChar, sqltypes.OIDName, sqltypes.OIDUnknown, sqltypes.OIDJSON:
		return string(src), nil
	case sqltypes.OIDJSONB:
		if len(src) == 0 || src[0] != 1 {
			return nil, fmt.Errorf("unsupported jsonb version")
		}
		return string(src[1:]), nil
	case sqltypes.OIDDate:
		var d pgtype.Date
		if err := m.Scan(oid, pgtype.BinaryFormatCode, src, &d); err != nil {
			return nil, err
		}
		if d.InfinityModifier != pgtype.Finite {
			return infinityText(d.InfinityModifier), nil
		}
		return d.Time, nil
	case sqltypes.OIDTimestamp:
		var ts pgtype.Timestamp
		if err := m.Scan(oid, pgtype.BinaryFormatCode, src, &ts); err != nil {
			return nil, err
		}
		if ts.InfinityModifier != pgtype.Finite {
			return infinityText(ts.InfinityModifier), nil
		}
		return ts.Time, nil
	case sqltypes.OIDTimestamptz:
		var ts pgtype.Timestamptz
		if err := m.Scan(oid, pgtype.BinaryFormatCode, src, &ts); err != nil {
			return nil, err
		}
		if ts.InfinityModifier != pgtype.Finite {
			return infinityText(ts.InfinityModifier), nil
		}
		return ts.Time.UTC(), nil
	}
	v := pgtypeValue(oid)
	if v == nil {
		return nil, sqltypes.Unsupported("binary format for parameter type %s not supported", sqltypes.TypeName(oid))
	}
	if err := m.Scan(oid, pgtype.BinaryFormatCode, src, v); err != nil {
		return nil, err
	}
	text, err := m.Encode(oid, pgtype.TextFormatCode, v, nil)
	if err != nil {
		return nil, err
	}
	return string(text), nil
}

func infinityText(m pgtype.InfinityModifier) string {
	if m == pgtype.Infinity {
		return "infinity"
	}
	return "-infinity"
}

// parseInt parses an integer in Postgres text input syntax, range-checked
// for the type.
func parseInt(oid uint32, s string) (int64, error) {
	t := strings.TrimSpace(s)
	bits := 64
	switch oid {
	case sqltypes.OIDInt2:
		bits = 16
	case sqltypes.OIDInt4:
		bits = 32
	}
	if oid == sqltypes.OIDOid {
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return 0, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type oid: %q", s)
		}
		return int64(n), nil
	}
	n, err := strconv.ParseInt(t, 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqltypes.Errorf(sqltypes.NumericValueOutOfRange, "value %q is out of range for type %s", s, sqltypes.TypeName(oid))
		}
		return 0, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: %q", sqltypes.TypeName(oid), s)
	}
	return n, nil
}

// parseFloat parses a float in Postgres text input syntax (NaN, Infinity and
// -Infinity included).
func parseFloat(oid uint32, s string) (float64, error) {
	bits := 64
	if oid == sqltypes.OIDFloat4 {
		bits = 32
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqltypes.Errorf(sqltypes.NumericValueOutOfRange, "%q is out of range for type %s", s, sqltypes.TypeName(oid))
		}
		return 0, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: %q", sqltypes.TypeName(oid), s)
	}
	return f, nil
}

// parseBool accepts what Postgres's boolin accepts: true/false, yes/no,
// on/off, 1/0 and unique prefixes, case-insensitive, surrounding space
// ignored.
func parseBool(s string) (bool, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t != "" {
		switch {
		case strings.HasPrefix("true", t), strings.HasPrefix("yes", t), t == "on", t == "1":
			return true, nil
		case strings.HasPrefix("false", t), strings.HasPrefix("no", t), len(t) >= 2 && strings.HasPrefix("off", t), t == "0":
			return false, nil
		}
	}
	return false, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type boolean: %q", s)
}

// decodeByteaText appends the bytes a bytea text value stands for: the hex
// format (\x...) or the escape format (\\ and \ooo octal escapes).
func decodeByteaText(buf, src []byte) ([]byte, error) {
	if buf == nil {
		buf = []byte{}
	}
	bad := sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type bytea")
	if bytes.HasPrefix(src, []byte(`\x`)) {
		h := src[2:]
		out := buf
		for len(h) > 0 {
			if h[0] == ' ' || h[0] == '\t' || h[0] == '\n' || h[0] == '\r' {
				h = h[1:]
				continue
			}
			if len(h) < 2 {
				return nil, bad
			}
			var b [1]byte
			if _, err := hex.Decode(b[:], h[:2]); err != nil {
				return nil, bad
			}
			out = append(out, b[0])
			h = h[2:]
		}
		return out, nil
	}
	out := buf
	for i := 0; i < len(src); {
		c := src[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch {
		case i+1 < len(src) && src[i+1] == '\\':
			out = append(out, '\\')
			i += 2
		case i+3 < len(src) && isOctal(src[i+1]) && src[i+1] <= '3' && isOctal(src[i+2]) && isOctal(src[i+3]):
			out = append(out, (src[i+1]-'0')<<6|(src[i+2]-'0')<<3|(src[i+3]-'0'))
			i += 4
		default:
			return nil, bad
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// encodeNumeric writes numeric text in Postgres's binary form exactly as
// Postgres does (base-10000 digits with leading and trailing zero digits
// dropped, the display scale kept), so that a zero with scale 2 is sent as
// no digits and dscale 2, as the server itself sends it.
func encodeNumeric(text []byte, buf []byte) ([]byte, error) {
	s := string(text)
	head := func(ndigits, weight int, sign, dscale uint16) []byte {
		return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(buf, uint16(ndigits)), uint16(int16(weight))), sign), dscale)
	}
	switch s {
	case "NaN":
		return head(0, 0, 0xC000, 0), nil
	case "Infinity":
		return head(0, 0, 0xD000, 0), nil
	case "-Infinity":
		return head(0, 0, 0xF000, 0), nil
	}
	var sign uint16
	if strings.HasPrefix(s, "-") {
		sign, s = 0x4000, s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", text)
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", text)
		}
	}
	dscale := len(frac)
	if pad := (4 - len(intPart)%4) % 4; pad > 0 {
		intPart = strings.Repeat("0", pad) + intPart
	}
	if pad := (4 - len(frac)%4) % 4; pad > 0 {
		frac += strings.Repeat("0", pad)
	}
	all := intPart + frac
	digits := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		d, _ := strconv.Atoi(all[i : i+4])
		digits = append(digits, uint16(d))
	}
	weight := len(intPart)/4 - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return head(0, 0, 0, uint16(dscale)), nil
	}
	out := head(len(digits), weight, sign, uint16(dscale))
	for _, d := range digits {
		out = binary.BigEndian.AppendUint16(out, d)
	}
	return out, nil
}
