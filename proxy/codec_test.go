package proxy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dotdo/vitess/sqltypes"
)

// TestEncodeBinaryRoundTrip encodes text values in binary with encodeBinary
// and checks that pgtype decodes the binary to what it decodes the text to.
func TestEncodeBinaryRoundTrip(t *testing.T) {
	m := pgtype.NewMap()
	cases := []struct {
		oid  uint32
		text string
	}{
		{sqltypes.OIDBool, "t"}, {sqltypes.OIDBool, "f"},
		{sqltypes.OIDInt2, "-32768"}, {sqltypes.OIDInt2, "32767"},
		{sqltypes.OIDInt4, "-2147483648"}, {sqltypes.OIDInt4, "42"},
		{sqltypes.OIDInt8, "9223372036854775807"}, {sqltypes.OIDInt8, "-1"},
		{sqltypes.OIDOid, "4294967295"},
		{sqltypes.OIDFloat4, "1.5"}, {sqltypes.OIDFloat4, "-Infinity"}, {sqltypes.OIDFloat4, "3.4028235e+38"},
		{sqltypes.OIDFloat8, "0.1"}, {sqltypes.OIDFloat8, "Infinity"}, {sqltypes.OIDFloat8, "NaN"}, {sqltypes.OIDFloat8, "-1.7976931348623157e+308"},
		{sqltypes.OIDNumeric, "12.50"}, {sqltypes.OIDNumeric, "-0.000123"}, {sqltypes.OIDNumeric, "123456789012345678901234567890.123456789"},
		{sqltypes.OIDNumeric, "0"}, {sqltypes.OIDNumeric, "NaN"}, {sqltypes.OIDNumeric, "Infinity"},
		{sqltypes.OIDText, "héllo"}, {sqltypes.OIDText, ""},
		{sqltypes.OIDVarchar, "v"}, {sqltypes.OIDBPChar, "ab  "}, {sqltypes.OIDName, "pg_class"},
		{sqltypes.OIDBytea, `\x`}, {sqltypes.OIDBytea, `\xdeadBEEF00`},
		{sqltypes.OIDDate, "2024-02-29"}, {sqltypes.OIDDate, "infinity"}, {sqltypes.OIDDate, "0044-03-15 BC"},
		{sqltypes.OIDTimestamp, "2024-01-02 03:04:05"}, {sqltypes.OIDTimestamp, "1999-12-31 23:59:59.999999"}, {sqltypes.OIDTimestamp, "-infinity"},
		{sqltypes.OIDTimestamptz, "2024-01-02 03:04:05+00"}, {sqltypes.OIDTimestamptz, "2024-01-02 03:04:05.123+05:30"}, {sqltypes.OIDTimestamptz, "infinity"},
		{sqltypes.OIDTime, "13:14:15.5"},
		{sqltypes.OIDInterval, "1 year 2 mons 3 days 04:05:06.5"}, {sqltypes.OIDInterval, "-00:00:01"},
		{sqltypes.OIDJSON, `{"a": [1, 2]}`}, {sqltypes.OIDJSONB, `{"a": [1, 2]}`},
		{sqltypes.OIDUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", sqltypes.TypeName(tc.oid), tc.text), func(t *testing.T) {
			if !supportsBinary(tc.oid) {
				t.Fatal("not supported")
			}
			bin, err := encodeBinary(m, tc.oid, []byte(tc.text), nil)
			if err != nil {
				t.Fatal(err)
			}
			var fromText, fromBin any
			if err := m.Scan(tc.oid, pgtype.TextFormatCode, []byte(tc.text), &fromText); err != nil {
				t.Fatalf("pgtype text: %v", err)
			}
			if err := m.Scan(tc.oid, pgtype.BinaryFormatCode, bin, &fromBin); err != nil {
				t.Fatalf("pgtype binary: %v", err)
			}
			if !sameValue(fromText, fromBin) {
				t.Fatalf("text %#v, binary %#v", fromText, fromBin)
			}
			// Numeric keeps its scale: the binary renders as the text did.
			if tc.oid == sqltypes.OIDNumeric {
				var n pgtype.Numeric
				if err := m.Scan(tc.oid, pgtype.BinaryFormatCode, bin, &n); err != nil {
					t.Fatal(err)
				}
				back, _ := m.Encode(tc.oid, pgtype.TextFormatCode, n, nil)
				var want pgtype.Numeric
				_ = m.Scan(tc.oid, pgtype.TextFormatCode, []byte(tc.text), &want)
				wantText, _ := m.Encode(tc.oid, pgtype.TextFormatCode, want, nil)
				if string(back) != string(wantText) {
					t.Fatalf("numeric %s round trips to %s", wantText, back)
				}
			}
		})
	}
}

func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && floatsEqual(fa, fb)
	}
	if fa, ok := a.(float32); ok {
		fb, ok := b.(float32)
		return ok && floatsEqual(float64(fa), float64(fb))
	}
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

func TestEncodeBinaryErrors(t *testing.T) {
	m := pgtype.NewMap()
	for _, tc := range []struct {
		oid  uint32
		text string
		code string
	}{
		{sqltypes.OIDInt2, "40000", "22003"},
		{sqltypes.OIDInt4, "x", "22P02"},
		{sqltypes.OIDBool, "maybe", "22P02"},
		{sqltypes.OIDBytea, `\xabc`, "22P02"},
		{sqltypes.OIDNumeric, "twelve", "22P02"},
		{600, "(1,2)", "0A000"},
	} {
		_, err := encodeBinary(m, tc.oid, []byte(tc.text), nil)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != tc.code {
			t.Errorf("%d %q: %v, want %s", tc.oid, tc.text, err, tc.code)
		}
	}
}

func TestDecodeParam(t *testing.T) {
	m := pgtype.NewMap()
	ts := time.Date(2024, 5, 6, 7, 8, 9, 10000, time.UTC)
	enc := func(oid uint32, v any) []byte {
		b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var num pgtype.Numeric
	_ = num.Scan("-12.340")
	for _, tc := range []struct {
		oid    uint32
		format int16
		src    []byte
		want   any
	}{
		{sqltypes.OIDInt8, 0, []byte(" 42 "), int64(42)},
		{sqltypes.OIDInt2, 0, []byte("-7"), int64(-7)},
		{sqltypes.OIDFloat8, 0, []byte("2.5"), 2.5},
		{sqltypes.OIDFloat4, 0, []byte("-Infinity"), math.Inf(-1)},
		{sqltypes.OIDBool, 0, []byte("TRUE"), true},
		{sqltypes.OIDBool, 0, []byte("of"), false},
		{sqltypes.OIDBool, 0, []byte("y"), true},
		{sqltypes.OIDBytea, 0, []byte(`\x0102`), []byte{1, 2}},
		{sqltypes.OIDBytea, 0, []byte(`a\\b\001`), []byte("a\\b\x01")},
		{sqltypes.OIDText, 0, []byte("x"), "x"},
		{sqltypes.OIDNumeric, 0, []byte("1.50"), "1.50"},
		{sqltypes.OIDTimestamptz, 0, []byte("2024-01-01 00:00:00+00"), "2024-01-01 00:00:00+00"},
		{0, 0, []byte("anything"), "anything"},
		{sqltypes.OIDInt4, 0, nil, nil},
		{sqltypes.OIDInt2, 1, enc(sqltypes.OIDInt2, int16(-3)), int64(-3)},
		{sqltypes.OIDInt4, 1, enc(sqltypes.OIDInt4, int32(-70000)), int64(-70000)},
		{sqltypes.OIDInt8, 1, enc(sqltypes.OIDInt8, int64(1)<<40), int64(1) << 40},
		{sqltypes.OIDFloat4, 1, enc(sqltypes.OIDFloat4, float32(0.5)), 0.5},
		{sqltypes.OIDFloat8, 1, enc(sqltypes.OIDFloat8, 0.1), 0.1},
		{sqltypes.OIDBool, 1, []byte{1}, true},
		{sqltypes.OIDBytea, 1, []byte{0, 9}, []byte{0, 9}},
		{sqltypes.OIDText, 1, []byte("bin"), "bin"},
		{sqltypes.OIDJSONB, 1, []byte("\x01{}"), "{}"},
		{sqltypes.OIDNumeric, 1, enc(sqltypes.OIDNumeric, num), "-12.340"},
		{sqltypes.OIDUUID, 1, enc(sqltypes.OIDUUID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{sqltypes.OIDTimestamptz, 1, enc(sqltypes.OIDTimestamptz, ts), ts},
		{sqltypes.OIDTimestamp, 1, enc(sqltypes.OIDTimestamp, ts), ts},
		{sqltypes.OIDDate, 1, enc(sqltypes.OIDDate, time.Date(2020, 2, 3, 0, 0, 0, 0, time.UTC)), time.Date(2020, 2, 3, 0, 0, 0, 0, time.UTC)},
		{sqltypes.OIDInterval, 1, enc(sqltypes.OIDInterval, pgtype.Interval{Days: 1, Microseconds: 1000000, Valid: true}), "1 day 00:00:01"},
	} {
		got, err := decodeParam(m, tc.oid, tc.format, tc.src, 1)
		if err != nil {
			t.Errorf("%s/%d %q: %v", sqltypes.TypeName(tc.oid), tc.format, tc.src, err)
			continue
		}
		if !sameValue(got, tc.want) {
			t.Errorf("%s/%d %q: got %#v, want %#v", sqltypes.TypeName(tc.oid), tc.format, tc.src, got, tc.want)
		}
	}
	for _, tc := range []struct {
		oid    uint32
		format int16
		src    []byte
		code   string
	}{
		{sqltypes.OIDInt4, 0, []byte("3000000000"), "22003"},
		{sqltypes.OIDInt8, 0, []byte("1.5"), "22P02"},
		{sqltypes.OIDBool, 0, []byte("o"), "22P02"},
		{sqltypes.OIDInt4, 1, []byte{1, 2}, "22P03"},
		{sqltypes.OIDJSONB, 1, []byte("{}"), "22P03"},
		{600, 1, []byte{1}, "0A000"},
	} {
		_, err := decodeParam(m, tc.oid, tc.format, tc.src, 1)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != tc.code {
			t.Errorf("%d/%d %q: %v, want %s", tc.oid, tc.format, tc.src, err, tc.code)
		}
	}
}

func TestFormatCodes(t *testing.T) {
	for _, tc := range []struct {
		codes []int16
		n     int
		want  []int16
		ok    bool
	}{
		{nil, 3, []int16{0, 0, 0}, true},
		{[]int16{1}, 2, []int16{1, 1}, true},
		{[]int16{0, 1}, 2, []int16{0, 1}, true},
		{[]int16{0, 1}, 3, nil, false},
		{[]int16{2}, 1, nil, false},
		{[]int16{1}, 0, []int16{}, true},
	} {
		got, err := formatCodes(tc.codes, tc.n, "result")
		if (err == nil) != tc.ok || tc.ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v/%d: %v %v", tc.codes, tc.n, got, err)
		}
	}
}

func TestToPgError(t *testing.T) {
	base := &pgconn.PgError{Severity: "ERROR", Code: sqltypes.UniqueViolation, Message: "duplicate key", Detail: "d", Position: 7}
	pe := toPgError(fmt.Errorf("shard -40: %w", base))
	if pe.Message != "shard -40: duplicate key" || pe.Code != sqltypes.UniqueViolation || pe.Detail != "d" || pe.Position != 7 {
		t.Errorf("wrapped: %+v", pe)
	}
	if base.Message != "duplicate key" {
		t.Error("toPgError changed the original error")
	}
	if pe := toPgError(base); pe.Message != "duplicate key" {
		t.Errorf("bare: %q", pe.Message)
	}
	if pe := toPgError(errors.New("boom")); pe.Code != sqltypes.InternalError || pe.Message != "boom" || pe.Severity != "ERROR" {
		t.Errorf("plain: %+v", pe)
	}
	if pe := toPgError(fmt.Errorf("x: %w", contextCanceled())); pe.Code != sqltypes.QueryCanceled {
		t.Errorf("canceled: %+v", pe)
	}
	er := errorResponse(fatal(base))
	if er.Severity != "FATAL" || er.SeverityUnlocalized != "FATAL" || er.Code != sqltypes.UniqueViolation {
		t.Errorf("fatal: %+v", er)
	}
}

func contextCanceled() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx.Err()
}
