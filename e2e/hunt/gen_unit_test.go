package hunt

import (
	"slices"
	"testing"
)

// TestHuntGenerator checks that the generator produces every feature it
// names, and none that is disabled (no database needed).
func TestHuntGenerator(t *testing.T) {
	seen := map[string]int{}
	g := newHuntGen(1, map[string]bool{})
	for range 6000 {
		s := g.Stmt()
		for _, f := range s.Features() {
			if !slices.Contains(huntFeatures, f) {
				t.Fatalf("feature %q of %s is not in huntFeatures", f, s.SQL())
			}
			seen[f]++
		}
	}
	for _, f := range huntFeatures {
		if seen[f] == 0 {
			t.Errorf("feature %s never generated", f)
		}
	}
	for _, f := range huntFeatures {
		g := newHuntGen(2, map[string]bool{f: true})
		for range 300 {
			if s := g.Stmt(); slices.Contains(s.Features(), f) {
				t.Fatalf("disabled feature %s in %s", f, s.SQL())
			}
		}
	}
	for engine, fs := range huntKnownOpen {
		for _, f := range fs {
			if !slices.Contains(huntFeatures, f) {
				t.Errorf("huntKnownOpen[%s] names unknown feature %s", engine, f)
			}
		}
	}
}

// TestHuntShrink checks that shrinking keeps what the predicate needs and
// drops the rest.
func TestHuntShrink(t *testing.T) {
	g := newHuntGen(3, map[string]bool{"setop": true})
	for range 200 {
		s := g.Stmt()
		if s.Sel == nil || len(s.Sel.Where) == 0 || len(s.Sel.Items) < 2 {
			continue
		}
		keep := s.Sel.Where[0].S
		min := shrink(s, func(v *hStmt) bool {
			return v.Sel != nil && slices.ContainsFunc(v.Sel.Where, func(e hExpr) bool { return e.S == keep })
		}, 1000)
		if len(min.Sel.Where) != 1 || len(min.Sel.From) != 1 || len(min.Sel.Items) != 0 || len(min.Sel.With) != 0 {
			t.Fatalf("shrunk %s\nto %s", s.SQL(), min.SQL())
		}
		return
	}
	t.Fatal("no statement to shrink")
}
