package hunt

import (
	"slices"
	"testing"
	"time"
)

// TestHuntFindsUnsoundOuterJoins shows that the hunter finds a class of
// wrong answers it is meant to guard: with the planner's outer-join rule
// turned off (a reference table, VALUES list or generate_series on the
// preserved side of a sharded table is then scattered, and every shard adds
// its own NULL-extended rows), it must report a difference.
func TestHuntFindsUnsoundOuterJoins(t *testing.T) {
	h := newHuntEnv(t, "postgres")
	h.g.Planner().UnsoundOuterJoins.Store(true)
	gen := newHuntGen(*huntSeed, map[string]bool{})
	deadline := time.Now().Add(60 * time.Second)
	tried := 0
	for time.Now().Before(deadline) {
		s := gen.Stmt()
		if !slices.Contains(s.Features(), "outer_nonsharded_preserved") {
			continue
		}
		tried++
		if res := h.check(s); res.kind == "diff" {
			t.Logf("found after %d outer-join statements: %s: %s", tried, s.SQL(), res.msg)
			return
		}
	}
	t.Fatalf("the hunter found no difference in %d statements with the outer-join rule turned off", tried)
}
