#!/usr/bin/env bash
# `npm start`: builds what is missing, then runs a local cluster in the foreground
# (3 controllers, 5 chunkservers, demo user demo (password demo-password), mounted at ./mnt). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/redcloud.js cluster up --foreground "$@"
