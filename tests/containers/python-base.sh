#!/usr/bin/env bash
# Build a small local base image with a Debian Python 3 (venv included), for building hwb's
# Dockerfile offline: `podman build --pull=never --build-arg BASE_IMAGE=localhost/hwb-python-base:bookworm`.
# No registry is reachable here, so the root filesystem comes from debootstrap and the Debian
# mirror apt already uses. Cached: does nothing when the image exists.
set -euo pipefail
IMAGE=${1:-localhost/hwb-python-base:bookworm}
if podman image exists "$IMAGE"; then
  echo "$IMAGE exists"
  exit 0
fi
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >/dev/null
# Trim what an image never needs: apt lists, docs, man pages, caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/locale/*
tar -C "$root" -c . | podman import -q - "$IMAGE" >/dev/null
echo "built $IMAGE"
