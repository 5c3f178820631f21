#!/usr/bin/env bash
# `npm test`: type-checks (tsc, the dashboard too), builds dist/pb (the binary and conformance tests
# run it), then runs every test file under test/ and src/ with `bun test`; then, when PostgreSQL is
# installed, runs the files listed in test/pg_suites.txt again on PostgreSQL (PB_TEST_DB=postgres).
# Prints bun's output and ends with one plain summary line, both passes summed:
#   N passed, N failed, N skipped
# Without PostgreSQL the second pass is skipped (one skip per listed file). Exits non-zero if the
# type check, the build or any test fails. Extra arguments go to the first pass's `bun test` only.
set -o pipefail
cd "$(dirname "$0")/.."
BUN="${BUN:-$(command -v bun || echo node_modules/.bin/bun)}"

# The type check comes first: a type error fails the run like a broken build.
echo "== typecheck: tsc --noEmit, tsc --noEmit -p ui"
if ! { npx --no-install tsc --noEmit && npx --no-install tsc --noEmit -p ui; }; then
  echo "type check failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

echo "== build: npm run build"
if ! npm run --silent build; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

echo "== test: bun test ./test ./src"
out=$(mktemp)
pg_out=$(mktemp)
trap 'rm -f "$out" "$pg_out"' EXIT
# Server-backed tests start real processes; 60 s per test leaves room on a loaded 2-core CI box.
"$BUN" test --timeout 60000 ./test ./src "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

# The PostgreSQL pass: the same suites with every server and in-process App on a database of a
# throwaway cluster the test process starts itself (test/support/pg.ts), so PostgreSQL only has to be
# installed, not running.
mapfile -t pg_suites < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' test/pg_suites.txt 2>/dev/null)
pg_rc=0
pg_skipped=0
if [ ${#pg_suites[@]} -eq 0 ]; then
  :
elif compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "== test (PostgreSQL): PB_TEST_DB=postgres bun test (${#pg_suites[@]} files of test/pg_suites.txt)"
  pg_started=$SECONDS
  PB_TEST_DB=postgres "$BUN" test --timeout 60000 "${pg_suites[@]}" 2>&1 | tee "$pg_out"
  pg_rc=${PIPESTATUS[0]}
  echo "PostgreSQL pass: $((SECONDS - pg_started)) s"
else
  echo "skipped: PostgreSQL not installed (the ${#pg_suites[@]} files of test/pg_suites.txt do not run on PostgreSQL)"
  pg_skipped=${#pg_suites[@]}
fi

# A pass that failed without counting a failed test (no tests found, a crash, an error outside any
# test) still reports at least one failure, so the line never says "0 failed" for a red run.
awk -v rc="$rc" -v pg_rc="$pg_rc" -v pg_skipped="$pg_skipped" '
  { file = FILENAME == ARGV[1] ? 1 : 2 }
  /^ *[0-9]+ pass$/ { p[file] = $1 } /^ *[0-9]+ fail$/ { f[file] = $1 }
  /^ *[0-9]+ skip$/ { s[file] = $1 } /^ *[0-9]+ todo$/ { t[file] = $1 }
  END {
    f1 = f[1] + 0; if (rc != 0 && f1 == 0) f1 = 1
    f2 = f[2] + 0; if (pg_rc != 0 && f2 == 0) f2 = 1
    print p[1] + p[2] " passed, " f1 + f2 " failed, " s[1] + t[1] + s[2] + t[2] + pg_skipped " skipped"
  }' "$out" "$pg_out"
[ "$rc" -ne 0 ] && exit "$rc"
exit "$pg_rc"
