package sdk

import "time"

// ClusterStatus is a keyspace's health, as the gate reports it (SHOW
// vitess_status, the admin HTTP /status, Client.Status).
type ClusterStatus struct {
	Keyspace     string        `json:"keyspace"`
	ShardCount   int           `json:"shardCount"`
	Engine       string        `json:"engine"` // sqlite, postgres or mixed
	Shards       []ShardStatus `json:"shards"`
	TotalQueries int64         `json:"totalQueries"`
	TotalErrors  int64         `json:"totalErrors"`
}

// ShardStatus is one shard's health and counters.
type ShardStatus struct {
	ID         string    `json:"id"`
	Healthy    bool      `json:"healthy"`
	Engine     string    `json:"engine"`
	QueryCount int64     `json:"queryCount"`
	ErrorCount int64     `json:"errorCount"`
	LastQuery  time.Time `json:"lastQuery"`
	Latency    Latency   `json:"latency"`
}

// Latency is a shard's query latency percentiles in milliseconds, from a
// histogram of every query since the gate started.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// VSchema is a keyspace's routing schema.
type VSchema struct {
	Keyspace string                  `json:"keyspace"`
	Sharded  bool                    `json:"sharded"`
	Tables   map[string]TableVSchema `json:"tables"`
	Vindexes map[string]Vindex       `json:"vindexes"`
}

// TableVSchema is how one table is placed.
type TableVSchema struct {
	Type   string  `json:"type,omitempty"` // "" (sharded) or "reference"
	Vindex *Vindex `json:"vindex,omitempty"`
	// Lookups are the table's secondary (lookup) vindexes, by name.
	Lookups       map[string]Vindex `json:"lookups,omitempty"`
	AutoIncrement *AutoIncrement    `json:"autoIncrement,omitempty"`
}

// Vindex maps column values to shards.
type Vindex struct {
	Type        string   `json:"type"`
	Columns     []string `json:"columns"`
	LookupTable string   `json:"lookupTable,omitempty"`
	Unique      bool     `json:"unique,omitempty"` // lookup vindexes
}

// AutoIncrement fills a column from a gate sequence.
type AutoIncrement struct {
	Column   string `json:"column"`
	Sequence string `json:"sequence"`
}
