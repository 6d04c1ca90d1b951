package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/pgast"
	"google.golang.org/protobuf/proto"
)

// otherKeyspace finds the keyspace a statement's tables belong to when it
// names them as keyspace.table. Every table must then be of that one
// keyspace: a statement runs on the shards of one keyspace, and tables of
// two keyspaces live in different databases. It strips the qualifiers
// (the shards know the tables by their bare names) and returns the
// keyspace and the statement's new text; "" when the statement names no
// keyspace.
func (b *builder) otherKeyspace(n *pg_query.Node) (string, string, error) {
	ctes := map[string]bool{}
	pgast.Walk(n, func(m proto.Message) bool {
		if c, ok := m.(*pg_query.CommonTableExpr); ok {
			ctes[c.Ctename] = true
		}
		return true
	})
	var named []*pg_query.RangeVar
	keyspaces := map[string]bool{}
	bare := false
	pgast.Walk(n, func(m proto.Message) bool {
		rv, ok := m.(*pg_query.RangeVar)
		if !ok || isCatalog(rv) || (rv.Schemaname == "" && ctes[rv.Relname]) {
			return true
		}
		if _, isKs := b.p.VSchema.Keyspaces[rv.Schemaname]; isKs {
			named = append(named, rv)
			keyspaces[rv.Schemaname] = true
		} else {
			bare = true
		}
		return true
	})
	if len(named) == 0 {
		return "", "", nil
	}
	var ks string
	for k := range keyspaces {
		ks = k
	}
	if len(keyspaces) > 1 || (bare && ks != b.ks.Name) {
		return "", "", unsupported("a statement naming tables of several keyspaces (tables of different keyspaces live in different databases; query each keyspace on its own)")
	}
	switch {
	case n.GetSelectStmt() != nil, n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil, n.GetExplainStmt() != nil:
	default:
		if ks != b.ks.Name {
			return "", "", unsupported("%s on a table of keyspace %s from keyspace %s (connect to database %s)", nodeName(n), ks, b.ks.Name, ks)
		}
	}
	for _, rv := range named {
		rv.Schemaname = ""
	}
	sql, err := pgast.Deparse(n)
	if err != nil {
		return "", "", fmt.Errorf("keyspace %s: %w", ks, err)
	}
	return ks, sql, nil
}
