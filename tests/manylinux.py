"""The manylinux-like image the matrix tests build in: made from this machine's own interpreters
by tests/containers/manylinux-image.sh (no image registry is reachable here), cached by podman.
The fixture that builds it, ``manylinux_image``, is in conftest.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IMAGE = "localhost/hwb-manylinux:bookworm"
SCRIPT = Path(__file__).parent / "containers" / "manylinux-image.sh"


def pyenv_python(minor: str) -> Path | None:
    if not shutil.which("pyenv"):
        return None
    root = subprocess.run(
        ["pyenv", "root"], capture_output=True, text=True, check=True
    ).stdout.strip()
    found = sorted(Path(root, "versions").glob(f"3.{minor}.*"))
    return found[-1] / "bin" / "python" if found else None


def build_image() -> str:
    """The image's name, built first if need be (~2 minutes); skips the test where it cannot be."""
    if sys.platform != "linux" or not shutil.which("podman"):
        pytest.skip("needs podman on Linux (make test-deps installs it)")
    if (
        not shutil.which("debootstrap")
        and subprocess.run(["podman", "image", "exists", IMAGE], check=False).returncode
    ):
        pytest.skip("needs debootstrap to build the image (make test-deps installs it)")
    if not all(pyenv_python(m) for m in ("9", "11", "12")):
        pytest.skip("needs pyenv interpreters 3.9, 3.11 and 3.12 for the image")
    done = subprocess.run(
        ["bash", str(SCRIPT), IMAGE], capture_output=True, text=True, check=False, timeout=900
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return IMAGE
