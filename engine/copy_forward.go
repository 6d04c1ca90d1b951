package engine

import (
	"context"
	"io"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// CopyForward sends a COPY statement and its data to an unsharded
// keyspace's Postgres shard unchanged.
type CopyForward struct {
	Keyspace *router.Keyspace
	Shards   map[string]Shard
	SQL      string
	Overall  int16
	NCols    int
}

func (f *CopyForward) copier(ctx context.Context, env Env) (Copier, error) {
	conn, err := env.Conn(ctx, f.Keyspace.Shards[0])
	if err != nil {
		return nil, err
	}
	c, ok := conn.(Copier)
	if !ok || !c.CanCopy() {
		return nil, sqltypes.Unsupported("COPY: shard %s cannot run COPY", f.Keyspace.Shards[0])
	}
	return c, nil
}

func (f *CopyForward) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return nil, errCopyProtocol()
}

func (f *CopyForward) explain(dir string) *ExplainNode {
	return &ExplainNode{Op: "Copy" + dir, Props: []string{"type=unsharded", "keyspace=" + f.Keyspace.Name, "shards=" + f.Keyspace.Shards[0], "sql=" + f.SQL}}
}

// CopyForwardIn is COPY FROM STDIN forwarded to an unsharded Postgres shard.
type CopyForwardIn struct{ *CopyForward }

func (f *CopyForwardIn) Explain() *ExplainNode { return f.explain("From") }

func (f *CopyForwardIn) InFormat() (overall int16, cols []int16) { return formats(f.Overall, f.NCols) }

// CopyIn streams the client's data to the shard's COPY.
func (f *CopyForwardIn) CopyIn(ctx context.Context, env Env, args []any, data io.Reader) (string, error) {
	c, err := f.copier(ctx, env)
	if err != nil {
		return "", err
	}
	return c.CopyFrom(ctx, f.SQL, data)
}

// CopyForwardOut is COPY TO STDOUT forwarded to an unsharded Postgres shard.
type CopyForwardOut struct{ *CopyForward }

func (f *CopyForwardOut) Explain() *ExplainNode { return f.explain("To") }

func (f *CopyForwardOut) OutFormat() (overall int16, cols []int16) {
	return formats(f.Overall, f.NCols)
}

// CopyOut streams the shard's COPY data to w.
func (f *CopyForwardOut) CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (string, error) {
	c, err := f.copier(ctx, env)
	if err != nil {
		return "", err
	}
	return c.CopyTo(ctx, f.SQL, w)
}

// Inputs is empty: it talks to shards itself.
func (f *CopyForward) Inputs() []Operator { return nil }
