package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

// triFunc evaluates a HAVING condition on a gate row.
type triFunc = func(sqltypes.Row) (engine.Tri, error)

// compileFilter compiles a HAVING condition over the gate's aggregation
// rows, adding to l the aggregates it names.
func compileFilter(n *pg_query.Node, l *aggLayout) (*engine.FilterExpr, error) {
	fc := &filterCompiler{fe: &engine.FilterExpr{Text: exprText(n)}, l: l}
	f, err := fc.compile(n)
	if err != nil {
		return nil, err
	}
	fc.fe.Eval = f
	return fc.fe, nil
}

type filterCompiler struct {
	fe *engine.FilterExpr
	l  *aggLayout
}

func (fc *filterCompiler) operand(n *pg_query.Node) (engine.Operand, error) {
	if txt, ok := constText(n); ok {
		return engine.Operand{Col: -1, Value: txt, IsNil: txt == nil}, nil
	}
	c, err := fc.l.gateColumn(n)
	if err != nil {
		return engine.Operand{}, err
	}
	return engine.Operand{Col: c}, nil
}

func (fc *filterCompiler) compile(n *pg_query.Node) (triFunc, error) {
	if be := n.GetBoolExpr(); be != nil {
		f, err := fc.boolExpr(be)
		if err != nil || f != nil {
			return f, err
		}
	}
	if nt := n.GetNullTest(); nt != nil {
		return fc.nullTest(nt)
	}
	if e := n.GetAExpr(); e != nil && e.Kind == pg_query.A_Expr_Kind_AEXPR_OP {
		return fc.comparison(e)
	}
	return nil, unsupported("HAVING condition over several shards: %s", exprText(n))
}

// boolExpr compiles NOT, AND and OR; nil without an error for any other
// boolean operator.
func (fc *filterCompiler) boolExpr(be *pg_query.BoolExpr) (triFunc, error) {
	var subs []triFunc
	for _, a := range be.Args {
		f, err := fc.compile(a)
		if err != nil {
			return nil, err
		}
		subs = append(subs, f)
	}
	switch be.Boolop {
	case pg_query.BoolExprType_NOT_EXPR:
		return func(r sqltypes.Row) (engine.Tri, error) {
			v, err := subs[0](r)
			if v == engine.TriNull || err != nil {
				return v, err
			}
			return 1 - v, nil
		}, nil
	case pg_query.BoolExprType_AND_EXPR, pg_query.BoolExprType_OR_EXPR:
		isAnd := be.Boolop == pg_query.BoolExprType_AND_EXPR
		return func(r sqltypes.Row) (engine.Tri, error) {
			res := engine.TriTrue
			if !isAnd {
				res = engine.TriFalse
			}
			for _, s := range subs {
				v, err := s(r)
				if err != nil {
					return 0, err
				}
				switch {
				case isAnd && v == engine.TriFalse, !isAnd && v == engine.TriTrue:
					return v, nil
				case v == engine.TriNull:
					res = engine.TriNull
				}
			}
			return res, nil
		}, nil
	}
	return nil, nil
}

func (fc *filterCompiler) nullTest(nt *pg_query.NullTest) (triFunc, error) {
	o, err := fc.operand(nt.Arg)
	if err != nil {
		return nil, err
	}
	wantNull := nt.Nulltesttype == pg_query.NullTestType_IS_NULL
	return func(r sqltypes.Row) (engine.Tri, error) {
		isNull := o.IsNil || (o.Col >= 0 && r[o.Col] == nil)
		if isNull == wantNull {
			return engine.TriTrue, nil
		}
		return engine.TriFalse, nil
	}, nil
}

// comparison compiles a comparison of gate columns and constants; ordering
// comparisons note their columns, whose text order the gate must match.
func (fc *filterCompiler) comparison(e *pg_query.A_Expr) (triFunc, error) {
	op := opName(e)
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
	default:
		return nil, unsupported("operator %s in HAVING over several shards", op)
	}
	lo, err := fc.operand(e.Lexpr)
	if err != nil {
		return nil, err
	}
	ro, err := fc.operand(e.Rexpr)
	if err != nil {
		return nil, err
	}
	fe := fc.fe
	if op != "=" && op != "<>" && op != "!=" {
		for _, c := range []int{lo.Col, ro.Col} {
			if c >= 0 {
				fe.Ordered = append(fe.Ordered, c)
			}
		}
	}
	if lo.Col < 0 && ro.Col < 0 {
		return nil, unsupported("HAVING comparison of two constants over several shards")
	}
	return func(r sqltypes.Row) (engine.Tri, error) {
		lv, rv, oid := lo.Value, ro.Value, uint32(0)
		if lo.Col >= 0 {
			lv, oid = r[lo.Col], fe.Fields[lo.Col].OID
		}
		if ro.Col >= 0 {
			rv = r[ro.Col]
			if oid == 0 {
				oid = fe.Fields[ro.Col].OID
			}
		}
		if lv == nil || rv == nil {
			return engine.TriNull, nil
		}
		c, err := compareMixed(oid, lv, rv)
		if err != nil {
			if k := constSide(lo, ro); k != nil {
				if _, cerr := compareMixed(oid, k, k); cerr != nil {
					return 0, unsupported("HAVING compares with constant '%s', which the gate cannot read as %s (write it in ISO form with a time zone offset, or compare on one shard)", k, sqltypes.TypeName(oid))
				}
			}
			return 0, err
		}
		if compareHolds(op, c) {
			return engine.TriTrue, nil
		}
		return engine.TriFalse, nil
	}, nil
}

// compareHolds reports whether comparison op holds for a three-way result c.
func compareHolds(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>", "!=":
		return c != 0
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	}
	return false
}

// constSide returns the constant of a comparison, if one side is.
func constSide(l, r engine.Operand) []byte {
	if l.Col < 0 {
		return l.Value
	}
	if r.Col < 0 {
		return r.Value
	}
	return nil
}

// compareMixed compares a column value with a constant; integer columns
// compared with a decimal constant compare as numeric.
func compareMixed(oid uint32, a, b []byte) (int, error) {
	if sqltypes.CategoryOf(oid) == sqltypes.CatInt && (strings.ContainsAny(string(a), ".eE") || strings.ContainsAny(string(b), ".eE")) {
		oid = sqltypes.OIDNumeric
	}
	return sqltypes.Compare(oid, a, b)
}
