#!/usr/bin/env bash
# Builds a local stand-in for node:20-slim on a machine that cannot pull from a registry: a
# debootstrap (minbase) of the host's Debian release from the mirror its apt sources name, the
# host's own Node 20 installation (node, npm, corepack, headers) under /usr/local, and a `node`
# user of uid 1000, imported with `docker import` as node:20-slim. For builds behind a
# TLS-intercepting proxy the host's CA bundle ($NODE_EXTRA_CA_CERTS, else the system bundle) is
# copied in and trusted by Node (NODE_EXTRA_CA_CERTS); npm_config_nodedir points node-gyp at the
# copied headers (it cannot download them). The Dockerfiles stay what a user with a registry builds.
# Skips the build when the image exists (FORCE=1 rebuilds). Needs root, debootstrap, docker.
set -euo pipefail
IMAGE="${BASE_IMAGE:-node:20-slim}"

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "build-base-image: $IMAGE exists (FORCE=1 rebuilds)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "build-base-image: needs root (debootstrap)" >&2; exit 1; fi
if ! command -v debootstrap >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi

# The host's Debian release and mirrors, from its apt sources (deb822 *.sources and one-line *.list).
. /etc/os-release
suite="${VERSION_CODENAME:?build-base-image: /etc/os-release names no VERSION_CODENAME}"
uris() {
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}'
  } | sed 's:/*$::'
}
mirror="$(uris | grep -E '/debian$' | head -n1 || true)"
security="$(uris | grep -E '/debian-security$' | head -n1 || true)"
if [ -z "$mirror" ]; then echo "build-base-image: no Debian mirror (…/debian) in the host's apt sources" >&2; exit 1; fi

# The host's Node installation: the prefix above the real `node` binary.
node_bin="$(readlink -f "$(command -v node)")"
prefix="$(dirname "$(dirname "$node_bin")")"
node_version="$(node -p 'process.versions.node')"
case "$node_version" in 20.*) ;; *) echo "build-base-image: host Node is $node_version, not 20" >&2; exit 1 ;; esac
[ -f "$prefix/include/node/node.h" ] || { echo "build-base-image: no Node headers in $prefix/include/node" >&2; exit 1; }
ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"

work="$(mktemp -d /tmp/redcloud-base.XXXXXX)"
root="$work/root"
# debootstrap mounts /proc (and more) in the root while it runs: unmount before removing anything
cleanup() {
  for m in $(awk -v r="$root" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
echo "build-base-image: debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# apt inside the image uses the same mirrors as the host
rm -f "$root/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$suite" "$suite"
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security" "$suite"
  fi
} >"$root/etc/apt/sources.list.d/debian.sources"

# Node under /usr/local, as in the official image
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$node_bin" "$root/usr/local/bin/node"
for m in npm corepack; do
  [ -d "$prefix/lib/node_modules/$m" ] && cp -a "$prefix/lib/node_modules/$m" "$root/usr/local/lib/node_modules/"
done
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
[ -d "$root/usr/local/lib/node_modules/corepack" ] && ln -sf ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
cp -a "$prefix/include/node" "$root/usr/local/include/"
mkdir -p "$root/usr/local/share/ca-certificates"
cp "$ca" "$root/usr/local/share/ca-certificates/host-ca-bundle.pem"

chroot "$root" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
chroot "$root" /usr/local/bin/node -e 'process.exit(0)'
# slim: no apt lists, docs or man pages
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*

echo "build-base-image: importing $IMAGE (Node $node_version)"
tar -C "$root" -c . | docker import \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/host-ca-bundle.pem' \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'CMD ["node"]' \
  - "$IMAGE" >/dev/null
docker image inspect "$IMAGE" --format "build-base-image: {{.RepoTags}} {{.Size}} bytes in ${SECONDS} s"
