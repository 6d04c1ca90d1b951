package shards

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dotdo/vitess/sqltypes"
)

// SQLite takes a shard's single write lock at BEGIN (IMMEDIATE), so two
// clients whose transactions touch two shards in opposite orders wait for
// each other forever (SQLite would only give up after its busy timeout).
// Transactions of the gate's clients therefore take the lock here first,
// in a wait-for graph over all SQLite shards of the process: a wait that
// would close a cycle fails at once with 40P01, as Postgres reports a
// deadlock, and the client can retry.

// A wait the graph cannot see can still close a cycle: a transaction that
// holds a SQLite shard and waits for a row lock on a Postgres shard held by
// the transaction waiting here. A wait therefore ends after lockWait with
// 55P03, as Postgres's lock_timeout does, and that transaction rolls back.
var lockWait atomic.Int64

const defaultLockWait = 10 * time.Second

func init() { lockWait.Store(int64(defaultLockWait)) }

// SetLockWait bounds how long a transaction waits for a SQLite shard that
// another transaction holds (0: the default, 10s). The bound is the
// process's: it holds for every gate in it.
func SetLockWait(d time.Duration) {
	if d <= 0 {
		d = defaultLockWait
	}
	lockWait.Store(int64(d))
}

type lockGraph struct {
	mu      sync.Mutex
	holder  map[*SQLite]uint64
	waiting map[uint64]*SQLite
	wake    map[*SQLite]chan struct{}
}

var sqliteLocks = &lockGraph{holder: map[*SQLite]uint64{}, waiting: map[uint64]*SQLite{}, wake: map[*SQLite]chan struct{}{}}

// acquire takes s's transaction lock for owner, waiting while another
// owner has it, unless waiting would deadlock.
func (g *lockGraph) acquire(ctx context.Context, s *SQLite, owner uint64) (release func(), err error) {
	wait := time.Duration(lockWait.Load())
	timer := time.NewTimer(wait)
	defer timer.Stop()
	g.mu.Lock()
	for {
		h, held := g.holder[s]
		if !held {
			g.holder[s] = owner
			g.mu.Unlock()
			return func() { g.release(s) }, nil
		}
		if g.closesCycle(owner, s) {
			g.mu.Unlock()
			return nil, sqltypes.Errorf("40P01", "deadlock detected: transaction %d waits for a shard held by transaction %d, which waits for one this transaction holds", owner, h)
		}
		ch, ok := g.wake[s]
		if !ok {
			ch = make(chan struct{})
			g.wake[s] = ch
		}
		g.waiting[owner] = s
		g.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			g.mu.Lock()
			delete(g.waiting, owner)
			g.mu.Unlock()
			return nil, sqltypes.Errorf("55P03", "canceling statement due to lock timeout: waited %s for shard %s, held by transaction %d (perhaps waiting for this one on a Postgres shard)", wait, filepath.Base(s.path), h)
		case <-ctx.Done():
			g.mu.Lock()
			delete(g.waiting, owner)
			g.mu.Unlock()
			return nil, ctx.Err()
		}
		g.mu.Lock()
		delete(g.waiting, owner)
	}
}

// closesCycle reports whether owner waiting for s would wait for itself.
func (g *lockGraph) closesCycle(owner uint64, s *SQLite) bool {
	for i := 0; i < 10000; i++ {
		h, held := g.holder[s]
		if !held {
			return false
		}
		if h == owner {
			return true
		}
		next, waits := g.waiting[h]
		if !waits {
			return false
		}
		s = next
	}
	return true
}

func (g *lockGraph) release(s *SQLite) {
	g.mu.Lock()
	delete(g.holder, s)
	if ch, ok := g.wake[s]; ok {
		close(ch)
		delete(g.wake, s)
	}
	g.mu.Unlock()
}
