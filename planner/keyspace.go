package planner

import (
	"context"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/sqltypes"
)

// KeyspaceEnv is an Env that reaches the shards of every keyspace, in the
// same transaction: lookup tables and `keyspace.table` live elsewhere.
type KeyspaceEnv interface {
	ConnIn(ctx context.Context, keyspace, shard string) (Conn, error)
	DescribeConnIn(ctx context.Context, keyspace, shard string) (Conn, error)
}

// EnvIn is env's view of another keyspace: Conn(shard) is that keyspace's
// shard. Other abilities of env (read barrier, insert ids) carry over.
func EnvIn(env Env, keyspace string) Env {
	k, ok := env.(KeyspaceEnv)
	if !ok {
		return refusingEnv{env, keyspace}
	}
	return keyspaceEnv{Env: env, k: k, keyspace: keyspace}
}

type keyspaceEnv struct {
	Env
	k        KeyspaceEnv
	keyspace string
}

func (e keyspaceEnv) Conn(ctx context.Context, shard string) (Conn, error) {
	return e.k.ConnIn(ctx, e.keyspace, shard)
}

func (e keyspaceEnv) DescribeConn(ctx context.Context, shard string) (Conn, error) {
	return e.k.DescribeConnIn(ctx, e.keyspace, shard)
}

func (e keyspaceEnv) ConnIn(ctx context.Context, keyspace, shard string) (Conn, error) {
	return e.k.ConnIn(ctx, keyspace, shard)
}

func (e keyspaceEnv) DescribeConnIn(ctx context.Context, keyspace, shard string) (Conn, error) {
	return e.k.DescribeConnIn(ctx, keyspace, shard)
}

func (e keyspaceEnv) ReadBarrier() func() {
	if rb, ok := e.Env.(ReadBarrier); ok {
		return rb.ReadBarrier()
	}
	return func() {}
}

func (e keyspaceEnv) ReportInsertID(id int64) {
	if r, ok := e.Env.(InsertIDReporter); ok {
		r.ReportInsertID(id)
	}
}

// refusingEnv is an env that cannot reach other keyspaces.
type refusingEnv struct {
	Env
	keyspace string
}

func (e refusingEnv) Conn(context.Context, string) (Conn, error) {
	return nil, sqltypes.Unsupported("reaching keyspace %s from here", e.keyspace)
}

// otherKeyspace finds the keyspace a statement's tables belong to when it
// names them as keyspace.table. Every table must then be of that one
// keyspace: a statement runs on the shards of one keyspace, and tables of
// two keyspaces live in different databases. It strips the qualifiers
// (the shards know the tables by their bare names) and returns the
// keyspace and the statement's new text; "" when the statement names no
// keyspace.
func (b *builder) otherKeyspace(n *pg_query.Node) (string, string, error) {
	ctes := map[string]bool{}
	walk(n, func(m proto.Message) bool {
		if c, ok := m.(*pg_query.CommonTableExpr); ok {
			ctes[c.Ctename] = true
		}
		return true
	})
	var named []*pg_query.RangeVar
	keyspaces := map[string]bool{}
	bare := false
	walk(n, func(m proto.Message) bool {
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
	sql, err := deparseStmt(n)
	if err != nil {
		return "", "", fmt.Errorf("keyspace %s: %w", ks, err)
	}
	return ks, sql, nil
}
