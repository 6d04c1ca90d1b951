package txn

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dotdo/vitess/metastore"
)

// countingLog is the real SQLite decision log, counting its batch writes;
// slow holds each write a moment (as a slower disk would) and fail makes
// the next one fail.
type countingLog struct {
	*metastore.Store
	writes atomic.Int32
	slow   time.Duration
	fail   atomic.Bool
}

func (l *countingLog) DecideMany(ctx context.Context, ds []metastore.Decision, forget []string) ([]string, error) {
	l.writes.Add(1)
	time.Sleep(l.slow)
	if l.fail.CompareAndSwap(true, false) {
		return nil, errors.New("disk full")
	}
	return l.Store.DecideMany(ctx, ds, forget)
}

func newCountingLog(t *testing.T) *countingLog {
	m, err := metastore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &countingLog{Store: m}
}

// Decisions made at the same moment share writes, and each is recorded.
func TestGroupCommitSharesWrites(t *testing.T) {
	log := newCountingLog(t)
	log.slow = 5 * time.Millisecond
	c := &Coordinator{Log: log}
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.decide(context.Background(), fmt.Sprintf("d%d", i), []byte("{}"))
			if err == nil && out != "commit" {
				err = fmt.Errorf("outcome %q", out)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ds, err := log.Decisions(context.Background(), "commit")
	if err != nil || len(ds) != n {
		t.Fatalf("%d commit records (%v), want %d", len(ds), err, n)
	}
	if w := log.writes.Load(); w >= n/2 {
		t.Fatalf("%d writes for %d decisions made at once: not grouped", w, n)
	}
	if d, w := c.DecisionStats(); d != n || w != int64(log.writes.Load()) {
		t.Fatalf("DecisionStats %d decisions in %d writes, want %d in %d", d, w, n, log.writes.Load())
	}
	t.Logf("%d decisions in %d writes", n, log.writes.Load())
}

// A failed batch write fails every member: each then asks for abort, and
// the records to forget are kept for the next write.
func TestGroupCommitFailedWrite(t *testing.T) {
	log := newCountingLog(t)
	ctx := context.Background()
	c := &Coordinator{Log: log, finished: []string{"old"}}
	if _, err := log.Decide(ctx, "old", "commit", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	log.fail.Store(true)
	out, err := c.decide(ctx, "d1", []byte("{}"))
	if err != nil || out != "abort" {
		t.Fatalf("after a failed write: %q %v, want abort", out, err)
	}
	if len(c.finished) != 1 || c.finished[0] != "old" {
		t.Fatalf("finished %v, want [old] kept", c.finished)
	}
	if out, err := c.decide(ctx, "d2", []byte("{}")); err != nil || out != "commit" {
		t.Fatalf("next decision: %q %v", out, err)
	}
	ds, _ := log.Decisions(ctx, "commit")
	if len(ds) != 1 || ds[0].DTID != "d2" {
		t.Fatalf("commit records %+v, want d2 only (old forgotten)", ds)
	}
}
