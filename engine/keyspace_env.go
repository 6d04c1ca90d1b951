package engine

import (
	"context"

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
