#!/usr/bin/env bash
# Load and faults (TestSoak in e2e/soak_test.go): scripts/soak.sh [duration]
# [clients] runs that many clients (default 200) on loopback for the
# duration (default 2m) against a gate process over two Postgres servers,
# mixing point reads, scatter reads, lookup reads, inserts and multi-shard
# transfers, kills one server a third of the way in and restarts it 10 s
# later, then checks the invariants (sums, row counts, lookup entries, no
# prepared transactions left) and prints throughput, errors by SQLSTATE and
# the gate's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -count=1 -timeout 30m -run '^TestSoak$' -v ./e2e -soak="${1:-2m}" -soak.clients="${2:-200}"
