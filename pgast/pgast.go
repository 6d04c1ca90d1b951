// Package pgast holds small helpers over pg_query parse trees that both the
// planner and the operators need: walking, deparsing, names and literals.
package pgast

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Walk calls fn for every protobuf message under m (m included), depth first.
// fn returns false to skip a message's children.
func Walk(m proto.Message, fn func(proto.Message) bool) {
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
func Deparse(n *pg_query.Node) (string, error) {
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

// Strings returns the String values of a name list (funcname, A_Expr name).
func Strings(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// IntConst is an integer literal node.
func IntConst(v int64) *pg_query.Node { return pg_query.MakeAConstIntNode(v, -1) }
