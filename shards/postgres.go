package shards

import (
	"context"
	"fmt"
)

// OpenPostgres opens a PostgreSQL shard. (Being written.)
func OpenPostgres(ctx context.Context, url string, opts Options) (Engine, error) {
	return nil, fmt.Errorf("PostgreSQL shards are not supported yet in this version (use sqlite:PATH)")
}
