#!/usr/bin/env bash
# Fidelity of an UNSHARDED keyspace over one PostgreSQL shard, measured with
# PostgreSQL's own regression suite (src/test/regress of the installed server
# version).
#
# The same pg_regress schedule runs twice against one freshly initdb'ed
# PostgreSQL 15 server: once directly, once through the gate (keyspace
# `regression`, sharded: false, session pool, one postgres:// shard pointing
# at the server's `regression` database). Each test's psql output
# (results/<test>.out) of the two runs is then compared byte for byte.
#
#   scripts/pg-regress.sh                 # whole parallel_schedule
#   PG_REGRESS_TESTS="test_setup int4" scripts/pg-regress.sh   # a few tests
#
# Environment (all optional):
#   PG_REGRESS_WORK       work dir (default ./.pg-regress-work in the repo); kept
#                         afterwards for inspection, recreated runs wipe their parts
#   PG_REGRESS_SRC_CACHE  dir holding (or receiving) the Debian source package
#                         postgresql-15_<version>.dsc/.orig.tar.*/.debian.tar.*
#                         (default <work>/src-cache)
#   PG_REGRESS_SCHEDULE   schedule file name in the regress dir or a path
#                         (default parallel_schedule)
#   PG_REGRESS_TESTS      run these tests (in order, one at a time) instead of
#                         the schedule; remember most need test_setup first
#   PG_REGRESS_POOL       gate pool size (default 40)
#   PG_REGRESS_TEST_TIMEOUT  seconds one test's psql may run (default 120)
#   PG_REGRESS_MAX_CONNECTIONS  pg_regress --max-connections (default unlimited)
#   PG_REGRESS_SKIP_DIRECT=1    reuse <work>/direct from an earlier run
#   PG_REGRESS_SETUP_DIRECT=1   in the gate run, load test_setup directly on the
#                         server and compare the other tests only (separates
#                         the cascade of a refused statement in test_setup)
#   PG_REGRESS_SHOW_DIFFS N     print the start of the first N diffs (default 5)
#   PGBIN                 server binaries (default /usr/lib/postgresql/15/bin)
#
# Prints: tests in the schedule, how many produced byte-identical output through
# the gate, the differing tests with the start of their diffs (all diffs in
# <work>/fidelity.diff), and pg_regress's pass counts of both runs. Exits 0
# when both runs completed, whatever the figures; non-zero only when the
# harness itself failed (no source, server or gate did not start, ...).
#
# Both runs use the same server, database settings (what pg_regress's own
# create_database() sets), --dlpath and --outputdir (renamed to direct/ and
# gate/ afterwards), because the suite writes those paths into files it reads
# back. Between the runs the cluster goes back to its state after initdb
# (databases, roles, tablespaces and prepared transactions a run left).
# Work dir layout: direct/ and gate/ (pg_regress.log, regression.diffs,
# results/), fidelity.diff, postgres.log, gate.log, gate.yaml.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PG_REGRESS_WORK:-$ROOT/.pg-regress-work}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CACHE=${PG_REGRESS_SRC_CACHE:-$WORK/src-cache}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_REGRESS=${PG_REGRESS:-/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress}
POOL_SIZE=${PG_REGRESS_POOL:-40}
TEST_TIMEOUT=${PG_REGRESS_TEST_TIMEOUT:-120}
PKG=postgresql-15

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'pg-regress: %s\n' "$*" >&2; exit 1; }

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
# The server (and pg_regress, whose psql writes the result files the server
# also writes into with COPY TO) runs as `postgres` when we are root.
as_pg() {
  if [ "$IS_ROOT" -eq 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

[ -x "$PGBIN/initdb" ] || die "no PostgreSQL server binaries in $PGBIN (scripts/install-deps.sh installs them)"
[ -x "$PG_REGRESS" ] || die "no pg_regress at $PG_REGRESS"
command -v go >/dev/null || die "go is not installed"

PKGVER=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) || die "package $PKG is not installed"
PKGVER_NOEPOCH=${PKGVER#*:}
UPVER=${PKGVER_NOEPOCH%%-*}
log "server package $PKG $PKGVER (upstream $UPVER)"

# ---------------------------------------------------------------------------
# 1. The regression suite source: Debian source package, private apt config.
# ---------------------------------------------------------------------------
find_orig() { ls "$CACHE"/"${PKG}_${UPVER}".orig.tar.* 2>/dev/null | head -n1 || true; }
mkdir -p "$CACHE"
ORIG=$(find_orig)
if [ -z "$ORIG" ]; then
  log "downloading source package $PKG=$PKGVER into $CACHE"
  APTDIR=$WORK/apt
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  cat >"$APTDIR/sources.list" <<'EOF'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian-security bookworm-security main
EOF
  APT=(apt-get -q
    -o Dir::Etc::SourceList="$APTDIR/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$APTDIR/lists"
    -o Dir::Cache="$APTDIR/cache"
    -o APT::Sandbox::User="$(id -un)")
  [ "$IS_ROOT" -eq 1 ] || APT+=(-o Debug::NoLocking=1)
  "${APT[@]}" update >&2
  (cd "$CACHE" && "${APT[@]}" source --download-only "$PKG=$PKGVER" >&2)
  ORIG=$(find_orig)
  [ -n "$ORIG" ] || die "apt-get source did not leave ${PKG}_${UPVER}.orig.tar.* in $CACHE"
else
  log "using cached source $ORIG"
fi

SRC=$WORK/src
REGDIR=$SRC/src/test/regress
if [ ! -f "$SRC/.extracted-$UPVER" ]; then
  log "extracting src/test/regress"
  rm -rf "$SRC"
  mkdir -p "$SRC"
  tar -xf "$ORIG" -C "$SRC" --strip-components=1 "postgresql-$UPVER/src/test/regress"
  # Debian's patches of this version do not touch src/test/regress; apply any
  # that would, so that the suite matches the packaged server.
  DEBTAR=$(ls "$CACHE"/"${PKG}_${PKGVER_NOEPOCH}".debian.tar.* 2>/dev/null | head -n1 || true)
  if [ -n "$DEBTAR" ]; then
    mkdir -p "$SRC/.debian"
    tar -xf "$DEBTAR" -C "$SRC/.debian"
    if [ -f "$SRC/.debian/debian/patches/series" ]; then
      while read -r p _; do
        case "$p" in ''|'#'*) continue ;; esac
        f=$SRC/.debian/debian/patches/$p
        if grep -q '^+++ .*src/test/regress/' "$f" 2>/dev/null; then
          log "applying debian patch $p (regress part)"
          (cd "$SRC" && patch -p1 -s --no-backup-if-mismatch <"$f") || log "warning: patch $p did not apply"
        fi
      done <"$SRC/.debian/debian/patches/series"
    fi
  fi
  touch "$SRC/.extracted-$UPVER"
fi
[ -f "$REGDIR/parallel_schedule" ] || die "no $REGDIR/parallel_schedule"

# ---------------------------------------------------------------------------
# 2. regress.so (C functions of the suite) plus the contrib modules it loads
#    (autoinc, refint) in one --dlpath directory, the same for both runs.
# ---------------------------------------------------------------------------
LIBDIR=$WORK/lib
mkdir -p "$LIBDIR"
PGCONFIG=$PGBIN/pg_config
[ -x "$PGCONFIG" ] || PGCONFIG=pg_config
PKGLIBDIR=$("$PGCONFIG" --pkglibdir)
for m in autoinc refint; do
  [ -f "$PKGLIBDIR/$m.so" ] && ln -sf "$PKGLIBDIR/$m.so" "$LIBDIR/$m.so"
done
REGRESS_SO=missing
if [ -f "$LIBDIR/regress.so" ] && [ "$LIBDIR/regress.so" -nt "$REGDIR/regress.c" ]; then
  REGRESS_SO=built
else
  INCDIR=$("$PGCONFIG" --includedir-server)
  if [ ! -f "$INCDIR/postgres.h" ] && [ "$IS_ROOT" -eq 1 ]; then
    log "installing postgresql-server-dev-15 for the server headers"
    inst() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-server-dev-15 >>"$WORK/apt-install.log" 2>&1; }
    inst || { apt-get update -qq >>"$WORK/apt-install.log" 2>&1 && inst; } ||
      log "warning: could not install postgresql-server-dev-15"
  fi
  if [ -f "$INCDIR/postgres.h" ] && command -v gcc >/dev/null; then
    # shellcheck disable=SC2046
    if gcc $("$PGCONFIG" --cflags_sl) -O2 -Wno-unused -Wno-missing-prototypes -Wno-declaration-after-statement \
        -I"$INCDIR" -shared -o "$LIBDIR/regress.so" "$REGDIR/regress.c" >"$WORK/regress-so.log" 2>&1; then
      REGRESS_SO=built
    else
      log "warning: building regress.so failed (see $WORK/regress-so.log); tests that need it fail in both runs"
    fi
  else
    log "warning: no server headers ($INCDIR/postgres.h) or no gcc; running without regress.so (tests that need it fail in both runs)"
  fi
fi
log "regress.so: $REGRESS_SO"

# ---------------------------------------------------------------------------
# Ports, processes, cleanup.
# ---------------------------------------------------------------------------
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    local p
    for p in $(seq 25000 26000); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port"
  fi
}

PGDATA_DIR=$WORK/pgdata
GATE_PID=
SERVER_UP=0
cleanup() {
  local rc=$?
  if [ -n "$GATE_PID" ] && kill -0 "$GATE_PID" 2>/dev/null; then
    kill -TERM "$GATE_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GATE_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$GATE_PID" 2>/dev/null || true
  fi
  if [ "$SERVER_UP" -eq 1 ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# 3. A fresh PostgreSQL server, the way `make check` makes its temp instance:
#    C locale, UTF8, pg_regress's extra settings.
# ---------------------------------------------------------------------------
PGPORT_SRV=$(free_port)
rm -rf "$PGDATA_DIR"
mkdir -p "$PGDATA_DIR"
RUNDIR=$WORK/run
: >"$WORK/postgres.log"
[ "$IS_ROOT" -eq 1 ] && chown postgres: "$PGDATA_DIR" "$LIBDIR" "$WORK/postgres.log"
chmod 755 "$WORK"
cd "$WORK"
log "initdb $PGDATA_DIR"
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust --no-sync \
  --locale=C --encoding=UTF8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cat >>"$PGDATA_DIR/postgresql.conf" <<EOF

# pg-regress.sh
port = $PGPORT_SRV
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
# as pg_regress's temp instance
log_autovacuum_min_duration = 0
log_checkpoints = on
log_line_prefix = '%m %b[%p] %q%a '
log_lock_waits = on
log_temp_files = 128kB
max_prepared_transactions = 2
EOF
log "starting PostgreSQL on 127.0.0.1:$PGPORT_SRV"
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/postgres.log" -w -t 60 start >/dev/null ||
  { tail -n 30 "$WORK/postgres.log" >&2; die "server did not start"; }
SERVER_UP=1

admin_sql() { # admin_sql DB SQL...
  local db=$1; shift
  local args=() s
  for s in "$@"; do args+=(-c "$s"); done
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT_SRV" -U postgres -d "$db" "${args[@]}"
}
admin_val() { as_pg "$PGBIN/psql" -X -A -t -h 127.0.0.1 -p "$PGPORT_SRV" -U postgres -d postgres -c "$1"; }

BASE_ROLES=$(admin_val "SELECT rolname FROM pg_roles ORDER BY 1")
BASE_SPCS=$(admin_val "SELECT spcname FROM pg_tablespace ORDER BY 1")
BASE_DBS=$(admin_val "SELECT datname FROM pg_database ORDER BY 1")

# The database pg_regress would create (create_database() in pg_regress.c).
create_regression_db() {
  admin_sql postgres \
    "CREATE DATABASE regression TEMPLATE=template0 ENCODING='UTF8' LC_COLLATE='C' LC_CTYPE='C'" \
    "ALTER DATABASE regression SET lc_messages TO 'C'" \
    "ALTER DATABASE regression SET lc_monetary TO 'C'" \
    "ALTER DATABASE regression SET lc_numeric TO 'C'" \
    "ALTER DATABASE regression SET lc_time TO 'C'" \
    "ALTER DATABASE regression SET bytea_output TO 'hex'" \
    "ALTER DATABASE regression SET timezone_abbreviations TO 'Default'"
}
# Back to the state before the first run: no regression database, and none of
# the databases, tablespaces, roles or prepared transactions a run left behind.
reset_cluster() {
  local x
  for x in $(admin_val "SELECT gid FROM pg_prepared_xacts"); do
    as_pg "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT_SRV" -U postgres -d "$(admin_val "SELECT database FROM pg_prepared_xacts WHERE gid = '$x'")" -c "ROLLBACK PREPARED '$x'" || true
  done
  for x in $(admin_val "SELECT datname FROM pg_database ORDER BY 1"); do
    grep -qxF "$x" <<<"$BASE_DBS" || admin_sql postgres "DROP DATABASE \"$x\" WITH (FORCE)"
  done
  for x in $(admin_val "SELECT spcname FROM pg_tablespace ORDER BY 1"); do
    grep -qxF "$x" <<<"$BASE_SPCS" || admin_sql postgres "DROP TABLESPACE \"$x\"" || true
  done
  for x in $(admin_val "SELECT rolname FROM pg_roles ORDER BY 1"); do
    grep -qxF "$x" <<<"$BASE_ROLES" || admin_sql postgres "DROP OWNED BY \"$x\" CASCADE" "DROP ROLE \"$x\"" || true
  done
  create_regression_db
}

# ---------------------------------------------------------------------------
# 4. The two runs. Both use the same --outputdir (the suite puts
#    PG_ABS_BUILDDIR and --dlpath into files it writes and reads), which is
#    then renamed to direct/ or gate/.
# ---------------------------------------------------------------------------
SCHED_ARGS=()
SCHEDULE_FILE=
if [ -n "${PG_REGRESS_TESTS:-}" ]; then
  SCHEDULE_FILE=$WORK/tests_schedule
  : >"$SCHEDULE_FILE"
  for t in $PG_REGRESS_TESTS; do echo "test: $t" >>"$SCHEDULE_FILE"; done
else
  s=${PG_REGRESS_SCHEDULE:-parallel_schedule}
  if [ -f "$s" ]; then SCHEDULE_FILE=$(cd "$(dirname "$s")" && pwd)/$(basename "$s")
  else SCHEDULE_FILE=$REGDIR/$s; fi
fi
[ -f "$SCHEDULE_FILE" ] || die "no schedule $SCHEDULE_FILE"
MAXCONN_ARGS=()
[ -n "${PG_REGRESS_MAX_CONNECTIONS:-}" ] && MAXCONN_ARGS+=(--max-connections="$PG_REGRESS_MAX_CONNECTIONS")
SETUP_DIRECT=${PG_REGRESS_SETUP_DIRECT:-0}
# With PG_REGRESS_SETUP_DIRECT=1 the gate run loads test_setup directly on the
# server and runs the rest of the schedule through the gate: one refused
# statement in test_setup (say COPY FROM a file) empties tables that most
# later tests read, and this separates that cascade from the other causes.
GATE_SCHEDULE=$SCHEDULE_FILE
if [ "$SETUP_DIRECT" = 1 ]; then
  GATE_SCHEDULE=$WORK/gate_schedule
  grep -vE '^test:[[:space:]]*test_setup[[:space:]]*$' "$SCHEDULE_FILE" >"$GATE_SCHEDULE"
  echo "test: test_setup" >"$WORK/setup_schedule"
fi

# pg_regress_into PORT SCHEDULE LOG: one pg_regress invocation into $RUNDIR.
pg_regress_into() {
  as_pg "$PG_REGRESS" --use-existing --host=127.0.0.1 --port="$1" --user=postgres \
    --dbname=regression --bindir="$PGBIN" --dlpath="$LIBDIR" \
    --inputdir="$REGDIR" --outputdir="$RUNDIR" --max-concurrent-tests=20 \
    --launcher="timeout -k 10 $TEST_TIMEOUT" \
    --schedule="$2" ${MAXCONN_ARGS[@]+"${MAXCONN_ARGS[@]}"} >>"$3" 2>&1
}

run_regress() { # run_regress NAME PORT SCHEDULE
  local name=$1 port=$2 sched=$3 rc=0 t0 t1 logf=$WORK/pg_regress-$1.log
  rm -rf "$RUNDIR" "$WORK/$name"
  mkdir -p "$RUNDIR"
  : >"$logf"
  [ "$IS_ROOT" -eq 1 ] && chown postgres: "$RUNDIR" "$logf"
  t0=$(date +%s)
  if [ "$name" = gate ] && [ "$SETUP_DIRECT" = 1 ]; then
    log "pg_regress test_setup directly on the server (PG_REGRESS_SETUP_DIRECT=1)"
    pg_regress_into "$PGPORT_SRV" "$WORK/setup_schedule" "$logf" || log "warning: test_setup failed on the server"
    # the next pg_regress starts its own regression.out/.diffs
    for f in regression.out regression.diffs; do
      [ -f "$RUNDIR/$f" ] && mv "$RUNDIR/$f" "$RUNDIR/setup-$f"
    done
  fi
  log "pg_regress $name run (port $port)"
  pg_regress_into "$port" "$sched" "$logf" || rc=$?
  t1=$(date +%s)
  mv "$RUNDIR" "$WORK/$name"
  mv "$logf" "$WORK/$name/pg_regress.log"
  log "$name run: pg_regress exit $rc in $((t1 - t0)) s"
}

if [ "${PG_REGRESS_SKIP_DIRECT:-0}" = 1 ] && [ -d "$WORK/direct/results" ]; then
  log "reusing $WORK/direct"
else
  reset_cluster
  run_regress direct "$PGPORT_SRV" "$SCHEDULE_FILE"
fi

# The gate, built from this tree.
log "building the gate"
(cd "$ROOT" && go build -o "$WORK/vitess" .) || die "go build failed"
GATE_PORT=$(free_port)
GATE_DATA=$WORK/gate-data
rm -rf "$GATE_DATA"
mkdir -p "$GATE_DATA"
cat >"$WORK/gate.yaml" <<EOF
listen: 127.0.0.1:$GATE_PORT
keyspaces:
  regression:
    sharded: false
    pool: {mode: session, size: $POOL_SIZE}
    shards:
      "-": postgres://postgres@127.0.0.1:$PGPORT_SRV/regression?sslmode=disable
EOF

reset_cluster
log "starting the gate on 127.0.0.1:$GATE_PORT"
"$WORK/vitess" serve --config "$WORK/gate.yaml" --listen "127.0.0.1:$GATE_PORT" --admin off \
  --data-dir "$GATE_DATA" >"$WORK/gate.log" 2>&1 &
GATE_PID=$!
ready=0
for _ in $(seq 1 60); do
  kill -0 "$GATE_PID" 2>/dev/null || { tail -n 30 "$WORK/gate.log" >&2; die "the gate exited"; }
  if "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$GATE_PORT" -U postgres -d regression -c "SELECT 1" >/dev/null 2>&1; then
    ready=1; break
  fi
  sleep 0.5
done
[ "$ready" -eq 1 ] || { tail -n 30 "$WORK/gate.log" >&2; die "the gate did not answer within 30 s"; }
run_regress gate "$GATE_PORT" "$GATE_SCHEDULE"

# ---------------------------------------------------------------------------
# 5. Compare.
# ---------------------------------------------------------------------------
mapfile -t TESTS < <(sed -n 's/^test:[[:space:]]*//p' "$SCHEDULE_FILE" | tr -s ' \t' '\n' | sed '/^$/d')
if [ "$SETUP_DIRECT" = 1 ]; then
  mapfile -t TESTS < <(printf '%s\n' "${TESTS[@]}" | grep -vxF test_setup)
fi
DIFF=$WORK/fidelity.diff
: >"$DIFF"
identical=0
differing=()
for t in "${TESTS[@]}"; do
  a=$WORK/direct/results/$t.out b=$WORK/gate/results/$t.out
  if [ -f "$a" ] && [ -f "$b" ] && cmp -s "$a" "$b"; then
    identical=$((identical + 1))
  else
    differing+=("$t")
    if [ -f "$a" ] && [ -f "$b" ]; then
      diff -u --label "direct/$t.out" --label "gate/$t.out" "$a" "$b" >>"$DIFF" || true
    else
      printf '=== %s: result file missing (direct: %s, gate: %s)\n' "$t" \
        "$([ -f "$a" ] && echo present || echo missing)" "$([ -f "$b" ] && echo present || echo missing)" >>"$DIFF"
    fi
  fi
done

# pg_regress's own verdicts per test of the compared list: ok, FAILED,
# ignored (a failure of an "ignore" test), timeout (killed by the launcher's
# timeout, exit code 124), none (no verdict line).
printf '%s\n' "${TESTS[@]}" >"$WORK/compared_tests"
verdicts() { # verdicts RUN -> "test verdict" lines, in schedule order
  sed -nE 's/^(test |     )? *([a-zA-Z0-9_.-]+) +\.\.\. +(ok|FAILED|failed \(ignored\))(.*)$/\2 \3\4/p' "$WORK/$1/pg_regress.log" |
    awk 'NR == FNR { want[$1] = 1; next }
         ($1 in want) { v = $2; if (v == "failed") v = "ignored"; if ($0 ~ /exit code 124/) v = "timeout"; got[$1] = v }
         END { for (t in want) print t, (t in got ? got[t] : "none") }' "$WORK/compared_tests" -
}
count() { verdicts "$1" | awk -v s="$2" '$2 == s' | wc -l | tr -d ' '; }
names() { verdicts "$1" | awk -v s="$2" '$2 == s {print $1}' | sort | tr '\n' ' '; }
summary() { grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (passed|failed))' "$WORK/$1/pg_regress.log" | tail -n1 | sed 's/^ *//; s/ *$//' || true; }
runline() {
  printf '%-7s %3s ok, %3s FAILED, %s failed-but-ignored, %s timed out (%ss), %s no verdict   [pg_regress: %s]\n' \
    "$1:" "$(count "$1" ok)" "$(count "$1" FAILED)" "$(count "$1" ignored)" "$(count "$1" timeout)" "$TEST_TIMEOUT" \
    "$(count "$1" none)" "$(summary "$1")"
}

total=${#TESTS[@]}
{
  echo
  echo "================ pg_regress fidelity: unsharded keyspace over one PostgreSQL $UPVER shard ================"
  echo "regress.so: $REGRESS_SO   schedule: $SCHEDULE_FILE   gate: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo ' + uncommitted changes')"
  [ "$SETUP_DIRECT" = 1 ] && echo "PG_REGRESS_SETUP_DIRECT=1: test_setup ran directly on the server in the gate run and is not compared"
  echo "work dir: $WORK"
  echo
  echo "pg_regress verdicts over the $total compared tests (expected output vs result):"
  runline direct
  runline gate
  for run in direct gate; do
    for v in FAILED timeout none; do
      l=$(names "$run" "$v")
      if [ -n "$l" ]; then echo "  $run $v: $l"; fi
    done
  done
  echo
  echo "IDENTICAL OUTPUT (gate results/<test>.out byte-identical to direct): $identical of $total tests"
  echo "differing (${#differing[@]}): ${differing[*]:-none}"
  echo "all diffs: $DIFF ($(wc -l <"$DIFF") lines)"
  n=0
  for t in ${differing[@]+"${differing[@]}"}; do
    [ "$n" -lt "${PG_REGRESS_SHOW_DIFFS:-5}" ] || break
    n=$((n + 1))
    echo
    echo "--- first lines of the diff for $t:"
    a=$WORK/direct/results/$t.out b=$WORK/gate/results/$t.out
    if [ -f "$a" ] && [ -f "$b" ]; then
      diff -u --label "direct/$t.out" --label "gate/$t.out" "$a" "$b" | head -n 15 || true
    else
      echo "(result file missing)"
    fi
  done
}
