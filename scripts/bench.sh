#!/usr/bin/env bash
# Prints the gate's throughput next to the same statements run directly on
# one SQLite file, and the planner's cost per statement.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench 'BenchmarkGate|BenchmarkDirectSQLite' -benchtime "${BENCHTIME:-2s}" ./e2e ; go test -run '^$' -bench BenchmarkPlan -benchtime "${BENCHTIME:-2s}" ./planner/)
echo "$out" | grep -E '^Benchmark'
echo
echo "$out" | awk '
/^BenchmarkGate\//        { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); gate[a[2]] = $3 }
/^BenchmarkDirectSQLite\// { split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); direct[a[2]] = $3 }
END {
  printf "%-24s %14s %14s %12s %12s %8s\n", "query", "gate ns/op", "sqlite ns/op", "gate q/s", "sqlite q/s", "ratio"
  for (q in gate) if (q in direct)
    printf "%-24s %14d %14d %12.0f %12.0f %7.1fx\n", q, gate[q], direct[q], 1e9/gate[q], 1e9/direct[q], gate[q]/direct[q]
}'
