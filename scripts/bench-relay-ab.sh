#!/usr/bin/env bash
# A/B of two gate settings on the relayed (single-shard) path.
#
# Starts a throwaway PostgreSQL 15 (as the postgres user when run as root)
# loaded with pgbench -i -s SCALE, and two gates built from this tree in
# front of it, gate A with the environment A_ENV and gate B with B_ENV.
# Each round runs pgbench -S -M MODE -c 8 -j 2 -T SECONDS directly, then
# through A and B, alternating which of the two goes first (A B, B A, ...)
# so that neither gains from its place. Prints each round's tps and the
# geometric mean of B/A. On a shared 2-core machine single runs move by
# 10% or more, so read the mean over many rounds, and check the harness
# with A_ENV equal to B_ENV first.
#
#   A_ENV="VITESS_RELAY_YIELD=0" B_ENV="" MODE=prepared ROUNDS=10 T=8 scripts/bench-relay-ab.sh
#
# A_BIN=path runs gate A from another binary (an older build, to A/B a
# change of code rather than of settings).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${T:-8}
ROUNDS=${ROUNDS:-10}
MODE=${MODE:-prepared}
CLIENTS=${CLIENTS:-8}
SCALE=${SCALE:-10}
A_ENV=${A_ENV:-}
B_ENV=${B_ENV:-}
WORK=$(mktemp -d /tmp/vitess-ab.XXXXXX)
chmod 755 "$WORK"
. scripts/pglib.sh

PGPORT=$(free_port); PORT_A=$(free_port); PORT_B=$(free_port)
cleanup() {
  kill ${PID_A:-} ${PID_B:-} 2>/dev/null || true
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

pg_bench_db "$PGPORT" "$SCALE"

go build -o "$WORK/vitess" .
cat > "$WORK/gate.yaml" <<YAML
keyspaces:
  bench:
    sharded: false
    shards: {"-": "postgres://postgres@127.0.0.1:$PGPORT/bench?sslmode=disable&pool_size=$((CLIENTS + 4))"}
YAML
cp "${A_BIN:-$WORK/vitess}" "$WORK/vitess-a"
start_gate() { # port env dir
  bin="$WORK/vitess"; [ "$3" = a ] && bin="$WORK/vitess-a"
  env $2 "$bin" serve --config "$WORK/gate.yaml" --listen "127.0.0.1:$1" --admin off --data-dir "$WORK/$3" 2>"$WORK/$3.log" &
}
start_gate "$PORT_A" "$A_ENV" a; PID_A=$!
start_gate "$PORT_B" "$B_ENV" b; PID_B=$!
for port in $PORT_A $PORT_B; do
  for i in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
done

run() { pgbench -n -S -M "$MODE" -c "$CLIENTS" -j 2 -T "$T" -h 127.0.0.1 -p "$1" -U postgres bench 2>&1 | awk '/^tps = /{print $3; exit}'; }

echo "pgbench -S -M $MODE -c $CLIENTS -j 2 -T $T; A: ${A_BIN:-this tree} ${A_ENV:-(default)}; B: this tree ${B_ENV:-(default)}"
for r in $(seq "$ROUNDS"); do
  d=$(run "$PGPORT")
  if [ $((r % 2)) = 1 ]; then a=$(run "$PORT_A"); b=$(run "$PORT_B"); else b=$(run "$PORT_B"); a=$(run "$PORT_A"); fi
  echo "$r $d $a $b"
done | awk '{
  printf "round %d: direct %.0f  A %.0f (%.2f)  B %.0f (%.2f)  B/A %.3f\n", $1, $2, $3, $3/$2, $4, $4/$2, $4/$3
  l += log($4/$3); ra += $3/$2; rb += $4/$2; n++
} END { if (n) printf "mean A/direct %.3f, B/direct %.3f, geometric mean B/A %.3f over %d rounds\n", ra/n, rb/n, exp(l/n), n }'
