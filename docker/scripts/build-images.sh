#!/usr/bin/env bash
# Builds the three RedCloud images from the repository root: redcloud-controller, redcloud-chunkserver,
# redcloud-cli (tag: $TAG, default latest).
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG="${TAG:-latest}"
for image in controller chunkserver cli; do
  docker build -f "docker/Dockerfile.$image" -t "redcloud-$image:$TAG" .
done
