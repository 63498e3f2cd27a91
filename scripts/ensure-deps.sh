#!/usr/bin/env bash
# Makes the working tree runnable, idempotently and quietly when nothing is to do:
# system packages (libfuse2, fuse, iptables; attr and rsync for the mount tests with ordinary programs;
# with --tests also chromium, the headless browser of test/cluster/status-page.test.ts, so `npm start`
# does not wait for a browser), node_modules (npm ci), fuse-native with working utimens
# (scripts/fix-fuse-native.mjs) and dist/ (tsc).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libfuse2 fuse iptables attr rsync)
if [ "${1:-}" = "--tests" ]; then packages+=(chromium); fi
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "ensure-deps: npm ci"
  npm ci --no-audit --no-fund
  touch node_modules
fi
# fuse-native with working utimens (npm ci's postinstall does it; this catches older node_modules)
node scripts/fix-fuse-native.mjs

# Rebuild when dist is missing or any TypeScript source is newer than the last build.
stamp=dist/.tsbuildinfo
needs_build=0
if [ ! -f "$stamp" ]; then
  needs_build=1
elif [ -n "$(find src fuse oclif-cli test bench tsconfig.json package.json -newer "$stamp" \( -name '*.ts' -o -name '*.json' \) -print -quit 2>/dev/null)" ]; then
  needs_build=1
fi
if [ "$needs_build" -eq 1 ]; then
  echo "ensure-deps: building (tsc)"
  # tsc emits even with type errors; report them but let the tests say what is broken.
  if ! npx tsc -p . ; then
    echo "ensure-deps: tsc reported errors (dist/ was still emitted)" >&2
  fi
  touch "$stamp"
fi
