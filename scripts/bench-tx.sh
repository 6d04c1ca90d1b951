#!/usr/bin/env bash
# Transaction throughput through the gate next to PostgreSQL directly.
#
# Starts a throwaway PostgreSQL 15 (initdb/pg_ctl, as the postgres user when
# run as root) with max_prepared_transactions, makes a gate keyspace of two
# Postgres shards (two databases of that server) and one plain database with
# the same rows, and runs two pgbench custom scripts against both: a
# transfer between two accounts on the same shard (one-phase commit) and
# between accounts on different shards (two-phase commit, with the gate's
# decision log in its SQLite metadata file). Prints tps and latency.
#
#   SECONDS_PER_RUN=30 CLIENTS=8 ACCOUNTS=10000 scripts/bench-tx.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-${T:-30}}
CLIENTS=${CLIENTS:-8}
ACCOUNTS=${ACCOUNTS:-10000}
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
WORK=$(mktemp -d /tmp/vitess-benchtx.XXXXXX)
chmod 755 "$WORK"
RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(su postgres -s /bin/sh -c)
as_pg() { if [ ${#RUNAS[@]} -gt 0 ]; then "${RUNAS[@]}" "$*"; else sh -c "$*"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
PGPORT=$(free_port); GATEPORT=$(free_port); ADMINPORT=$(free_port)
cleanup() {
  [ -n "${GATEPID:-}" ] && kill "$GATEPID" 2>/dev/null || true
  as_pg "$BIN/pg_ctl -D $WORK/pg -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/pg" && chown postgres "$WORK/pg" 2>/dev/null || true
as_pg "$BIN/initdb -D $WORK/pg -U postgres -A trust --no-sync -E UTF8 --locale=C" >/dev/null
as_pg "$BIN/pg_ctl -D $WORK/pg -o '-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c max_prepared_transactions=100 -c shared_buffers=256MB' -l $WORK/pg/log -w start" >/dev/null
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
for db in direct s1 s2; do "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null; done

go build -o "$WORK/vitess" .
cat > "$WORK/gate.yaml" <<YAML
keyspaces:
  main:
    sharded: true
    pool: {size: $((CLIENTS + 4))}
    shards:
      "-80": postgres://postgres@127.0.0.1:$PGPORT/s1?sslmode=disable
      "80-": postgres://postgres@127.0.0.1:$PGPORT/s2?sslmode=disable
    tables:
      accounts: {vindex: {type: hash, columns: [id]}}
      pairs1: {type: reference}
      pairs2: {type: reference}
YAML
"$WORK/vitess" serve --config "$WORK/gate.yaml" --listen "127.0.0.1:$GATEPORT" --admin "127.0.0.1:$ADMINPORT" --data-dir "$WORK/gate-data" 2>"$WORK/gate.log" &
GATEPID=$!
for i in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$GATEPORT" && break; sleep 0.2; done

GPSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$GATEPORT" -U postgres -d main)
SCHEMA="CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE pairs1 (n int PRIMARY KEY, a bigint, b bigint);
CREATE TABLE pairs2 (n int PRIMARY KEY, a bigint, b bigint);"
"${GPSQL[@]}" -c "$SCHEMA" >/dev/null
"${PSQL[@]}" -d direct -c "$SCHEMA" >/dev/null
seq 1 "$ACCOUNTS" | sed 's/$/\t1000/' > "$WORK/accounts.tsv"
"${GPSQL[@]}" -c "\\copy accounts FROM '$WORK/accounts.tsv'" >/dev/null
"${PSQL[@]}" -d direct -c "\\copy accounts FROM '$WORK/accounts.tsv'" >/dev/null
# Which ids each shard holds (read directly), paired within a shard and across.
"${PSQL[@]}" -d s1 -At -c "SELECT id FROM accounts ORDER BY id" > "$WORK/ids1"
"${PSQL[@]}" -d s2 -At -c "SELECT id FROM accounts ORDER BY id" > "$WORK/ids2"
N=$(( $(wc -l < "$WORK/ids1") < $(wc -l < "$WORK/ids2") ? $(wc -l < "$WORK/ids1") : $(wc -l < "$WORK/ids2") ))
N=$(( N / 2 ))
paste <(seq 1 "$N") <(head -n "$N" "$WORK/ids1") <(sed -n "$((N + 1)),$((2 * N))p" "$WORK/ids1") > "$WORK/pairs1.tsv"
paste <(seq 1 "$N") <(head -n "$N" "$WORK/ids1") <(head -n "$N" "$WORK/ids2") > "$WORK/pairs2.tsv"
for t in pairs1 pairs2; do
  "${GPSQL[@]}" -c "\\copy $t FROM '$WORK/$t.tsv'" >/dev/null
  "${PSQL[@]}" -d direct -c "\\copy $t FROM '$WORK/$t.tsv'" >/dev/null
done
for k in 1 2; do
  cat > "$WORK/transfer$k.sql" <<SQL
\\set n random(1, $N)
SELECT a, b FROM pairs$k WHERE n = :n \\gset
BEGIN;
UPDATE accounts SET balance = balance - 1 WHERE id = :a;
UPDATE accounts SET balance = balance + 1 WHERE id = :b;
END;
SQL
done

run() { # port db script -> "tps latency_ms"
  local out
  out=$(pgbench -n -f "$3" -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -h 127.0.0.1 -p "$1" -U postgres "$2" 2>&1) || { echo "failed -"; echo "$out" | tail -3 >&2; return; }
  echo "$(echo "$out" | awk '/^tps = /{print $3; exit}') $(echo "$out" | awk '/^latency average = /{print $4; exit}')"
}
echo
echo "pgbench -f transfer -c $CLIENTS -j 2 -T $SECONDS_PER_RUN, $ACCOUNTS accounts, 2 shards, $(nproc) cores"
printf "%-22s %-8s %10s %12s %8s\n" transaction target tps "latency ms" /direct
for k in 1 2; do
  name="single-shard"; [ $k = 2 ] && name="two-shard (2PC)"
  read -r dt dl < <(run "$PGPORT" direct "$WORK/transfer$k.sql")
  read -r gt gl < <(run "$GATEPORT" main "$WORK/transfer$k.sql")
  printf "%-22s %-8s %10s %12s %8s\n" "$name" direct "$dt" "$dl" "1.00"
  printf "%-22s %-8s %10s %12s %8s\n" "$name" gate "$gt" "$gl" "$(awk -v a="$gt" -v b="$dt" 'BEGIN{ if (b > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a/b; else print "-" }')"
done
curl -s "http://127.0.0.1:$ADMINPORT/metrics" | awk '/^vitess_2pc_decisions_total/{d=$2} /^vitess_2pc_decision_writes_total/{w=$2}
  END { if (w > 0) printf "two-phase commits: %d decisions in %d decision-log writes (%.2f per write)\n", d, w, d / w }'
total=$("${GPSQL[@]}" -At -c "SELECT sum(balance) FROM accounts")
prepared=$("${PSQL[@]}" -d s1 -At -c "SELECT count(*) FROM pg_prepared_xacts")
echo "after the runs: total balance through the gate $total (want $((ACCOUNTS * 1000))), prepared transactions left $prepared"
