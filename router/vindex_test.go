package router

import (
	"encoding/hex"
	"math"
	"math/rand"
	"strings"
	"testing"
)

func TestHashVectors(t *testing.T) {
	tests := []struct {
		value any
		want  string
	}{
		{int64(1), "166b40b44aba4bd6"},
		{int64(2), "06e7ea22ce92708f"},
		{int64(29999), "fcd63e56d3374d88"},
		{1, "166b40b44aba4bd6"},
		{int32(2), "06e7ea22ce92708f"},
		{int16(29999), "fcd63e56d3374d88"},
		{uint64(1), "166b40b44aba4bd6"},
		{"test1", "d01ab7e4d6978f0b"},
		{[]byte("test1"), "d01ab7e4d6978f0b"},
	}
	v, err := NewVindex(VindexConfig{Type: "hash"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type() != "hash" {
		t.Errorf("Type() = %q", v.Type())
	}
	for _, tt := range tests {
		got, err := v.Map(tt.value)
		if err != nil {
			t.Errorf("Map(%T %v): %v", tt.value, tt.value, err)
			continue
		}
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("Map(%T %v) = %x, want %s", tt.value, tt.value, got, tt.want)
		}
	}
}

func TestHashNegativeAndUnmap(t *testing.T) {
	h := &Hash{}
	a, _ := h.Map(int64(-1))
	b, _ := h.Map(uint64(math.MaxUint64))
	if hex.EncodeToString(a) != hex.EncodeToString(b) {
		t.Errorf("-1 maps to %x, uint64 max to %x", a, b)
	}
	for _, v := range []int64{0, 1, 2, 29999, -1, -29999, math.MaxInt64, math.MinInt64} {
		ksid, err := h.Map(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(ksid) != 8 {
			t.Fatalf("ksid %x is not 8 bytes", ksid)
		}
		u, err := h.Unmap(ksid)
		if err != nil {
			t.Fatal(err)
		}
		if int64(u) != v {
			t.Errorf("Unmap(Map(%d)) = %d", v, int64(u))
		}
	}
	if _, err := h.Unmap([]byte{1, 2, 3}); err == nil {
		t.Error("Unmap of a 3-byte id succeeded")
	}
}

func TestHashErrors(t *testing.T) {
	h := &Hash{}
	for _, v := range []any{nil, 1.5, true, struct{}{}} {
		if _, err := h.Map(v); err == nil {
			t.Errorf("Map(%T %v) succeeded", v, v)
		}
	}
}

func TestHashDistribution(t *testing.T) {
	names, err := EvenShards(4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewShardMap(names)
	if err != nil {
		t.Fatal(err)
	}
	h := &Hash{}
	const n = 100000
	rng := rand.New(rand.NewSource(7)) // fixed seed
	for _, keys := range []struct {
		what string
		key  func(i int) any
	}{
		{"sequential ints", func(i int) any { return int64(i + 1) }},
		{"random ints", func(int) any { return rng.Int63() - rng.Int63() }},
		{"strings", func(i int) any { return "user-" + hex.EncodeToString([]byte{byte(i >> 16), byte(i >> 8), byte(i)}) }},
	} {
		counts := map[string]int{}
		for i := 0; i < n; i++ {
			ksid, err := h.Map(keys.key(i))
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Find(ksid)
			if err != nil {
				t.Fatal(err)
			}
			counts[s]++
		}
		for _, s := range names {
			frac := float64(counts[s]) / n
			if frac < 0.25*0.9 || frac > 0.25*1.1 {
				t.Errorf("shard %s got %.2f%% of %d %s", s, frac*100, n, keys.what)
			}
		}
	}
}

func TestNullVindex(t *testing.T) {
	v, err := NewVindex(VindexConfig{Type: "null"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type() != "null" {
		t.Errorf("Type() = %q", v.Type())
	}
	names, _ := EvenShards(4)
	for _, val := range []any{nil, int64(1), "x", []byte{0xff}} {
		ksid, err := v.Map(val)
		if err != nil {
			t.Fatalf("Map(%v): %v", val, err)
		}
		if hex.EncodeToString(ksid) != "0000000000000000" {
			t.Errorf("Map(%v) = %x", val, ksid)
		}
		if s, _ := ShardForKeyspaceID(ksid, names); s != "-40" {
			t.Errorf("Map(%v) routes to %q", val, s)
		}
	}
}

func TestNewVindexErrors(t *testing.T) {
	_, err := NewVindex(VindexConfig{Type: "nope"}, nil)
	if err == nil {
		t.Fatal("unknown type accepted")
	}
	for _, want := range []string{`"nope"`, "hash", "null"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := NewVindex(VindexConfig{Type: "hash", Unique: true}, nil); err == nil {
		t.Error("hash accepted an unknown parameter")
	}
}

type testVindex struct{}

func (testVindex) Type() string            { return "test_vindex" }
func (testVindex) Map(any) ([]byte, error) { return []byte{1}, nil }

func TestRegisterVindex(t *testing.T) {
	RegisterVindex("test_vindex", func(VindexConfig, *ShardMap) (Vindex, error) { return testVindex{}, nil })
	v, err := NewVindex(VindexConfig{Type: "test_vindex"}, nil)
	if err != nil || v.Type() != "test_vindex" {
		t.Fatalf("NewVindex(test_vindex) = %v, %v", v, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
	}()
	RegisterVindex("hash", func(VindexConfig, *ShardMap) (Vindex, error) { return nil, nil })
}
