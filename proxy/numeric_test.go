package proxy

import (
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// The expected bytes are what PostgreSQL 15 sends for these values
// (SELECT '<v>'::numeric with binary results).
func TestEncodeNumericLikePostgres(t *testing.T) {
	// Round trips through pgx's decoder and exact byte checks for simple cases.
	exact := map[string]string{
		"0":      "0000000000000000",
		"0.00":   "0000000000000002",
		"1":      "00010000000000000001",
		"10000":  "00010001000000000001",
		"0.0001": "0001ffff000000040001",
		"-1.5":   "00020000400000010001" + "1388",
		"NaN":    "00000000c0000000",
	}
	for in, want := range exact {
		got, err := encodeNumeric([]byte(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != want {
			t.Errorf("%s: got %x want %s", in, got, want)
		}
	}
	m := pgtype.NewMap()
	for _, in := range []string{"12.50", "-0.001", "123456789.123456789", "1000000.000000000000", "99999999", "0.5000000000000000"} {
		b, err := encodeNumeric([]byte(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		var n pgtype.Numeric
		if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, b, &n); err != nil {
			t.Fatal(err)
		}
		v, _ := n.Value()
		if v != in {
			t.Errorf("round trip %s -> %v", in, v)
		}
	}
}
