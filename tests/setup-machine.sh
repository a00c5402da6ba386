#!/usr/bin/env bash
# What the tests need beyond the virtualenv, installed when missing: `make test` runs this first
# (as does CI, through `make test`). System packages (apt-get) need root: as another user it
# says what is missing and goes on, and the tests that need it skip, naming it.
# Idempotent: a second run finds everything and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

root=false
[ "$(id -u)" = 0 ] && root=true
need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v sha256sum >/dev/null || need_apt+=(coreutils)
command -v make >/dev/null || need_apt+=(make)
# tests/test_tls.py names an SSL_CERT_DIR file by its subject hash (openssl x509 -hash).
command -v openssl >/dev/null || need_apt+=(openssl)
# Real manylinux builds (hwb matrix build): podman, its runtime, and what the image script uses.
command -v podman >/dev/null || need_apt+=(podman)
command -v runc >/dev/null || need_apt+=(runc)
command -v rsync >/dev/null || need_apt+=(rsync)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
# act's artifact stand-ins and gitlab-ci-local are npm packages (node 20).
command -v node >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if $root && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "setup-machine: missing ${need_apt[*]}: the tests that need them skip." >&2
    echo "setup-machine: install them (Debian/Ubuntu: sudo make test-deps) for the full run." >&2
  fi
fi

# The tests build for a second interpreter (--python); this machine kind ships them with pyenv.
if command -v pyenv >/dev/null; then
  echo "interpreters available: $(pyenv versions --bare | tr '\n' ' ')"
fi

if $root && command -v podman >/dev/null; then
  # podman on this machine kind: crun fails on its cgroup setup, and default ulimits are refused.
  if [ ! -e /etc/containers/containers.conf ] && ! grep -qs 'runtime = "runc"' /etc/containers/containers.conf.d/*.conf; then
    mkdir -p /etc/containers
    cat >/etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
  fi
  # The manylinux-like image for `hwb matrix build` tests, from the pyenv interpreters (~2 min;
  # cached by podman: a no-op when it exists).
  if command -v pyenv >/dev/null; then
    bash tests/containers/manylinux-image.sh
  fi
  # The Dockerfile test builds from a small local Python base (debootstrap; ~90 s, then cached).
  if command -v debootstrap >/dev/null; then
    bash tests/containers/python-base.sh
  fi
fi

if command -v npm >/dev/null; then
  # act runs the GitHub Action tests; its artifact stand-ins need npm's @actions/artifact.
  if [ ! tests/act/node_modules/.package-lock.json -nt tests/act/package-lock.json ]; then
    (cd tests/act && npm ci --no-audit --no-fund --silent)
  fi
  # gitlab-ci-local runs the GitLab pipelines hwb init-ci writes (tests/test_init_ci_gitlab.py;
  # it needs rsync). Its npm install compiles re2 (minutes): cached outside the clone, keyed by
  # the lock file.
  gcl=tests/gitlab-ci-local
  key=$(cat "$gcl/package.json" "$gcl/package-lock.json" | sha256sum | cut -c1-16)
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/hwb-ci/gitlab-ci-local-$key"
  if [ ! -x "$cache/node_modules/.bin/gitlab-ci-local" ]; then
    rm -rf "$cache" && mkdir -p "$cache"
    cp "$gcl/package.json" "$gcl/package-lock.json" "$cache/"
    npm ci --prefix "$cache" --no-audit --no-fund
  fi
  if [ "$(readlink "$gcl/node_modules" 2>/dev/null)" != "$cache/node_modules" ]; then
    rm -rf "$gcl/node_modules" && ln -s "$cache/node_modules" "$gcl/node_modules"
  fi
fi
