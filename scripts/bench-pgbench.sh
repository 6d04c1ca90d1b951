#!/usr/bin/env bash
# pgbench through the gate, next to PostgreSQL directly and PgBouncer.
#
# Starts a throwaway PostgreSQL 15 (initdb/pg_ctl, as the postgres user when
# run as root), loads pgbench -i -s SCALE directly into it, starts the gate
# with that database as a single-shard (unsharded) keyspace and PgBouncer
# (Debian's, transaction pooling) in front of the same database, then runs
# pgbench -S -c CLIENTS -j 2 -T SECONDS in each of -M simple, extended and
# prepared, interleaved (direct, gate, pgbouncer, direct, ...), ROUNDS times,
# and prints tps, average latency, the ratio to direct, the gate's own
# CPU time per query and PgBouncer's, PostgreSQL's (from /proc), and the share of the
# machine's CPU time left idle during the run (/proc/stat).
#
#   SECONDS_PER_RUN=30 ROUNDS=1 CLIENTS=8 SCALE=10 scripts/bench-pgbench.sh
# (MODES="prepared" for one mode, GATE_GOMAXPROCS=N for the gate's Go
# scheduler, PROFILE=dir for CPU profiles, STRACE=file for syscall counts,
# BACKEND=unix to connect the gate and PgBouncer to PostgreSQL over its Unix
# socket instead of TCP, as when they run on the database's host;
# GATE_PREFIX="cmd args" runs the gate under a command, e.g. taskset.)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-${T:-30}}
ROUNDS=${ROUNDS:-1}
CLIENTS=${CLIENTS:-8}
SCALE=${SCALE:-10}
MODES=${MODES:-"simple extended prepared"}
BACKEND=${BACKEND:-tcp}
WORK=$(mktemp -d /tmp/vitess-pgbench.XXXXXX)
chmod 755 "$WORK"
. scripts/pglib.sh

PGPORT=$(free_port); GATEPORT=$(free_port); BOUNCERPORT=$(free_port); ADMINPORT=$(free_port)
cleanup() {
  [ -n "${GATEPID:-}" ] && kill "$GATEPID" 2>/dev/null || true
  [ -f "$WORK/bouncer/pid" ] && kill "$(cat "$WORK/bouncer/pid")" 2>/dev/null || true
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v pgbouncer >/dev/null || { apt-get install -y -qq pgbouncer >/dev/null 2>&1 || true; }
pg_bench_db "$PGPORT" "$SCALE"

go build -o "$WORK/vitess" .
if [ "$BACKEND" = unix ]; then
  GATE_BACKEND_URL="postgres://postgres@/bench?host=$WORK/pg&port=$PGPORT&sslmode=disable&pool_size=$((CLIENTS + 4))"
  BOUNCER_BACKEND="host=$WORK/pg port=$PGPORT"
else
  GATE_BACKEND_URL="postgres://postgres@127.0.0.1:$PGPORT/bench?sslmode=disable&pool_size=$((CLIENTS + 4))"
  BOUNCER_BACKEND="host=127.0.0.1 port=$PGPORT"
fi
cat > "$WORK/gate.yaml" <<YAML
keyspaces:
  bench:
    sharded: false
    shards: {"-": "$GATE_BACKEND_URL"}
YAML
if [ -n "${PROFILE:-}" ]; then
  echo "admin: {pprof: true}" >>"$WORK/gate.yaml" # /debug/pprof is off unless enabled
fi
GOMAXPROCS=${GATE_GOMAXPROCS:-$(nproc)} ${GATE_PREFIX:-} "$WORK/vitess" serve --config "$WORK/gate.yaml" --listen "127.0.0.1:$GATEPORT" --admin "127.0.0.1:$ADMINPORT" --data-dir "$WORK/gate-data" 2>"$WORK/gate.log" &
GATEPID=$!

bouncer_start "$BOUNCERPORT" "$BOUNCER_BACKEND" $((CLIENTS + 4))
for i in $(seq 50); do
  pg_isready -q -h 127.0.0.1 -p "$GATEPORT" && break
  sleep 0.2
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
idle_ticks() { awk '/^cpu /{print $5 + $6; exit}' /proc/stat; }
# PostgreSQL's CPU: the postmaster, its live children, and the children it
# has reaped (a backend's time moves to the postmaster's when it exits).
pg_ticks() {
  local pm; pm=$(head -1 "$WORK/pg/postmaster.pid")
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for c in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done
  } | awk '{s += $1} END {print s}'
}
per_query() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN{ if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-" }'; }

run() { # target port mode -> "tps latency_ms proxy_cpu_us_per_query|- idle_percent postgres_cpu_us_per_query"
  local target=$1 port=$2 mode=$3 before after out tps lat n cpu="-" idle pg0 pgcpu
  local pid=""
  [ "$target" = gate ] && pid=$GATEPID
  [ "$target" = pgbouncer ] && pid=$(cat "$WORK/bouncer/pid")
  [ -n "$pid" ] && before=$(cpu_ticks "$pid")
  local idle0; idle0=$(idle_ticks); pg0=$(pg_ticks)
  if [ "$target" = gate ] && [ -n "${PROFILE:-}" ]; then
    # PROFILE=dir: a CPU profile of the gate during each gate run
    mkdir -p "$PROFILE"
    curl -s -o "$PROFILE/gate-$mode.pprof" "http://127.0.0.1:$ADMINPORT/debug/pprof/profile?seconds=$((SECONDS_PER_RUN > 2 ? SECONDS_PER_RUN - 1 : 1))" &
  fi
  if [ "$target" = gate ] && [ -n "${STRACE:-}" ]; then
    # STRACE=file: count the gate's system calls during each gate run
    timeout "$SECONDS_PER_RUN" strace -c -f -o "$STRACE.$mode" -p "$GATEPID" 2>/dev/null &
  fi
  out=$(pgbench -n -S -M "$mode" -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -h 127.0.0.1 -p "$port" -U postgres bench 2>&1) || { echo "failed - - - -"; echo "$out" | tail -3 >&2; return; }
  tps=$(echo "$out" | awk '/^tps = /{print $3; exit}')
  lat=$(echo "$out" | awk '/^latency average = /{print $4; exit}')
  n=$(echo "$out" | awk '/number of transactions actually processed/{split($NF,a,"/"); print a[1]; exit}')
  idle=$(awk -v i=$(( $(idle_ticks) - idle0 )) -v hz="$TICK" -v t="$SECONDS_PER_RUN" -v c="$(nproc)" 'BEGIN{printf "%.1f", 100 * i / hz / t / c}')
  # Backends that served the run exit as their clients leave; their time
  # counts once the postmaster has reaped them.
  sleep 1
  pgcpu=$(per_query $(( $(pg_ticks) - pg0 )) "$n")
  if [ -n "$pid" ]; then
    after=$(cpu_ticks "$pid")
    cpu=$(per_query $((after - before)) "$n")
  fi
  echo "$tps $lat $cpu $idle $pgcpu"
}

declare -A TPS LAT CPU IDLE PGCPU
for round in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    for target in direct gate pgbouncer; do
      case $target in
        direct) port=$PGPORT ;;
        gate) port=$GATEPORT ;;
        pgbouncer) [ -n "$BOUNCER" ] || continue; port=$BOUNCERPORT ;;
      esac
      read -r tps lat cpu idle pgcpu < <(run "$target" "$port" "$mode")
      TPS[$target,$mode]="${TPS[$target,$mode]:-} $tps"
      LAT[$target,$mode]="${LAT[$target,$mode]:-} $lat"
      CPU[$target,$mode]="${CPU[$target,$mode]:-} $cpu"
      IDLE[$target,$mode]="${IDLE[$target,$mode]:-} $idle"
      PGCPU[$target,$mode]="${PGCPU[$target,$mode]:-} $pgcpu"
      echo "round $round $mode $target: tps=$tps latency=${lat}ms proxy_cpu_per_query=${cpu}us postgres_cpu_per_query=${pgcpu}us idle=${idle}%" >&2
    done
  done
done

avg() { echo "$*" | awk '{s=0;n=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) {s+=$i;n++}; if (n) printf "%.1f", s/n; else print "-"}'; }
echo
echo "pgbench -S -c $CLIENTS -j 2 -T $SECONDS_PER_RUN, scale $SCALE, $ROUNDS round(s), $(nproc) cores"
printf "%-9s %-10s %10s %12s %10s %18s %21s %8s\n" mode target tps "latency ms" "/direct" "proxy CPU/query us" "postgres CPU/query us" "idle %"
for mode in $MODES; do
  d=$(avg ${TPS[direct,$mode]})
  for target in direct gate pgbouncer; do
    [ -n "${TPS[$target,$mode]:-}" ] || continue
    t=$(avg ${TPS[$target,$mode]})
    ratio=$(awk -v a="$t" -v b="$d" 'BEGIN{ if (b > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a/b; else print "-" }')
    c="-"; [ "$target" != direct ] && c=$(avg ${CPU[$target,$mode]})
    printf "%-9s %-10s %10s %12s %10s %18s %21s %8s\n" "$mode" "$target" "$t" "$(avg ${LAT[$target,$mode]})" "$ratio" "$c" "$(avg ${PGCPU[$target,$mode]})" "$(avg ${IDLE[$target,$mode]})"
  done
done
