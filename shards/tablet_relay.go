package shards

import (
	"context"
	"fmt"
	"time"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
)

// sessionDialer is an engine that can give one client a dedicated backend
// connection (Postgres).
type sessionDialer interface {
	DialSession(ctx context.Context, params map[string]string) (*pgconn.HijackedConn, func(), error)
}

// DialSession opens a dedicated backend connection for one client with the
// client's startup parameters, counted against the shard's pool size (see
// Postgres.DialSession). The caller closes hc.Conn and then calls release.
func (t *Tablet) DialSession(ctx context.Context, params map[string]string) (hc *pgconn.HijackedConn, release func(), err error) {
	defer t.enter()()
	start := time.Now()
	d, ok := t.eng().(sessionDialer)
	if !ok {
		return nil, nil, sqltypes.InShard(t.name, fmt.Errorf("engine %s cannot give a client its own backend connection", t.eng().Kind()))
	}
	hc, release, err = d.DialSession(ctx, params)
	if err != nil {
		t.count(start, err)
		return nil, nil, t.wrap(err)
	}
	return hc, release, nil
}
