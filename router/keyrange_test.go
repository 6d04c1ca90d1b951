package router

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func hx(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseKeyRange(t *testing.T) {
	tests := []struct {
		name       string
		start, end string
		str        string
		err        string
	}{
		{name: "-", str: "-"},
		{name: "-80", end: "80", str: "-80"},
		{name: "80-", start: "80", str: "80-"},
		{name: "40-80", start: "40", end: "80", str: "40-80"},
		{name: "C0-", start: "c0", str: "c0-"},
		{name: "-4000", end: "4000", str: "-4000"},
		{name: "4000-8000", start: "4000", end: "8000", str: "4000-8000"},
		{name: "40-4001", start: "40", end: "4001", str: "40-4001"},
		{name: "", err: "missing '-'"},
		{name: "0", err: "missing '-'"},
		{name: "80", err: "missing '-'"},
		{name: "4-8", err: "odd number"},
		{name: "zz-", err: "not hex"},
		{name: "-8g", err: "not hex"},
		{name: "80-40", err: "not below"},
		{name: "40-40", err: "not below"},
		{name: "40-4000", err: "not below"},
		{name: "-00", err: "not below"},
		{name: "-40-80", err: "more than one"},
	}
	for _, tt := range tests {
		kr, err := ParseKeyRange(tt.name)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseKeyRange(%q) error = %v, want containing %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseKeyRange(%q): %v", tt.name, err)
			continue
		}
		if !bytes.Equal(kr.Start, hx(tt.start)) || !bytes.Equal(kr.End, hx(tt.end)) {
			t.Errorf("ParseKeyRange(%q) = %x-%x, want %s-%s", tt.name, kr.Start, kr.End, tt.start, tt.end)
		}
		if got := kr.String(); got != tt.str {
			t.Errorf("ParseKeyRange(%q).String() = %q, want %q", tt.name, got, tt.str)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		kr   string
		ksid string
		want bool
	}{
		{"-", "", true},
		{"-", "0000000000000000", true},
		{"-", "ffffffffffffffff", true},
		{"-80", "0000000000000000", true},
		{"-80", "7fffffffffffffff", true},
		{"-80", "8000000000000000", false},
		{"-80", "80", false},
		{"-80", "7f", true},
		{"80-", "8000000000000000", true},
		{"80-", "80", true},
		{"80-", "7fffffffffffffff", false},
		{"80-", "ffffffffffffffff", true},
		{"40-80", "4000000000000000", true},
		{"40-80", "3fffffffffffffff", false},
		{"40-80", "8000000000000000", false},
		{"40-80", "7fffffffffffffff", true},
		// multi-byte bounds
		{"-4000", "3fffffffffffffff", true},
		{"-4000", "4000000000000000", false},
		{"4000-8000", "4000000000000000", true},
		{"4000-8000", "4000000000000001", true},
		{"4000-8000", "7fffffffffffffff", true},
		{"4000-8000", "8000000000000000", false},
		{"40-4080", "407fffffffffffff", true},
		{"40-4080", "4080000000000000", false},
		{"4080-41", "4080000000000000", true},
		{"4080-41", "407fffffffffffff", false},
		{"4080-41", "40ffffffffffffff", true},
		{"4080-41", "4100000000000000", false},
		// a bound with trailing zero bytes is the same bound
		{"-40", "40", false},
		{"-4000", "40", false},
		{"4000-", "40", true},
	}
	for _, tt := range tests {
		kr := MustParseKeyRange(tt.kr)
		if got := kr.Contains(hx(tt.ksid)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.kr, tt.ksid, got, tt.want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"-", "40-80", true},
		{"-40", "40-", false},
		{"-40", "30-50", true},
		{"40-80", "80-c0", false},
		{"40-80", "7f-", true},
		{"-4000", "40-", false},
		{"c0-", "-c001", true},
	}
	for _, tt := range tests {
		a, b := MustParseKeyRange(tt.a), MustParseKeyRange(tt.b)
		if got := a.Overlaps(b); got != tt.want {
			t.Errorf("%s overlaps %s = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Overlaps(a); got != tt.want {
			t.Errorf("%s overlaps %s = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestEvenShards(t *testing.T) {
	tests := []struct {
		n    int
		want []string
	}{
		{1, []string{"-"}},
		{2, []string{"-80", "80-"}},
		{3, []string{"-55", "55-aa", "aa-"}},
		{4, []string{"-40", "40-80", "80-c0", "c0-"}},
		{8, []string{"-20", "20-40", "40-60", "60-80", "80-a0", "a0-c0", "c0-e0", "e0-"}},
	}
	for _, tt := range tests {
		got, err := EvenShards(tt.n)
		if err != nil {
			t.Fatalf("EvenShards(%d): %v", tt.n, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("EvenShards(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	for _, n := range []int{5, 6, 7, 16, 100, 255, 256, 257, 1000, 4096, MaxEvenShards} {
		got, err := EvenShards(n)
		if err != nil {
			t.Fatalf("EvenShards(%d): %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("EvenShards(%d) has %d names", n, len(got))
		}
		if err := ValidateTiling(got); err != nil {
			t.Errorf("EvenShards(%d) does not tile: %v", n, err)
		}
	}
	got, _ := EvenShards(256)
	if got[1] != "01-02" || got[255] != "ff-" {
		t.Errorf("EvenShards(256) = %v ... %v", got[:2], got[255])
	}
	got, _ = EvenShards(257)
	if !strings.HasPrefix(got[1], "00ff-") {
		t.Errorf("EvenShards(257)[1] = %q", got[1])
	}
	for _, n := range []int{0, -1, MaxEvenShards + 1} {
		if _, err := EvenShards(n); err == nil {
			t.Errorf("EvenShards(%d) succeeded", n)
		}
	}
}

func TestValidateTiling(t *testing.T) {
	tests := []struct {
		names []string
		err   string
	}{
		{[]string{"-"}, ""},
		{[]string{"-80", "80-"}, ""},
		{[]string{"80-", "-80"}, ""},
		{[]string{"c0-", "-40", "80-c0", "40-80"}, ""},
		{[]string{"-4000", "4000-8000", "80-"}, ""},
		{[]string{"-40", "4000-"}, ""},
		{[]string{"00-80", "80-"}, ""},
		{nil, "no shards"},
		{[]string{"-40", "80-"}, "gap"},
		{[]string{"40-"}, "gap"},
		{[]string{"-c0"}, "gap"},
		{[]string{"-80", "40-"}, "overlap"},
		{[]string{"-", "80-"}, "overlap"},
		{[]string{"-80", "-80", "80-"}, "twice"},
		{[]string{"-80", "8-"}, "odd"},
		{[]string{"-80", "80"}, "missing '-'"},
	}
	for _, tt := range tests {
		err := ValidateTiling(tt.names)
		if tt.err == "" {
			if err != nil {
				t.Errorf("ValidateTiling(%v): %v", tt.names, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ValidateTiling(%v) = %v, want error containing %q", tt.names, err, tt.err)
		}
	}
}

func TestShardMap(t *testing.T) {
	m, err := NewShardMap([]string{"c0-", "-40", "80-c0", "40-80"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-40", "40-80", "80-c0", "c0-"}; !reflect.DeepEqual(m.Names(), want) {
		t.Errorf("Names() = %v, want %v", m.Names(), want)
	}
	tests := []struct{ ksid, want string }{
		{"0000000000000000", "-40"},
		{"3fffffffffffffff", "-40"},
		{"4000000000000000", "40-80"},
		{"7fffffffffffffff", "40-80"},
		{"8000000000000000", "80-c0"},
		{"bfffffffffffffff", "80-c0"},
		{"c000000000000000", "c0-"},
		{"ffffffffffffffff", "c0-"},
		{"", "-40"},
	}
	for _, tt := range tests {
		got, err := m.Find(hx(tt.ksid))
		if err != nil || got != tt.want {
			t.Errorf("Find(%s) = %q, %v; want %q", tt.ksid, got, err, tt.want)
		}
		got2, err := ShardForKeyspaceID(hx(tt.ksid), []string{"-40", "40-80", "80-c0", "c0-"})
		if err != nil || got2 != tt.want {
			t.Errorf("ShardForKeyspaceID(%s) = %q, %v; want %q", tt.ksid, got2, err, tt.want)
		}
	}
	if got := m.ShardsIn(MustParseKeyRange("30-90")); !reflect.DeepEqual(got, []string{"-40", "40-80", "80-c0"}) {
		t.Errorf("ShardsIn(30-90) = %v", got)
	}
	if _, err := NewShardMap([]string{"-40", "80-"}); err == nil {
		t.Error("NewShardMap accepted a gap")
	}
	if _, err := ShardForKeyspaceID(hx("9000000000000000"), []string{"-40", "40-80"}); err == nil {
		t.Error("ShardForKeyspaceID found a shard outside the ranges")
	}

	// Every even split agrees with a linear scan.
	for _, n := range []int{1, 2, 3, 7, 64, 300} {
		names, _ := EvenShards(n)
		m, err := NewShardMap(names)
		if err != nil {
			t.Fatal(err)
		}
		h := &Hash{}
		for i := int64(0); i < 2000; i++ {
			ksid, _ := h.Map(i)
			a, err1 := m.Find(ksid)
			b, err2 := ShardForKeyspaceID(ksid, names)
			if err1 != nil || err2 != nil || a != b {
				t.Fatalf("n=%d ksid %x: Find=%q,%v scan=%q,%v", n, ksid, a, err1, b, err2)
			}
		}
	}
}
