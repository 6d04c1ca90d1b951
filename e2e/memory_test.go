package e2e

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// TestScatterStreamsInBoundedMemory: a scatter SELECT * of far more data
// than the gate may hold streams through: the heap does not grow with the
// result. (Gate and client share this process; the client reads row by row.)
func TestScatterStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 60 MB")
	}
	gatetest.ForEachEngine(t, func(t *testing.T, engine string) {
		if engine == "mixed" {
			t.Skip("covered by the two engines")
		}
		g := gatetest.StartEngine(t, engine, 4, "")
		ctx := context.Background()
		c := g.Connect(t)
		gatetest.MustExec(t, c, `CREATE TABLE wide (id bigint PRIMARY KEY, pad text)`)
		const rows, padLen = 200000, 300
		pad := strings.Repeat("x", padLen)
		// Load each shard directly: the test is about reading.
		for _, tab := range g.Tablets() {
			var vals []string
			flush := func() {
				if len(vals) == 0 {
					return
				}
				r, err := tab.Query(ctx, "INSERT INTO wide (id, pad) VALUES "+strings.Join(vals, ","), nil)
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				vals = vals[:0]
			}
			for i := 0; i < rows/len(g.Tablets()); i++ {
				vals = append(vals, fmt.Sprintf("(%d, '%s')", int64(i)*int64(len(g.Tablets()))+int64(len(vals)%7), pad))
				if len(vals) == 500 {
					flush()
				}
			}
			flush()
		}
		// The gate and this client share the heap: collect garbage often,
		// so that the peak measures what is kept, not what the collector
		// has not reached yet.
		defer debug.SetGCPercent(debug.SetGCPercent(10))
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		r, err := c.Query(ctx, `SELECT * FROM wide`, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		n, bytes := 0, 0
		for r.Next() {
			n++
			bytes += len(r.RawValues()[1])
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		<-done
		growth := int64(peak.Load()) - int64(base.HeapInuse)
		t.Logf("%s: streamed %d rows, %d MB of values; heap grew at most %d MB", engine, n, bytes>>20, growth>>20)
		if n != rows-rows%len(g.Tablets()) && n < rows*9/10 {
			t.Errorf("got %d rows", n)
		}
		if growth > int64(bytes)/3 {
			t.Errorf("heap grew %d MB while streaming %d MB: the gate holds the result", growth>>20, bytes>>20)
		}
	})
}
