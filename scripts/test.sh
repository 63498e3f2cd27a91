#!/usr/bin/env bash
# `npm test`: builds what is missing, clears what earlier runs left behind, then runs the unit
# tests, the cluster tests, (if present) the FUSE tests and the Docker quick start (skipped, with a
# one-line reason, where no Docker engine can run). Ends with the names of what failed (the tail
# is what a CI view shows) and "N passed, N failed, N skipped", and a
# non-zero exit if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --tests
bash scripts/cleanup-stale.sh

export NO_COLOR=1 FORCE_COLOR=0
passed=0
failed=0
skipped=0
status=0
failures="$(mktemp)"

# run_suite NAME DIR: runs every *.test.js under DIR with uvu and adds up its counts.
run_suite() {
  local name="$1" dir="$2" out rc total pass skip
  if [ ! -d "$dir" ] || [ -z "$(find "$dir" -name '*.test.js' -print -quit)" ]; then
    echo "== $name: no tests in $dir, skipped"
    return 0
  fi
  echo "== $name tests ($dir)"
  out="$(mktemp)"
  set +e
  node scripts/run-tests.mjs "$dir" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  clean="$(sed -e 's/\x1b\[[0-9;]*m//g' "$out")"
  total="$(printf '%s\n' "$clean" | awk '/Total:/ {s+=$2} END {print s+0}')"
  pass="$(printf '%s\n' "$clean" | awk '/Passed:/ {s+=$2} END {print s+0}')"
  skip="$(printf '%s\n' "$clean" | awk '/Skipped:/ {s+=$2} END {print s+0}')"
  # the names of what failed, repeated at the very end (a CI view may show only the tail)
  printf '%s\n' "$clean" | grep -E '^ *FAIL ' | sed -e "s/^ */[$name] /" >>"$failures" || true
  if [ "$rc" -ne 0 ]; then printf '%s\n' "$clean" | grep -E '^(Error|[A-Za-z]*Error):|Unhandled' | head -n 3 | sed -e "s/^/[$name] crashed: /" >>"$failures" || true; fi
  rm -f "$out"
  local fail=$(( total - pass - skip ))
  # A suite that crashed before uvu could count it still counts as a failure.
  if [ "$rc" -ne 0 ] && [ "$fail" -le 0 ]; then fail=1; fi
  passed=$(( passed + pass ))
  failed=$(( failed + fail ))
  skipped=$(( skipped + skip ))
  if [ "$rc" -ne 0 ] || [ "$fail" -gt 0 ]; then status=1; fi
  bash scripts/cleanup-stale.sh
}

run_suite unit dist/test/unit
run_suite cluster dist/test/cluster
run_suite fuse dist/test/fuse
run_suite docker dist/test/docker

if [ -s "$failures" ]; then
  echo "== what failed"
  cat "$failures"
fi
rm -f "$failures"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
