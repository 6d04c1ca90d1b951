// Package planner turns a parsed statement into a plan: a small tree of
// the operators of package engine (Route, MergeSort, Aggregate, Sort,
// Limit, Distinct, Project, InsertSplit, Broadcast ...) that each do one
// thing. The planner only builds; EXPLAIN (ROUTE) prints the same tree that
// runs.
//
// # When a statement may run on shards whole
//
// A statement (or the part of it a route sends) goes to several shards only
// when the concatenation of their answers, merged as the plan says, equals
// what one PostgreSQL database holding every row would answer. The rules
// (placement.go):
//
//   - Every FROM item is replicated (reference tables, VALUES, functions,
//     CTEs and subqueries over them: the same rows on every shard) or
//     sharded (each row on one shard). Sharded tables inside subqueries or
//     CTEs are refused; a CTE name hides a table only inside its scope.
//   - Inner joins and FROM lists: all sharded items must be tied together
//     by equalities of their vindex columns (ON, USING or WHERE), with the
//     same vindex. Replicated items join anything.
//   - LEFT/RIGHT JOIN: the preserved side must be sharded whenever the
//     nullable side is, and the ON must equate a vindex column of each
//     side; a replicated preserved side would be NULL-extended once per
//     shard. FULL JOIN needs both sides sharded and tied. WHERE conditions
//     may tie tables on the preserved side, never on the nullable one.
//   - A key is a vindex column whose value, when not NULL, names the row's
//     shard. WHERE key = v, IN, lookup and range predicates prune to the
//     shards of the values; a value prunes only when the gate computes it
//     exactly as PostgreSQL compares it (routeValue: 2.5::int or a float8
//     cast never prune), and a predicate no row can meet (col = NULL) runs
//     on one shard so that aggregates and errors stay PostgreSQL's.
//   - GROUP BY or DISTINCT push down whole only when they include a key
//     that is never NULL: a table on the nullable side of an outer join (or
//     either side of a FULL JOIN) is NULL-extended on many shards, and its
//     NULL group would come back once per shard. Otherwise the gate merges
//     the shards' partial aggregates.
//   - Names resolve as PostgreSQL resolves them: in GROUP BY a bare name is
//     an input column when the FROM clause has one, else an output alias;
//     in ORDER BY the output alias wins; HAVING sees input columns only.
//   - What no rule covers is refused with 0A000 naming the construct.
package planner
