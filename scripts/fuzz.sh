#!/usr/bin/env bash
# Runs each fuzz target for a bounded time: scripts/fuzz.sh [seconds]
# (default 15 per target). A crash is written to the package's
# testdata/fuzz/FuzzX/ and fails the run; commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
targets=(
	"FuzzStartup ./proxy"    # startup and authentication bytes (SCRAM, cleartext)
	"FuzzConn ./proxy"       # message sequences after login
	"FuzzPlan ./planner"     # statements against a sharded/reference/lookup vschema
	"FuzzTranslate ./dialect" # Postgres to SQLite translation
)
for t in "${targets[@]}"; do
	set -- $t
	echo "fuzz: $1 in $2 for ${secs}s"
	go test -run '^$' -fuzz "^$1\$" -fuzztime "${secs}s" -parallel 2 "$2"
done
