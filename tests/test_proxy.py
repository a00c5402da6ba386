"""Publishing through a corporate proxy: proxy.py (a real HTTP proxy with CONNECT tunnels and
Basic proxy auth) between hwb and an HTTPS registry signed by a private CA. The lookups (urllib)
and the uploads (requests) both go through it, and its password never shows."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwb.tls import CA_VARIABLES
from tests.certs import Authority
from tests.conftest import Run
from tests.faultproxy import FaultProxy, Faults
from tests.helpers import publish
from tests.servers import Server, free_port, wait_for_port

pytestmark = pytest.mark.integration

PROXY_PASSWORD = "Pr0xy-S3cret-pw"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass
class Proxy:
    port: int
    log: Path  # proxy.py's access log: one "CONNECT host:port" line per tunnel

    def tunnels(self, to: str, expected: int) -> int:
        """How many tunnels to ``to`` the log shows, waiting (bounded) for ``expected``:
        proxy.py writes a line when a tunnel closes."""
        deadline = time.monotonic() + 5
        while True:
            count = self.log.read_text().count(f"CONNECT {to} ")
            if count >= expected or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """proxy.py on loopback, asking for alice's password."""
    exe = shutil.which("proxy", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("proxy.py is not installed (pip install 'proxy.py')")
    port = free_port()
    log_path = tmp_path / "proxy.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [exe, "--hostname", "127.0.0.1", "--port", str(port), "--num-workers", "1",
         "--num-acceptors", "1", "--log-level", "INFO", "--basic-auth", f"alice:{PROXY_PASSWORD}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, proc, "proxy.py")
        yield Proxy(port, log_path)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _environment(monkeypatch: pytest.MonkeyPatch, ca: Authority, proxy_url: str) -> None:
    for name in (*CA_VARIABLES, *PROXY_VARIABLES, *(v.upper() for v in PROXY_VARIABLES)):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca))
    monkeypatch.setenv("HTTPS_PROXY", proxy_url)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)


def _registry(tmp_path: Path, url: str, index: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        f'[tool.hwb.registries.corp]\nurl = "{url}"\nindex-url = "{index}"\n'
    )
    return project


def test_lookups_and_uploads_go_through_the_proxy(
    hwb: Callable[..., Run],
    proxy: Proxy,
    open_server: Server,
    ca: Authority,
    wheel: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The registry is named ``localhost`` so that nothing bypasses the proxy. Published, then
    found identical on the second run; the proxy's log shows a tunnel for each request."""
    with FaultProxy(open_server.url, Faults(), tls=ca.server_context()) as front:
        url = front.url.replace("127.0.0.1", "localhost")
        _environment(monkeypatch, ca, f"http://alice:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}")
        first = publish(hwb, "--url", url, wheel, loud=True)
        again = publish(hwb, "--url", url, wheel, loud=True)
    assert first.code == 0, first.err
    assert again.code == 0, again.err
    assert (open_server.packages / wheel.name).read_bytes() == wheel.read_bytes()
    # a lookup before the upload and one after it (verified delivery), a lookup on the rerun
    assert (front.stats.gets, front.stats.posts) == (3, [wheel.name])
    # Every one of those requests came through a tunnel: three lookups and one upload.
    assert proxy.tunnels(url.split("/")[2], 4) == 4
    for run in (first, again):
        assert PROXY_PASSWORD not in run.out + run.err


@pytest.mark.parametrize("through", ["lookup", "upload"])
def test_a_proxy_refusing_the_password_fails_that_request_without_leaking_it(
    hwb: Callable[..., Run],
    proxy: Proxy,
    open_server: Server,
    ca: Authority,
    wheel: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    through: str,
) -> None:
    """A wrong proxy password (407): the request that goes through the proxy fails, which shows
    each stack uses it; the other one is exempted with NO_PROXY. It fails at once, with the
    proxy's answer and what to check; nothing is sent, and neither password shows at -vvv."""
    wrong = "Wr0ng-Pr0xy-pw"
    with FaultProxy(open_server.url, Faults(), tls=ca.server_context()) as front:
        proxied = front.url.replace("127.0.0.1", "localhost")
        index = (proxied if through == "lookup" else front.url) + "simple/"
        upload = proxied if through == "upload" else front.url
        _environment(monkeypatch, ca, f"http://alice:{wrong}@127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        project = _registry(tmp_path, upload, index)
        result = publish(hwb, wheel, project=project, registry="corp", loud=True, json=False)
    assert result.code == 14
    said = result.out + result.err
    assert "the proxy refused the tunnel to https://localhost:" in said
    assert ": 407 Proxy Authentication Required" in said
    assert "Check the proxy's user and password in HTTPS_PROXY" in said  # the hint
    assert "retrying" not in said  # the proxy's answer will not change: asked once
    assert wrong not in said and PROXY_PASSWORD not in said
    assert front.stats.posts == []
    assert not (open_server.packages / wheel.name).exists()
