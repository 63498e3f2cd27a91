#!/usr/bin/env bash
# Removes what earlier (killed) runs of our tests may have left behind: dead FUSE mounts of
# RedCloud (under this repo or a /tmp/redcloud-* dir, or named redcloud*, whose driver no longer answers) and iptables rules
# tagged "redcloud-test-<pid>-<start>" whose process is gone (another run's live rules stay).
# Safe to run any time, also while other runs go on; does nothing when all is clean.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

if [ -r /proc/mounts ]; then
  # Field 2 is the mount point (octal-escaped), field 3 the type.
  awk '$3 ~ /^fuse/ {print $2 " " $1}' /proc/mounts | while read -r mnt src; do
    mnt="$(printf '%b' "$mnt")"
    case "$mnt" in
      "$repo"/*|/tmp/redcloud-*|"${TMPDIR:-/tmp}"/redcloud-*) ;;
      *) case "$src" in redcloud*) ;; *) continue ;; esac ;;
    esac
    # A mount whose driver still answers belongs to someone running right now: leave it.
    if timeout 3 stat "$mnt" >/dev/null 2>&1; then continue; fi
    echo "cleanup: unmounting stale FUSE mount $mnt"
    fusermount -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  done
fi

if command -v iptables >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  # Only rules of runs that are gone: a tag names its owning process (src/cluster/partition-rules.ts).
  node scripts/cleanup-partitions.mjs
fi
