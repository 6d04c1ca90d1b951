package dialect

import (
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dotdo/vitess/sqltypes"
)

// declNames are the SQLite declared types of the Postgres types whose
// declaration is one name (time types get their precision after it).
var declNames = map[uint32]string{
	sqltypes.OIDBool:        "boolean",
	sqltypes.OIDInt2:        "smallint",
	sqltypes.OIDInt4:        "int4",
	sqltypes.OIDInt8:        "bigint",
	sqltypes.OIDFloat4:      "float4",
	sqltypes.OIDFloat8:      "float8",
	sqltypes.OIDText:        "text",
	sqltypes.OIDBytea:       "bytea_blob",
	sqltypes.OIDDate:        "date_text",
	sqltypes.OIDTime:        "time_text",
	sqltypes.OIDTimestamp:   "timestamp_text",
	sqltypes.OIDTimestamptz: "timestamptz_text",
	sqltypes.OIDJSON:        "json_text",
	sqltypes.OIDJSONB:       "jsonb_text",
	sqltypes.OIDUUID:        "uuid_text",
}

// declType is the SQLite declared type for a Postgres type (see the package
// comment); ok is false for types SQLite shards cannot store exactly.
func declType(oid uint32, typmod int32) (string, bool) {
	switch oid {
	case sqltypes.OIDVarchar:
		if typmod >= 4 {
			return "varchar(" + strconv.Itoa(int(typmod-4)) + ")", true
		}
		return "varchar", true
	case sqltypes.OIDBPChar:
		n := 1
		if typmod >= 4 {
			n = int(typmod - 4)
		}
		return "char(" + strconv.Itoa(n) + ")", true
	case sqltypes.OIDNumeric:
		if typmod >= 4 {
			p := (typmod - 4) >> 16
			s := (typmod - 4) & 0xffff
			return "numeric(" + strconv.Itoa(int(p)) + "," + strconv.Itoa(int(s)) + ")", true
		}
		return "numeric", true
	case sqltypes.OIDTime, sqltypes.OIDTimestamp, sqltypes.OIDTimestamptz:
		name := declNames[oid]
		if typmod >= 0 {
			name += "(" + strconv.Itoa(int(typmod)) + ")"
		}
		return name, true
	}
	name, ok := declNames[oid]
	return name, ok
}

// ColumnType maps a column's declared type in SQLite (as PRAGMA table_info
// reports it) back to a Postgres OID and typmod. Declared types this package
// did not write fall back on SQLite's affinity rules (INTEGER → int8, REAL →
// float8, BLOB → bytea, anything else → text).
func ColumnType(declType string) (oid uint32, typmod int32) {
	s := strings.ToLower(strings.TrimSpace(declType))
	base, mods := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		base, mods = strings.TrimSpace(s[:i]), s[i:]
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, "_text"), "_blob")
	switch base {
	case "integer":
		return sqltypes.OIDInt4, -1
	case "real":
		return sqltypes.OIDFloat4, -1
	case "":
		return sqltypes.OIDText, -1
	}
	if o, m, ok := sqltypes.ParseTypeName(base + mods); ok {
		return o, m
	}
	u := strings.ToUpper(base)
	switch {
	case strings.Contains(u, "INT"):
		return sqltypes.OIDInt8, -1
	case strings.Contains(u, "CHAR"), strings.Contains(u, "CLOB"), strings.Contains(u, "TEXT"):
		return sqltypes.OIDText, -1
	case strings.Contains(u, "BLOB"):
		return sqltypes.OIDBytea, -1
	case strings.Contains(u, "REAL"), strings.Contains(u, "FLOA"), strings.Contains(u, "DOUB"):
		return sqltypes.OIDFloat8, -1
	}
	return sqltypes.OIDText, -1
}

// Canonical stored layouts of the time types.
const (
	layoutTimestamp = "2006-01-02 15:04:05.999999"
	layoutDate      = "2006-01-02"
	layoutTime      = "15:04:05.999999"
)

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime parses the textual date/time forms clients and SQLite produce.
// hasZone reports whether the text carried an offset.
func parseTime(s string) (t time.Time, hasZone bool, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, " UTC") {
		s = strings.TrimSuffix(s, " UTC") + "Z"
	}
	for i, l := range timeLayouts {
		if tt, err := time.Parse(l, s); err == nil {
			return tt, i < 3 || i == 4 || i == 5, true
		}
	}
	return time.Time{}, false, false
}

// canonicalTime converts text of a date/time type to its stored form; ok is
// false when the text is not a valid value of the type.
func canonicalTime(s string, oid uint32) (string, bool) {
	if oid == sqltypes.OIDTime {
		for _, l := range []string{"15:04:05.999999999", "15:04"} {
			if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
				return t.Format(layoutTime), true
			}
		}
		return "", false
	}
	t, hasZone, ok := parseTime(s)
	if !ok {
		return "", false
	}
	return formatStoredTime(t, oid, hasZone), true
}

func formatStoredTime(t time.Time, oid uint32, convert bool) string {
	switch oid {
	case sqltypes.OIDDate:
		return t.Format(layoutDate)
	case sqltypes.OIDTime:
		return t.Format(layoutTime)
	case sqltypes.OIDTimestamptz:
		if convert {
			t = t.UTC()
		}
		return t.Format(layoutTimestamp)
	}
	return t.Format(layoutTimestamp)
}

// Render turns the value SQLite gave for result column col into Postgres
// TEXT format: RenderValue with the field, except that a numeric column whose
// display scale the translation knows (Scales) renders with exactly that
// many decimals, as Postgres's numeric arithmetic would give them.
func (t *Translation) Render(col int, v any) ([]byte, error) {
	f := t.Fields[col]
	if f.OID == sqltypes.OIDNumeric && col < len(t.Scales) && t.Scales[col] >= 0 {
		f.TypeMod = int32(t.Scales[col]) + 4 // a typmod of precision 0 and that scale: only the scale is used
	}
	return RenderValue(v, f)
}

// RenderValue turns a value read from SQLite (nil, int64, float64, string,
// []byte, time.Time, bool) into Postgres TEXT format for field f; nil for
// NULL. A value that does not fit the field's type is rendered as text.
func RenderValue(v any, f sqltypes.Field) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var out []byte
	ok := false
	switch f.OID {
	case sqltypes.OIDBool:
		out, ok = renderBool(v)
	case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8, sqltypes.OIDOid:
		out, ok = renderInt(v)
	case sqltypes.OIDFloat4, sqltypes.OIDFloat8:
		out, ok = renderFloat(v, f.OID)
	case sqltypes.OIDNumeric:
		out, ok = renderNumeric(v, sqltypes.NumericScale(f.TypeMod))
	case sqltypes.OIDBytea:
		out, ok = renderBytea(v)
	case sqltypes.OIDBPChar:
		out, ok = renderBPChar(v, f.TypeMod)
	case sqltypes.OIDTimestamp, sqltypes.OIDTimestamptz, sqltypes.OIDDate, sqltypes.OIDTime:
		out, ok = renderTime(v, f.OID)
	}
	if ok {
		return out, nil
	}
	return renderPlain(v)
}

// The render* functions render v for one column type; false means v's Go
// type is not one they convert, and renderPlain formats it as it is.

func renderBool(v any) ([]byte, bool) {
	switch x := v.(type) {
	case int64:
		return boolText(x != 0), true
	case bool:
		return boolText(x), true
	case float64:
		return boolText(x != 0), true
	case string:
		if b, ok := parseBool(x); ok {
			return boolText(b), true
		}
	}
	return nil, false
}

func renderInt(v any) ([]byte, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return strconv.AppendInt(nil, int64(x), 10), true
		}
		return []byte(formatFloat(x, 64)), true
	case bool:
		if x {
			return []byte("1"), true
		}
		return []byte("0"), true
	}
	return nil, false
}

func renderFloat(v any, oid uint32) ([]byte, bool) {
	bits := 64
	if oid == sqltypes.OIDFloat4 {
		bits = 32
	}
	switch x := v.(type) {
	case float64:
		return []byte(formatFloat(x, bits)), true
	case int64:
		return []byte(formatFloat(float64(x), bits)), true
	case string:
		if fl, err := strconv.ParseFloat(x, 64); err == nil {
			return []byte(formatFloat(fl, bits)), true
		}
	}
	return nil, false
}

func renderNumeric(v any, scale int) ([]byte, bool) {
	switch x := v.(type) {
	case int64:
		if scale > 0 {
			return []byte(new(big.Rat).SetInt64(x).FloatString(scale)), true
		}
		return strconv.AppendInt(nil, x, 10), true
	case float64:
		return []byte(formatNumericFloat(x, scale)), true
	case string:
		if scale >= 0 {
			if r, ok := new(big.Rat).SetString(strings.TrimSpace(x)); ok {
				return []byte(r.FloatString(scale)), true
			}
		}
		return []byte(x), true
	}
	return nil, false
}

func renderBytea(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return []byte(`\x` + hex.EncodeToString(x)), true
	case string:
		return []byte(`\x` + hex.EncodeToString([]byte(x))), true
	}
	return nil, false
}

// renderBPChar pads to the column's width, as Postgres stores character(n).
func renderBPChar(v any, typmod int32) ([]byte, bool) {
	s, ok := plainText(v)
	if !ok || typmod < 4 {
		return nil, false
	}
	if n := int(typmod-4) - utf8.RuneCountInString(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return []byte(s), true
}

func renderTime(v any, oid uint32) ([]byte, bool) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		if oid == sqltypes.OIDTime {
			if c, ok := canonicalTime(x, oid); ok {
				return []byte(c), true
			}
			return []byte(x), true
		}
		tt, hasZone, ok := parseTime(x)
		if !ok {
			return []byte(x), true
		}
		t = tt
		if hasZone && oid == sqltypes.OIDTimestamptz {
			t = t.UTC()
		}
	default:
		return nil, false
	}
	switch oid {
	case sqltypes.OIDDate:
		return []byte(t.Format(layoutDate)), true
	case sqltypes.OIDTime:
		return []byte(t.Format(layoutTime)), true
	case sqltypes.OIDTimestamptz:
		return []byte(t.Format(layoutTimestamp) + "+00"), true
	}
	return []byte(t.Format(layoutTimestamp)), true
}

// renderPlain formats a value of a type the column's OID does not convert.
func renderPlain(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return append([]byte(nil), x...), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case float64:
		return []byte(formatFloat(x, 64)), nil
	case bool:
		return boolText(x), nil
	case time.Time:
		return []byte(x.Format(layoutTimestamp)), nil
	case int:
		return strconv.AppendInt(nil, int64(x), 10), nil
	}
	return nil, sqltypes.Errorf(sqltypes.InternalError, "cannot render SQLite value of type %T", v)
}

func plainText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func boolText(b bool) []byte {
	if b {
		return []byte("t")
	}
	return []byte("f")
}

// parseBool accepts Postgres's boolean input forms.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "y", "yes", "on", "1":
		return true, true
	case "f", "false", "n", "no", "off", "0":
		return false, true
	}
	return false, false
}

// formatFloat prints a float the way Postgres's float8out/float4out do with
// the default extra_float_digits.
func formatFloat(f float64, bits int) string {
	if bits == 32 {
		return sqltypes.FormatFloat4(float32(f))
	}
	return sqltypes.FormatFloat8(f)
}

// placeDecimal writes digits d1d2d3... (value d1.d2d3 × 10^exp) in plain
// decimal notation.
func placeDecimal(digits string, exp int) string {
	switch {
	case exp < 0:
		return "0." + strings.Repeat("0", -exp-1) + digits
	case exp+1 >= len(digits):
		return digits + strings.Repeat("0", exp+1-len(digits))
	default:
		return digits[:exp+1] + "." + digits[exp+1:]
	}
}

// formatNumericFloat renders a REAL stored in a numeric column: 15
// significant digits, then the typmod's scale when there is one.
func formatNumericFloat(f float64, scale int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatFloat(f, 64)
	}
	s := strconv.FormatFloat(f, 'e', 14, 64)
	mant, exps, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(exps)
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		digits, exp, neg = "0", 0, false
	}
	plain := placeDecimal(digits, exp)
	if neg {
		plain = "-" + plain
	}
	if scale >= 0 {
		if r, ok := new(big.Rat).SetString(plain); ok {
			return r.FloatString(scale)
		}
	}
	return plain
}

// BindArg turns a client argument (nil, int64, float64, bool, string,
// []byte, time.Time) into what SQLite should get for a parameter of Postgres
// type oid (0 = unknown): booleans become 1/0, times and date/time text the
// canonical stored text, numeric text of number-typed parameters a number,
// "\x..." text of a bytea parameter its bytes.
func BindArg(v any, oid uint32) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		switch oid {
		case sqltypes.OIDDate, sqltypes.OIDTime, sqltypes.OIDTimestamp:
			return formatStoredTime(x, oid, false)
		}
		return formatStoredTime(x.UTC(), sqltypes.OIDTimestamptz, false)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case float64:
		if oid == sqltypes.OIDFloat4 {
			return float64(float32(x)) // a float4 holds a float32
		}
	case string:
		switch oid {
		case sqltypes.OIDBool:
			if b, ok := parseBool(x); ok {
				if b {
					return int64(1)
				}
				return int64(0)
			}
		case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n
			}
		case sqltypes.OIDFloat4, sqltypes.OIDFloat8:
			bits := 64
			if oid == sqltypes.OIDFloat4 {
				bits = 32
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), bits); err == nil {
				return f
			}
		case sqltypes.OIDNumeric:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsInf(f, 0) {
				return f
			}
		case sqltypes.OIDDate, sqltypes.OIDTime, sqltypes.OIDTimestamp, sqltypes.OIDTimestamptz:
			if c, ok := canonicalTime(x, oid); ok {
				return c
			}
		case sqltypes.OIDBytea:
			if strings.HasPrefix(x, `\x`) {
				if b, err := hex.DecodeString(x[2:]); err == nil {
					return b
				}
			}
			return []byte(x)
		case sqltypes.OIDUUID:
			return strings.ToLower(x)
		case sqltypes.OIDBPChar:
			return strings.TrimRight(x, " ") // character(n)'s stored form
		}
	}
	return v
}
