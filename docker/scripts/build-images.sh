#!/usr/bin/env bash
# Builds the three RedCloud images from the repository root: redcloud-controller, redcloud-chunkserver,
# redcloud-cli (tag: $TAG, default latest). FROM node:20-slim is a local image when there is one
# (e.g. made by docker/scripts/build-base-image.sh on a machine that cannot pull), else the
# registry's. The three build stages are identical, so the second and third reuse the first's layers.
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG="${TAG:-latest}"
if docker image inspect node:20-slim >/dev/null 2>&1; then
  echo "build-images: using the local node:20-slim ($(docker image inspect node:20-slim --format '{{.Id}}' | cut -c1-19))"
else
  echo "build-images: node:20-slim comes from the registry"
fi
for image in controller chunkserver cli; do
  docker build -f "docker/Dockerfile.$image" -t "redcloud-$image:$TAG" .
done
