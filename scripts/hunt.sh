#!/usr/bin/env bash
# Random differential hunting (TestHunt in e2e/hunt/hunt_test.go) for as long as
# asked: scripts/hunt.sh [minutes] runs rounds of one random seed each on
# every engine (sqlite, postgres, mixed) until the minutes are spent, and
# prints each round's statement counts, the differences found and their
# minimal statements. Extra arguments go to go test, e.g.
#   scripts/hunt.sh 30 -hunt.disable=shadow_cte,zero_column
# ROUND (default 120s) is the hunting time per engine in one round. To
# hunt one engine per process, in parallel:
#   scripts/hunt.sh 60 -hunt.engines=postgres
set -uo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
shift || true
ROUND=${ROUND:-120s}
LOG=${LOG:-$(mktemp /tmp/vitess-hunt.XXXXXX.log)}
end=$(( $(date +%s) + MINUTES * 60 ))
round=0
BIN=$(mktemp /tmp/vitess-hunt.XXXXXX.test)
trap 'rm -f "$BIN"' EXIT
go test -c -o "$BIN" ./e2e/hunt || exit 1
# The test binary reads ../../testdata/hunt: it runs in its package directory.
cd e2e/hunt
echo "hunting for $MINUTES minutes, $ROUND per engine and round; full log in $LOG"
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  seed=$(( $(date +%s%N) % 1000000000 + 1 ))
  echo "== round $round, seed $seed"
  "$BIN" -test.run 'TestHunt$' -test.v -test.count=1 -test.timeout=0 \
    -hunt.seed="$seed" -hunt.duration="$ROUND" -hunt.enable=all -hunt.shrinks=150 "$@" 2>&1 | tee -a "$LOG" |
    grep -E 'hunt (sqlite|postgres|mixed):|HUNT |minimal:|features:' || true
done
echo "== done; grep -A3 'HUNT ' $LOG for every difference"
