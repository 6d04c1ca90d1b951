// Package engine holds the operators a plan is made of (Route, MergeSort,
// Aggregate, Sort, Limit, Distinct, Filter, Project, InsertSplit,
// Broadcast, RefWrite, LookupDML, Maintenance, the COPY operators), one per
// file, and the interfaces they need from shards (env.go). Every operator
// reports its inputs, so walks over a plan (EXPLAIN, Leaves,
// MayWriteSeveralShards) need no type switch. The planner builds these
// trees; the session runs them.
package engine
