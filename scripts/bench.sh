#!/usr/bin/env bash
# `npm run bench`: builds what is missing, then runs the benchmarks (never part of npm test):
# upload/download speed, then repair speed (bench/repair.ts), then the FUSE mount against a local
# directory (bench/fuse.ts; BENCH_FUSE_SIZE, default 1GiB), then the mount beside MooseFS on this
# machine (bench/peers.ts: the shared harness's fsbench on both, RedCloud ÷ MooseFS), then how soon any controller serves
# (bench/availability.ts: restart → first accepted write, commit on A → readable through B), then
# gossip latency and bytes (bench/gossip.ts), then snapshots of 10,000 entries (bench/snapshot.ts), then a new controller catching up with 1,000,000
# files (bench/scale.ts).
# BENCH_SIZE (default 1GiB) sets the file size, e.g. BENCH_SIZE=256MiB npm run bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/cleanup-stale.sh
node dist/bench/upload-download.js "$@"
node dist/bench/repair.js "$@"
bash scripts/cleanup-stale.sh
node dist/bench/fuse.js
bash scripts/cleanup-stale.sh
node dist/bench/peers.js
bash scripts/cleanup-stale.sh
node dist/bench/availability.js
node dist/bench/gossip.js
# snapshot create/diff/restore/rm of 10,000 entries (bench/snapshot.ts; BENCH_SNAPSHOT_ENTRIES)
node dist/bench/snapshot.js
# namespace at scale (bench/scale.ts; BENCH_SCALE_FILES, default 1,000,000)
exec node dist/bench/scale.js
