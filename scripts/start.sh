#!/usr/bin/env bash
# `npm start`: builds what is missing (saying what and how long: scripts/ensure-deps.sh), then runs a
# local cluster in the foreground: 3 controllers, 5 chunkservers, mounted at ./mnt as the CLI's saved
# login, or as the user demo (password demo-password) when there is none. Daemon variables of the
# environment reach the daemons (HEARTBEAT_TIMEOUT=10s npm start); arguments go to `cluster up`
# (npm start -- --env REPLICATION_FACTOR=2). Ctrl-C or `redcloud cluster down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
bash scripts/ensure-deps.sh
if [ $((SECONDS - t0)) -gt 5 ]; then echo "start: the tree is ready ($((SECONDS - t0)) s); starting the cluster"; fi
exec node bin/redcloud.js cluster up --foreground "$@"
