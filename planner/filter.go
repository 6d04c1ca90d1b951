package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/sqltypes"
)

// Filter passes the rows for which Cond is true (HAVING at the gate).
type Filter struct {
	Input Operator
	Cond  *filterExpr
}

// Open wraps the input.
func (f *Filter) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	in, err := f.Input.Open(ctx, env, args)
	if err != nil {
		return nil, err
	}
	return &filterRows{Rows: in, f: f}, nil
}

// Explain prints the condition.
func (f *Filter) Explain() *ExplainNode {
	return &ExplainNode{Op: "Filter", Props: []string{"having=" + f.Cond.text}, Children: []*ExplainNode{f.Input.Explain()}}
}

type filterRows struct {
	sqltypes.Rows
	f *Filter
	n int64
}

func (r *filterRows) Next(ctx context.Context) (sqltypes.Row, error) {
	for {
		row, err := r.Rows.Next(ctx)
		if err != nil {
			return nil, err
		}
		v, err := r.f.Cond.eval(row)
		if err != nil {
			return nil, err
		}
		if v == triTrue {
			r.n++
			return row, nil
		}
	}
}

func (r *filterRows) Tag() string { return selectTag(r.n) }

type tri int

const (
	triFalse tri = iota
	triTrue
	triNull
)

// filterExpr is a compiled boolean condition over gate columns: AND, OR,
// NOT, IS [NOT] NULL and comparisons between gate columns and constants.
type filterExpr struct {
	text   string
	fields []sqltypes.Field
	eval   func(sqltypes.Row) (tri, error)
	// ordered lists the gate columns compared with < <= > >=, whose text
	// order must be the gate's (bytewise).
	ordered []int
}

type operand struct {
	col   int // -1 for a constant
	value []byte
	isNil bool
}

func compileFilter(n *pg_query.Node, l *aggLayout) (*filterExpr, error) {
	fe := &filterExpr{text: exprText(n)}
	var comp func(n *pg_query.Node) (func(sqltypes.Row) (tri, error), error)
	operandOf := func(n *pg_query.Node) (operand, error) {
		if txt, ok := constText(n); ok {
			return operand{col: -1, value: txt, isNil: txt == nil}, nil
		}
		c, err := l.gateColumn(n)
		if err != nil {
			return operand{}, err
		}
		return operand{col: c}, nil
	}
	comp = func(n *pg_query.Node) (func(sqltypes.Row) (tri, error), error) {
		if be := n.GetBoolExpr(); be != nil {
			var subs []func(sqltypes.Row) (tri, error)
			for _, a := range be.Args {
				f, err := comp(a)
				if err != nil {
					return nil, err
				}
				subs = append(subs, f)
			}
			switch be.Boolop {
			case pg_query.BoolExprType_NOT_EXPR:
				return func(r sqltypes.Row) (tri, error) {
					v, err := subs[0](r)
					if v == triNull || err != nil {
						return v, err
					}
					return 1 - v, nil
				}, nil
			case pg_query.BoolExprType_AND_EXPR, pg_query.BoolExprType_OR_EXPR:
				isAnd := be.Boolop == pg_query.BoolExprType_AND_EXPR
				return func(r sqltypes.Row) (tri, error) {
					res := triTrue
					if !isAnd {
						res = triFalse
					}
					for _, s := range subs {
						v, err := s(r)
						if err != nil {
							return 0, err
						}
						switch {
						case isAnd && v == triFalse, !isAnd && v == triTrue:
							return v, nil
						case v == triNull:
							res = triNull
						}
					}
					return res, nil
				}, nil
			}
		}
		if nt := n.GetNullTest(); nt != nil {
			o, err := operandOf(nt.Arg)
			if err != nil {
				return nil, err
			}
			wantNull := nt.Nulltesttype == pg_query.NullTestType_IS_NULL
			return func(r sqltypes.Row) (tri, error) {
				isNull := o.isNil || (o.col >= 0 && r[o.col] == nil)
				if isNull == wantNull {
					return triTrue, nil
				}
				return triFalse, nil
			}, nil
		}
		if e := n.GetAExpr(); e != nil && e.Kind == pg_query.A_Expr_Kind_AEXPR_OP {
			op := opName(e)
			switch op {
			case "=", "<>", "!=", "<", ">", "<=", ">=":
			default:
				return nil, unsupported("operator %s in HAVING over several shards", op)
			}
			lo, err := operandOf(e.Lexpr)
			if err != nil {
				return nil, err
			}
			ro, err := operandOf(e.Rexpr)
			if err != nil {
				return nil, err
			}
			if op != "=" && op != "<>" && op != "!=" {
				for _, c := range []int{lo.col, ro.col} {
					if c >= 0 {
						fe.ordered = append(fe.ordered, c)
					}
				}
			}
			if lo.col < 0 && ro.col < 0 {
				return nil, unsupported("HAVING comparison of two constants over several shards")
			}
			return func(r sqltypes.Row) (tri, error) {
				lv, rv, oid := lo.value, ro.value, uint32(0)
				if lo.col >= 0 {
					lv, oid = r[lo.col], fe.fields[lo.col].OID
				}
				if ro.col >= 0 {
					rv = r[ro.col]
					if oid == 0 {
						oid = fe.fields[ro.col].OID
					}
				}
				if lv == nil || rv == nil {
					return triNull, nil
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
				ok := false
				switch op {
				case "=":
					ok = c == 0
				case "<>", "!=":
					ok = c != 0
				case "<":
					ok = c < 0
				case ">":
					ok = c > 0
				case "<=":
					ok = c <= 0
				case ">=":
					ok = c >= 0
				}
				if ok {
					return triTrue, nil
				}
				return triFalse, nil
			}, nil
		}
		return nil, unsupported("HAVING condition over several shards: %s", exprText(n))
	}
	f, err := comp(n)
	if err != nil {
		return nil, err
	}
	fe.eval = f
	return fe, nil
}

// constSide returns the constant of a comparison, if one side is.
func constSide(l, r operand) []byte {
	if l.col < 0 {
		return l.value
	}
	if r.col < 0 {
		return r.value
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
