package engine

import (
	"testing"

	"github.com/dotdo/vitess/sqltypes"
)

func TestCoerce(t *testing.T) {
	cases := []struct {
		in   any
		oid  uint32
		want any
		err  bool
	}{
		{int64(5), sqltypes.OIDInt8, int64(5), false},
		{"5", sqltypes.OIDInt8, int64(5), false},
		{" 7 ", sqltypes.OIDInt4, int64(7), false},
		{"2.0", sqltypes.OIDInt8, int64(2), false},
		{"2.5", sqltypes.OIDInt8, nil, true},
		{float64(3), sqltypes.OIDInt8, int64(3), false},
		{"abc", sqltypes.OIDInt8, nil, true},
		{int64(5), sqltypes.OIDText, "5", false},
		{"ab  ", sqltypes.OIDBPChar, "ab", false},
		{"{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", sqltypes.OIDUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false},
		{"a0eebc999c0b4ef8bb6d6bb9bd380a11", sqltypes.OIDUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false},
		{"1.0", sqltypes.OIDNumeric, nil, true},
		{"2020-01-01", sqltypes.OIDDate, nil, true},
	}
	for _, c := range cases {
		got, err := Coerce(c.in, c.oid)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("Coerce(%#v, %d) = %#v, %v; want %#v (err %v)", c.in, c.oid, got, err, c.want, c.err)
		}
	}
}
