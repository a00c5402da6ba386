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


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, seconds: float = 30) -> None:
    """Wait (bounded) until ``proc`` accepts connections on the loopback ``port``; fail at once
    if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: {proc.returncode}") from None
            time.sleep(0.1)


_PASTE_BACKLOG = (
    "import functools, sys, paste.httpserver as h;"
    "h.serve = functools.partial(h.serve, request_queue_size=128);"
    "from pypiserver.__main__ import main; main(sys.argv[1:])"
)


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
    # paste listens with socketserver's backlog of 5: parallel clients overflow it and each
    # dropped SYN stalls a request for a retransmit. Real registries queue connections.
    launcher = [sys.executable, "-c", _PASTE_BACKLOG] if server == "paste" else [exe]
    proc = subprocess.Popen(
        [
            *launcher,
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
        _wait(root + "+api", proc, seconds=180)  # a loaded machine: devpi starts slowly
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


@dataclass
class S3Server:
    endpoint: str
    log: Path  # moto's request log: one line per HTTP request

    def requests(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if '"GET ' in line]


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_s3(workdir: Path, auth: bool = False) -> Iterator[S3Server]:
    """moto's S3 server: a real HTTP S3 API (conditional writes included) on loopback.
    ``auth`` makes moto check access keys, so wrong credentials are refused as on AWS."""
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
        "moto_server"
    )
    if exe is None:
        raise RuntimeError("moto_server is not installed (pip install 'moto[server]')")
    import os

    env = {**os.environ, **AWS_TEST_ENV}
    if auth:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    port = free_port()
    log = workdir / f"moto-{port}.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_for_port(port, proc, "moto_server")
        yield S3Server(endpoint, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def s3_client(endpoint: str, **credentials: str) -> object:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=credentials.get("key", AWS_TEST_ENV["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=credentials.get("secret", AWS_TEST_ENV["AWS_SECRET_ACCESS_KEY"]),
    )


@dataclass
class Folder:
    url: str
    log: Path

    def requests(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if '"GET ' in line]


@contextmanager
def http_folder(root: Path, workdir: Path) -> Iterator[Folder]:
    """``python -m http.server`` serving ``root`` (how the README serves a folder index).
    A port taken between ``free_port`` and the bind (another test worker) means a new port."""
    for attempt in range(3):
        port = free_port()
        log = workdir / f"http-{port}.log"
        with log.open("wb") as log_fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "http.server", "-b", "127.0.0.1", "-d", str(root),
                 str(port)],
                stdout=log_fh,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait(url, proc)
        except RuntimeError:
            proc.kill()
            proc.wait()
            if attempt == 2:
                raise RuntimeError(f"http.server did not start: {log.read_text()[-500:]}") from None
            continue
        try:
            yield Folder(url, log)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return
