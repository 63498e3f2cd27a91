#!/usr/bin/env bash
# Makes the working tree runnable, idempotently and quietly when nothing is to do:
# system packages (libfuse2, fuse, iptables; attr and rsync for the mount tests with ordinary programs;
# with --tests also chromium, the headless browser of test/cluster/status-page.test.ts, and strace, which
# test/cluster/durable-commit.test.ts watches a controller with, so `npm start`
# does not wait for a browser), node_modules (npm ci,
# then the native modules better-sqlite3 and fuse-native compiled by npm rebuild), fuse-native with working utimens
# (scripts/fix-fuse-native.mjs) and dist/ (tsc). Each step it does says what it is doing, how long it took,
# and every 15 s that it is still at it (a first run takes a few minutes: compiling the native modules is most of it).
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$SECONDS
# step "what" cmd...: prints what it does, a heartbeat every 15 s while it runs, and the elapsed time at the end.
step() {
  local what=$1; shift
  local t0=$SECONDS
  echo "ensure-deps: ${what}…"
  ( while sleep 15; do echo "ensure-deps:   … still ${what} ($((SECONDS - t0)) s)"; done ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "ensure-deps: ${what} failed after $((SECONDS - t0)) s (exit $rc)" >&2
    return "$rc"
  fi
  echo "ensure-deps: ${what}: done in $((SECONDS - t0)) s"
}
did_something=0

packages=(libfuse2 fuse iptables attr rsync)
if [ "${1:-}" = "--tests" ]; then packages+=(chromium strace); fi

missing=()
for pkg in "${packages[@]}"; do
  # fuse3 (pulled in by MooseFS's client, `npm run bench`'s peer) replaces fuse and provides fusermount too
  if [ "$pkg" = fuse ] && dpkg-query -W -f='${Status}' fuse3 2>/dev/null | grep -q 'install ok installed'; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  install_system_packages() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  }
  step "installing system packages (${missing[*]})" install_system_packages
  did_something=1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  # Two steps so each can be named: fetching and unpacking the packages, then compiling the native ones.
  step "installing npm packages (npm ci)" npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  step "compiling native modules (better-sqlite3, fuse-native: npm rebuild)" npm rebuild --loglevel=error
  touch node_modules
  did_something=1
fi
# fuse-native with working utimens (the package's postinstall does it; this catches older node_modules)
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
  build() {
    # tsc emits even with type errors; report them but let the tests say what is broken.
    if ! npx tsc -p . ; then
      echo "ensure-deps: tsc reported errors (dist/ was still emitted)" >&2
    fi
  }
  step "building (tsc)" build
  touch "$stamp"
  did_something=1
fi
if [ "$did_something" -eq 1 ]; then
  echo "ensure-deps: ready in $((SECONDS - t_start)) s"
fi
