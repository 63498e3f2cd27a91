#!/usr/bin/env bash
# `npm run bench`: builds what is missing, then runs the benchmarks (never part of npm test).
# BENCH_SIZE (default 1GiB) sets the file size, e.g. BENCH_SIZE=256MiB npm run bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/cleanup-stale.sh
exec node dist/bench/upload-download.js "$@"
