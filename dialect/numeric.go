package dialect

import (
	"database/sql/driver"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
	pg "github.com/pganalyze/pg_query_go/v6"
	"modernc.org/sqlite"
)

// Numeric + - * / on SQLite shards are computed exactly with
// sqltypes.Decimal by the functions pg_nadd, pg_nsub, pg_nmul and pg_ndiv
// (a, scale of a, b, scale of b), which return the result's text: SQLite's
// own arithmetic is binary floating point (91.00 * 9007199254730223 would
// lose its last four digits). The scale arguments are the operands' display
// scales (-1: not known), which SQLite's INTEGER/REAL storage has lost; a
// REAL is read as the decimal with that many digits.
func init() {
	for name, op := range map[string]func(a, b sqltypes.Decimal) (sqltypes.Decimal, error){
		"pg_nadd": func(a, b sqltypes.Decimal) (sqltypes.Decimal, error) { return a.Add(b), nil },
		"pg_nsub": func(a, b sqltypes.Decimal) (sqltypes.Decimal, error) { return a.Sub(b), nil },
		"pg_nmul": func(a, b sqltypes.Decimal) (sqltypes.Decimal, error) { return a.Mul(b), nil },
		"pg_ndiv": func(a, b sqltypes.Decimal) (sqltypes.Decimal, error) { return a.Div(b) },
	} {
		registerScalar(name, 4, numericFunc(op))
	}
	registerScalar("pg_ntext", 2, numericText)
	registerScalar("pg_nmax", -1, extremeFunc(1))
	registerScalar("pg_nmin", -1, extremeFunc(-1))
}

func numericFunc(op func(a, b sqltypes.Decimal) (sqltypes.Decimal, error)) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if args[0] == nil || args[2] == nil {
			return nil, nil
		}
		var ds [2]sqltypes.Decimal
		for i := range ds {
			scale, _ := args[2*i+1].(int64)
			d, err := toDecimal(args[2*i], int(scale))
			if err != nil {
				return nil, err
			}
			ds[i] = d
		}
		r, err := op(ds[0], ds[1])
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return nil, errors.New("pgerr:" + pe.Code + ":" + pe.Message)
			}
			return nil, err
		}
		return r.String(), nil
	}
}

// maxNumericDigits is how many significant digits a SQLite REAL keeps
// exactly (DBL_DIG).
const maxNumericDigits = 15

// exactNumericColumn refuses numeric columns whose values SQLite's REAL
// storage would change: without a typmod Postgres keeps each value's own
// display scale (1.50 stays 1.50, a REAL gives 1.5), and beyond 15 digits
// a REAL rounds the value itself.
func exactNumericColumn(ty typ) {
	if ty.oid != sqltypes.OIDNumeric {
		return
	}
	if ty.mod < 4 {
		unsupported("numeric column without precision and scale (SQLite keeps a REAL, which loses the display scale); declare numeric(p,s) with p <= %d", maxNumericDigits)
	}
	if p := (ty.mod - 4) >> 16; p > maxNumericDigits {
		unsupported("numeric(%d,%d) column: SQLite's REAL keeps %d digits exactly", p, (ty.mod-4)&0xffff, maxNumericDigits)
	}
}

// numericArith prints l op r for a numeric result (ty): an exact pg_n*
// call whose TEXT the outermost SELECT returns as is (see exactAgg). An
// operand that is itself exact is passed as its text, a numeric literal as
// its written digits, so that no step goes through a REAL.
func (t *translator) numericArith(op string, l, r ex, ln, rn *pg.Node, ty typ) ex {
	fn := map[string]string{"+": "pg_nadd", "-": "pg_nsub", "*": "pg_nmul", "/": "pg_ndiv"}[op]
	if fn == "" {
		unsupported("numeric operator %s", op)
	}
	if op == "/" && (l.t.dscale() < 0 || r.t.dscale() < 0) {
		// the quotient's scale depends on the operands' display scales
		unsupported("numeric division of a value whose display scale is not known")
	}
	if op == "/" {
		ty = numT(-1) // select_div_scale: depends on the values
	}
	call := fn + "(" + t.exactOperand(l, ln) + ", " + strconv.Itoa(l.t.dscale()) + ", " +
		t.exactOperand(r, rn) + ", " + strconv.Itoa(r.t.dscale()) + ")"
	return t.exactAgg(call, ty)
}

// exactOperand is the SQL that gives operand e of an exact numeric function
// without loss.
func (t *translator) exactOperand(e ex, n *pg.Node) string {
	if raw, ok := t.exact[e.sql]; ok {
		return raw
	}
	if c := n.GetAConst(); c != nil {
		if f, ok := c.Val.(*pg.A_Const_Fval); ok {
			return sqltypes.QuoteLiteral(f.Fval.Fval)
		}
	}
	return e.sql
}

// arith prints + - * / % over numbers with Postgres's result type: integer
// results checked against their type's range, numeric ones exact.
func (t *translator) arith(a *pg.A_Expr, op string, sc *scope, hint typ) ex {
	l, r := t.pair(a.Lexpr, a.Rexpr, sc, hint.bare())
	if e, ok := dateArith(op, l, r); ok {
		return e
	}
	ty := promote(l.t, r.t, false)
	if ty.oid == 0 {
		ty = mk(sqltypes.OIDInt4)
	}
	if ty.oid == sqltypes.OIDNumeric {
		// Postgres's result display scale: max of the scales for + and -,
		// their sum for *
		ls, rs := l.t.dscale(), r.t.dscale()
		switch {
		case ls < 0 || rs < 0:
		case op == "*":
			ty = numT(ls + rs)
		case op == "+" || op == "-":
			ty = numT(max(ls, rs))
		}
	}
	switch ty.cat() {
	case sqltypes.CatInt:
	case sqltypes.CatFloat:
		if op == "%" {
			fail(sqltypes.UndefinedFunction, "operator does not exist: double precision %% double precision")
		}
		bits := "64"
		if ty.oid == sqltypes.OIDFloat4 {
			bits = "32"
		}
		return ex{"pg_float('" + op + "', " + l.sql + ", " + r.sql + ", " + bits + ")", ty}
	case sqltypes.CatNumeric:
		if op == "%" {
			unsupported("numeric modulo")
		}
		return t.numericArith(op, l, r, a.Lexpr, a.Rexpr, ty)
	default:
		unsupported("operator %s on %s", op, sqltypes.TypeName(ty.oid))
	}
	s := "(" + l.sql + " " + op + " " + r.sql + ")"
	switch op {
	case "/":
		s = "(" + l.sql + " / pg_nz(" + r.sql + "))"
	case "%":
		s = "(" + l.sql + " % pg_nz(" + r.sql + "))"
	}
	if ty.cat() == sqltypes.CatInt {
		s = intOp(s, ty.oid) // 22003 where SQLite would widen
	}
	return ex{s, ty}
}

// Numerics whose display scale varies by row (COALESCE, CASE, GREATEST and
// LEAST over values of different scales: coalesce(amount, 0) is 12.50 or
// 0) cannot be rendered from one column scale, and a REAL has dropped the
// trailing zeros. Such a result is computed as the text of the chosen
// value, each argument printed with its own scale (pg_ntext), and returned
// as that text by the outermost SELECT (see exactAgg).

// numText is SQL giving numeric e's text with its display scale.
func (t *translator) numText(e ex, n *pg.Node) (string, bool) {
	if raw, ok := t.exact[e.sql]; ok {
		return raw, true
	}
	if c := n.GetAConst(); c != nil && c.Isnull {
		return "NULL", true
	}
	if s := e.t.dscale(); s >= 0 {
		return "pg_ntext(" + e.sql + ", " + strconv.Itoa(s) + ")", true
	}
	return "", false
}

// exactTexts prints args as texts for a numeric result of type ty whose
// display scale varies; ok is false when ty's scale is fixed or an
// argument's scale is not known.
func (t *translator) exactTexts(args []*pg.Node, sc *scope, ty typ) ([]string, bool) {
	if ty.oid != sqltypes.OIDNumeric || ty.dscale() >= 0 || len(args) < 2 {
		return nil, false
	}
	var out []string
	for _, a := range args {
		s, ok := t.numText(t.expr(a, sc, ty.bare()), a)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// numericText is pg_ntext(x, scale): x's text with scale decimals.
func numericText(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil {
		return nil, nil
	}
	scale, _ := args[1].(int64)
	d, err := toDecimal(args[0], int(scale))
	if err != nil {
		return nil, err
	}
	return d.String(), nil
}

// extremeFunc is pg_nmax/pg_nmin(text, ...): GREATEST/LEAST over numeric
// texts, ignoring NULLs; of equal values the first is kept, as Postgres
// keeps it.
func extremeFunc(sign int) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var best driver.Value
		var bestD sqltypes.Decimal
		for _, a := range args {
			if a == nil {
				continue
			}
			d, err := toDecimal(a, -1)
			if err != nil {
				return nil, err
			}
			if best == nil || d.Cmp(bestD)*sign > 0 {
				best, bestD = a, d
			}
		}
		if best == nil {
			return nil, nil
		}
		return bestD.String(), nil
	}
}

// wideNumeric is a numeric constant with more significant digits than a
// REAL keeps (9007199254740993.0) where it is not a value assigned to a
// column (assignSQL converts those, or fails with 22003): an integral one
// within int8 is that INTEGER, which SQLite compares exactly, and its text
// with its display scale where the statement returns it. Another is
// refused, since SQLite would round it, unless it meets a float, which
// rounds it as Postgres does.
func (t *translator) wideNumeric(s string, ty, hint typ, compared bool) (ex, bool) {
	mant, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := strings.Trim(strings.NewReplacer("-", "", "+", "", ".", "").Replace(mant), "0")
	r, ok := new(big.Rat).SetString(s)
	if !ok || len(digits) <= maxNumericDigits || hint.cat() == sqltypes.CatFloat {
		return ex{}, false
	}
	if compared && r.IsInt() && !r.Num().IsInt64() && hint.cat() == sqltypes.CatInt {
		// compared with an integer (int8 at most: 22003 past it): beyond
		// int8 it is greater (or less) than every such value, as is
		// ±1e19, which a REAL holds exactly
		if r.Sign() > 0 {
			return ex{"1e19", numT(0)}, true
		}
		return ex{"(-1e19)", numT(0)}, true
	}
	if !r.IsInt() || !r.Num().IsInt64() {
		unsupported("numeric constant %s: SQLite shards keep %d significant digits exactly", s, maxNumericDigits)
	}
	if d, err := sqltypes.ParseDecimal(s); err == nil {
		ty = numT(d.Scale())
	}
	e := ex{"CAST(" + r.Num().String() + " AS INTEGER)", ty}
	if t.exact == nil {
		t.exact = map[string]string{}
	}
	t.exact[e.sql] = sqltypes.QuoteLiteral(s)
	return e, true
}

// compare marks the constants among nodes as operands of a comparison.
func (t *translator) compare(nodes ...*pg.Node) { markConsts(&t.compared, nodes) }

// assign marks the constants among nodes as values assigned to columns
// (INSERT VALUES items, UPDATE SET values).
func (t *translator) assign(nodes ...*pg.Node) { markConsts(&t.assigned, nodes) }

// markConsts adds the constants among nodes to the set, making it first.
func markConsts(set *map[*pg.A_Const]bool, nodes []*pg.Node) {
	for _, n := range nodes {
		if c := n.GetAConst(); c != nil {
			if *set == nil {
				*set = map[*pg.A_Const]bool{}
			}
			(*set)[c] = true
		}
	}
}
