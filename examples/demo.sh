#!/usr/bin/env bash
# hwb's main job on the bundled example, from a fresh machine:
# install hwb in its own virtualenv -> build wheel + sdist (the wheel from the sdist) with
# checksums -> verify them -> inspect -> publish to the embedded local index (a folder with a
# generated PEP 503/691 index) -> serve it over HTTP -> pip install from it into a fresh
# virtualenv -> import and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEMO=.demo
rm -rf "$DEMO"

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

# The built-in "local" registry is a folder index under $XDG_DATA_HOME/hwb/index: the demo
# points XDG_DATA_HOME into .demo so it leaves nothing behind.
export XDG_DATA_HOME="$PWD/$DEMO/data"
echo "==> hwb publish -r local (a static PEP 503/691 index in $XDG_DATA_HOME/hwb/index)"
"$HWB" publish -r local --no-inspect "$DEMO/dist"
INDEX="$XDG_DATA_HOME/hwb/index"

PORT=$("$DEMO/hwb-venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "==> serving the index folder with python -m http.server on 127.0.0.1:$PORT"
"$DEMO/hwb-venv/bin/python" -m http.server -b 127.0.0.1 -d "$INDEX" "$PORT" >"$DEMO/http.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  "$DEMO/hwb-venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/simple/')" 2>/dev/null && break
  sleep 0.2
done

echo "==> pip install hwbdemo-greet from the index into a fresh virtualenv"
"$PYTHON" -m venv "$DEMO/user-venv"
PIP_CONFIG_FILE=/dev/null "$DEMO/user-venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --index-url "http://127.0.0.1:$PORT/simple/" hwbdemo-greet
"$DEMO/user-venv/bin/python" -c 'from hwbdemo_greet import greet; print(greet("hwb demo"))'
echo "==> demo OK"
