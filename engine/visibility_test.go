package engine

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestVisibilitySharesWithinAClass(t *testing.T) {
	var v Visibility
	r1, r2 := v.Read(), v.Read() // two reads at once
	r1()
	r2()
	c1 := v.Commit(time.Second)
	c2 := v.Commit(time.Second) // two commits at once
	if c1 == nil || c2 == nil {
		t.Fatal("commits did not share the barrier")
	}
	c1()
	c2()
}

func TestVisibilityExcludesTheOtherClass(t *testing.T) {
	var v Visibility
	r := v.Read()
	if c := v.Commit(20 * time.Millisecond); c != nil {
		t.Fatal("a commit took the barrier while a read held it")
	}
	r()
	c := v.Commit(time.Second)
	if c == nil {
		t.Fatal("a commit could not take the free barrier")
	}
	got := make(chan struct{})
	go func() { v.Read()(); close(got) }()
	select {
	case <-got:
		t.Fatal("a read took the barrier while a commit held it")
	case <-time.After(20 * time.Millisecond):
	}
	c()
	<-got
}

// A waiting commit holds back new reads, so a stream of reads cannot
// starve it; the reads waiting behind it then all go in together.
func TestVisibilityNoStarvation(t *testing.T) {
	var v Visibility
	r := v.Read()
	committed := make(chan func())
	go func() { committed <- v.Commit(5 * time.Second) }()
	time.Sleep(10 * time.Millisecond) // the commit waits
	var entered atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); rel := v.Read(); entered.Add(1); time.Sleep(5 * time.Millisecond); rel() }()
	}
	time.Sleep(10 * time.Millisecond)
	if entered.Load() != 0 {
		t.Fatal("a new read passed a waiting commit")
	}
	r()
	c := <-committed
	if c == nil {
		t.Fatal("the commit timed out")
	}
	time.Sleep(5 * time.Millisecond)
	if entered.Load() != 0 {
		t.Fatal("a read entered while the commit held the barrier")
	}
	c()
	wg.Wait()
	if entered.Load() != 3 {
		t.Fatalf("%d reads entered, want 3", entered.Load())
	}
}

func TestVisibilityStress(t *testing.T) {
	var v Visibility
	var reads, commits atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if i%2 == 0 {
					rel := v.Read()
					reads.Add(1)
					if commits.Load() != 0 {
						t.Error("read and commit held the barrier at once")
					}
					reads.Add(-1)
					rel()
					continue
				}
				rel := v.Commit(10 * time.Second)
				if rel == nil {
					t.Error("commit timed out")
					return
				}
				commits.Add(1)
				if reads.Load() != 0 {
					t.Error("commit and read held the barrier at once")
				}
				commits.Add(-1)
				rel()
			}
		}()
	}
	wg.Wait()
}
