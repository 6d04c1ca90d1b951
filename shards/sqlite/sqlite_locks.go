package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/dotdo/vitess/sqltypes"
)

// SQLite takes a shard's single write lock at BEGIN (IMMEDIATE), so two
// clients whose transactions touch two shards in opposite orders wait for
// each other forever (SQLite would only give up after its busy timeout).
// Transactions of the gate's clients therefore take the lock here first,
// in a wait-for graph over all SQLite shards of the gate (Options.Locks): a wait that
// would close a cycle fails at once with 40P01, as Postgres reports a
// deadlock, and the client can retry.

// A wait the graph cannot see can still close a cycle: a transaction that
// holds a SQLite shard and waits for a row lock on a Postgres shard held by
// the transaction waiting here. A wait therefore ends after the graph's wait with
// 55P03, as Postgres's lock_timeout does, and that transaction rolls back.
const defaultLockWait = 10 * time.Second

// LockGraph is the wait-for graph of one gate's SQLite shards; wait bounds
// how long a transaction waits for a shard another holds.
type LockGraph struct {
	wait    time.Duration
	mu      sync.Mutex
	holder  map[*Engine]uint64
	waiting map[uint64]*Engine
	wake    map[*Engine]chan struct{}
}

// NewLockGraph returns a graph whose waits end after wait (0: 10s).
func NewLockGraph(wait time.Duration) *LockGraph {
	if wait <= 0 {
		wait = defaultLockWait
	}
	return &LockGraph{wait: wait, holder: map[*Engine]uint64{}, waiting: map[uint64]*Engine{}, wake: map[*Engine]chan struct{}{}}
}

// acquire takes s's transaction lock for owner, waiting while another
// owner has it, unless waiting would deadlock.
func (g *LockGraph) acquire(ctx context.Context, s *Engine, owner uint64) (release func(), err error) {
	wait := g.wait
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
			return nil, sqltypes.Errorf(sqltypes.DeadlockDetected, "deadlock detected: transaction %d waits for a shard held by transaction %d, which waits for one this transaction holds", owner, h)
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
			return nil, sqltypes.Errorf(sqltypes.LockNotAvailable, "canceling statement due to lock timeout: waited %s for shard %s, held by transaction %d (perhaps waiting for this one on a Postgres shard)", wait, filepath.Base(s.path), h)
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
func (g *LockGraph) closesCycle(owner uint64, s *Engine) bool {
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

func (g *LockGraph) release(s *Engine) {
	g.mu.Lock()
	delete(g.holder, s)
	if ch, ok := g.wake[s]; ok {
		close(ch)
		delete(g.wake, s)
	}
	g.mu.Unlock()
}
