package sqltypes

import (
	"math"
	"testing"
)

// Values where Postgres's Ryu output differs from Go's shortest
// formatting, checked against Postgres 15 (float8send/float4send bits).
func TestFormatFloatRyuEdges(t *testing.T) {
	f8 := []struct {
		bits uint64
		want string
	}{
		// Go's shortest sits exactly halfway to the next float; Postgres
		// excludes the interval's bounds.
		{0xc36d2e63b54afdf0, "-6.5710240822718336e+16"},
		{0x436393b0d0a65894, "4.4083297452737696e+16"},
	}
	for _, tt := range f8 {
		if got := FormatFloat8(math.Float64frombits(tt.bits)); got != tt.want {
			t.Errorf("FormatFloat8(%#x) = %q, want %q", tt.bits, got, tt.want)
		}
	}
	f4 := []struct {
		bits uint32
		want string
	}{
		{0xcca9bd14, "-8.8991904e+07"},
		{0x4f83286a, "4.4009277e+09"},
		{0x4c0dc190, "3.7160512e+07"},
		// 2^-12 = 0.000244140625: an exact decimal tie, rounded to even.
		{0x39800000, "0.00024414062"},
	}
	for _, tt := range f4 {
		if got := FormatFloat4(math.Float32frombits(tt.bits)); got != tt.want {
			t.Errorf("FormatFloat4(%#x) = %q, want %q", tt.bits, got, tt.want)
		}
	}
}

func TestFormatFloat8(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.1, "0.1"},
		{100, "100"},
		{1e15, "1e+15"},
		{123456789012345, "123456789012345"},
		{999999999999999, "999999999999999"},
		{1e16, "1e+16"},
		{123456789012345678, "1.2345678901234568e+17"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1.0 / 3, "0.3333333333333333"},
		{2.5e-7, "2.5e-07"},
		{1.5e-5, "1.5e-05"},
		{-1.23456789012e20, "-1.23456789012e+20"},
		{1e100, "1e+100"},
		{1e-100, "1e-100"},
		{1e308, "1e+308"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{-2.5, "-2.5"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{0.30000000000000004, "0.30000000000000004"},
		{100000, "100000"},
	}
	for _, tt := range tests {
		if got := FormatFloat8(tt.in); got != tt.want {
			t.Errorf("FormatFloat8(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatFloat4(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{0.1, "0.1"},
		{100000, "100000"},
		{1000000, "1e+06"},
		{123456, "123456"},
		{1234567, "1.234567e+06"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1e38, "1e+38"},
		{math.MaxFloat32, "3.4028235e+38"},
		{1e-45, "1e-45"},
		{16777216, "1.6777216e+07"},
		{1.0 / 3, "0.33333334"},
		{float32(math.Copysign(0, -1)), "-0"},
		{float32(math.NaN()), "NaN"},
		{float32(math.Inf(-1)), "-Infinity"},
	}
	for _, tt := range tests {
		if got := FormatFloat4(tt.in); got != tt.want {
			t.Errorf("FormatFloat4(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{in: "0.1", want: 0.1},
		{in: "1e+15", want: 1e15},
		{in: "-1.23456789012e+20", want: -1.23456789012e20},
		{in: " 42 ", want: 42},
		{in: "Infinity", want: math.Inf(1)},
		{in: "-Infinity", want: math.Inf(-1)},
		{in: "inf", want: math.Inf(1)},
		{in: "-INF", want: math.Inf(-1)},
		{in: "+infinity", want: math.Inf(1)},
		{in: "-0", want: math.Copysign(0, -1)},
		{in: "", err: true},
		{in: "abc", err: true},
		{in: "1_000", err: true},
		{in: "1e400", err: true},
	}
	for _, tt := range tests {
		got, err := ParseFloat(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("ParseFloat(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want || math.Signbit(got) != math.Signbit(tt.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, s := range []string{"NaN", "nan", "NAN"} {
		if f, err := ParseFloat(s); err != nil || !math.IsNaN(f) {
			t.Errorf("ParseFloat(%q) = %v, %v", s, f, err)
		}
	}
	if f, err := ParseFloat4("3.4028235e+38"); err != nil || f != math.MaxFloat32 {
		t.Errorf("ParseFloat4 = %v, %v", f, err)
	}
	if _, err := ParseFloat4("1e39"); err == nil {
		t.Error("ParseFloat4(1e39) succeeded")
	}
}

// FormatFloat8 output parses back to the same value.
func TestFloatRoundTrip(t *testing.T) {
	x := 1.0
	for i := 0; i < 2000; i++ {
		x = x*1.37 + 1e-3/float64(i+1)
		if x > 1e300 {
			x = 1e-300
		}
		for _, f := range []float64{x, -x, 1 / x} {
			s := FormatFloat8(f)
			g, err := ParseFloat(s)
			if err != nil || g != f {
				t.Fatalf("%v -> %q -> %v, %v", f, s, g, err)
			}
			s4 := FormatFloat4(float32(f))
			g4, err := ParseFloat4(s4)
			if !math.IsInf(float64(float32(f)), 0) && (err != nil || g4 != float32(f)) {
				t.Fatalf("float4 %v -> %q -> %v, %v", float32(f), s4, g4, err)
			}
		}
	}
}
