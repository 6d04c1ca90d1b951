package metastore

import (
	"context"
	"sync"
)

// SequenceBlock is how many ids a gate reserves from the metadata store at
// once. A restart skips what was left of the block, never reuses it.
const SequenceBlock = 1000

// Sequences hands out global ids from blocks reserved in the metadata store,
// so ids are unique across shards and across gates sharing the store.
type Sequences struct {
	meta *Store
	mu   sync.Mutex
	cur  map[string]*block
}

type block struct{ next, end int64 }

// NewSequences serves sequences from meta.
func NewSequences(meta *Store) *Sequences {
	return &Sequences{meta: meta, cur: map[string]*block{}}
}

// Next returns n consecutive ids of the named sequence (not necessarily
// contiguous across blocks).
func (s *Sequences) Next(ctx context.Context, name string, n int) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.cur[name]
	if b == nil {
		b = &block{}
		s.cur[name] = b
	}
	out := make([]int64, 0, n)
	for len(out) < n {
		if b.next >= b.end {
			want := int64(SequenceBlock)
			if rest := int64(n - len(out)); rest > want {
				want = rest
			}
			first, err := s.meta.ReserveBlock(ctx, name, want)
			if err != nil {
				return nil, err
			}
			b.next, b.end = first, first+want
		}
		out = append(out, b.next)
		b.next++
	}
	return out, nil
}
