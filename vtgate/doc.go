// Package vtgate is the seed's VTGate: the gate-side session behind each
// client (Executor.NewSession is the wire server's SessionFactory), its
// transactions, savepoints and two-phase commit hand-off, settings,
// statement cache, cursors, SHOW vitess_* and the relay policy; and the Go
// API VTGate{Route, Plan, Execute}. It imports the planner, the engine and
// the wire server's interfaces; the wire server imports none of it.
package vtgate
