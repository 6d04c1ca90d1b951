#!/usr/bin/env bash
# Installs the PostgreSQL server and client the tests use (initdb, pg_ctl,
# psql, pgbench), when they are missing. Debian/Ubuntu, as root or via sudo.
set -euo pipefail
have_server() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}
if have_server && command -v psql >/dev/null 2>&1 && command -v pgbench >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql postgresql-client >/dev/null
