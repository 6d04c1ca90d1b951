package shards

import (
	"context"
	"testing"
	"time"
)

// TestWorkLock: the writer waits for readers, holds back new ones while it
// waits, and when its context ends withdraws so that they go on.
func TestWorkLock(t *testing.T) {
	var l workLock
	l.rlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- l.lock(ctx) }()
	time.Sleep(20 * time.Millisecond)
	second := make(chan struct{})
	go func() { l.rlock(); close(second) }()
	select {
	case <-second:
		t.Fatal("a new reader passed a waiting writer")
	case <-time.After(30 * time.Millisecond):
	}
	if err := <-got; err == nil {
		t.Fatal("the writer took the lock while a reader held it")
	}
	select {
	case <-second:
	case <-time.After(time.Second):
		t.Fatal("the reader stayed blocked after the writer gave up")
	}
	l.runlock()
	l.runlock()
	if err := l.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.unlock()
}
