package shards

import (
	"context"
)

// textOrderer is an engine that knows how its database orders text.
type textOrderer interface {
	TextOrder(ctx context.Context) (bytewise bool, collation string, err error)
}

// TextOrder reports whether the shard orders text byte by byte (the C
// collation), as the gate does when it merges sorted streams, sorts, or
// merges min/max. SQLite shards compare text with BINARY: bytewise.
func (t *Tablet) TextOrder(ctx context.Context) (bool, string, error) {
	if o, ok := t.eng().(textOrderer); ok {
		return o.TextOrder(ctx)
	}
	return true, "C", nil
}
