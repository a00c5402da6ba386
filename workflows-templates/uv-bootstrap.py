"""Put uv's binary in a folder, with nothing but Python's standard library (no pip).

Usage: python3 uv-bootstrap.py DEST   -> DEST/uv (DEST/uv.exe on Windows), exit 0

One implementation for every place hwb installs itself on a runner that has only Python: the
GitHub Action (actions/install.sh runs it from the action's checkout) and the GitLab templates
(which write this file into the job; a test keeps their copy identical). Fetching one wheel and
unzipping one member takes ~2 s; `pip install uv` takes ~15 s for the same binary.

The wheel is pinned by file name and sha256 (bump both deliberately, from
https://pypi.org/simple/uv/); its address comes from PyPI's simple index, or from
HWB_UV_INDEX_URL (a mirror serving PEP 691 JSON). A mismatch stops here (exit 1).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import urllib.parse
import urllib.request
import zipfile

VERSION = "0.13.9"
#: (sys.platform, machine) -> (wheel file name, sha256).
WHEELS = {
    ("linux", "x86_64"): (
        "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19",
    ),
    ("linux", "aarch64"): (
        "uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
        "5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe",
    ),
    ("darwin", "arm64"): (
        "uv-0.13.9-py3-none-macosx_11_0_arm64.whl",
        "66c512266d633bef48384a1f53003f41f2a8e7b36fe6e7fbfd3e0fd52d96fa63",
    ),
    ("darwin", "x86_64"): (
        "uv-0.13.9-py3-none-macosx_10_12_x86_64.whl",
        "c16ed11e013557536b3e60065f1b912f6407bd6518e041b961e23ef9e6b4fbf5",
    ),
    ("win32", "AMD64"): (
        "uv-0.13.9-py3-none-win_amd64.whl",
        "6a44b2ed8111d2f60d2b92627c5dccda3f7ed7570b18ce115e569cd68c28246b",
    ),
    ("win32", "ARM64"): (
        "uv-0.13.9-py3-none-win_arm64.whl",
        "eeb92051c2123b9730c46b04cc843cfa4bc7d7b0aec56df431a2215ef4cb0273",
    ),
}


def main(dest: str) -> None:
    key = (sys.platform, platform.machine())
    if key not in WHEELS:
        sys.exit(f"uv-bootstrap: no pinned uv wheel for {key[0]} {key[1]}")
    filename, sha256 = WHEELS[key]
    index = os.environ.get("HWB_UV_INDEX_URL") or "https://pypi.org/simple/"
    request = urllib.request.Request(
        index.rstrip("/") + "/uv/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        files = json.load(answer)["files"]
    url = next((f["url"] for f in files if f["filename"] == filename), None)
    if url is None:
        sys.exit(f"uv-bootstrap: {filename} is not on {index}")
    url = urllib.parse.urljoin(request.full_url, url)
    os.makedirs(dest, exist_ok=True)
    path = os.path.join(dest, filename)
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=120) as answer, open(path, "wb") as out:
        while chunk := answer.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        os.remove(path)
        sys.exit(f"uv-bootstrap: {filename} does not match its pinned sha256")
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    target = os.path.join(dest, exe)
    with zipfile.ZipFile(path) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith(f".data/scripts/{exe}")]
        with archive.open(member) as src, open(target + ".part", "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    os.chmod(target + ".part", 0o755)
    os.replace(target + ".part", target)
    os.remove(path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 uv-bootstrap.py DEST")
    main(sys.argv[1])
