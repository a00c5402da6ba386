#!/usr/bin/env bash
# hwb's main job on the bundled example, from a fresh machine:
# install hwb in its own virtualenv -> build wheel + sdist (wheel from the sdist) with checksums
# -> verify the checksums -> inspect -> install the wheel into a fresh virtualenv -> import it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEMO=.demo
rm -rf "$DEMO"
mkdir -p "$DEMO"

echo "==> installing hwb into $DEMO/hwb-venv"
"$PYTHON" -m venv "$DEMO/hwb-venv"
"$DEMO/hwb-venv/bin/python" -m pip install --quiet --disable-pip-version-check '.[uv]'
HWB="$DEMO/hwb-venv/bin/hwb"
"$HWB" --version

echo "==> hwb build examples/pure-hatch --sdist --checksum"
"$HWB" build examples/pure-hatch --sdist --checksum --outdir "$PWD/$DEMO/dist"

echo "==> sha256sum -c SHA256SUMS"
(cd "$DEMO/dist" && sha256sum -c SHA256SUMS)

echo "==> hwb inspect --strict (the pre-release checklist)"
"$HWB" inspect --strict "$DEMO/dist"

echo "==> installing the wheel into a fresh virtualenv"
"$PYTHON" -m venv "$DEMO/user-venv"
"$DEMO/user-venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$DEMO"/dist/*.whl
"$DEMO/user-venv/bin/python" -c 'from hwbdemo_greet import greet; print(greet("hwb demo"))'
echo "==> demo OK"
