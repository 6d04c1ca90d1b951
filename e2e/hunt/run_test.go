package hunt

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// maxHuntTimeouts is how many statements may outlast their 10 s in a run.
const maxHuntTimeouts = 5

// huntFinding is one distinct failure, shrunk.
type huntFinding struct {
	kind, msg     string
	orig, minimal *hStmt
	count         int
}

// hunt runs statements on one engine until the time or statement budget
// is spent, then reports the failures.
func hunt(t *testing.T, engine string, seed int64, off map[string]bool) {
	h := newHuntEnv(t, engine)
	gen := newHuntGen(seed, off)
	deadline := time.Now().Add(huntBudget())
	counts := map[string]int{}
	findings := map[string]*huntFinding{}
	reasons := map[string]int{}
	start := time.Now()
	var order []string
	shrinks := 0
	for n := 0; time.Now().Before(deadline) && (*huntMax == 0 || n < *huntMax); n++ {
		s := gen.Stmt()
		res := h.check(s)
		counts[res.kind]++
		if res.kind == "refused" || res.kind == "skip" {
			reasons[res.kind+": "+normalizeMsg(res.msg)]++
		}
		if res.kind == "timeout" {
			t.Logf("hunt %s: slow (over 10 s, not counted as a failure): %s", engine, s.SQL())
		}
		if !res.failed() {
			continue
		}
		// A failure is shrunk once per class and feature set; the minimal
		// statements then merge by class and features. The shrink budget
		// bounds the time a bad run spends.
		class := failClass(res)
		key := class + " " + strings.Join(s.Features(), ",")
		if f, ok := findings[key]; ok {
			f.count++
			continue
		}
		if shrinks >= *huntShrinks {
			counts["unshrunk"]++
			continue
		}
		shrinks++
		// A shrink stops after 20s, so statements that time out cannot
		// stretch the run.
		stop := time.Now().Add(20 * time.Second)
		min := shrink(s, func(v *hStmt) bool {
			return time.Now().Before(stop) && failClass(h.check(v)) == class
		}, 300)
		mres := h.check(min)
		mkey := class + " " + strings.Join(min.Features(), ",")
		if f, ok := findings[mkey]; ok {
			f.count++
			findings[key] = f
			continue
		}
		f := &huntFinding{kind: res.kind, msg: mres.msg, orig: s, minimal: min, count: 1}
		findings[key], findings[mkey] = f, f
		order = append(order, mkey)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	t.Logf("hunt %s: seed %d, %d statements in %v: %v", engine, seed, total, time.Since(start).Round(time.Second), counts)
	if counts["timeout"] > maxHuntTimeouts {
		t.Errorf("hunt %s: %d statements timed out (more than %d: is the gate stuck?)", engine, counts["timeout"], maxHuntTimeouts)
	}
	logTop(t, reasons, 12)
	reportFindings(t, engine, seed, findings, order)
}

func reportFindings(t *testing.T, engine string, seed int64, findings map[string]*huntFinding, order []string) {
	byFeature := map[string]int{}
	for _, k := range order {
		f := findings[k]
		for _, feat := range f.minimal.Features() {
			byFeature[feat]++
		}
		t.Errorf("HUNT %s %s (seed %d, seen %d times): %s\n  original: %s%s\n  minimal:  %s%s\n  features: %v",
			engine, strings.ToUpper(f.kind), seed, f.count, f.msg, f.orig.SQL(), argsSuffix(f.orig), f.minimal.SQL(), argsSuffix(f.minimal), f.minimal.Features())
	}
	if len(order) == 0 {
		return
	}
	var feats []string
	for f, n := range byFeature {
		feats = append(feats, fmt.Sprintf("%s=%d", f, n))
	}
	sort.Strings(feats)
	t.Logf("hunt %s: features of the minimal failing statements: %s", engine, strings.Join(feats, " "))
}

// logTop logs the most frequent refusal and skip reasons, so a generator
// that wastes its time on refused shapes shows.
func logTop(t *testing.T, reasons map[string]int, n int) {
	var keys []string
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return reasons[keys[i]] > reasons[keys[j]] })
	for _, k := range keys[:min(n, len(keys))] {
		t.Logf("  %5d  %s", reasons[k], k)
	}
}

func argsSuffix(s *hStmt) string {
	if len(s.Params()) == 0 {
		return ""
	}
	return fmt.Sprintf("  ;; args %v", s.Params())
}

// failClass is what a shrunk statement must keep failing with: the kind
// and the message's shape (for a diff, what differed: columns, row count,
// a row's values, the command tag).
func failClass(r huntResult) string {
	if !r.failed() {
		return ""
	}
	if r.kind == "diff" {
		what, _, _ := strings.Cut(r.msg, ":")
		return r.kind + ": " + digitsRE.ReplaceAllString(what, "N")
	}
	return r.kind + ": " + normalizeMsg(r.msg)
}

var digitsRE = regexp.MustCompile(`[0-9]+`)

// normalizeMsg drops numbers and values from a message, so failures of one
// shape share a key.
func normalizeMsg(m string) string {
	if i := strings.Index(m, ": want"); i >= 0 {
		m = m[:i]
	}
	if i := strings.Index(m, " want "); i >= 0 {
		m = m[:i]
	}
	m = shardRE.ReplaceAllString(m, "")
	return digitsRE.ReplaceAllString(m, "N")
}

// shardRE matches the shard an error names, which shrinking may change.
var shardRE = regexp.MustCompile(`shard [0-9a-f]*-[0-9a-f]*: `)
