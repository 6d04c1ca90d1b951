package planner

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/dotdo/vitess/sqltypes"
)

// walk calls fn for every protobuf message under m (m included), depth first.
// fn returns false to skip a message's children.
func walk(m proto.Message, fn func(proto.Message) bool) {
	if m == nil {
		return
	}
	var visit func(protoreflect.Message)
	visit = func(rm protoreflect.Message) {
		if !rm.IsValid() || !fn(rm.Interface()) {
			return
		}
		rm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					visit(l.Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				visit(v.Message())
			}
			return true
		})
	}
	visit(m.ProtoReflect())
}

// Deparse prints a statement node back to Postgres SQL.
func Deparse(n *pg_query.Node) (string, error) { return deparseStmt(n) }

// deparseStmt prints a statement node back to Postgres SQL.
func deparseStmt(n *pg_query.Node) (string, error) {
	return pg_query.Deparse(&pg_query.ParseResult{Version: parseTreeVersion, Stmts: []*pg_query.RawStmt{{Stmt: n}}})
}

// parseTreeVersion is the parser's tree version, which Deparse checks.
var parseTreeVersion = func() int32 {
	r, err := pg_query.Parse("SELECT 1")
	if err != nil {
		panic(err)
	}
	return r.Version
}()

// exprText prints an expression; equal texts mean the same expression.
func exprText(n *pg_query.Node) string {
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(stripLocations(n), 0)}}
	s, err := deparseStmt(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}})
	if err != nil {
		// Never equal to another expression's text.
		return fmt.Sprintf("\x00unprintable %p", n)
	}
	return strings.TrimPrefix(s, "SELECT ")
}

func stripLocations(n *pg_query.Node) *pg_query.Node {
	c := proto.Clone(n).(*pg_query.Node)
	walk(c, func(m proto.Message) bool {
		rm := m.ProtoReflect()
		if fd := rm.Descriptor().Fields().ByName("location"); fd != nil {
			rm.Clear(fd)
		}
		return true
	})
	return c
}

// stringsOf returns the String values of a name list (funcname, A_Expr name).
func stringsOf(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// funcName is the unqualified lower-case function name.
func funcName(fc *pg_query.FuncCall) string {
	parts := stringsOf(fc.Funcname)
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 2 && parts[0] != "pg_catalog" {
		return parts[0] + "." + parts[1]
	}
	return parts[len(parts)-1]
}

var mergeable = map[string]AggFunc{"count": AggCount, "sum": AggSum, "min": AggMin, "max": AggMax, "avg": AggAvg}

// knownAggregates lists aggregate names, so that an unmergeable one is refused
// rather than pushed down and merged wrongly.
var knownAggregates = map[string]bool{
	"count": true, "sum": true, "min": true, "max": true, "avg": true, "array_agg": true, "string_agg": true,
	"bool_and": true, "bool_or": true, "every": true, "bit_and": true, "bit_or": true, "bit_xor": true,
	"stddev": true, "stddev_pop": true, "stddev_samp": true, "variance": true, "var_pop": true, "var_samp": true,
	"json_agg": true, "jsonb_agg": true, "json_object_agg": true, "jsonb_object_agg": true, "group_concat": true,
	"percentile_cont": true, "percentile_disc": true, "mode": true, "corr": true, "covar_pop": true, "covar_samp": true,
	"regr_slope": true, "xmlagg": true, "any_value": true,
}

func isAggregate(fc *pg_query.FuncCall) bool {
	return fc.Over == nil && (knownAggregates[funcName(fc)] || fc.AggStar)
}

// containsAggregate reports whether n has an aggregate call outside subqueries.
func containsAggregate(n proto.Message) bool {
	found := false
	walk(n, func(m proto.Message) bool {
		switch x := m.(type) {
		case *pg_query.SelectStmt:
			return m == n // look inside the statement itself, not its subqueries
		case *pg_query.FuncCall:
			if isAggregate(x) {
				found = true
			}
		}
		return !found
	})
	return found
}

func containsWindow(n proto.Message) bool {
	found := false
	walk(n, func(m proto.Message) bool {
		if fc, ok := m.(*pg_query.FuncCall); ok && fc.Over != nil {
			found = true
		}
		return !found
	})
	return found
}

// constValue returns the Go value of a literal or parameter: (value, param, ok).
func constValue(n *pg_query.Node) (Value, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		return constValue(tc.Arg)
	}
	if p := n.GetParamRef(); p != nil {
		return Value{Param: int(p.Number)}, true
	}
	c := n.GetAConst()
	if c == nil {
		return Value{}, false
	}
	if c.Isnull {
		return Value{Lit: nil}, true
	}
	switch {
	case c.GetIval() != nil:
		return Value{Lit: int64(c.GetIval().Ival)}, true
	case c.GetFval() != nil:
		if i, err := strconv.ParseInt(c.GetFval().Fval, 10, 64); err == nil {
			return Value{Lit: i}, true
		}
		return Value{Lit: NumericLit(c.GetFval().Fval)}, true
	case c.GetSval() != nil:
		return Value{Lit: c.GetSval().Sval}, true
	case c.GetBoolval() != nil:
		return Value{Lit: c.GetBoolval().Boolval}, true
	}
	return Value{}, false
}

// constText is a literal's Postgres text form, for gate-side comparisons.
func constText(n *pg_query.Node) ([]byte, bool) {
	v, ok := constValue(n)
	if !ok || v.Param > 0 {
		return nil, false
	}
	switch x := v.Lit.(type) {
	case nil:
		return nil, true
	case NumericLit:
		return []byte(x), true
	case int64:
		return []byte(strconv.FormatInt(x, 10)), true
	case string:
		return []byte(x), true
	case bool:
		if x {
			return []byte("t"), true
		}
		return []byte("f"), true
	}
	return nil, false
}

// colRef returns a column reference's qualifier and column name.
func colRef(n *pg_query.Node) (qual, col string, ok bool) {
	cr := n.GetColumnRef()
	if cr == nil {
		return "", "", false
	}
	parts := stringsOf(cr.Fields)
	if len(parts) != len(cr.Fields) {
		return "", "", false // has a *
	}
	switch len(parts) {
	case 1:
		return "", parts[0], true
	case 2:
		return parts[0], parts[1], true
	case 3:
		return parts[1], parts[2], true
	}
	return "", "", false
}

// conjuncts splits a boolean expression on top-level ANDs.
func conjuncts(n *pg_query.Node) []*pg_query.Node {
	if n == nil {
		return nil
	}
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

func opName(e *pg_query.A_Expr) string {
	s := stringsOf(e.Name)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func intConst(v int64) *pg_query.Node { return pg_query.MakeAConstIntNode(v, -1) }

func unsupported(format string, args ...any) error { return sqltypes.Unsupported(format, args...) }
