package txn

import (
	"context"
	"net/url"
	"time"
)

// Shard is a tablet as the coordinator sees it (shards.Tablet): where it
// lives, what it holds prepared, how to finish it, and its owed commits.
type Shard interface {
	// Location names the shard's database; tablets at one location are
	// the same shard (a login role's tablet and the gate's).
	Location() string
	PreparedXacts(ctx context.Context, prefix string) ([]PreparedXact, error)
	FinishPrepared(ctx context.Context, gid string, commit bool) error
	// ApplyRedo commits a SQLite participant from its redo record.
	ApplyRedo(ctx context.Context, gid string, redo []byte) error
	// ForgetApplied drops SQLite commit markers not in keep, older than before.
	ForgetApplied(ctx context.Context, keep []string, before time.Time) error
	// Owe records that the shard owes a decided commit: its reads wait
	// until it is paid (see shards/owed.go).
	Owe(gid string, redo []byte)
	Paid(gid string)
}

// PreparedXact is a prepared transaction found on a shard.
type PreparedXact struct {
	GID      string
	Prepared time.Time
}

// databaseOf is a Location without its user: tablets of the same
// Postgres database as different roles have the same one.
func databaseOf(location string) string {
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "sqlite" || u.Host == "" {
		return location
	}
	u.User = nil
	q := u.Query()
	q.Del("user")
	q.Del("password")
	u.RawQuery = q.Encode()
	return u.String()
}
