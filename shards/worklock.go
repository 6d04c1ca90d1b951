package shards

import (
	"context"
	"sync"
)

// workLock is a readers-writer lock whose writer can give up: operations
// on a tablet hold it for reading, SwitchEngine for writing. While the
// writer waits, new readers wait too (so that the switch is not starved),
// and when its context ends the writer withdraws and they go on; a
// sync.RWMutex could not withdraw a pending Lock.
type workLock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	readers int
	writer  bool // held for writing
	waiting int  // writers waiting
}

func (l *workLock) init() {
	if l.cond == nil {
		l.cond = sync.NewCond(&l.mu)
	}
}

// rlock takes the lock for reading.
func (l *workLock) rlock() {
	l.mu.Lock()
	l.init()
	for l.writer || l.waiting > 0 {
		l.cond.Wait()
	}
	l.readers++
	l.mu.Unlock()
}

func (l *workLock) runlock() {
	l.mu.Lock()
	l.readers--
	if l.readers == 0 {
		l.init()
		l.cond.Broadcast()
	}
	l.mu.Unlock()
}

// lock takes the lock for writing, or gives up when ctx ends.
func (l *workLock) lock(ctx context.Context) error {
	l.mu.Lock()
	l.init()
	l.waiting++
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	defer stop()
	for (l.writer || l.readers > 0) && ctx.Err() == nil {
		l.cond.Wait()
	}
	l.waiting--
	if err := ctx.Err(); err != nil {
		l.cond.Broadcast() // readers held back by this writer go on
		l.mu.Unlock()
		return err
	}
	l.writer = true
	l.mu.Unlock()
	return nil
}

func (l *workLock) unlock() {
	l.mu.Lock()
	l.writer = false
	l.cond.Broadcast()
	l.mu.Unlock()
}
