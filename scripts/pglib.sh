# Shared by the benchmark scripts (source it): a throwaway PostgreSQL in
# $WORK/pg loaded with pgbench's tables, run as the postgres user when the
# script runs as root.
#   pg_bench_db PORT SCALE   initdb, start on PORT, create and load "bench"
#                            (PG_OPTS: more server options, -c name=value)
#   pg_stop                  stop it (for the script's cleanup)
#   shard_dbs PORT           create the databases s0..s3 on it
#   pgbench_keyspace URLFN [POOL]  print the yaml of keyspace "main": 4
#                            shards s0..s3 (URLFN DB prints a shard's URL),
#                            pgbench's tables sharded by aid, bid, tid, aid;
#                            POOL: a pool line ("{mode: transaction}")
#   bouncer_start PORT BACKEND POOL  PgBouncer (transaction pooling) on PORT
#                            for database bench at BACKEND ("host=... port=...");
#                            sets BOUNCER=1 when it is installed
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(su postgres -s /bin/sh -c)
as_pg() { if [ ${#RUNAS[@]} -gt 0 ]; then "${RUNAS[@]}" "$*"; else sh -c "$*"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pg_bench_db() {
  local port=$1 scale=$2
  mkdir -p "$WORK/pg" && chown postgres "$WORK/pg" 2>/dev/null || true
  as_pg "$BIN/initdb -D $WORK/pg -U postgres -A trust --no-sync -E UTF8 --locale=C" >/dev/null
  as_pg "$BIN/pg_ctl -D $WORK/pg -o '-p $port -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB ${PG_OPTS:-}' -l $WORK/pg/log -w start" >/dev/null
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE bench" >/dev/null
  pgbench -i -q -s "$scale" -h 127.0.0.1 -p "$port" -U postgres bench >/dev/null 2>&1
}

shard_dbs() {
  for i in 0 1 2 3; do
    psql -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "CREATE DATABASE s$i" >/dev/null
  done
}

pgbench_keyspace() {
  local url=$1 pool=${2:-}
  cat <<YAML
keyspaces:
  main:
    sharded: true
${pool:+    pool: $pool
}    shards:
      "-40": "$($url s0)"
      "40-80": "$($url s1)"
      "80-c0": "$($url s2)"
      "c0-": "$($url s3)"
    tables:
      pgbench_accounts: {vindex: {type: hash, columns: [aid]}}
      pgbench_branches: {vindex: {type: hash, columns: [bid]}}
      pgbench_tellers: {vindex: {type: hash, columns: [tid]}}
      pgbench_history: {vindex: {type: hash, columns: [aid]}}
YAML
}

pg_stop() { as_pg "$BIN/pg_ctl -D $WORK/pg -m immediate stop" >/dev/null 2>&1 || true; }

bouncer_start() {
  local port=$1 backend=$2 pool=$3
  BOUNCER=""
  command -v pgbouncer >/dev/null || return 0
  mkdir -p "$WORK/bouncer"
  cat > "$WORK/bouncer/pgbouncer.ini" <<INI
[databases]
bench = $backend dbname=bench user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
auth_type = trust
auth_file = $WORK/bouncer/users.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 200
unix_socket_dir =
logfile = $WORK/bouncer/log
pidfile = $WORK/bouncer/pid
INI
  echo '"postgres" ""' > "$WORK/bouncer/users.txt"
  chown -R postgres "$WORK/bouncer" 2>/dev/null || true
  as_pg "pgbouncer -d $WORK/bouncer/pgbouncer.ini" >/dev/null 2>&1 && BOUNCER=1
}
