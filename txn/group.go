package txn

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/dotdo/vitess/metastore"
)

// Group commit: the commit decisions of transactions deciding at the same
// moment share one durable write. There is no timer: the first comer
// writes at once; whoever arrives while a write is under way queues, and
// when the write ends the first of the queue is woken to write the whole
// queue in one DecideMany. Under load the queue grows while a write syncs,
// so the writes per decision fall as the decisions per second rise.
type decisionGroup struct {
	mu      sync.Mutex
	writing bool
	queue   []*pendingDecision

	decisions, writes atomic.Int64 // commit decisions logged, and the writes that logged them
}

// DecisionStats returns the commit decisions the coordinator has logged
// and the decision-log writes they took (group commit shares writes).
func (c *Coordinator) DecisionStats() (decisions, writes int64) {
	return c.group.decisions.Load(), c.group.writes.Load()
}

type pendingDecision struct {
	d       metastore.Decision
	wake    chan bool // true: write the queue; false: decided
	outcome string
	err     error
}

// decideGrouped records the commit decision of dtid, in a write it shares
// with the decisions queued at the same moment.
func (c *Coordinator) decideGrouped(ctx context.Context, dtid string, body []byte) (string, error) {
	g := &c.group
	p := &pendingDecision{d: metastore.Decision{DTID: dtid, Outcome: "commit", Record: body}, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.writing {
		g.mu.Unlock()
		if lead := <-p.wake; !lead {
			return p.outcome, p.err
		}
		g.mu.Lock()
	}
	g.writing = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	c.writeQueue(ctx, batch, p)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- true // it writes the next batch
	} else {
		g.writing = false
	}
	g.mu.Unlock()
	return p.outcome, p.err
}

// writeQueue writes batch's decisions, with the finished records to
// forget, and tells every member but self its outcome.
func (c *Coordinator) writeQueue(ctx context.Context, batch []*pendingDecision, self *pendingDecision) {
	c.mu.Lock()
	finished := c.finished
	c.finished = nil
	c.mu.Unlock()
	ds := make([]metastore.Decision, len(batch))
	for i, p := range batch {
		ds[i] = p.d
	}
	outcomes, err := c.Log.DecideMany(ctx, ds, finished)
	c.group.writes.Add(1)
	if err == nil {
		c.group.decisions.Add(int64(len(ds)))
	}
	if err != nil {
		c.mu.Lock()
		c.finished = append(c.finished, finished...)
		c.mu.Unlock()
	}
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.outcome = outcomes[i]
		}
		if p != self {
			p.wake <- false
		}
	}
}
