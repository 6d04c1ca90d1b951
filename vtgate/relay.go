package vtgate

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/proxy"
	"github.com/dotdo/vitess/router"
	"github.com/jackc/pgx/v5/pgconn"
)

// relayDialer returns the shard to relay to when clients of keyspace ks
// are relayed: unsharded, one Postgres shard, session pool mode.
func relayDialer(ks *router.Keyspace, mode string, shards map[string]map[string]engine.Shard) proxy.SessionDialer {
	if ks.Sharded || mode != PoolSession || len(shards[ks.Name]) != 1 {
		return nil
	}
	for _, sh := range shards[ks.Name] {
		if d, ok := sh.(proxy.SessionDialer); ok && engine.IsPostgresShard(sh) {
			return d
		}
	}
	return nil
}

// newRelay opens the client's backend connection. inner is the gate-side
// session kept for the gate's own commands; it runs in transaction pool
// mode, so that it holds no second backend connection between them.
func newRelay(ctx context.Context, inner *session, d proxy.SessionDialer, params map[string]string) (proxy.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, relayDialTimeout)
	defer cancel()
	hc, release, err := d.DialSession(ctx, params)
	if err != nil {
		return nil, err
	}
	inner.mode = PoolTransaction
	r := &relaySession{session: inner, hc: hc, release: release}
	st := hc.TxStatus
	if st == 0 {
		st = 'I'
	}
	r.SetTxStatus(st)
	return r, nil
}

// relaySession is the Session of a relayed client.
type relaySession struct {
	*session // the gate's path, for EXPLAIN (ROUTE) and SHOW vitess_...
	hc       *pgconn.HijackedConn
	release  func()
	status   atomic.Uint32
	once     sync.Once
}

func (r *relaySession) RelayBackend() *pgconn.HijackedConn { return r.hc }

func (r *relaySession) TxStatus() byte { return byte(r.status.Load()) }

func (r *relaySession) SetTxStatus(status byte) { r.status.Store(uint32(status)) }

// ParameterStatus is nil: the server's own ParameterStatus messages reach
// the client.
func (r *relaySession) ParameterStatus() map[string]string { return nil }

func (r *relaySession) CancelBackend(ctx context.Context) error { return proxy.SendCancel(ctx, r.hc) }

func (r *relaySession) Close() {
	r.once.Do(func() {
		r.session.Close()
		r.hc.Conn.Close()
		r.release()
	})
}

// relayDialTimeout bounds a relayed client's backend dial: a pool slot
// and the server's startup.
const relayDialTimeout = 30 * time.Second

var _ proxy.Relayer = (*relaySession)(nil)
