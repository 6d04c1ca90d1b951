package sqltypes

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestCatchPanic: a panic in a statement's worker goroutine (a shard of a
// fan-out) becomes that statement's XX000 error; the process goes on.
func TestCatchPanic(t *testing.T) {
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer CatchPanic("shard -40", &errs[i])
			if i == 1 {
				var m map[string]int
				m["x"] = 1 // a nil map: a real runtime panic
			}
		}()
	}
	wg.Wait()
	var pe *pgconn.PgError
	if errs[0] != nil || errs[2] != nil || !errors.As(errs[1], &pe) || pe.Code != InternalError || !strings.Contains(pe.Message, "shard -40") {
		t.Fatalf("errors %v", errs)
	}
}
