package sqltypes

import (
	"strings"
	"testing"
)

// Each list is in ascending Postgres order; values inside one inner slice
// are equal.
var orderTests = []struct {
	oid    uint32
	groups [][]string
}{
	{OIDInt2, [][]string{{"-32768"}, {"-1"}, {"0"}, {"2"}, {"10"}, {"32767"}}},
	{OIDInt4, [][]string{{"-2147483648"}, {"-10"}, {"-9"}, {"0"}, {"9"}, {"10"}, {"100"}, {"2147483647"}}},
	{OIDInt8, [][]string{{"-9223372036854775808"}, {"-1"}, {"0"}, {"9"}, {"10"}, {"9223372036854775807"}}},
	{OIDOid, [][]string{{"0"}, {"9"}, {"10"}, {"4294967295"}}},
	{OIDFloat8, [][]string{
		{"-Infinity"}, {"-1e+300"}, {"-2.5"}, {"-1e-05"}, {"0", "-0"}, {"5e-324"}, {"0.1"}, {"1", "1.0"},
		{"10"}, {"1e+15"}, {"1.7976931348623157e+308"}, {"Infinity"}, {"NaN"},
	}},
	{OIDFloat4, [][]string{{"-Infinity"}, {"-1"}, {"-0", "0"}, {"0.1"}, {"1e+06"}, {"3.4028235e+38"}, {"Infinity"}, {"NaN"}}},
	{OIDNumeric, [][]string{
		{"-Infinity"}, {"-1000000000000000000000000000001"}, {"-10"}, {"-9.99"}, {"-1.5", "-1.50"},
		{"-0.001"}, {"0", "0.00", "-0"}, {"0.0000000000000000000001"}, {"0.5", "0.50000"}, {"1", "1.0", "1.00", "1e0"},
		{"1.000001"}, {"2"}, {"10"}, {"99.9"}, {"100"}, {"1e21", "1000000000000000000000.000"},
		{"Infinity"}, {"NaN"},
	}},
	{OIDBool, [][]string{{"f", "false"}, {"t", "true"}}},
	{OIDText, [][]string{{""}, {"A"}, {"B"}, {"Z"}, {"a"}, {"a "}, {"ab"}, {"b"}, {"é"}}},
	{OIDVarchar, [][]string{{"10"}, {"9"}, {"a"}}},
	{OIDName, [][]string{{"Users"}, {"users"}}},
	{OIDUUID, [][]string{{"00000000-0000-0000-0000-000000000000"}, {"0a000000-0000-0000-0000-000000000000"}, {"a0000000-0000-0000-0000-000000000000"}, {"ffffffff-ffff-ffff-ffff-ffffffffffff"}}},
	{OIDBPChar, [][]string{{"", "   "}, {"a", "a  "}, {"a b"}, {"ab", "ab   "}, {"b"}}},
	{OIDBytea, [][]string{{`\x`, ``}, {`\x00`, `\000`}, {`\x0000`}, {`\x01`, `\x 01`, `\001`}, {`\x41`, `A`}, {`\x5c`, `\\`}, {`\x7f`}, {`\x80`}, {`\xff`, `\xFF`, `\377`}, {`\xff00`, `\377\000`}}},
	{OIDDate, [][]string{
		{"-infinity"}, {"4714-11-24 BC"}, {"0044-03-15 BC"}, {"0001-12-31 BC"}, {"0001-01-01"}, {"1969-12-31"},
		{"1970-01-01"}, {"2000-02-29"}, {"2024-01-02"}, {"12345-01-01"}, {"infinity"},
	}},
	{OIDTimestamp, [][]string{
		{"-infinity"}, {"0044-03-15 12:00:00 BC"}, {"0044-03-15 12:00:00.5 BC"}, {"1999-12-31 23:59:59.999999"},
		{"2000-01-01 00:00:00"}, {"2000-01-01 00:00:00.000001"}, {"2000-01-01 00:00:00.1", "2000-01-01 00:00:00.100000"},
		{"2000-01-01 00:00:01"}, {"2000-01-02 00:00:00"}, {"294276-12-31 23:59:59.999999"}, {"infinity"},
	}},
	{OIDTimestamptz, [][]string{
		{"-infinity"}, {"0044-03-15 17:53:28+05:53:28 BC", "0044-03-15 12:00:00+00 BC"},
		{"1900-01-01 05:21:10+05:21:10", "1900-01-01 00:00:00+00"},
		{"2024-01-01 05:00:00+05:30"},
		{"2024-01-01 00:00:00+00", "2024-01-01 05:30:00+05:30", "2023-12-31 20:30:00-03:30"},
		{"2024-01-01 00:00:00.5+00", "2023-12-31 19:00:00.5-05"},
		{"2024-01-01 01:00:00+00"}, {"infinity"},
	}},
	{OIDTime, [][]string{{"00:00:00"}, {"00:00:00.000001"}, {"09:59:59"}, {"10:00:00", "10:00:00.0"}, {"23:59:59.999999"}, {"24:00:00"}}},
	{OIDJSON, [][]string{{`[1]`}, {`{"a": 1}`}, {`{"a":1}`}}},
}

func TestCompareOrder(t *testing.T) {
	for _, tt := range orderTests {
		for i, gi := range tt.groups {
			for j, gj := range tt.groups {
				want := cmpOrdered(i, j)
				for _, a := range gi {
					for _, b := range gj {
						got, err := Compare(tt.oid, []byte(a), []byte(b))
						if err != nil {
							t.Errorf("Compare(%s, %q, %q): %v", TypeName(tt.oid), a, b, err)
							continue
						}
						if got != want {
							t.Errorf("Compare(%s, %q, %q) = %d, want %d", TypeName(tt.oid), a, b, got, want)
						}
						eq, err := Equal(tt.oid, []byte(a), []byte(b))
						if err != nil || eq != (want == 0) {
							t.Errorf("Equal(%s, %q, %q) = %v, %v; want %v", TypeName(tt.oid), a, b, eq, err, want == 0)
						}
					}
				}
			}
		}
	}
}

func TestCompareErrors(t *testing.T) {
	tests := []struct {
		oid  uint32
		a, b string
		msg  string
	}{
		{OIDInterval, "1 day", "2 days", "cannot compare interval"},
		{OIDJSONB, `{}`, `[]`, "cannot compare jsonb"},
		{9999, "a", "b", "cannot compare"},
		{OIDInt4, "1", "x", "invalid input"},
		{OIDInt2, "1", "40000", "invalid input"},
		{OIDInt8, "1.5", "1", "invalid input"},
		{OIDFloat8, "1", "one", "invalid input"},
		{OIDNumeric, "1", "1.2.3", "invalid input"},
		{OIDBool, "t", "yes please", "invalid input"},
		{OIDBytea, `\x0`, `\x00`, "invalid input"},
		{OIDBytea, `\9`, `\x00`, "invalid input"},
		{OIDDate, "2024-01-02", "01/02/2024", "ISO DateStyle"},
		{OIDDate, "2024-13-02", "2024-01-02", "ISO DateStyle"},
		{OIDTimestamp, "2024-01-02 00:00:00", "2024-01-02 00:00:00+00", "ISO DateStyle"},
		{OIDTimestamptz, "2024-01-02 00:00:00", "2024-01-02 00:00:00+00", "ISO DateStyle"},
		{OIDTime, "10:00", "10:00:00", "ISO DateStyle"},
		{OIDTime, "infinity", "10:00:00", "ISO DateStyle"},
	}
	for _, tt := range tests {
		_, err := Compare(tt.oid, []byte(tt.a), []byte(tt.b))
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Compare(%s, %q, %q) error = %v, want containing %q", TypeName(tt.oid), tt.a, tt.b, err, tt.msg)
		}
		if _, err := Equal(tt.oid, []byte(tt.a), []byte(tt.b)); err == nil {
			t.Errorf("Equal(%s, %q, %q) succeeded", TypeName(tt.oid), tt.a, tt.b)
		}
	}
	_, err := Compare(OIDInterval, []byte("1 day"), []byte("1 day"))
	if pe, ok := err.(interface{ SQLState() string }); !ok || pe.SQLState() != "0A000" {
		t.Errorf("interval error %v is not 0A000", err)
	}
}

func TestCompareNullable(t *testing.T) {
	tests := []struct {
		a, b       []byte
		nullsFirst bool
		want       int
	}{
		{nil, nil, false, 0},
		{nil, []byte("1"), false, 1},
		{[]byte("1"), nil, false, -1},
		{nil, []byte("1"), true, -1},
		{[]byte("1"), nil, true, 1},
		{[]byte("1"), []byte("2"), true, -1},
	}
	for _, tt := range tests {
		got, err := CompareNullable(OIDInt4, tt.a, tt.b, tt.nullsFirst)
		if err != nil || got != tt.want {
			t.Errorf("CompareNullable(%q, %q, %v) = %d, %v; want %d", tt.a, tt.b, tt.nullsFirst, got, err, tt.want)
		}
	}
}

func TestDecodeBytea(t *testing.T) {
	tests := []struct{ in, want string }{
		{`\x`, ""},
		{`\x00ff41`, "\x00\xffA"},
		{`\x00FF`, "\x00\xff"},
		{`\000\377\\A`, "\x00\xff\\A"},
		{`abc`, "abc"},
	}
	for _, tt := range tests {
		got, err := DecodeBytea([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("DecodeBytea(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func BenchmarkCompareNumeric(b *testing.B) {
	x, y := []byte("-12345.678900"), []byte("-12345.6789")
	for i := 0; i < b.N; i++ {
		if c, _ := Compare(OIDNumeric, x, y); c != 0 {
			b.Fatal(c)
		}
	}
}
