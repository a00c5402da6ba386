"""Shared fixtures: sample projects, a clean environment, and an in-process CLI runner."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hwb.cli import main
from tests import distfactory as df
from tests.manylinux import build_image
from tests.servers import Server, pypiserver

if TYPE_CHECKING:  # cryptography and PyJWT load (~0.5 s a worker) only for the tests that use them
    from tests.certs import Authority
    from tests.oidcfakes import FakeIssuer

PACKAGES = Path(__file__).parent / "packages"
EXAMPLES = Path(__file__).parent.parent / "examples"

_LEAKY_ENV = (
    "GITLAB_CI",
    "NO_COLOR",
    "FORCE_COLOR",
    "SOURCE_DATE_EPOCH",
    "PYPI_TOKEN",
    "TESTPYPI_TOKEN",
    "XDG_DATA_HOME",
    "GCE_METADATA_HOST",
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
)
_LEAKY_PREFIXES = ("HWB_", "GITHUB_", "GITLAB_", "CI_", "AWS_", "ACTIONS_ID_TOKEN_")

#: Fixtures that start a real server, build with a real backend or install with pip: a test
#: using one is an integration test (``make unit PYTEST_ARGS="-m 'not integration'"`` skips it).
_INTEGRATION_FIXTURES = {
    "s3",
    "registry",
    "open_server",
    "warehouse",
    "assets",
    "built",
    "pypiserver",
    "devpi",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see neither the developer's (or CI's) CI variables, credentials and cloud settings,
    nor their HWB_* settings."""
    for name in list(os.environ):
        if name in _LEAKY_ENV or name.startswith(_LEAKY_PREFIXES):
            monkeypatch.delenv(name)


def loopback_host(host: object) -> bool:
    """Whether a host (as given to connect or getaddrinfo) stays on this machine: ``localhost``,
    a loopback address (``%scope`` ignored), or none at all (``None``/``""``: the local host)."""
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in {"", "localhost"}:
        return True
    try:
        return ipaddress.ip_address(text.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose in-process code connects anywhere but loopback: tests must use the
    local servers they start (subprocesses are covered by pointing them at loopback URLs)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address: object) -> None:
        # AF_UNIX paths and the like are not tuples: local by nature
        if isinstance(address, tuple) and not loopback_host(address[0]):
            raise AssertionError(f"test tried to connect to a non-loopback address: {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def open_server(tmp_path: Path) -> Iterator[Server]:
    """A real pypiserver that accepts uploads without authentication."""
    packages = tmp_path / "pypiserver"
    packages.mkdir()
    with pypiserver(packages) as server:
        yield server


@pytest.fixture
def ca(tmp_path: Path) -> Authority:
    """A throwaway CA and a 127.0.0.1 server certificate it signed."""
    from tests.certs import authority

    return authority(tmp_path / "ca")


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    """A wheel of the project tls-demo 1.0 in tmp_path/dist (what the HTTPS tests publish)."""
    (tmp_path / "dist").mkdir()
    return df.project_wheel(tmp_path / "dist", "tls-demo", "1.0")


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    """The loopback OIDC issuer (tests/oidcfakes.py)."""
    from tests.oidcfakes import FakeIssuer

    with FakeIssuer() as running:
        yield running


@pytest.fixture
def cext(tmp_path: Path) -> Path:
    """The C-extension example (requires-python >= 3.9), copied."""
    target = tmp_path / "cext"
    shutil.copytree(EXAMPLES / "cext-setuptools", target)
    return target


@pytest.fixture(scope="session")
def manylinux_image() -> str:
    """The manylinux-like image (tests/manylinux.py), built once, then cached by podman."""
    return build_image()


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def hwb(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run the hwb CLI in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a sample project (tests/packages/NAME or examples/NAME) into a temp dir."""

    def copy(name: str) -> Path:
        source = PACKAGES / name if (PACKAGES / name).exists() else EXAMPLES / name
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def github_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Pretend to be a GitHub Actions step: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are temp files."""
    files = {"output": tmp_path / "gh_output", "summary": tmp_path / "gh_summary"}
    for path in files.values():
        path.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
    yield files


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pure example, built once per session (wheel + sdist) with hwb."""
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(EXAMPLES / "pure-hatch", base / "src")
    assert main(["-q", "build", str(base / "src"), "--sdist", "-o", str(base / "dist")]) == 0
    return base / "dist"
