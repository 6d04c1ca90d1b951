package shards

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/dotdo/vitess/shards/postgres"
)

// histogram counts latencies in exponential buckets (each 1.25x the one
// before, from 10 µs to about 100 s), lock-free; percentiles are read off
// the buckets, interpolated within the bucket they fall in.
type histogram struct {
	counts [histBuckets]atomic.Int64
	total  atomic.Int64
	sum    atomic.Int64 // nanoseconds
}

const (
	histBuckets = 72
	histBase    = 10 * time.Microsecond
	histGrowth  = 1.25
)

// histBound is the upper bound of bucket i.
func histBound(i int) time.Duration {
	return time.Duration(float64(histBase) * math.Pow(histGrowth, float64(i)))
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	if d > histBase {
		i = int(math.Ceil(math.Log(float64(d)/float64(histBase)) / math.Log(histGrowth)))
	}
	if i >= histBuckets {
		i = histBuckets - 1
	}
	h.counts[i].Add(1)
	h.total.Add(1)
	h.sum.Add(int64(d))
}

// quantile is the latency below which q of the observations fall (0 with
// none).
func (h *histogram) quantile(q float64) time.Duration {
	var counts [histBuckets]int64
	var n int64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var seen int64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if float64(seen+c) >= rank {
			lo := time.Duration(0)
			if i > 0 {
				lo = histBound(i - 1)
			}
			frac := (rank - float64(seen)) / float64(c)
			return lo + time.Duration(frac*float64(histBound(i)-lo))
		}
		seen += c
	}
	return histBound(histBuckets - 1)
}

// buckets returns the cumulative counts per upper bound (Prometheus).
func (h *histogram) buckets() (bounds []time.Duration, cumulative []uint64, count uint64, sum time.Duration) {
	var acc uint64
	for i := 0; i < histBuckets; i++ {
		acc += uint64(h.counts[i].Load())
		bounds = append(bounds, histBound(i))
		cumulative = append(cumulative, acc)
	}
	return bounds, cumulative, acc, time.Duration(h.sum.Load())
}

// Stats is a tablet's health and counters at one moment.
type Stats struct {
	Keyspace, Shard, Engine string
	Healthy                 bool
	Queries, Errors         int64
	OpenTransactions        int64
	LastQuery               time.Time // zero before the first statement
	P50, P95, P99           time.Duration
}

// Stats reads the tablet's counters and latency percentiles.
func (t *Tablet) Stats() Stats {
	s := Stats{Keyspace: t.Keyspace, Shard: t.name, Engine: t.eng().Kind(), Healthy: t.Healthy(),
		Queries: t.Queries.Load(), Errors: t.Errors.Load(), OpenTransactions: t.OpenTransactions.Load(),
		P50: t.latency.quantile(0.50), P95: t.latency.quantile(0.95), P99: t.latency.quantile(0.99)}
	if ns := t.lastQuery.Load(); ns != 0 {
		s.LastQuery = time.Unix(0, ns).UTC()
	}
	return s
}

// LatencyBuckets are the tablet's latency histogram, cumulative per upper
// bound, with the count and sum of all observations (Prometheus).
func (t *Tablet) LatencyBuckets() (bounds []time.Duration, cumulative []uint64, count uint64, sum time.Duration) {
	return t.latency.buckets()
}

// PoolUsage is a Postgres shard's backend connections in use, idle, and
// the pool's bound (ok is false for engines without a pool).
func (t *Tablet) PoolUsage() (inUse, idle, size int, ok bool) {
	e, isPG := t.eng().(*postgres.Engine)
	if !isPG {
		return 0, 0, 0, false
	}
	inUse, idle, size = e.PoolUsage()
	return inUse, idle, size, true
}
