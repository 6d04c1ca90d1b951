#!/usr/bin/env bash
# The test command: every test of every package. Tests that need PostgreSQL
# start their own servers from the installed binaries; under CI=true a
# missing PostgreSQL or psql fails them instead of skipping, and the fuzz
# targets run for a bounded time after the tests (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || echo "warning: could not install PostgreSQL; tests that need it will skip (or fail under CI=true)" >&2
go test -count=1 -timeout 20m ./... "$@"
if [ "${CI:-}" = "true" ]; then
	scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi
