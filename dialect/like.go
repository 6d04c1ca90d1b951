package dialect

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

func (t *translator) like(a *pg.A_Expr, op string, sc *scope) ex {
	l := t.expr(a.Lexpr, sc, mk(sqltypes.OIDText))
	if fc := a.Rexpr.GetFuncCall(); fc != nil {
		unsupported("LIKE ... ESCAPE")
	}
	r := t.expr(a.Rexpr, sc, mk(sqltypes.OIDText))
	for _, ty := range []typ{l.t, r.t} {
		if ty.oid != 0 && ty.cat() != sqltypes.CatString {
			fail(sqltypes.UndefinedFunction, "operator does not exist: %s ~~ %s", sqltypes.TypeName(l.t.oid), sqltypes.TypeName(r.t.oid))
		}
	}
	if l.t.oid == sqltypes.OIDBPChar {
		unsupported("LIKE on character(n)")
	}
	not := strings.HasPrefix(op, "!")
	ilike := strings.HasSuffix(op, "*")
	var s string
	if c := a.Rexpr.GetAConst(); c != nil && !ilike {
		if sv, ok := c.Val.(*pg.A_Const_Sval); ok {
			if g, ok := likeToGlob(sv.Sval.Sval); ok {
				s = l.sql + " GLOB " + sqltypes.QuoteLiteral(g)
			}
		}
	}
	if s == "" {
		fn := "pg_like"
		if ilike {
			fn = "pg_ilike"
		}
		s = fn + "(" + l.sql + ", " + r.sql + ")"
	}
	if not {
		s = "NOT " + s
	}
	return ex{"(" + s + ")", mk(sqltypes.OIDBool)}
}

// likeToGlob converts a LIKE pattern (escape '\') into an equivalent GLOB
// pattern.
func likeToGlob(p string) (string, bool) {
	var b strings.Builder
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '%':
			b.WriteByte('*')
		case '_':
			b.WriteByte('?')
		case '*', '?', '[':
			b.WriteString("[" + string(r) + "]")
		case '\\':
			i++
			if i == len(rs) {
				return "", false
			}
			switch rs[i] {
			case '*', '?', '[':
				b.WriteString("[" + string(rs[i]) + "]")
			default:
				b.WriteRune(rs[i])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}
