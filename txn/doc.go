// Package txn is the gate's two-phase commit: the Coordinator prepares a
// multi-shard transaction on every shard, logs the decision in the
// metadata store (DecisionLog), commits everywhere, and its resolver
// finishes or aborts what a crash left prepared. It sees shards through
// the Shard interface (shards.Tablet implements it) and transactions
// through engine's Preparer and Prepared.
package txn
