package dialect

import (
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// ex is a printed expression with its Postgres type.
type ex struct {
	sql string
	t   typ
}

// isoLike matches time literals in ISO form, the only one translated.
var isoLike = regexp.MustCompile(`^\s*(\d{4,}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2})`)

func (t *translator) cond(n *pg.Node, sc *scope) string {
	e := t.expr(n, sc, mk(sqltypes.OIDBool))
	if e.t.oid != 0 && e.t.oid != sqltypes.OIDBool {
		fail(sqltypes.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", sqltypes.TypeName(e.t.oid))
	}
	return e.sql
}

func isUnknownLiteral(n *pg.Node) bool {
	switch x := n.Node.(type) {
	case *pg.Node_AConst:
		_, s := x.AConst.Val.(*pg.A_Const_Sval)
		return s || x.AConst.Isnull
	case *pg.Node_ParamRef:
		return true
	}
	return false
}

// pair evaluates two operands so that an untyped one takes the other's type.
func (t *translator) pair(a, b *pg.Node, sc *scope, hint typ) (ex, ex) {
	if isUnknownLiteral(a) && !isUnknownLiteral(b) || t.compared[a.GetAConst()] && a.GetAConst() != nil {
		r := t.expr(b, sc, hint)
		l := t.expr(a, sc, r.t.bare())
		return l, r
	}
	l := t.expr(a, sc, hint)
	h := l.t.bare()
	if h.oid == 0 {
		h = hint
	}
	r := t.expr(b, sc, h)
	if l.t.oid == 0 && r.t.oid != 0 && isUnknownLiteral(a) {
		l = t.expr(a, sc, r.t.bare())
	}
	return l, r
}

func comparable(a, b typ) bool {
	if a.oid == 0 || b.oid == 0 {
		return true
	}
	ca, cb := a.cat(), b.cat()
	num := func(c sqltypes.Category) bool {
		return c == sqltypes.CatInt || c == sqltypes.CatFloat || c == sqltypes.CatNumeric
	}
	if num(ca) && num(cb) {
		return true
	}
	if ca == sqltypes.CatTime && cb == sqltypes.CatTime {
		return (a.oid == sqltypes.OIDTimestamptz) == (b.oid == sqltypes.OIDTimestamptz) || a.oid == sqltypes.OIDDate || b.oid == sqltypes.OIDDate
	}
	return ca == cb
}

func checkComparable(op string, a, b typ) {
	if !comparable(a, b) {
		fail(sqltypes.UndefinedFunction, "operator does not exist: %s %s %s", sqltypes.TypeName(a.oid), op, sqltypes.TypeName(b.oid))
	}
	if a.oid == sqltypes.OIDDate && b.oid == sqltypes.OIDTimestamptz || b.oid == sqltypes.OIDDate && a.oid == sqltypes.OIDTimestamptz {
		unsupported("comparison of date with timestamptz")
	}
	if (a.oid == sqltypes.OIDDate) != (b.oid == sqltypes.OIDDate) && a.cat() == sqltypes.CatTime && b.cat() == sqltypes.CatTime {
		unsupported("comparison of date with timestamp")
	}
}

// promote is Postgres's result type of arithmetic (or UNION) over two types.
func promote(a, b typ, union bool) typ {
	if a.oid == 0 {
		return b
	}
	if b.oid == 0 {
		return a
	}
	ca, cb := a.cat(), b.cat()
	switch {
	case a.oid == b.oid:
		if union && a.mod != b.mod {
			return mk(a.oid)
		}
		if union {
			return a
		}
		return mk(a.oid)
	case ca == sqltypes.CatString && cb == sqltypes.CatString && union:
		return mk(sqltypes.OIDText)
	case a.oid == sqltypes.OIDFloat8 || b.oid == sqltypes.OIDFloat8 || ca == sqltypes.CatFloat || cb == sqltypes.CatFloat:
		if a.oid == sqltypes.OIDFloat4 && b.oid == sqltypes.OIDFloat4 {
			return mk(sqltypes.OIDFloat4)
		}
		return mk(sqltypes.OIDFloat8)
	case ca == sqltypes.CatNumeric || cb == sqltypes.CatNumeric:
		return mk(sqltypes.OIDNumeric)
	case ca == sqltypes.CatInt && cb == sqltypes.CatInt:
		rank := map[uint32]int{sqltypes.OIDInt2: 1, sqltypes.OIDInt4: 2, sqltypes.OIDInt8: 3, sqltypes.OIDOid: 2}
		if rank[a.oid] >= rank[b.oid] {
			return mk(a.oid)
		}
		return mk(b.oid)
	}
	if union {
		fail(sqltypes.DatatypeMismatch, "UNION types %s and %s cannot be matched", sqltypes.TypeName(a.oid), sqltypes.TypeName(b.oid))
	}
	fail(sqltypes.UndefinedFunction, "operator does not exist: %s and %s", sqltypes.TypeName(a.oid), sqltypes.TypeName(b.oid))
	return unknownT
}

func opName(names []*pg.Node) string {
	if len(names) == 0 {
		return ""
	}
	if len(names) == 2 && names[0].GetString_().GetSval() != "pg_catalog" {
		unsupported("schema-qualified operator")
	}
	return names[len(names)-1].GetString_().GetSval()
}

// expr prints an expression; hint is the type an untyped literal or
// parameter should take.
func (t *translator) expr(n *pg.Node, sc *scope, hint typ) ex {
	if n == nil || n.Node == nil {
		unsupported("empty expression")
	}
	switch x := n.Node.(type) {
	case *pg.Node_AConst:
		return t.constant(x.AConst, hint)
	case *pg.Node_ColumnRef:
		c := t.columnRef(sc, x.ColumnRef)
		return ex{c.sql, c.t}
	case *pg.Node_ParamRef:
		s := t.param(x.ParamRef.Number, hint)
		return ex{s, t.paramType(x.ParamRef.Number)}
	case *pg.Node_AExpr:
		return t.aexpr(x.AExpr, sc, hint)
	case *pg.Node_BoolExpr:
		var parts []string
		for _, a := range x.BoolExpr.Args {
			e := t.expr(a, sc, mk(sqltypes.OIDBool))
			if e.t.oid != 0 && e.t.oid != sqltypes.OIDBool {
				fail(sqltypes.DatatypeMismatch, "argument of %s must be type boolean, not type %s", x.BoolExpr.Boolop, sqltypes.TypeName(e.t.oid))
			}
			parts = append(parts, e.sql)
		}
		switch x.BoolExpr.Boolop {
		case pg.BoolExprType_AND_EXPR:
			return ex{"(" + strings.Join(parts, " AND ") + ")", mk(sqltypes.OIDBool)}
		case pg.BoolExprType_OR_EXPR:
			return ex{"(" + strings.Join(parts, " OR ") + ")", mk(sqltypes.OIDBool)}
		}
		return ex{"(NOT " + parts[0] + ")", mk(sqltypes.OIDBool)}
	case *pg.Node_NullTest:
		if x.NullTest.Argisrow {
			unsupported("row IS NULL")
		}
		e := t.expr(x.NullTest.Arg, sc, unknownT)
		if x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL {
			return ex{"(" + e.sql + " IS NOT NULL)", mk(sqltypes.OIDBool)}
		}
		return ex{"(" + e.sql + " IS NULL)", mk(sqltypes.OIDBool)}
	case *pg.Node_BooleanTest:
		e := t.expr(x.BooleanTest.Arg, sc, mk(sqltypes.OIDBool))
		if e.t.oid != 0 && e.t.oid != sqltypes.OIDBool {
			fail(sqltypes.DatatypeMismatch, "argument of IS TRUE must be type boolean, not type %s", sqltypes.TypeName(e.t.oid))
		}
		op := map[pg.BoolTestType]string{
			pg.BoolTestType_IS_TRUE: "IS TRUE", pg.BoolTestType_IS_NOT_TRUE: "IS NOT TRUE",
			pg.BoolTestType_IS_FALSE: "IS FALSE", pg.BoolTestType_IS_NOT_FALSE: "IS NOT FALSE",
			pg.BoolTestType_IS_UNKNOWN: "IS NULL", pg.BoolTestType_IS_NOT_UNKNOWN: "IS NOT NULL",
		}[x.BooleanTest.Booltesttype]
		return ex{"(" + e.sql + " " + op + ")", mk(sqltypes.OIDBool)}
	case *pg.Node_TypeCast:
		return t.cast(x.TypeCast, sc)
	case *pg.Node_FuncCall:
		return t.funcCall(x.FuncCall, sc, hint)
	case *pg.Node_CaseExpr:
		return t.caseExpr(x.CaseExpr, sc, hint)
	case *pg.Node_CoalesceExpr:
		args, ty := t.sameTypeArgs(x.CoalesceExpr.Args, sc, hint)
		if len(args) == 1 {
			return ex{args[0], ty}
		}
		if texts, ok := t.exactTexts(x.CoalesceExpr.Args, sc, ty); ok {
			return t.exactAgg("coalesce("+strings.Join(texts, ", ")+")", ty)
		}
		return ex{"coalesce(" + strings.Join(args, ", ") + ")", ty}
	case *pg.Node_MinMaxExpr:
		return t.minMax(x.MinMaxExpr, sc, hint)
	case *pg.Node_SqlvalueFunction:
		switch x.SqlvalueFunction.Op {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return ex{"date('now')", mk(sqltypes.OIDDate)}
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return ex{nowSQL, mk(sqltypes.OIDTimestamptz)}
		case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return ex{nowSQL, mk(sqltypes.OIDTimestamp)}
		}
		unsupported("SQL value function %s", x.SqlvalueFunction.Op)
	case *pg.Node_SubLink:
		return t.subLink(x.SubLink, sc)
	case *pg.Node_CollateClause:
		cn := opName(x.CollateClause.Collname)
		if cn != "C" && cn != "POSIX" {
			unsupported("COLLATE %q", cn)
		}
		return t.expr(x.CollateClause.Arg, sc, hint)
	case *pg.Node_SetToDefault:
		unsupported("DEFAULT in this position")
	}
	unsupported("expression %s", nodeName(n))
	return ex{}
}

// nowSQL is now()/CURRENT_TIMESTAMP as canonical timestamp text (UTC,
// millisecond precision, trailing zeros trimmed).
const nowSQL = "rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', 'now'), '0'), '.')"

func (t *translator) constant(c *pg.A_Const, hint typ) ex {
	if c.Isnull {
		return ex{"NULL", hint}
	}
	switch v := c.Val.(type) {
	case *pg.A_Const_Ival:
		return t.numberLiteral(strconv.Itoa(int(v.Ival.Ival)), mk(sqltypes.OIDInt4), hint)
	case *pg.A_Const_Fval:
		s := v.Fval.Fval
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return t.numberLiteral(s, mk(sqltypes.OIDInt8), hint)
		}
		if !t.assigned[c] {
			if e, ok := t.wideNumeric(s, mk(sqltypes.OIDNumeric), hint, t.compared[c]); ok {
				return e
			}
		}
		return t.numberLiteral(s, mk(sqltypes.OIDNumeric), hint)
	case *pg.A_Const_Boolval:
		if v.Boolval.Boolval {
			return ex{"1", mk(sqltypes.OIDBool)}
		}
		return ex{"0", mk(sqltypes.OIDBool)}
	case *pg.A_Const_Sval:
		return coerceString(v.Sval.Sval, hint)
	}
	unsupported("bit-string constants")
	return ex{}
}

// numberLiteral prints a numeric constant; an assignment to a numeric with
// a scale rounds it as Postgres would.
func (t *translator) numberLiteral(s string, ty typ, hint typ) ex {
	if ty.oid == sqltypes.OIDNumeric {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			unsupported("numeric constant %s", s)
		}
		if d, err := sqltypes.ParseDecimal(s); err == nil {
			ty = numT(d.Scale())
		}
		if hint.oid == sqltypes.OIDNumeric && sqltypes.NumericScale(hint.mod) >= 0 {
			if r, ok := new(big.Rat).SetString(s); ok {
				s = r.FloatString(sqltypes.NumericScale(hint.mod))
				ty = numT(sqltypes.NumericScale(hint.mod))
			}
		}
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
	}
	if strings.HasPrefix(s, "-") {
		s = "(" + s + ")"
	}
	return ex{s, ty}
}

var reUUID = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$`)

// coerceString converts an untyped string literal to the hinted type's
// stored form, failing as Postgres's input functions would.
func coerceString(s string, hint typ) ex {
	bad := func(name string) {
		fail(sqltypes.InvalidTextRepresentation, "invalid input syntax for type %s: %q", name, s)
	}
	switch hint.oid {
	case 0, sqltypes.OIDText, sqltypes.OIDVarchar, sqltypes.OIDName, sqltypes.OIDJSON, sqltypes.OIDJSONB, sqltypes.OIDUnknown:
		return ex{sqltypes.QuoteLiteral(s), hint}
	case sqltypes.OIDBPChar:
		// character(n) is stored without its trailing spaces, which Postgres
		// ignores in comparisons; output pads them back (RenderValue)
		return ex{sqltypes.QuoteLiteral(strings.TrimRight(s, " ")), hint}
	case sqltypes.OIDBool:
		b, ok := parseBool(s)
		if !ok {
			bad("boolean")
		}
		if b {
			return ex{"1", hint}
		}
		return ex{"0", hint}
	case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 8<<intRank(hint.oid))
		if errors.Is(err, strconv.ErrRange) {
			fail(sqltypes.NumericValueOutOfRange, "value %q is out of range for type %s", s, sqltypes.TypeName(hint.oid))
		}
		if err != nil {
			bad(sqltypes.TypeName(hint.oid))
		}
		return ex{parenNeg(strconv.FormatInt(n, 10)), hint}
	case sqltypes.OIDFloat4, sqltypes.OIDFloat8:
		bits := 64
		if hint.oid == sqltypes.OIDFloat4 {
			bits = 32 // a float4 holds the float32 nearest the text
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
		if errors.Is(err, strconv.ErrRange) {
			fail(sqltypes.NumericValueOutOfRange, "%q is out of range for type %s", s, sqltypes.TypeName(hint.oid))
		}
		if err != nil {
			bad(sqltypes.TypeName(hint.oid))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			unsupported("infinite or NaN float constants")
		}
		return ex{parenNeg(strconv.FormatFloat(f, 'e', -1, 64)), hint}
	case sqltypes.OIDNumeric:
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok {
			bad("numeric")
		}
		out := strings.TrimSpace(s)
		ty := numT(-1)
		if d, err := sqltypes.ParseDecimal(out); err == nil {
			ty = numT(d.Scale())
		}
		if sc := sqltypes.NumericScale(hint.mod); sc >= 0 {
			out = r.FloatString(sc)
			ty = numT(sc)
		}
		if _, err := strconv.ParseInt(out, 10, 64); err != nil && !strings.ContainsAny(out, ".eE") {
			out += ".0"
		}
		return ex{parenNeg(out), ty}
	case sqltypes.OIDDate, sqltypes.OIDTime, sqltypes.OIDTimestamp, sqltypes.OIDTimestamptz:
		c, ok := canonicalTime(s, hint.oid)
		if !ok && !isoLike.MatchString(s) {
			// 'Jan 5 2024', 'today': Postgres reads them, the translation
			// does not; refuse rather than claim the input is invalid.
			unsupported("%s literal %q on SQLite shards (write it in ISO 8601 form, e.g. 2024-01-05)", sqltypes.TypeName(hint.oid), s)
		}
		if !ok {
			fail(sqltypes.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", sqltypes.TypeName(hint.oid), s)
		}
		return ex{sqltypes.QuoteLiteral(c), hint}
	case sqltypes.OIDBytea:
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				bad("bytea")
			}
			return ex{"X'" + hex.EncodeToString(b) + "'", hint}
		}
		if strings.Contains(s, `\`) {
			unsupported("bytea escape format")
		}
		return ex{"X'" + hex.EncodeToString([]byte(s)) + "'", hint}
	case sqltypes.OIDUUID:
		if !reUUID.MatchString(s) {
			bad("uuid")
		}
		h := strings.ToLower(strings.NewReplacer("-", "", "{", "", "}", "").Replace(s))
		return ex{sqltypes.QuoteLiteral(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), hint}
	}
	unsupported("constant of type %s", sqltypes.TypeName(hint.oid))
	return ex{}
}

func parenNeg(s string) string {
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")"
	}
	return s
}

// textOperand refuses operands whose SQLite text form differs from
// Postgres's text output.
func textOperand(ty typ) {
	switch ty.cat() {
	case sqltypes.CatFloat, sqltypes.CatNumeric, sqltypes.CatBool, sqltypes.CatBytes:
		unsupported("text conversion of %s", sqltypes.TypeName(ty.oid))
	}
	if ty.oid == sqltypes.OIDTimestamptz || ty.oid == sqltypes.OIDBPChar {
		unsupported("text conversion of %s", sqltypes.TypeName(ty.oid))
	}
}

// sameTypeArgs prints arguments that resolve to one common type
// (COALESCE, GREATEST/LEAST).
//
// The result keeps a typmod only when every argument has the common type
// with that same typmod (Postgres's select_common_typmod), and a numeric a
// display scale only when every argument has it.
func (t *translator) sameTypeArgs(args []*pg.Node, sc *scope, hint typ) ([]string, typ) {
	ty := unknownT
	var types []typ
	untyped, untypedValue := false, false
	for _, a := range args {
		if isUnknownLiteral(a) {
			untyped = true
			if c := a.GetAConst(); c == nil || !c.Isnull {
				untypedValue = true
			}
			continue
		}
		e := t.expr(a, sc, unknownT)
		types = append(types, e.t)
		if ty.oid == 0 {
			ty = e.t
		} else if e.t.oid != 0 && e.t.oid != ty.oid {
			if !comparable(ty, e.t) {
				fail(sqltypes.DatatypeMismatch, "types %s and %s cannot be matched", sqltypes.TypeName(ty.oid), sqltypes.TypeName(e.t.oid))
			}
			ty = promote(ty, e.t, true)
		}
	}
	if ty.oid == 0 {
		ty = hint.bare()
	} else {
		common, scale := ty, ty.dscale()
		for _, et := range types {
			if et.oid != ty.oid || et.mod != ty.mod {
				common.mod = -1
			}
			if et.dscale() != scale {
				scale = -1
			}
		}
		if untyped {
			common.mod = -1
		}
		if common.oid == sqltypes.OIDNumeric && common.mod < 0 {
			if untypedValue {
				scale = -1
			}
			common = numT(scale)
		}
		ty = common
	}
	var out []string
	for _, a := range args {
		out = append(out, t.expr(a, sc, ty.bare()).sql)
	}
	return out, ty
}

func (t *translator) caseExpr(c *pg.CaseExpr, sc *scope, hint typ) ex {
	var b strings.Builder
	b.WriteString("CASE")
	var arg ex
	if c.Arg != nil {
		arg = t.expr(c.Arg, sc, unknownT)
		b.WriteString(" " + arg.sql)
	}
	var results []*pg.Node
	for _, w := range c.Args {
		results = append(results, w.GetCaseWhen().GetResult())
	}
	if c.Defresult != nil {
		results = append(results, c.Defresult)
	}
	_, ty := t.sameTypeArgs(results, sc, hint)
	if c.Defresult == nil {
		ty = ty.computed() // the implicit ELSE NULL has no typmod
	}
	texts, exact := t.exactTexts(results, sc, ty)
	for i, w := range c.Args {
		cw := w.GetCaseWhen()
		var cond string
		if c.Arg != nil {
			e := t.expr(cw.Expr, sc, arg.t.bare())
			checkComparable("=", arg.t, e.t)
			al, e := floatPair(arg, e)
			cond = e.sql
			if al.sql != arg.sql {
				unsupported("CASE comparing an integer or numeric with a float")
			}
		} else {
			cond = t.cond(cw.Expr, sc)
		}
		res := t.expr(cw.Result, sc, ty).sql
		if exact {
			res = texts[i]
		}
		b.WriteString(" WHEN " + cond + " THEN " + res)
	}
	if c.Defresult != nil {
		res := t.expr(c.Defresult, sc, ty).sql
		if exact {
			res = texts[len(texts)-1]
		}
		b.WriteString(" ELSE " + res)
	}
	b.WriteString(" END")
	if exact {
		return t.exactAgg(b.String(), ty)
	}
	return ex{b.String(), ty}
}

func (t *translator) subLink(s *pg.SubLink, sc *scope) ex {
	sel := s.Subselect.GetSelectStmt()
	switch s.SubLinkType {
	case pg.SubLinkType_EXISTS_SUBLINK:
		r := t.selectStmt(sel, sc, false)
		return ex{"EXISTS (" + r.sql + ")", boolT}
	case pg.SubLinkType_EXPR_SUBLINK:
		r := t.selectStmt(sel, sc, false)
		if len(r.cols) != 1 {
			fail(sqltypes.SyntaxError, "subquery must return only one column")
		}
		return ex{"(" + r.sql + ")", r.cols[0].t}
	case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
		op := opName(s.OperName)
		if s.SubLinkType == pg.SubLinkType_ANY_SUBLINK && op != "=" && op != "" || s.SubLinkType == pg.SubLinkType_ALL_SUBLINK && op != "<>" {
			unsupported("%s with operator %s on a subquery", s.SubLinkType, op)
		}
		l := t.expr(s.Testexpr, sc, unknownT)
		if _, row := s.Testexpr.Node.(*pg.Node_RowExpr); row {
			unsupported("row IN (subquery)")
		}
		r := t.selectStmt(sel, sc, false)
		if len(r.cols) != 1 {
			fail(sqltypes.SyntaxError, "subquery has too many columns")
		}
		checkComparable("=", l.t, r.cols[0].t)
		if isFloat(l.t) && isExactNum(r.cols[0].t) {
			unsupported("float IN a subquery of %s", sqltypes.TypeName(r.cols[0].t.oid))
		}
		if isFloat(r.cols[0].t) {
			l = asFloat8(l)
		}
		kw := " IN "
		if s.SubLinkType == pg.SubLinkType_ALL_SUBLINK {
			kw = " NOT IN "
		}
		return ex{"(" + l.sql + kw + "(" + r.sql + "))", boolT}
	}
	unsupported("subquery kind %s", s.SubLinkType)
	return ex{}
}

// minMax prints GREATEST/LEAST, which ignore NULL arguments in Postgres.
func (t *translator) minMax(m *pg.MinMaxExpr, sc *scope, hint typ) ex {
	args, ty := t.sameTypeArgs(m.Args, sc, hint)
	fn := "max"
	if m.Op == pg.MinMaxOp_IS_LEAST {
		fn = "min"
	}
	if len(args) == 1 {
		return ex{args[0], ty}
	}
	if texts, ok := t.exactTexts(m.Args, sc, ty); ok {
		return t.exactAgg("pg_n"+fn+"("+strings.Join(texts, ", ")+")", ty)
	}
	// Postgres ignores NULL arguments; SQLite's max/min return NULL.
	var alts []string
	for i := range args {
		rest := append([]string{args[i]}, append(append([]string{}, args[:i]...), args[i+1:]...)...)
		alts = append(alts, "coalesce("+strings.Join(rest, ", ")+")")
	}
	return ex{fn + "(" + strings.Join(alts, ", ") + ")", ty}
}
