"""Real package servers on loopback for integration tests (pypiserver today; devpi later)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str  # upload / root URL
    simple: str  # simple index URL
    packages: Path


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer in {seconds}s")


@contextmanager
def pypiserver(packages: Path) -> Iterator[Server]:
    """pypiserver serving ``packages`` with authentication off."""
    exe = shutil.which("pypi-server", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("pypi-server is not installed (pip install pypiserver)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "-p", str(port), "-i", "127.0.0.1", "-P", ".", "-a", ".", str(packages)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        root = f"http://127.0.0.1:{port}/"
        _wait(root + "simple/", proc)
        yield Server(root, root + "simple/", packages)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
