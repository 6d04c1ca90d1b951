package sqltypes

import (
	"fmt"
	"strconv"
	"strings"
)

// TypeSize is pg_type.typlen for the OID (-1 for variable length).
func TypeSize(oid uint32) int16 {
	switch oid {
	case OIDBool:
		return 1
	case OIDInt2:
		return 2
	case OIDInt4, OIDFloat4, OIDOid, OIDDate:
		return 4
	case OIDInt8, OIDFloat8, OIDTimestamp, OIDTimestamptz, OIDTime:
		return 8
	case OIDInterval, OIDUUID:
		return 16
	case OIDName:
		return 64
	}
	return -1
}

var typeNames = map[uint32]string{
	OIDBool: "boolean", OIDBytea: "bytea", OIDName: "name", OIDInt8: "bigint", OIDInt2: "smallint",
	OIDInt4: "integer", OIDText: "text", OIDOid: "oid", OIDJSON: "json", OIDFloat4: "real",
	OIDFloat8: "double precision", OIDUnknown: "unknown", OIDBPChar: "character", OIDVarchar: "character varying",
	OIDDate: "date", OIDTime: "time without time zone", OIDTimestamp: "timestamp without time zone",
	OIDTimestamptz: "timestamp with time zone", OIDInterval: "interval", OIDNumeric: "numeric",
	OIDUUID: "uuid", OIDJSONB: "jsonb",
}

// TypeName is the SQL name Postgres prints for the type (format_type without modifier).
func TypeName(oid uint32) string {
	if n, ok := typeNames[oid]; ok {
		return n
	}
	return fmt.Sprintf("oid %d", oid)
}

// ParseTypeName maps a Postgres type name as written in DDL or a cast
// ("bigint", "varchar(100)", "numeric(10,2)", "int8", "timestamptz") to its
// OID and type modifier. ok is false for types the gate does not know.
func ParseTypeName(s string) (oid uint32, typmod int32, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	typmod = -1
	var mods []int
	if i := strings.IndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		for _, p := range strings.Split(s[i+1:len(s)-1], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return 0, -1, false
			}
			mods = append(mods, n)
		}
		s = strings.TrimSpace(s[:i])
	}
	s = strings.TrimPrefix(s, "pg_catalog.")
	switch s {
	case "bool", "boolean":
		oid = OIDBool
	case "bytea", "blob":
		oid = OIDBytea
	case "int8", "bigint", "bigserial", "serial8":
		oid = OIDInt8
	case "int2", "smallint", "smallserial", "serial2":
		oid = OIDInt2
	case "int4", "int", "integer", "serial", "serial4":
		oid = OIDInt4
	case "text":
		oid = OIDText
	case "name":
		oid = OIDName
	case "oid":
		oid = OIDOid
	case "json":
		oid = OIDJSON
	case "jsonb":
		oid = OIDJSONB
	case "float4", "real":
		oid = OIDFloat4
	case "float8", "double precision", "float", "double":
		oid = OIDFloat8
	case "bpchar", "char", "character":
		oid = OIDBPChar
		if len(mods) == 0 {
			mods = []int{1}
		}
	case "varchar", "character varying":
		oid = OIDVarchar
	case "date":
		oid = OIDDate
	case "time", "time without time zone":
		oid = OIDTime
	case "timestamp", "timestamp without time zone":
		oid = OIDTimestamp
	case "timestamptz", "timestamp with time zone":
		oid = OIDTimestamptz
	case "interval":
		oid = OIDInterval
	case "numeric", "decimal":
		oid = OIDNumeric
	case "uuid":
		oid = OIDUUID
	default:
		return 0, -1, false
	}
	switch {
	case len(mods) == 0:
	case oid == OIDVarchar || oid == OIDBPChar:
		typmod = int32(mods[0]) + 4
	case oid == OIDNumeric:
		scale := 0
		if len(mods) > 1 {
			scale = mods[1]
		}
		typmod = int32((mods[0]<<16)|scale) + 4
	case oid == OIDTimestamp || oid == OIDTimestamptz || oid == OIDTime:
		typmod = int32(mods[0])
	}
	return oid, typmod, true
}

// NumericScale returns the scale a numeric typmod fixes, or -1.
func NumericScale(typmod int32) int {
	if typmod < 4 {
		return -1
	}
	return int((typmod - 4) & 0xffff)
}

// Category groups types the way comparisons and arithmetic treat them.
type Category int

const (
	CatOther Category = iota
	CatBool
	CatInt
	CatFloat
	CatNumeric
	CatString
	CatBytes
	CatTime
)

// CategoryOf returns the comparison category of a type.
func CategoryOf(oid uint32) Category {
	switch oid {
	case OIDBool:
		return CatBool
	case OIDInt2, OIDInt4, OIDInt8, OIDOid:
		return CatInt
	case OIDFloat4, OIDFloat8:
		return CatFloat
	case OIDNumeric:
		return CatNumeric
	case OIDText, OIDVarchar, OIDBPChar, OIDName, OIDUnknown, OIDJSON, OIDJSONB, OIDUUID:
		return CatString
	case OIDBytea:
		return CatBytes
	case OIDDate, OIDTime, OIDTimestamp, OIDTimestamptz, OIDInterval:
		return CatTime
	}
	return CatOther
}
