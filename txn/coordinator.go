package txn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/metastore"
	"github.com/dotdo/vitess/sqltypes"
)

// The coordinator commits a transaction that touched several shards
// atomically (two-phase commit):
//
//  1. Phase one: every shard transaction is prepared under a global id
//     "vt-<dtid>-<n>" (Postgres: PREPARE TRANSACTION; SQLite: its redo is
//     collected, see sqlite_redo.go). A failure rolls everything back.
//  2. The decision "commit" is written to the decision log in the metadata
//     store, with the participants and the SQLite redo. The write is
//     first-writer-wins: a resolver that found the transaction prepared
//     and undecided for too long may have written "abort" first, and then
//     the coordinator rolls back.
//  3. Phase two: every prepared transaction is committed; when all are,
//     the record is removed.
//
// A resolver (Resolve, at startup and periodically, in any gate sharing
// the metadata store) finishes what a crash left: commit records are
// completed (COMMIT PREPARED; SQLite redo replayed unless its marker shows
// the commit happened), and prepared transactions without a decision older
// than AbortAfter are aborted (presumed abort).

// GIDPrefix starts the global id of every transaction the gate prepares.
const GIDPrefix = "vt-"

// DecisionLog is where commit decisions are kept durably (metastore.Store).
type DecisionLog interface {
	Decide(ctx context.Context, dtid, outcome string, record []byte, forget ...string) (string, error)
	DecideMany(ctx context.Context, ds []metastore.Decision, forget []string) ([]string, error)
	Decisions(ctx context.Context, outcome string) ([]metastore.Decision, error)
	Forget(ctx context.Context, dtids ...string) error
	ForgetAbortsBefore(ctx context.Context, t time.Time) error
}

// Coordinator runs multi-shard commits and resolves what crashes leave.
type Coordinator struct {
	Log DecisionLog
	// Tablets lists the gate's tablets (the resolver's shards).
	Tablets func() []Shard
	// AbortAfter is how long a prepared transaction with no decision is
	// left to its coordinator before a resolver aborts it (default 30s).
	AbortAfter time.Duration
	Logger     *slog.Logger
	// Visibility is held during phase two (see vtgate.Executor.Visibility);
	// nil for none.
	Visibility *engine.Visibility
	mu         sync.Mutex
	finished   []string // records to remove with the next decision (or resolve)
	group      decisionGroup

	// Failpoint (tests: env VITESS_FAILPOINT) kills the process at a step
	// of the commit: "after-prepare" or "after-decision".
	Failpoint string
	// BeforePhaseTwo (tests) runs after the decision is logged, before
	// phase two: a test stops a shard's server there.
	BeforePhaseTwo func()
}

type txRecord struct {
	Participants []txParticipant `json:"participants"`
}

type txParticipant struct {
	Keyspace string          `json:"keyspace"`
	Shard    string          `json:"shard"`
	GID      string          `json:"gid"`
	Location string          `json:"location"`
	Redo     json.RawMessage `json:"redo,omitempty"`
}

func (c *Coordinator) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Coordinator) abortAfter() time.Duration {
	if c.AbortAfter > 0 {
		return c.AbortAfter
	}
	return 30 * time.Second
}

func (c *Coordinator) failpoint(step string) {
	if c.Failpoint == step {
		c.logger().Error("failpoint: killing the gate", "step", step)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	}
}

// visibilityWait bounds how long phase two waits for scatter reads to get
// their snapshots; past it the commit goes on without the barrier (a read
// blocked on the transaction's locks would otherwise wait for it forever).
const visibilityWait = 2 * time.Second

func newDTID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrCommitUnknown is returned when the decision could not be recorded nor
// known: the transaction stays prepared and a resolver will decide it.
var ErrCommitUnknown = errors.New("the outcome of the commit is unknown: the decision log could not be written; a resolver will finish or roll back the transaction")

// Commit commits the participants' transactions, atomically when there are
// several. Participants whose Tx has a Location (tablets) are logged with
// it.
func (c *Coordinator) Commit(ctx context.Context, parts []engine.Participant) error {
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0].Tx.Commit(ctx)
	}
	if c == nil || c.Log == nil {
		return sqltypes.Unsupported("a multi-shard commit needs the decision log")
	}
	dtid := newDTID()
	prepared, err := prepareAll(ctx, parts, dtid)
	if err != nil {
		return err
	}
	rec := txRecord{Participants: make([]txParticipant, len(parts))}
	for i, p := range parts {
		loc := ""
		if l, ok := p.Tx.(interface{ Location() string }); ok {
			loc = l.Location()
		}
		rec.Participants[i] = txParticipant{Keyspace: p.Keyspace, Shard: p.Shard, GID: gid(dtid, i), Location: loc, Redo: prepared[i].Redo()}
	}
	c.failpoint("after-prepare")
	body, err := json.Marshal(rec)
	if err != nil {
		rollbackAll(ctx, parts, prepared)
		return err
	}
	// From here on the outcome must not depend on the client staying.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	outcome, err := c.decide(bg, dtid, body)
	if err != nil {
		return err
	}
	if outcome != "commit" {
		rollbackAll(ctx, parts, prepared)
		return sqltypes.Errorf(sqltypes.SerializationFailure, "the multi-shard transaction was aborted by a resolver before it could commit")
	}
	c.failpoint("after-decision")
	if c.BeforePhaseTwo != nil {
		c.BeforePhaseTwo()
	}
	if c.Visibility != nil {
		if release := c.Visibility.Commit(visibilityWait); release != nil {
			defer release()
		}
	}
	c.commitAll(bg, dtid, rec, prepared)
	return nil
}

// gid is the global id of a transaction's i-th participant.
func gid(dtid string, i int) string { return fmt.Sprintf("%s%s-%d", GIDPrefix, dtid, i) }

// prepareAll runs phase one on every shard at once; on any failure it
// rolls back everywhere.
func prepareAll(ctx context.Context, parts []engine.Participant, dtid string) ([]engine.Prepared, error) {
	preps := make([]engine.Preparer, len(parts))
	for i, p := range parts {
		pr, ok := p.Tx.(engine.Preparer)
		if !ok {
			rollbackAll(ctx, parts, nil)
			return nil, sqltypes.Unsupported("shard %s/%s cannot take part in a multi-shard commit", p.Keyspace, p.Shard)
		}
		preps[i] = pr
	}
	prepared := make([]engine.Prepared, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sqltypes.CatchPanic("PREPARE TRANSACTION", &errs[i])
			prepared[i], errs[i] = preps[i].Prepare(ctx, gid(dtid, i))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		rollbackAll(ctx, parts, prepared)
		return nil, fmt.Errorf("%w (the transaction was rolled back on every shard)", firstError(errs))
	}
	return prepared, nil
}

// decide logs the commit decision (group-committed with the decisions
// made at the same moment, and the records of finished commits to forget)
// and returns the outcome the log holds.
func (c *Coordinator) decide(ctx context.Context, dtid string, body []byte) (string, error) {
	outcome, err := c.decideGrouped(ctx, dtid, body)
	if err == nil {
		return outcome, nil
	}
	// The write may or may not have happened: ask for abort; the record
	// that is there decides.
	outcome, err = c.Log.Decide(ctx, dtid, "abort", nil)
	if err != nil {
		c.logger().Error("decision log unavailable; transaction left prepared for the resolver", "dtid", dtid, "err", err)
		return "", ErrCommitUnknown
	}
	return outcome, nil
}

// commitAll runs phase two on every shard at once. A shard that fails owes
// the commit: it finishes it before it serves again, or the resolver does.
func (c *Coordinator) commitAll(ctx context.Context, dtid string, rec txRecord, prepared []engine.Prepared) {
	errs := make([]error, len(prepared))
	var wg sync.WaitGroup
	for i, p := range prepared {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sqltypes.CatchPanic("COMMIT PREPARED", &errs[i])
			errs[i] = p.Commit(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c.logger().Warn("phase two failed; the shard finishes it before it serves again, or the resolver does", "dtid", dtid, "shard", rec.Participants[i].Keyspace+"/"+rec.Participants[i].Shard, "err", err)
			c.owe(rec.Participants[i])
		}
	}
	if errors.Join(errs...) == nil {
		// The record goes with the next decision's write (one sync for
		// both), or at the next resolve. The SQLite markers go later, in
		// the resolver: deleting them here would wait for the shards'
		// write locks in the client's commit.
		c.mu.Lock()
		c.finished = append(c.finished, dtid)
		c.mu.Unlock()
	}
}

// owe tells the participant's tablet that it owes the commit (see owed.go).
func (c *Coordinator) owe(p txParticipant) {
	if c.Tablets == nil {
		return
	}
	c.sameShard(p.Location, func(t Shard) { t.Owe(p.GID, p.Redo) })
}

// sameShard calls fn for every tablet of the shard at location: the one
// that location names and those reaching the same database as another
// role (users' shardUser), which must not read a half-finished commit
// either.
func (c *Coordinator) sameShard(location string, fn func(Shard)) {
	if c.Tablets == nil {
		return
	}
	db := databaseOf(location)
	for _, t := range c.Tablets() {
		if databaseOf(t.Location()) == db {
			fn(t)
		}
	}
}

// rollbackAll rolls back every participant: through its Prepared when
// phase one got that far.
func rollbackAll(ctx context.Context, parts []engine.Participant, prepared []engine.Prepared) {
	bg := context.WithoutCancel(ctx)
	for i, p := range parts {
		if prepared != nil && prepared[i] != nil {
			_ = prepared[i].Rollback(bg)
			continue
		}
		_ = p.Tx.Rollback(bg)
	}
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// markerAge is how old a SQLite commit marker must be before the resolver
// drops it (when no unfinished commit names it).
const markerAge = 10 * time.Minute

// Resolve finishes committed transactions that a crash left unfinished and
// aborts prepared transactions left undecided for longer than AbortAfter.
// It reports the first error and goes on with the rest.
func (c *Coordinator) Resolve(ctx context.Context) error {
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	c.forgetFinished(ctx, note)
	tablets := c.Tablets()
	commits, err := c.Log.Decisions(ctx, "commit")
	if err != nil {
		return err
	}
	committed, keep := c.finishCommitted(ctx, tablets, commits, note)
	c.abortUndecided(ctx, tablets, committed, note)
	for _, t := range tablets {
		note(t.ForgetApplied(ctx, keep, time.Now().Add(-markerAge)))
	}
	note(c.Log.ForgetAbortsBefore(ctx, time.Now().Add(-24*time.Hour)))
	return first
}

// forgetFinished removes the records of commits that finished since the
// last decision (kept for the next try if the log cannot be written).
func (c *Coordinator) forgetFinished(ctx context.Context, note func(error)) {
	c.mu.Lock()
	finished := c.finished
	c.finished = nil
	c.mu.Unlock()
	if len(finished) == 0 {
		return
	}
	if err := c.Log.Forget(ctx, finished...); err != nil {
		c.mu.Lock()
		c.finished = append(c.finished, finished...)
		c.mu.Unlock()
		note(err)
	}
}

// finishCommitted runs phase two of every logged commit on the shards this
// gate has, and forgets those that finished everywhere. It returns the
// committed transaction ids and the SQLite markers still needed.
func (c *Coordinator) finishCommitted(ctx context.Context, tablets []Shard, commits []metastore.Decision, note func(error)) (map[string]bool, []string) {
	byLoc := map[string]Shard{}
	for _, t := range tablets {
		byLoc[t.Location()] = t
	}
	committed := map[string]bool{}
	var keep []string // SQLite markers an unfinished commit still needs
	for _, d := range commits {
		committed[d.DTID] = true
		var rec txRecord
		if err := json.Unmarshal(d.Record, &rec); err != nil {
			note(fmt.Errorf("decision %s: %w", d.DTID, err))
			continue
		}
		finished := c.finishRecord(ctx, byLoc, rec, note)
		if finished {
			if err := c.Log.Forget(ctx, d.DTID); err != nil {
				note(err)
				finished = false
			}
		}
		if !finished {
			for _, p := range rec.Participants {
				keep = append(keep, p.GID)
			}
			continue
		}
		c.logger().Info("resolver finished a committed transaction", "dtid", d.DTID)
	}
	return committed, keep
}

// finishRecord commits one decided transaction's participants and reports
// whether all of them are done.
func (c *Coordinator) finishRecord(ctx context.Context, byLoc map[string]Shard, rec txRecord, note func(error)) bool {
	finished := true
	for _, p := range rec.Participants {
		t := byLoc[p.Location]
		if t == nil {
			finished = false // another gate's shard
			continue
		}
		var err error
		if strings.HasPrefix(p.Location, "sqlite:") {
			err = t.ApplyRedo(ctx, p.GID, p.Redo)
		} else {
			err = t.FinishPrepared(ctx, p.GID, true)
		}
		if err != nil {
			finished = false
			note(err)
			c.sameShard(p.Location, func(t Shard) { t.Owe(p.GID, p.Redo) })
		} else {
			c.sameShard(p.Location, func(t Shard) { t.Paid(p.GID) })
		}
	}
	return finished
}

// abortUndecided aborts (presumed abort) the prepared transactions that
// have no commit decision and are older than AbortAfter.
func (c *Coordinator) abortUndecided(ctx context.Context, tablets []Shard, committed map[string]bool, note func(error)) {
	for _, t := range tablets {
		xs, err := t.PreparedXacts(ctx, GIDPrefix)
		if err != nil {
			note(err)
			continue
		}
		for _, x := range xs {
			dtid := dtidOf(x.GID)
			if committed[dtid] {
				continue // finished above, or its shard is down
			}
			if time.Since(x.Prepared) < c.abortAfter() {
				continue // its coordinator may still decide
			}
			outcome, err := c.Log.Decide(ctx, dtid, "abort", nil)
			if err != nil {
				note(err)
				continue
			}
			if err := t.FinishPrepared(ctx, x.GID, outcome == "commit"); err != nil {
				note(err)
				continue
			}
			c.logger().Info("resolver finished a prepared transaction", "gid", x.GID, "outcome", outcome)
		}
	}
}

// dtidOf is the transaction id in a global id "vt-<dtid>-<n>".
func dtidOf(gid string) string {
	s := strings.TrimPrefix(gid, GIDPrefix)
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return s[:i]
	}
	return s
}
