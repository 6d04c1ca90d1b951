#!/bin/sh
# sqlstate-names.sh FILE...: replace literal SQLSTATE codes in Go files with
# the names in sqltypes/sqlstate.go (Errorf("42601", ...) becomes
# Errorf(sqltypes.SyntaxError, ...)). Only literals in an error position are
# touched: the first argument of Errorf/fail/warn(ctx, ...), Code ==/!=/:/=,
# and `const codeX = "..."`. Running it twice changes nothing. Files under
# sdk/ are skipped: the SDK imports nothing of the server.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
table="$root/sqltypes/sqlstate.go"
[ $# -gt 0 ] || { echo "usage: $0 FILE.go..." >&2; exit 2; }

# one sed expression per code, built from the const block: NAME = "CODE"
sedfile=$(mktemp)
trap 'rm -f "$sedfile"' EXIT
sed -nE 's/^\t([A-Za-z0-9]+)[[:space:]]+= "([0-9A-Z]{5})"$/\2 \1/p' "$table" |
	while read -r code name; do
		printf 's/(Errorf\\(|fail\\(|warn\\(ctx, |Code[[:space:]]*(==|!=|:|=)[[:space:]]*|\\<code[A-Za-z0-9]*[[:space:]]*=[[:space:]]*)"%s"/\\1@P@%s/g\n' "$code" "$name"
	done >"$sedfile"

for f in "$@"; do
	case "$f" in
	*sdk/*) echo "skip $f (sdk imports nothing of the server)" >&2; continue ;;
	esac
	prefix=sqltypes.
	grep -q '^package sqltypes$' "$f" && prefix=
	before=$(cksum <"$f")
	sed -E -i -f "$sedfile" -e "s/@P@/$prefix/g" "$f"
	# a file that now names sqltypes must import it
	if [ "$before" != "$(cksum <"$f")" ] && [ -n "$prefix" ] && grep -q 'sqltypes\.' "$f" && ! grep -q '"github.com/dotdo/vitess/sqltypes"' "$f"; then
		if grep -q '^import ($' "$f"; then
			sed -i 's#^import ($#import (\n\t"github.com/dotdo/vitess/sqltypes"#' "$f"
		else
			echo "$f: add the sqltypes import by hand" >&2
		fi
	fi
	gofmt -w "$f"
	# literals the table does not name yet are left for a person to add
	grep -nE '(Errorf\(|fail\(|Code *(==|!=|:) *)"[0-9A-Z]{5}"' "$f" | sed "s#^#$f: unnamed: #" >&2 || true
done
