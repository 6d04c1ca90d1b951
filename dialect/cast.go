package dialect

import (
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// castType resolves the type named in a cast or column definition.
func castType(tn *pg.TypeName) (typ, string) {
	if tn == nil {
		unsupported("missing type")
	}
	if len(tn.ArrayBounds) > 0 {
		unsupported("array types")
	}
	if tn.PctType || tn.Setof {
		unsupported("%TYPE/SETOF")
	}
	name := catalogName(tn.Names, "type")
	spec := name
	if len(tn.Typmods) > 0 {
		var mods []string
		for _, m := range tn.Typmods {
			c := m.GetAConst()
			if c == nil {
				unsupported("type modifier")
			}
			iv, ok := c.Val.(*pg.A_Const_Ival)
			if !ok {
				unsupported("type modifier")
			}
			mods = append(mods, strconv.Itoa(int(iv.Ival.Ival)))
		}
		spec += "(" + strings.Join(mods, ",") + ")"
	}
	oid, mod, ok := sqltypes.ParseTypeName(spec)
	if !ok || oid == sqltypes.OIDInterval || oid == sqltypes.OIDName || oid == sqltypes.OIDOid {
		unsupported("type %s", name)
	}
	return colT(oid, mod), name
}

func (t *translator) cast(c *pg.TypeCast, sc *scope) ex {
	to, _ := castType(c.TypeName)
	if isUnknownLiteral(c.Arg) {
		e := t.expr(c.Arg, sc, to)
		if c.Arg.GetParamRef() != nil && to.oid != sqltypes.OIDText {
			return ex{e.sql, to}
		}
		// a string literal: coerced already; varchar(n)/char(n) truncate
		if sv := c.Arg.GetAConst(); sv != nil && !sv.Isnull && (to.oid == sqltypes.OIDVarchar || to.oid == sqltypes.OIDBPChar) && to.mod >= 4 {
			s := sv.GetSval().GetSval()
			if r := []rune(s); len(r) > int(to.mod-4) {
				s = string(r[:to.mod-4])
			}
			if to.oid == sqltypes.OIDBPChar {
				s = strings.TrimRight(s, " ") // stored form, see coerceString
			}
			return ex{sqltypes.QuoteLiteral(s), to}
		}
		if to.oid == sqltypes.OIDNumeric && to.mod < 0 {
			return ex{e.sql, numT(e.t.dscale())}
		}
		return ex{e.sql, to}
	}
	e := t.expr(c.Arg, sc, to)
	from := e.t
	fc, tc := from.cat(), to.cat()
	switch {
	case from.oid == to.oid && from.mod == to.mod:
		return ex{e.sql, e.t}
	case tc == sqltypes.CatInt:
		if fc == sqltypes.CatBool {
			return ex{e.sql, to}
		}
		if s, ok := toInt(to, e); ok {
			return ex{s, to}
		}
	case tc == sqltypes.CatFloat:
		switch fc {
		case sqltypes.CatInt, sqltypes.CatFloat, sqltypes.CatNumeric:
			if to.oid == sqltypes.OIDFloat4 {
				return ex{"pg_f4(" + e.sql + ")", to}
			}
			return ex{"CAST(" + e.sql + " AS REAL)", to}
		}
	case tc == sqltypes.CatNumeric:
		switch fc {
		case sqltypes.CatInt, sqltypes.CatFloat, sqltypes.CatNumeric:
			if s := sqltypes.NumericScale(to.mod); s >= 0 {
				return ex{fitNumeric(e.sql, to.mod), to}
			}
			return ex{e.sql, numT(from.dscale())}
		}
	case to.oid == sqltypes.OIDText || to.oid == sqltypes.OIDVarchar:
		textOperand(from)
		s := "CAST(" + e.sql + " AS TEXT)"
		if to.oid == sqltypes.OIDVarchar && to.mod >= 4 {
			s = "substr(" + s + ", 1, " + strconv.Itoa(int(to.mod-4)) + ")"
		}
		if fc == sqltypes.CatString || fc == sqltypes.CatInt || fc == sqltypes.CatTime {
			return ex{s, to}
		}
	case tc == sqltypes.CatBool:
		if fc == sqltypes.CatInt {
			return ex{"(" + e.sql + " <> 0)", to}
		}
	case to.oid == sqltypes.OIDDate:
		if from.oid == sqltypes.OIDTimestamp || from.oid == sqltypes.OIDTimestamptz {
			return ex{"substr(" + e.sql + ", 1, 10)", to}
		}
	case to.oid == sqltypes.OIDTimestamp || to.oid == sqltypes.OIDTimestamptz:
		if from.oid == sqltypes.OIDTimestamp || from.oid == sqltypes.OIDTimestamptz {
			return ex{e.sql, to}
		}
		if from.oid == sqltypes.OIDDate {
			return ex{"(" + e.sql + " || ' 00:00:00')", to}
		}
	case to.oid == sqltypes.OIDJSON || to.oid == sqltypes.OIDJSONB:
		if fc == sqltypes.CatString && from.oid != sqltypes.OIDBPChar {
			return ex{e.sql, to}
		}
	}
	unsupported("cast from %s to %s", sqltypes.TypeName(from.oid), sqltypes.TypeName(to.oid))
	return ex{}
}
