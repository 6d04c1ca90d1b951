package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/sqltypes"
)

// explainPlan answers EXPLAIN (ROUTE) stmt with the plan tree of stmt.
func (b *builder) explainPlan(n *pg_query.Node) (*engine.Plan, error) {
	ex := n.GetExplainStmt()
	route := false
	for _, o := range ex.Options {
		if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, "route") {
			route = true
		}
	}
	if !route {
		if !b.ks.Sharded {
			return b.passthrough("unsharded", engine.Unsharded)
		}
		return nil, unsupported("EXPLAIN without (ROUTE) on a sharded keyspace; use EXPLAIN (ROUTE) to see the plan")
	}
	return b.explainRoute()
}

// isExplainRoute reports whether sql starts with EXPLAIN (ROUTE).
func isExplainRoute(sql string) bool {
	sc, err := pg_query.Scan(sql)
	if err != nil || len(sc.Tokens) < 4 {
		return false
	}
	tok := func(i int) string { return strings.ToLower(sql[sc.Tokens[i].Start:sc.Tokens[i].End]) }
	return tok(0) == "explain" && tok(1) == "(" && tok(2) == "route"
}

// explainRoute plans the statement after EXPLAIN (ROUTE) and returns its
// plan tree as rows.
func (b *builder) explainRoute() (*engine.Plan, error) {
	inner, err := innerStatement(b.sql)
	if err != nil {
		return nil, err
	}
	pl, err := b.p.build(b.ctx, b.env, b.ks.Name, inner, b.paramOIDs)
	if err != nil {
		return nil, err
	}
	var rows []sqltypes.Row
	for _, l := range pl.Explain() {
		rows = append(rows, sqltypes.Row{[]byte(l)})
	}
	fields := []sqltypes.Field{sqltypes.NewField("QUERY PLAN", sqltypes.OIDText)}
	return &engine.Plan{Type: "explain", Root: &engine.Static{Fields: fields, Rows: rows, Lines: pl.Explain()}, Fields: fields, SQL: b.sql}, nil
}

// innerStatement returns the text after EXPLAIN (options).
func innerStatement(sql string) (string, error) {
	sc, err := pg_query.Scan(sql)
	if err != nil {
		return "", ParseError(err)
	}
	depth := 0
	seenParen := false
	for i, t := range sc.Tokens {
		if i == 0 {
			continue // EXPLAIN
		}
		tok := sql[t.Start:t.End]
		switch {
		case tok == "(":
			depth++
			seenParen = true
		case tok == ")":
			depth--
			if depth == 0 && seenParen {
				return strings.TrimSpace(sql[t.End:]), nil
			}
		}
	}
	return "", sqltypes.Errorf(sqltypes.SyntaxError, "EXPLAIN (ROUTE) needs a statement")
}

// StaticRows is a plan operator returning fixed rows (SHOW answers).
func StaticRows(fields []sqltypes.Field, rows []sqltypes.Row) engine.Operator {
	return &engine.Static{Fields: fields, Rows: rows}
}
