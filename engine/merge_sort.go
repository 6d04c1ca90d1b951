package engine

import (
	"container/heap"
	"context"
	"io"

	"github.com/dotdo/vitess/sqltypes"
)

// MergeSort merges the shards' already-sorted streams into one sorted
// stream, holding one row per shard.
type MergeSort struct {
	Input *Route
	Keys  []SortKey
}

// Open starts every shard and primes the heap with each shard's first row.
func (m *MergeSort) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	streams, err := m.Input.OpenEach(ctx, env, args)
	if err != nil {
		return nil, err
	}
	mr := &mergeRows{fields: m.Input.Fields, keys: m.Keys, streams: streams, emptyTag: m.Input.EmptyTag}
	for i, s := range streams {
		if err := mr.pull(ctx, i, s); err != nil {
			mr.Close()
			return nil, err
		}
	}
	if mr.err != nil {
		mr.Close()
		return nil, mr.err
	}
	heap.Init(mr)
	if mr.err != nil {
		mr.Close()
		return nil, mr.err
	}
	return mr, nil
}

// Explain prints the merge keys above the route.
func (m *MergeSort) Explain() *ExplainNode {
	return &ExplainNode{Op: "MergeSort", Props: []string{"keys=" + keysString(m.Keys)}, Children: []*ExplainNode{m.Input.Explain()}}
}

type mergeItem struct {
	row   sqltypes.Row
	shard int
}

type mergeRows struct {
	fields   []sqltypes.Field
	keys     []SortKey
	streams  []sqltypes.Rows
	items    []mergeItem
	tags     []string
	emptyTag string
	err      error
}

func (m *mergeRows) pull(ctx context.Context, i int, s sqltypes.Rows) error {
	row, err := s.Next(ctx)
	if err == io.EOF {
		m.tags = append(m.tags, s.Tag())
		return nil
	}
	if err != nil {
		return err
	}
	m.items = append(m.items, mergeItem{row: row, shard: i})
	return nil
}

func (m *mergeRows) Len() int { return len(m.items) }
func (m *mergeRows) Less(i, j int) bool {
	c, err := compareRows(m.items[i].row, m.items[j].row, m.keys)
	if err != nil && m.err == nil {
		m.err = err
	}
	if c == 0 {
		return m.items[i].shard < m.items[j].shard
	}
	return c < 0
}
func (m *mergeRows) Swap(i, j int) { m.items[i], m.items[j] = m.items[j], m.items[i] }
func (m *mergeRows) Push(x any)    { m.items = append(m.items, x.(mergeItem)) }
func (m *mergeRows) Pop() any {
	it := m.items[len(m.items)-1]
	m.items = m.items[:len(m.items)-1]
	return it
}

func (m *mergeRows) Fields() []sqltypes.Field { return m.fields }

func (m *mergeRows) Next(ctx context.Context) (sqltypes.Row, error) {
	if m.err != nil {
		return nil, m.err
	}
	if len(m.items) == 0 {
		return nil, io.EOF
	}
	top := m.items[0]
	row, err := m.streams[top.shard].Next(ctx)
	switch {
	case err == io.EOF:
		m.tags = append(m.tags, m.streams[top.shard].Tag())
		heap.Pop(m)
	case err != nil:
		m.err = err
		return nil, err
	default:
		m.items[0].row = row
		heap.Fix(m, 0)
	}
	if m.err != nil {
		return nil, m.err
	}
	return top.row, nil
}

func (m *mergeRows) Tag() string {
	if len(m.tags) == 0 {
		return m.emptyTag
	}
	return SumTags(m.tags)
}

func (m *mergeRows) Close() {
	for _, s := range m.streams {
		s.Close()
	}
}

// Inputs is the operator it reads.
func (m *MergeSort) Inputs() []Operator { return []Operator{m.Input} }
