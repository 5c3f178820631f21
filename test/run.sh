#!/usr/bin/env bash
# `npm test`: type-checks (tsc, the dashboard too), builds dist/pb (the binary and conformance tests
# run it), then runs every test file under test/ and src/ with `bun test`, prints bun's output and
# ends with one plain summary line:
#   N passed, N failed, N skipped
# Exits non-zero if the type check, the build or any test fails. Extra arguments go to `bun test`.
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
trap 'rm -f "$out"' EXIT
# Server-backed tests start real processes; 60 s per test leaves room on a loaded 2-core CI box.
"$BUN" test --timeout 60000 ./test ./src "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# A run that failed without counting a failed test (no tests found, a crash, an error outside
# any test) still reports at least one failure, so the line never says "0 failed" for a red run.
awk -v rc="$rc" '/^ *[0-9]+ pass$/{p=$1} /^ *[0-9]+ fail$/{f=$1} /^ *[0-9]+ skip$/{s=$1} /^ *[0-9]+ todo$/{t=$1}
     END{ f+=0; if (rc != 0 && f == 0) f = 1; print p+0 " passed, " f " failed, " s+t " skipped" }' "$out"
exit "$rc"
