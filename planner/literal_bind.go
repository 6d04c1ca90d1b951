package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/pgast"
)

// literalsBindable reports whether a SELECT planned from its normalized
// text (engine/literal_bind.go) may run with its literals bound as
// parameters: not when a $n stands where a literal integer is a column
// position (ORDER BY 1, GROUP BY 1, DISTINCT ON (1)), since a parameter
// there is a constant. Conservative: any sort key, grouping item or
// DISTINCT ON item that is a parameter, at any depth, says no.
func literalsBindable(sel *pg_query.SelectStmt) bool {
	ok := true
	isParam := func(n *pg_query.Node) bool { return n.GetParamRef() != nil }
	pgast.Walk(sel, func(m proto.Message) bool {
		switch x := m.(type) {
		case *pg_query.SortBy:
			ok = ok && !isParam(x.Node)
		case *pg_query.SelectStmt:
			for _, n := range append(append([]*pg_query.Node(nil), x.GroupClause...), x.DistinctClause...) {
				ok = ok && !isParam(n)
			}
		case *pg_query.GroupingSet:
			for _, n := range x.Content {
				ok = ok && !isParam(n)
			}
		}
		return ok
	})
	return ok
}
