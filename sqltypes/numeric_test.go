package sqltypes

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, out string
		err     bool
	}{
		{in: "0", out: "0"},
		{in: "12.50", out: "12.50"},
		{in: "-3", out: "-3"},
		{in: "+3", out: "3"},
		{in: "-0.001", out: "-0.001"},
		{in: "-0.00", out: "0.00"},
		{in: ".5", out: "0.5"},
		{in: "5.", out: "5"},
		{in: "007.10", out: "7.10"},
		{in: " 42 ", out: "42"},
		{in: "1e3", out: "1000"},
		{in: "1.5E3", out: "1500"},
		{in: "1.2345e2", out: "123.45"},
		{in: "1e-3", out: "0.001"},
		{in: "-2.50e-1", out: "-0.250"},
		{in: "123456789012345678901234567890.123456789", out: "123456789012345678901234567890.123456789"},
		{in: "NaN", out: "NaN"},
		{in: "nan", out: "NaN"},
		{in: "Infinity", out: "Infinity"},
		{in: "-Infinity", out: "-Infinity"},
		{in: "-inf", out: "-Infinity"},
		{in: "", err: true},
		{in: "-", err: true},
		{in: ".", err: true},
		{in: "1.2.3", err: true},
		{in: "abc", err: true},
		{in: "1e", err: true},
		{in: "1e+", err: true},
		{in: "1e5000", err: true},
		{in: "1 2", err: true},
		{in: "0x10", err: true},
	}
	for _, tt := range tests {
		d, err := ParseDecimal(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("ParseDecimal(%q) = %s, want error", tt.in, d)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.out {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tt.in, got, tt.out)
		}
	}
	var zero Decimal
	if zero.String() != "0" || zero.Sign() != 0 {
		t.Errorf("zero Decimal = %q", zero.String())
	}
	if got := NewDecimal(big.NewInt(-1250), 2).String(); got != "-12.50" {
		t.Errorf("NewDecimal = %q", got)
	}
}

func TestDecimalAdd(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"12.50", "1.25", "13.75"},
		{"1", "2", "3"},
		{"1.5", "2.25", "3.75"},
		{"1.50", "-1.5", "0.00"},
		{"0.1", "0.2", "0.3"},
		{"99999999999999999999", "1", "100000000000000000000"},
		{"-5", "3.000", "-2.000"},
		{"NaN", "1", "NaN"},
		{"1", "NaN", "NaN"},
		{"Infinity", "1", "Infinity"},
		{"1", "-Infinity", "-Infinity"},
		{"Infinity", "Infinity", "Infinity"},
		{"Infinity", "-Infinity", "NaN"},
		{"-Infinity", "NaN", "NaN"},
	}
	for _, tt := range tests {
		a, b := MustParseDecimal(tt.a), MustParseDecimal(tt.b)
		if got := a.Add(b).String(); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
		if got := b.Add(a).String(); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.b, tt.a, got, tt.want)
		}
	}
	// Add must not modify its operands.
	a := MustParseDecimal("1.5")
	_ = a.Add(MustParseDecimal("2.25"))
	_ = a.Sub(MustParseDecimal("2"))
	if a.String() != "1.5" {
		t.Errorf("operand changed to %s", a)
	}
	if got := MustParseDecimal("1.5").Sub(MustParseDecimal("2.25")).String(); got != "-0.75" {
		t.Errorf("1.5 - 2.25 = %s", got)
	}
}

func TestDecimalCmp(t *testing.T) {
	order := []string{"-Infinity", "-100", "-1.5", "-1.25", "-0.001", "0", "0.0001", "1", "1.0000001", "2", "10", "99999999999999999999999", "Infinity", "NaN"}
	for i, a := range order {
		for j, b := range order {
			want := cmpOrdered(i, j)
			if got := MustParseDecimal(a).Cmp(MustParseDecimal(b)); got != want {
				t.Errorf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.00"}, {"1", "1.000"}, {"0", "-0.00"}, {"NaN", "NaN"}, {"Infinity", "Infinity"}, {"1e3", "1000.0"}} {
		if c := MustParseDecimal(eq[0]).Cmp(MustParseDecimal(eq[1])); c != 0 {
			t.Errorf("Cmp(%s, %s) = %d, want 0", eq[0], eq[1], c)
		}
	}
}

// avg checks DivAvg on the sum of the given values against Postgres 15.
func TestDivAvg(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{[]string{"1", "2"}, "1.5000000000000000"},
		{[]string{"1", "2", "4"}, "2.3333333333333333"},
		{[]string{"10", "20"}, "15.0000000000000000"},
		{[]string{"12.50", "1.25"}, "6.8750000000000000"},
		// Postgres 15 prints 1000000.000000000000: the quotient's weight is 1
		// base-10000 digit, so the scale is 16 - 4 = 12.
		{[]string{"1000000"}, "1000000.000000000000"},
		{[]string{"-1", "-2"}, "-1.5000000000000000"},
		{[]string{"0.001", "0.002"}, "0.00150000000000000000"},
		{[]string{"9223372036854775807", "9223372036854775807"}, "9223372036854775807"},
		{[]string{"1"}, "1.00000000000000000000"},
		{[]string{"0"}, "0.00000000000000000000"},
		{[]string{"0", "0"}, "0.00000000000000000000"},
		{[]string{"5", "5"}, "5.0000000000000000"},
		{[]string{"2", "-1", "-1", "1", "1", "0"}, "0.33333333333333333333"},
		{[]string{"1", "1", "0"}, "0.66666666666666666667"},
		{[]string{"-1", "-1", "0"}, "-0.66666666666666666667"},
		{[]string{"99999"}, "99999.000000000000"},
		{[]string{"0.0001"}, "0.000100000000000000000000"},
		{[]string{"0.00001", "0", "0"}, "0.000003333333333333333333"},
		{[]string{"NaN", "1"}, "NaN"},
		{[]string{"Infinity", "1"}, "Infinity"},
		{[]string{"-Infinity", "1"}, "-Infinity"},
	}
	for _, tt := range tests {
		var sum Decimal
		for _, v := range tt.values {
			sum = sum.Add(MustParseDecimal(v))
		}
		if got := DivAvg(sum, int64(len(tt.values))).String(); got != tt.want {
			t.Errorf("avg%v = %s, want %s", tt.values, got, tt.want)
		}
	}
	// 12345.678 / 7 = 1763.6682857142857143 in Postgres.
	if got := DivAvg(MustParseDecimal("12345.678"), 7).String(); got != "1763.6682857142857143" {
		t.Errorf("12345.678/7 = %s", got)
	}
	// A huge sum keeps all its digits.
	huge := MustParseDecimal(strings.Repeat("9", 40))
	if got := DivAvg(huge.Add(huge), 2).String(); got != strings.Repeat("9", 40) {
		t.Errorf("huge avg = %s", got)
	}
	if !DivAvg(DecimalFromInt64(1), 0).IsNaN() {
		t.Error("DivAvg with count 0 is not NaN")
	}
}

func TestDecimalDiv(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"1", "3", "0.33333333333333333333"},
		{"2", "3", "0.66666666666666666667"},
		{"10", "10", "1.00000000000000000000"},
		{"1", "10000", "0.000100000000000000000000"},
		{"-7", "2", "-3.5000000000000000"},
		{"7", "-2", "-3.5000000000000000"},
		{"-7", "-2", "3.5000000000000000"},
		{"1.000000000000000000000000", "3", "0.333333333333333333333333"},
		{"Infinity", "-2", "-Infinity"},
		{"1", "Infinity", "0"},
		{"Infinity", "Infinity", "NaN"},
	}
	for _, tt := range tests {
		got, err := MustParseDecimal(tt.a).Div(MustParseDecimal(tt.b))
		if err != nil || got.String() != tt.want {
			t.Errorf("%s / %s = %s, %v; want %s", tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := DecimalFromInt64(1).Div(MustParseDecimal("0.00")); err == nil {
		t.Error("division by zero succeeded")
	}
}

// TestDecimalMul: the products PostgreSQL 15 gives (scale = sum of scales).
func TestDecimalMul(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"1.50", "2.25", "3.3750"},
		{"-0.10", "3", "-0.30"},
		{"91.00", "9007199254730223", "819655132180450293.00"},
		{"0.000", "5", "0.000"},
		{"1.5", "-0.0", "0.00"},
		{"Infinity", "0", "NaN"},
		{"Infinity", "-2.5", "-Infinity"},
		{"NaN", "0", "NaN"},
	} {
		a, b := MustParseDecimal(tt.a), MustParseDecimal(tt.b)
		if got := a.Mul(b).String(); got != tt.want {
			t.Errorf("%s * %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
		if got := b.Mul(a).String(); got != tt.want {
			t.Errorf("%s * %s = %s, want %s", tt.b, tt.a, got, tt.want)
		}
	}
}
