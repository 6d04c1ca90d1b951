package sqltypes

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// Encoded is implemented by row streams whose values are already encoded in
// the result formats the client asked for (a shard's DataRows forwarded as
// they came), so the wire server must send them without converting.
type Encoded interface {
	Formats() []int16
}

// Bound is one execution's parameters: decoded for the planner (routing
// needs values), and as the client sent them, for forwarding unchanged.
type Bound struct {
	Args          []any
	Raw           [][]byte // nil for the simple protocol
	ParamOIDs     []uint32 // the parameter types the client's values are encoded for
	ParamFormats  []int16  // per parameter (expanded), nil: all text
	ResultFormats []int16  // per result column (expanded), nil: all text
	// Text is the statement as the client wrote it when the plan was made
	// from its normalized form (literals as parameters, Args their values):
	// routes that pass the statement through send Text, unchanged.
	Text string
}

// ArgsOf returns b's decoded arguments (nil-safe).
func (b *Bound) ArgsOf() []any {
	if b == nil {
		return nil
	}
	return b.Args
}

// Notices collects the NoticeResponses shards send while a client's
// statement runs; the wire server relays them in order. Safe for concurrent
// use (a scatter's shards run in parallel).
type Notices struct {
	mu   sync.Mutex
	list []*pgconn.Notice
}

// Add queues a notice.
func (n *Notices) Add(x *pgconn.Notice) {
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
}

// Take returns and forgets the queued notices.
func (n *Notices) Take() []*pgconn.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.list
	n.list = nil
	return out
}

// WithNotices returns a context whose shard notices go to n.
func WithNotices(ctx context.Context, n *Notices) context.Context {
	return withValue(ctx, n)
}

// NoticesFrom returns the context's notice queue, or nil.
func NoticesFrom(ctx context.Context) *Notices { return valueOf[*Notices](ctx) }

type txOwnerKey struct{}

// WithTxOwner marks ctx with the client session that owns the shard
// transactions begun under it (deadlock detection between SQLite shards).
func WithTxOwner(ctx context.Context, owner uint64) context.Context {
	return context.WithValue(ctx, txOwnerKey{}, owner)
}

var txOwners atomic.Uint64

// NewTxOwner returns an owner id no other caller in the process gets: one
// per client session, one per gate-run job (a backfill).
func NewTxOwner() uint64 { return txOwners.Add(1) }

// TxOwner is the session WithTxOwner set, or 0.
func TxOwner(ctx context.Context) uint64 {
	o, _ := ctx.Value(txOwnerKey{}).(uint64)
	return o
}
