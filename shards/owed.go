package shards

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Owed commits. When phase two of a multi-shard commit fails on a shard
// (the shard went down between PREPARE and COMMIT PREPARED), the commit is
// decided and the client told so, but that shard still holds the
// transaction prepared, invisible. A read of that shard alone, or of every
// shard at once, would then see half of a committed transaction (a
// transfer's debit without its credit, an acknowledged insert missing). So
// the tablet keeps the commits it owes, and every statement and every
// transaction on it first finishes them: when that fails (the shard is
// still down), the statement fails too, instead of reading the half.

type owedSet struct {
	mu sync.Mutex // held while settling, so that one caller settles at a time
	n  atomic.Int32
	m  map[string][]byte // gid -> SQLite redo (nil for Postgres)
}

// Owe records a commit this tablet must finish before it serves again.
func (t *Tablet) Owe(gid string, redo []byte) {
	t.owed.mu.Lock()
	defer t.owed.mu.Unlock()
	if t.owed.m == nil {
		t.owed.m = map[string][]byte{}
	}
	if _, ok := t.owed.m[gid]; !ok {
		t.owed.m[gid] = redo
		t.owed.n.Add(1)
	}
}

// Paid forgets an owed commit that a resolver finished.
func (t *Tablet) Paid(gid string) {
	t.owed.mu.Lock()
	defer t.owed.mu.Unlock()
	if _, ok := t.owed.m[gid]; ok {
		delete(t.owed.m, gid)
		t.owed.n.Add(-1)
	}
}

// settle finishes the owed commits, if any (one atomic load otherwise).
func (t *Tablet) settle(ctx context.Context) error {
	if t.owed.n.Load() == 0 {
		return nil
	}
	t.owed.mu.Lock()
	defer t.owed.mu.Unlock()
	for gid, redo := range t.owed.m {
		var err error
		if strings.HasPrefix(t.Location(), "sqlite:") {
			err = t.ApplyRedo(ctx, gid, redo)
		} else {
			err = t.FinishPrepared(ctx, gid, true)
		}
		if err != nil {
			return fmt.Errorf("a committed multi-shard transaction is not finished on this shard yet, so it cannot be read: %w", err)
		}
		delete(t.owed.m, gid)
		t.owed.n.Add(-1)
	}
	return nil
}
