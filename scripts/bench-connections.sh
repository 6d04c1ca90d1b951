#!/usr/bin/env bash
# The gate's memory per client connection (issue 14's memory figure).
#
# One throwaway PostgreSQL 15 holds four databases s0..s3, the shards of a
# 4-shard keyspace; a second gate serves the default embedded SQLite
# keyspace. For each gate, pgbench opens N client connections (-c N -j 2)
# that each run one script once and sleep inside it while the gate's RSS
# (VmRSS) and Go heap (go_memstats_heap_inuse_bytes) are read:
#   idle         \sleep only: the connection is open, authenticated, idle
#   transaction  BEGIN; a point SELECT on the sharded table; \sleep; END
#                (Postgres keyspace only, transaction pool mode: every
#                client then holds one shard backend, as a client inside
#                a transaction does; in session mode, the default, a
#                client also keeps a backend on every shard it used)
# It prints the gate's RSS before, during and the difference per
# connection.
#
#   N=1000 HOLD=15 scripts/bench-connections.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
HOLD=${HOLD:-15}
WORK=$(mktemp -d /tmp/vitess-conns.XXXXXX)
chmod 755 "$WORK"
. scripts/pglib.sh
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

PGPORT=$(free_port); PGGATE=$(free_port); PGADMIN=$(free_port); LITEGATE=$(free_port); LITEADMIN=$(free_port)
cleanup() {
  kill ${PGGATEPID:-} ${LITEGATEPID:-} 2>/dev/null || true
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_OPTS="-c max_connections=$((N + 100)) -c max_prepared_transactions=64" pg_bench_db "$PGPORT" 1
shard_dbs "$PGPORT"
go build -o "$WORK/vitess" .
url() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1?sslmode=disable&pool_size=$((N / 4 + 50))"; }
{
  echo "limits: {maxConnections: $((N + 10))}"
  echo "admin: {pprof: $([ -n "${DEBUG:-}" ] && echo true || echo false)}"
  pgbench_keyspace url "{mode: transaction}"
} >"$WORK/pg.yaml"
echo "limits: {maxConnections: $((N + 10))}" >"$WORK/lite.yaml"
"$WORK/vitess" serve --config "$WORK/pg.yaml" --listen "127.0.0.1:$PGGATE" --admin "127.0.0.1:$PGADMIN" --data-dir "$WORK/pg-data" 2>"$WORK/pg-gate.log" &
PGGATEPID=$!
"$WORK/vitess" serve --config "$WORK/lite.yaml" --listen "127.0.0.1:$LITEGATE" --admin "127.0.0.1:$LITEADMIN" --data-dir "$WORK/lite-data" 2>"$WORK/lite-gate.log" &
LITEGATEPID=$!
for port in $PGGATE $LITEGATE; do
  for i in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
done
pgbench -i -q -s 1 -h 127.0.0.1 -p "$PGGATE" -U postgres main >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" "$WORK/pg-gate.log" >&2; exit 1; }
psql -X -q -h 127.0.0.1 -p "$LITEGATE" -U postgres -d main -c "CREATE TABLE t (id int PRIMARY KEY, v int)" >/dev/null

printf '\\sleep %ss\n' "$HOLD" >"$WORK/idle.sql"
printf 'BEGIN;\n\\set aid random(1, 100000)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n\\sleep %ss\nEND;\n' "$HOLD" >"$WORK/tx.sql"

rss() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; } # kB
heap() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^go_memstats_heap_inuse_bytes/{printf "%d", $2 / 1024}'; }
# measure label pid adminport gateport db script
measure() {
  local label=$1 pid=$2 admin=$3 port=$4 db=$5 script=$6
  local r0 h0 r1 h1 open
  r0=$(rss "$pid") h0=$(heap "$admin")
  pgbench -n -f "$script" -c "$N" -j 2 -t 1 -h 127.0.0.1 -p "$port" -U postgres "$db" >"$WORK/pgbench.log" 2>&1 &
  local bench=$!
  # wait until every client is connected (and in its script)
  for i in $(seq $((HOLD * 5))); do
    open=$(ss -Htn state established "( sport = :$port )" | wc -l)
    [ "$open" -ge "$N" ] && break
    sleep 0.2
  done
  # and, in the transaction script, holds its shard backend
  local backends=0 want=0
  [ "$script" = "$WORK/tx.sql" ] && want=$N
  for i in $(seq $((HOLD * 5))); do
    backends=$(psql -X -At -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 's_'")
    [ "$backends" -ge "$want" ] && break
    sleep 0.2
  done
  sleep 1
  [ -n "${DEBUG:-}" ] && curl -s "http://127.0.0.1:$admin/debug/pprof/goroutine?debug=1" >"${DEBUG}/goroutines-$(date +%s).txt"
  [ -n "${DEBUG:-}" ] && psql -X -At -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "SELECT datname, state, CASE WHEN state = 'idle' THEN left(query, 60) END, count(*) FROM pg_stat_activity WHERE datname LIKE 's_' GROUP BY 1, 2, 3 ORDER BY 1, 2" >&2
  r1=$(rss "$pid") h1=$(heap "$admin")
  wait "$bench" || { grep -v "^pgbench: error: client [0-9]* script" "$WORK/pgbench.log" | tail -5 >&2; grep -m3 "error" "$WORK/pgbench.log" >&2; }
  awk -v l="$label" -v n="$open" -v b="$backends" -v r0="$r0" -v r1="$r1" -v h0="$h0" -v h1="$h1" 'BEGIN {
    printf "%-34s %5d conns  RSS %6.1f -> %6.1f MB  (%5.1f kB/conn)  Go heap %6.1f -> %6.1f MB (%5.1f kB/conn)  shard backends %d\n",
      l, n, r0/1024, r1/1024, (r1-r0)/n, h0/1024, h1/1024, (h1-h0)/n, b }'
  sleep 3 # the connections close; the next measure starts from rest
}

echo "gate memory with $N client connections (pgbench -c $N -j 2), RSS and Go heap before -> during"
measure "sqlite keyspace, idle" "$LITEGATEPID" "$LITEADMIN" "$LITEGATE" main "$WORK/idle.sql"
measure "4 postgres shards, idle" "$PGGATEPID" "$PGADMIN" "$PGGATE" main "$WORK/idle.sql"
measure "4 postgres shards, in transaction" "$PGGATEPID" "$PGADMIN" "$PGGATE" main "$WORK/tx.sql"
