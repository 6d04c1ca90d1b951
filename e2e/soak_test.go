package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestSoak is the load-and-faults run of scripts/soak.sh, skipped unless
// -soak is given: many clients on loopback mix point reads, scatter reads,
// lookup reads, inserts and multi-shard transfers against a gate process
// over two Postgres servers, one of which is killed and restarted once.
// It ends by checking the invariants and prints throughput, errors by
// SQLSTATE and the gate's peak RSS.
var (
	soakDuration = flag.Duration("soak", 0, "run TestSoak for this long (0: skip)")
	soakClients  = flag.Int("soak.clients", 200, "concurrent clients")
)

const soakAccounts, soakBalance = 1000, 1000

type soakStats struct {
	mu        sync.Mutex
	ok        map[string]int    // statement kind -> successes
	errs      map[string]int    // SQLSTATE (or "net") -> count
	samples   map[string]string // SQLSTATE -> one message
	acked     []int64           // event ids whose INSERT succeeded
	attempted atomic.Int64
	badSums   atomic.Int64 // scatter sums that were not the total
	badAt     []string     // when (since the start) and by how much, the first ones
	start     time.Time
	misses    atomic.Int64 // acked events a lookup did not find
}

func TestSoak(t *testing.T) {
	if *soakDuration == 0 {
		t.Skip("run with -soak=2m (scripts/soak.sh)")
	}
	// synchronous_commit on: the killed server must keep what it acknowledged.
	a := pgtest.StartWith(t, "-c synchronous_commit=on")
	b := pgtest.StartWith(t, "-c synchronous_commit=on")
	_, ua := a.CreateDB(t)
	_, ub := b.CreateDB(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`transactions: {abortAfter: 5s, resolveInterval: 1s}
keyspaces:
  main:
    sharded: true
    shards: {"-80": %q, "80-": %q}
    vindexes:
      email_lookup: {type: lookup, columns: [email], table: lookup.events_email, unique: true}
    tables:
      accounts: {vindex: {type: hash, columns: [id]}}
      events: {vindex: {type: hash, columns: [id]}, lookups: [email_lookup]}
  lookup:
    sharded: false
    shards: {"-": "sqlite:%s/lookup.db"}
`, ua, ub, dir)
	addr, pid := gatetest.StartProcess(t, dir, cfg)
	url := "postgres://app@" + addr + "/main?sslmode=disable"
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	gatetest.MustExec(t, c, "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)")
	gatetest.MustExec(t, c, "CREATE TABLE events (id bigint PRIMARY KEY, email text, note text)")
	var vals []string
	for i := 1; i <= soakAccounts; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d)", i, soakBalance))
	}
	gatetest.MustExec(t, c, "INSERT INTO accounts VALUES "+strings.Join(vals, ", "))

	start := time.Now()
	st := &soakStats{ok: map[string]int{}, errs: map[string]int{}, samples: map[string]string{}, start: start}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < *soakClients; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); soakClient(url, w, st, stop) }()
	}
	// the fault: kill server b a third of the way in, restart it 10 s later
	time.Sleep(*soakDuration / 3)
	b.Stop()
	t.Logf("%s: killed shard 80- (immediate stop)", time.Since(start).Round(time.Second))
	time.Sleep(10 * time.Second)
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: restarted shard 80-", time.Since(start).Round(time.Second))
	time.Sleep(time.Until(start.Add(*soakDuration)))
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	soakReport(t, st, elapsed, pid)
	// a fresh session: c's shard connection to 80- died with the server
	c.Close(ctx)
	if c, err = pgx.Connect(ctx, url); err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	soakCheck(t, c, st, a, b)
}

// soakClient runs one client's mix until stop, reconnecting when its
// connection is lost.
func soakClient(url string, w int, st *soakStats, stop chan struct{}) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(uint64(w), 7))
	var c *pgx.Conn
	seq := int64(0)
	for {
		select {
		case <-stop:
			if c != nil {
				c.Close(ctx)
			}
			return
		default:
		}
		if c == nil || c.IsClosed() {
			var err error
			if c, err = pgx.Connect(ctx, url); err != nil {
				st.note("connect", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
		}
		kind, err := soakStatement(ctx, c, r, w, &seq, st)
		st.note(kind, err)
	}
}

func soakStatement(ctx context.Context, c *pgx.Conn, r *rand.Rand, w int, seq *int64, st *soakStats) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch p := r.IntN(100); {
	case p < 35:
		var bal int64
		return "point read", c.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = $1", 1+r.IntN(soakAccounts)).Scan(&bal)
	case p < 50:
		var sum, n int64
		err := c.QueryRow(ctx, "SELECT sum(balance), count(*) FROM accounts").Scan(&sum, &n)
		if err == nil && sum != soakAccounts*soakBalance {
			if st.badSums.Add(1) <= 20 {
				st.mu.Lock()
				st.badAt = append(st.badAt, fmt.Sprintf("%s:%+d", time.Since(st.start).Round(100*time.Millisecond), sum-soakAccounts*soakBalance))
				st.mu.Unlock()
			}
		}
		return "scatter read", err
	case p < 75:
		x, y := 1+r.IntN(soakAccounts), 1+r.IntN(soakAccounts)
		return "transfer", pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return transfer(ctx, tx, x, y, 1) })
	case p < 90:
		*seq++
		id := int64(w)*1_000_000 + *seq
		st.attempted.Add(1)
		_, err := c.Exec(ctx, "INSERT INTO events (id, email, note) VALUES ($1, $2, 'soak')", id, fmt.Sprintf("e%d@x", id))
		if err == nil {
			st.mu.Lock()
			st.acked = append(st.acked, id)
			st.mu.Unlock()
		}
		return "insert", err
	default:
		st.mu.Lock()
		if len(st.acked) == 0 {
			st.mu.Unlock()
			return "lookup read", nil
		}
		id := st.acked[r.IntN(len(st.acked))]
		st.mu.Unlock()
		var got int64
		err := c.QueryRow(ctx, "SELECT id FROM events WHERE email = $1", fmt.Sprintf("e%d@x", id)).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && got != id {
			st.misses.Add(1)
		}
		return "lookup read", err
	}
}

func (st *soakStats) note(kind string, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err == nil {
		st.ok[kind]++
		return
	}
	code := "net/other"
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code = pe.Code
	}
	st.errs[code]++
	if _, ok := st.samples[code]; !ok {
		st.samples[code] = kind + ": " + err.Error()
	}
}

func soakReport(t *testing.T, st *soakStats, elapsed time.Duration, pid int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	total := 0
	var kinds []string
	for k, n := range st.ok {
		total += n
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	var codes []string
	nerr := 0
	for k, n := range st.errs {
		nerr += n
		codes = append(codes, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(codes)
	fmt.Printf("soak: %d clients, %s: %d statements ok (%.0f/s): %s\n", *soakClients, elapsed.Round(time.Second), total, float64(total)/elapsed.Seconds(), strings.Join(kinds, ", "))
	fmt.Printf("soak: %d errors by SQLSTATE: %s\n", nerr, strings.Join(codes, ", "))
	for _, c := range codes {
		k, _, _ := strings.Cut(c, ":")
		fmt.Printf("soak:   e.g. %s: %s\n", k, st.samples[k])
	}
	fmt.Printf("soak: scatter sums not the total: %d %v; acked events a lookup missed: %d\n", st.badSums.Load(), st.badAt, st.misses.Load())
	fmt.Printf("soak: gate peak RSS %s\n", gatetest.ProcStatus(pid, "VmHWM"))
}

// soakCheck checks the invariants at rest: the total is kept, every acked
// event is there and found by its lookup, the lookup table holds exactly
// the events' emails, and no prepared transaction is left on the shards.
func soakCheck(t *testing.T, c *pgx.Conn, st *soakStats, servers ...*pgtest.Server) {
	ctx := context.Background()
	var left int
	for i := 0; i < 60; i++ {
		left = 0
		for _, s := range servers {
			out, err := s.Psql("postgres", "-At", "-c", "SELECT count(*) FROM pg_prepared_xacts")
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			var n int
			fmt.Sscan(string(out), &n)
			left += n
		}
		if left == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	if left != 0 {
		t.Errorf("%d prepared transactions left on the shards", left)
	}
	var sum, n int64
	if err := c.QueryRow(ctx, "SELECT sum(balance), count(*) FROM accounts").Scan(&sum, &n); err != nil || sum != soakAccounts*soakBalance || n != soakAccounts {
		t.Errorf("accounts: sum %d count %d (want %d, %d): %v", sum, n, soakAccounts*soakBalance, soakAccounts, err)
	}
	var events, lookups int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM lookup.events_email").Scan(&lookups); err != nil {
		t.Fatal(err)
	}
	acked, attempted := int64(len(st.acked)), st.attempted.Load()
	if events < acked || events > attempted || lookups != events {
		t.Errorf("events: %d rows, %d lookup entries, %d acked, %d attempted", events, lookups, acked, attempted)
	}
	missing := 0
	for _, id := range st.acked {
		var got int64
		if err := c.QueryRow(ctx, "SELECT id FROM events WHERE email = $1", fmt.Sprintf("e%d@x", id)).Scan(&got); err != nil || got != id {
			missing++
		}
	}
	if missing > 0 || st.misses.Load() > 0 {
		t.Errorf("%d acked events not found by their lookup at rest, %d during the run", missing, st.misses.Load())
	}
	fmt.Printf("soak: at rest: sum %d over %d accounts, %d events (%d acked, %d attempted), %d lookup entries, %d prepared transactions left\n", sum, n, events, acked, attempted, lookups, left)
}
