package engine

import (
	"sync"
	"time"
)

// Visibility keeps multi-shard commits from landing between the shard
// snapshots of one scatter read. It has two classes of holders: scatter
// reads (while their shard queries start) and phase twos of multi-shard
// commits. Holders of one class share it; the two classes never hold it
// at once. A sync.RWMutex would make commits exclusive among themselves,
// serializing the phase twos that group commit decided together.
//
// Neither class starves: once a holder of one class waits, newcomers of
// the other class wait behind it, and when the holders drain the turn goes
// to the waiting class, all its waiters at once.
type Visibility struct {
	mu      sync.Mutex
	active  int // holders of class held
	held    int // class of the holders (read or commit) while active > 0
	turn    int // class let in next when both wait; -1 for none
	waiting [2]int
	admit   [2]int        // waiters let in by the last turn change
	changed chan struct{} // closed and replaced on every release
}

const (
	classRead = iota
	classCommit
)

// Read takes the barrier for a scatter read; the returned func releases it.
func (v *Visibility) Read() func() {
	release, _ := v.enter(classRead, 0)
	return release
}

// Commit takes the barrier for a phase two, waiting at most d; it returns
// nil when d passed first (the commit then goes on without it: a read
// blocked on the transaction's own locks would otherwise wait forever).
func (v *Visibility) Commit(d time.Duration) func() {
	release, ok := v.enter(classCommit, d)
	if !ok {
		return nil
	}
	return release
}

// enter takes the barrier for class c; d <= 0 waits for ever.
func (v *Visibility) enter(c int, d time.Duration) (func(), bool) {
	var deadline <-chan time.Time
	v.mu.Lock()
	if v.changed == nil {
		v.changed = make(chan struct{})
		v.turn = -1
	}
	if v.canEnter(c, false) {
		v.take(c)
		v.mu.Unlock()
		return func() { v.leave() }, true
	}
	v.waiting[c]++
	for {
		ch := v.changed
		v.mu.Unlock()
		if d > 0 && deadline == nil {
			t := time.NewTimer(d)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-ch:
		case <-deadline:
			v.mu.Lock()
			v.waiting[c]--
			if v.admit[c] > v.waiting[c] {
				v.admit[c] = v.waiting[c]
			}
			v.wake()
			v.mu.Unlock()
			return nil, false
		}
		v.mu.Lock()
		if v.canEnter(c, true) {
			v.waiting[c]--
			if v.admit[c] > 0 {
				v.admit[c]--
			}
			v.take(c)
			v.mu.Unlock()
			return func() { v.leave() }, true
		}
	}
}

// canEnter reports whether class c may take the barrier now; waiter says
// the caller has been waiting (and may use an admission of its turn).
func (v *Visibility) canEnter(c int, waiter bool) bool {
	other := 1 - c
	if v.active == 0 {
		return v.turn == -1 || v.turn == c || v.waiting[v.turn] == 0
	}
	if v.held != c {
		return false
	}
	return v.waiting[other] == 0 || (waiter && v.admit[c] > 0)
}

func (v *Visibility) take(c int) {
	if v.active == 0 {
		v.held = c
		v.turn = -1
	}
	v.active++
}

func (v *Visibility) leave() {
	v.mu.Lock()
	v.active--
	if v.active == 0 {
		other := 1 - v.held
		if v.waiting[other] > 0 {
			v.turn = other
			v.admit[other] = v.waiting[other]
		}
	}
	v.wake()
	v.mu.Unlock()
}

// wake tells every waiter to look again (v.mu held).
func (v *Visibility) wake() {
	if v.waiting[classRead]+v.waiting[classCommit] == 0 {
		return // nobody to tell: keep the channel
	}
	close(v.changed)
	v.changed = make(chan struct{})
}
