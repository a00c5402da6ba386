#!/usr/bin/env bash
# The install step of every hwb action (the root action.yml and actions/<command>/action.yml):
# one implementation, run from the action's checkout. HWB_SOURCE is that checkout's root.
#
# A private virtualenv under $RUNNER_TEMP, one per action checkout (two refs of the action in
# one job do not share it; the root action and the per-command actions of one ref do), reused
# when an hwb action runs again in the job. Writes python=<its interpreter> to GITHUB_OUTPUT.
set -euo pipefail
if [ "${RUNNER_OS:-Linux}" = Windows ]; then
  bin=Scripts exe=.exe
  src=$(cd "$(cygpath -u "$HWB_SOURCE")" && pwd -P) temp=$(cygpath -u "$RUNNER_TEMP")
  pth_src=$(cygpath -w "$src")
else
  bin=bin exe=
  src=$(cd "$HWB_SOURCE" && pwd -P) temp=${RUNNER_TEMP:-/tmp}
  pth_src=$src
fi
key=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
venv="$temp/hwb-venv-$key"
python="$venv/$bin/python$exe"
if [ -x "$python" ] && [ -f "$venv/.hwb-ready" ]; then
  echo "hwb: reusing $venv"
else
  rm -rf "$venv"
  base=
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      base=$(command -v "$candidate"); break
    fi
  done
  if [ -z "$base" ]; then
    echo "::error title=hwb::hwb needs Python 3.10 or newer on PATH%0Ause actions/setup-python before this action"
    exit 8
  fi
  uv=$(command -v uv 2>/dev/null || true)
  if [ -z "$uv" ]; then
    # No uv on the runner: uv's pinned wheel, sha256-checked, unpacked with the standard
    # library (~2 s; pip needs ~15 s to install that one wheel); uv then installs hwb's ~40
    # packages in seconds where pip takes about a minute. Any failure: pip, as before.
    boot="$temp/hwb-uv-$key"
    if "$base" "$src/workflows-templates/uv-bootstrap.py" "$boot"; then
      uv="$boot/uv$exe"
    fi
  fi
  if [ -n "$uv" ]; then
    "$uv" venv --quiet --python "$base" "$venv"
    # hwb's dependencies from its pyproject.toml, and hwb itself straight from the action's
    # checkout (a .pth line): building hwb's wheel would add ~3 s per job.
    "$uv" pip install --quiet --python "$python" -r "$src/pyproject.toml"
    site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    printf '%s\n' "$pth_src" > "$site/hwb-action.pth"
  else
    echo "hwb: could not bootstrap uv; installing with pip (slower)"
    "$base" -m venv "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check "$src"
  fi
  touch "$venv/.hwb-ready"
fi
echo "python=$python" >> "$GITHUB_OUTPUT"
