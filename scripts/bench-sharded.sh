#!/usr/bin/env bash
# The sharded path against the relay and PostgreSQL directly (issue 14's
# measurement).
#
# One throwaway PostgreSQL 15 holds the direct database "bench" (pgbench -i
# -s SCALE) and four more, s0..s3. Three things run in front of it:
#   relay    a gate whose unsharded keyspace is "bench" (pass-through relay)
#   sharded  a gate whose 4-shard keyspace "main" lives in s0..s3, with
#            pgbench_accounts by aid, branches by bid, tellers by tid and
#            history by aid (hash), loaded with pgbench -i through the gate
#   bouncer  PgBouncer (transaction pooling) in front of "bench", if
#            installed
# Then, ROUNDS times and interleaved (direct, relay, sharded, bouncer,
# rotating who goes first), pgbench -S -c CLIENTS -j 2 -T T in each of -M
# simple, extended and prepared, and the default TPC-B-like script in
# extended mode (direct and sharded). It prints each run's tps, its ratio to
# the direct run of the same round, the mean ratios, the decisions group
# commit put in one decision-log write, and the gate's CPU time per
# statement (utime+stime from /proc over the run, divided by the
# statements pgbench sent: 1 per -S transaction, 7 per TPC-B transaction).
#
#   T=15 ROUNDS=2 CLIENTS=8 SCALE=1 scripts/bench-sharded.sh
# (MODES="prepared" for one -S mode, MODES="" for none, TPCB=0 to skip TPC-B, PROFILE=dir for
# both gates' CPU profiles of each run: dir/TARGET-ARGS-TIME.pprof.)
set -euo pipefail
cd "$(dirname "$0")/.."
T=${T:-15}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-8}
SCALE=${SCALE:-1}
MODES=${MODES-"simple extended prepared"}
TPCB=${TPCB:-1}
WORK=$(mktemp -d /tmp/vitess-sharded.XXXXXX)
chmod 755 "$WORK"
. scripts/pglib.sh

PGPORT=$(free_port); RELAYPORT=$(free_port); SHARDPORT=$(free_port); BOUNCERPORT=$(free_port); ADMINPORT=$(free_port); RELAYADMIN=$(free_port)
cleanup() {
  kill ${RELAYPID:-} ${SHARDPID:-} 2>/dev/null || true
  [ -f "$WORK/bouncer/pid" ] && kill "$(cat "$WORK/bouncer/pid")" 2>/dev/null || true
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_OPTS="-c max_prepared_transactions=$((4 * CLIENTS + 8))" pg_bench_db "$PGPORT" "$SCALE"
shard_dbs "$PGPORT"
go build -o "$WORK/vitess" .
url() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1?sslmode=disable&pool_size=$((CLIENTS + 4))"; }
cat > "$WORK/relay.yaml" <<YAML
keyspaces:
  bench:
    sharded: false
    shards: {"-": "$(url bench)"}
YAML
pgbench_keyspace url >"$WORK/sharded.yaml"
RELAYADMINFLAG=off
if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE"
  for f in relay sharded; do echo "admin: {pprof: true}" >>"$WORK/$f.yaml"; done
  RELAYADMINFLAG=127.0.0.1:$RELAYADMIN
fi
"$WORK/vitess" serve --config "$WORK/relay.yaml" --listen "127.0.0.1:$RELAYPORT" --admin "$RELAYADMINFLAG" --data-dir "$WORK/relay-data" 2>"$WORK/relay.log" &
RELAYPID=$!
"$WORK/vitess" serve --config "$WORK/sharded.yaml" --listen "127.0.0.1:$SHARDPORT" --admin "127.0.0.1:$ADMINPORT" --data-dir "$WORK/sharded-data" 2>"$WORK/sharded.log" &
SHARDPID=$!
for port in $RELAYPORT $SHARDPORT; do
  for i in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
done
pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$SHARDPORT" -U postgres main >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" "$WORK/sharded.log" >&2; exit 1; }

bouncer_start "$BOUNCERPORT" "host=127.0.0.1 port=$PGPORT" $((CLIENTS + 4))
if [ -n "$BOUNCER" ]; then
  for i in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$BOUNCERPORT" && break; sleep 0.2; done
fi

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # clock ticks
TICK=$(getconf CLK_TCK)
# one run: target args...; prints "tps gate-us-per-statement"
run() {
  local target=$1 per=$2; shift 2
  local port db pid="" admin=""
  case $target in
    direct) port=$PGPORT db=bench ;;
    relay) port=$RELAYPORT db=bench pid=$RELAYPID admin=$RELAYADMIN ;;
    sharded) port=$SHARDPORT db=main pid=$SHARDPID admin=$ADMINPORT ;;
    bouncer) port=$BOUNCERPORT db=bench ;;
  esac
  local c0=0 curlpid=""
  [ -n "$pid" ] && c0=$(cpu "$pid")
  if [ -n "${PROFILE:-}" ] && [ -n "$admin" ]; then
    local name; name=$(echo "$target $*" | tr -c 'a-zA-Z0-9\n' -)
    curl -s -o "$PROFILE/$name-$(date +%s).pprof" "http://127.0.0.1:$admin/debug/pprof/profile?seconds=$((T - 1))" &
    curlpid=$!
  fi
  local out tps n
  out=$(pgbench -n "$@" -c "$CLIENTS" -j 2 -T "$T" -h 127.0.0.1 -p "$port" -U postgres "$db" 2>&1) || { echo "$target: $out" >&2; echo "0 0"; return; }
  [ -n "$curlpid" ] && wait "$curlpid"
  tps=$(echo "$out" | awk '/^tps = /{print $3; exit}')
  n=$(echo "$out" | awk '/number of transactions actually processed/{split($NF, a, "/"); print a[1]; exit}')
  if [ -n "$pid" ] && [ "${n:-0}" -gt 0 ]; then
    awk -v c="$(( $(cpu "$pid") - c0 ))" -v tick="$TICK" -v n="$n" -v per="$per" -v tps="$tps" 'BEGIN { printf "%s %.1f\n", tps, c / tick * 1e6 / (n * per) }'
  else
    echo "$tps -"
  fi
}

targets="direct relay sharded"
[ -n "$BOUNCER" ] && targets="$targets bouncer"
echo "pgbench -c $CLIENTS -j 2 -T $T, scale $SCALE, $ROUNDS rounds; tps (ratio to direct) [gate CPU us/statement]"
results=$WORK/results
for r in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    order=$targets
    [ $((r % 2)) = 0 ] && order=$(echo "$targets" | tr ' ' '\n' | tac | tr '\n' ' ')
    for tg in $order; do echo "S-$mode $r $tg $(run "$tg" 1 -S -M "$mode")" >>"$results"; done
  done
  if [ "$TPCB" = 1 ]; then
    order="direct sharded"; [ $((r % 2)) = 0 ] && order="sharded direct"
    for tg in $order; do echo "tpcb-extended $r $tg $(run "$tg" 7 -M extended)" >>"$results"; done
  fi
done
awk '
{ w=$1; r=$2; t=$3; tps[w,r,t]=$4; cpu[w,r,t]=$5; ws[w]=1; rs[r]=1; ts[t]=1 }
END {
  for (w in ws) {
    line = sprintf("%-14s", w)
    split("direct relay sharded bouncer", order, " ")
    for (k = 1; k <= 4; k++) {
      t = order[k]; if (!(t in ts)) continue
      s=0; n=0; cs=0; cn=0
      for (r in rs) if ((w,r,t) in tps && tps[w,r,"direct"] > 0) {
        s += tps[w,r,t]/tps[w,r,"direct"]; n++
        if (cpu[w,r,t] != "-") { cs += cpu[w,r,t]; cn++ }
      }
      if (n) line = line sprintf("  %s %.2f%s", t, s/n, cn ? sprintf(" [%.0fus]", cs/cn) : "")
    }
    print line
  }
}' "$results" | sort
if [ "$TPCB" = 1 ]; then
  curl -s "http://127.0.0.1:$ADMINPORT/metrics" | awk '/^vitess_2pc_decisions_total/{d=$2} /^vitess_2pc_decision_writes_total/{w=$2}
    END { if (w > 0) printf "two-phase commits: %d decisions in %d decision-log writes (%.2f per write)\n", d, w, d / w }'
fi
echo
echo "per run:"; sort "$results"
