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
def pypiserver(
    packages: Path, htpasswd: Path | None = None, server: str = "auto"
) -> Iterator[Server]:
    """pypiserver serving ``packages``; open, or requiring Basic auth for uploads. ``server``
    picks the WSGI server (``paste`` serves requests in parallel, as real registries do)."""
    exe = shutil.which("pypi-server", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("pypi-server is not installed (pip install pypiserver)")
    auth = [str(htpasswd), "-a", "update"] if htpasswd else [".", "-a", "."]
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "-p",
            str(port),
            "-i",
            "127.0.0.1",
            "--server",
            server,
            "-P",
            *auth,
            str(packages),
        ],
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


@contextmanager
def pypiserver_auth(packages: Path, user: str, password: str) -> Iterator[Server]:
    """pypiserver that requires Basic auth for uploads (an htpasswd file made with passlib)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # passlib imports the old crypt module
        from passlib.apache import HtpasswdFile

    htpasswd = packages.parent / f"{packages.name}.htpasswd"
    ht = HtpasswdFile(str(htpasswd), new=True)
    ht.set_password(user, password)
    ht.save()
    with pypiserver(packages, htpasswd) as running:
        yield running


DEVPI_PASSWORD = "devpi-root-pw"


@contextmanager
def devpi(workdir: Path) -> Iterator[Server]:
    """devpi-server with an index root/dev (no bases), root's password DEVPI_PASSWORD."""
    bindir = Path(sys.executable).parent
    serverdir, clientdir = workdir / "server", workdir / "client"
    env = {"PATH": str(bindir), "HOME": str(workdir), "PYTHONWARNINGS": "ignore"}
    subprocess.run(
        [
            str(bindir / "devpi-init"),
            "--serverdir",
            str(serverdir),
            "--root-passwd",
            DEVPI_PASSWORD,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            str(bindir / "devpi-server"),
            "--serverdir",
            str(serverdir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        root = f"http://127.0.0.1:{port}/"
        _wait(root + "+api", proc, seconds=60)
        devpi_cmd = [str(bindir / "devpi")]
        for args in (
            ["use", root],
            ["login", "root", "--password", DEVPI_PASSWORD],
            ["index", "-c", "root/dev", "bases="],
        ):
            subprocess.run(
                [*devpi_cmd, *args, "--clientdir", str(clientdir)],
                check=True,
                capture_output=True,
                env=env,
            )
        yield Server(root + "root/dev/", root + "root/dev/+simple/", serverdir)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
