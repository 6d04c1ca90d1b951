package planner

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

// exprText prints an expression; equal texts mean the same expression.
func exprText(n *pg_query.Node) string {
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(stripLocations(n), 0)}}
	s, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}})
	if err != nil {
		// Never equal to another expression's text.
		return fmt.Sprintf("\x00unprintable %p", n)
	}
	return strings.TrimPrefix(s, "SELECT ")
}

func stripLocations(n *pg_query.Node) *pg_query.Node {
	c := proto.Clone(n).(*pg_query.Node)
	pgast.Walk(c, func(m proto.Message) bool {
		rm := m.ProtoReflect()
		if fd := rm.Descriptor().Fields().ByName("location"); fd != nil {
			rm.Clear(fd)
		}
		return true
	})
	return c
}

// funcName is the unqualified lower-case function name.
func funcName(fc *pg_query.FuncCall) string {
	parts := pgast.Strings(fc.Funcname)
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 2 && parts[0] != "pg_catalog" {
		return parts[0] + "." + parts[1]
	}
	return parts[len(parts)-1]
}

var mergeable = map[string]engine.AggFunc{"count": engine.AggCount, "sum": engine.AggSum, "min": engine.AggMin, "max": engine.AggMax, "avg": engine.AggAvg}

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
	pgast.Walk(n, func(m proto.Message) bool {
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
	return containsNode(n, func(m proto.Message) bool {
		fc, ok := m.(*pg_query.FuncCall)
		return ok && fc.Over != nil
	})
}

// containsNode reports whether the tree under n has a node that match
// accepts, subqueries included.
func containsNode(n proto.Message, match func(proto.Message) bool) bool {
	found := false
	pgast.Walk(n, func(m proto.Message) bool {
		if match(m) {
			found = true
		}
		return !found
	})
	return found
}

// constText is a literal's Postgres text form, for gate-side comparisons.
func constText(n *pg_query.Node) ([]byte, bool) {
	v, ok := engine.RouteValue(n)
	if !ok || v.Param > 0 {
		return nil, false
	}
	switch x := v.Lit.(type) {
	case nil:
		return nil, true
	case engine.NumericLit:
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
	parts := pgast.Strings(cr.Fields)
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
	s := pgast.Strings(e.Name)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func unsupported(format string, args ...any) error { return sqltypes.Unsupported(format, args...) }

// walkScoped calls fn for every RangeVar under m, telling whether it names
// a CTE in scope there. A CTE is visible in the statement that defines it
// and in later sibling CTEs; under WITH RECURSIVE also in its own body and
// earlier siblings. Anywhere else the name is a table (WITH users AS
// (SELECT * FROM users) reads the table users inside the CTE).
func walkScoped(m proto.Message, ctes map[string]bool, fn func(rv *pg_query.RangeVar, cte bool)) {
	pgast.Walk(m, func(x proto.Message) bool {
		switch v := x.(type) {
		case *pg_query.RangeVar:
			fn(v, v.Schemaname == "" && ctes[v.Relname])
			return true
		case *pg_query.WithClause:
			return x == m // reached through its owner, which scoped it
		}
		wc := withClauseOf(x)
		if wc == nil || len(wc.Ctes) == 0 {
			return true
		}
		inner := map[string]bool{}
		for k := range ctes {
			inner[k] = true
		}
		if wc.Recursive {
			for _, c := range wc.Ctes {
				inner[c.GetCommonTableExpr().GetCtename()] = true
			}
		}
		for _, c := range wc.Ctes {
			cte := c.GetCommonTableExpr()
			if cte == nil {
				continue
			}
			walkScoped(cte.Ctequery, inner, fn)
			inner[cte.Ctename] = true
		}
		eachChild(x, "with_clause", func(child proto.Message) { walkScoped(child, inner, fn) })
		return false
	})
}

// withClauseOf returns the WITH clause of a statement node, if any.
func withClauseOf(m proto.Message) *pg_query.WithClause {
	switch v := m.(type) {
	case *pg_query.SelectStmt:
		return v.WithClause
	case *pg_query.InsertStmt:
		return v.WithClause
	case *pg_query.UpdateStmt:
		return v.WithClause
	case *pg_query.DeleteStmt:
		return v.WithClause
	case *pg_query.MergeStmt:
		return v.WithClause
	}
	return nil
}

// eachChild calls fn for every message field of m but the one named skip.
func eachChild(m proto.Message, skip string, fn func(proto.Message)) {
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if string(fd.Name()) == skip || fd.Message() == nil || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				fn(l.Get(i).Message().Interface())
			}
			return true
		}
		fn(v.Message().Interface())
		return true
	})
}
