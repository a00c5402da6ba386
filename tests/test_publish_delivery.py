"""Issue 22 §2-§4 against a real pypiserver behind the fault proxy: a registry that answers at
one byte a second is given up on after the timeout, index pages cut short are asked again
(never read as listings with files missing), and what a registry stored is verified by hash
after the uploads (dropped files sent again, corrupted ones an error)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hwb.errors import IndexLookupError, IndexRefusedError
from hwb.publish import answers
from hwb.simple_api import project_files
from tests import distfactory as df
from tests.conftest import Run
from tests.faultproxy import FaultProxy, Faults
from tests.helpers import publish
from tests.servers import Server

pytestmark = pytest.mark.integration
#: What a loaded 2-core machine may add to a 5 s limit (start-up, the other requests, the
#: proxy's threads); a trickled answer without the limit takes minutes.
MARGIN = 20.0


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers, "BACKOFF_BASE", 0.01)


def ledger(result: Run) -> dict[str, dict[str, object]]:
    return {str(e["file"]): e for e in json.loads(result.out)["entries"]}


def registry(tmp_path: Path, url: str, index: str) -> Path:
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        f'[tool.hwb.registries.slow]\nurl = "{url}"\nindex-url = "{index}"\n'
    )
    return project


def wheels(folder: Path, name: str, versions: range) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [df.project_wheel(folder, name, f"1.{v}") for v in versions]


# -- §2: a deadline for the whole exchange --------------------------------------------------------
def test_an_index_answering_one_byte_a_second_is_given_up_after_the_timeout(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HWB_PUBLISH_TIMEOUT=5 bounds the whole lookup (a page of ~600 bytes at 1 byte/s took
    10 minutes before): the file is not sent (it may be there), the reason names the URL and
    the limit."""
    monkeypatch.setenv("HWB_PUBLISH_TIMEOUT", "5")
    monkeypatch.setenv("HWB_PUBLISH_RETRIES", "0")  # one lookup, so one deadline
    (wheel,) = wheels(tmp_path / "dist", "slow-index", range(1))
    shutil.copy(wheel, open_server.packages / wheel.name)  # a listing to trickle
    with FaultProxy(open_server.url, Faults(trickle=1.0)) as index:
        project = registry(tmp_path, open_server.url, f"{index.url}simple/")
        started = time.monotonic()
        result = publish(hwb, "-r", "slow", "--no-inspect", "--project", project, wheel)
        took = time.monotonic() - started
    assert took < 5 + MARGIN, f"held {took:.0f} s by a 5 s timeout"
    assert result.code == 14
    reason = str(ledger(result)[wheel.name]["reason"])
    assert "cannot tell whether it is already there" in reason
    assert f"no complete answer from {index.url}simple/slow-index/ within 5 s" in reason


def test_an_upload_answered_one_byte_a_second_may_have_landed_and_is_looked_for(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload's answer trickles (the registry stored the file first): after 5 s (plus a
    second per MiB sent) hwb stops waiting, and since the file may have landed it looks, finds
    it, and records it as delivered, once."""
    monkeypatch.setenv("HWB_PUBLISH_TIMEOUT", "5")
    monkeypatch.setenv("HWB_PUBLISH_RETRIES", "0")
    (wheel,) = wheels(tmp_path / "dist", "slow-upload", range(1))
    faults = Faults(trickle=1.0, trickle_methods=("POST",))
    with FaultProxy(open_server.url, faults) as proxy:
        project = registry(tmp_path, proxy.url, open_server.simple)
        started = time.monotonic()
        result = publish(hwb, "-r", "slow", "--no-inspect", "--project", project, wheel)
        took = time.monotonic() - started
        accepted = dict(proxy.stats.accepted)
    assert took < 5 + MARGIN, f"held {took:.0f} s by a 5 s timeout"
    assert result.code == 0, result.out + result.err
    entry = ledger(result)[wheel.name]
    assert entry["status"] == "uploaded" and entry["verified"] is True
    assert "confirmed on the index after: no complete answer from" in str(entry["reason"])
    assert accepted == {wheel.name: 1}


# -- §2: a cap on every answer ----------------------------------------------------------------
@pytest.fixture
def endless_page() -> Iterator[str]:
    """A server whose every page is an endless chunked stream of links, as fast as it goes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            link = b'<a href="/x/x-1.0.tar.gz">x-1.0.tar.gz</a>\n' * 2000
            chunk = f"{len(link):x}\r\n".encode() + link + b"\r\n"
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endless_page_stops_at_the_cap(endless_page: str) -> None:
    started = time.monotonic()
    with pytest.raises(IndexRefusedError) as caught:
        project_files(endless_page, "x", timeout=300)
    assert f"the answer from {endless_page}x/ is larger than 64 MiB" in caught.value.message
    assert time.monotonic() - started < 120  # the cap, not the 300 s deadline, ended it


def test_a_slow_endless_page_stops_at_the_deadline(open_server: Server) -> None:
    with FaultProxy(open_server.url, Faults(trickle=50.0)) as index:
        started = time.monotonic()
        with pytest.raises(IndexLookupError) as caught:
            project_files(f"{index.url}simple/", "anything", timeout=2)
    assert time.monotonic() - started < 2 + MARGIN
    assert "within 2 s (the limit for the whole request)" in caught.value.message


# -- §3: half a page is not an answer -------------------------------------------------------------
def test_pages_cut_short_are_asked_again_and_the_run_converges_without_false_409(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half of all index pages arrive cut in half (with a Content-Length that matches the half,
    short of the whole page's Content-Length, or a chunked stream cut): none is read as a
    listing, so the files already there are skipped, the new ones uploaded, in one run, and
    nothing is sent that the registry already had."""
    there: list[Path] = []
    new: list[Path] = []
    for p in range(6):  # pages of 6 projects, each read before and after the uploads
        files = wheels(tmp_path / "dist", f"trunc-{p}", range(5))
        there += files[:3]
        new += files[3:]
    for path in there:
        shutil.copy(path, open_server.packages / path.name)
    monkeypatch.setenv("HWB_PUBLISH_RETRIES", "8")  # 17 lookups: 0.5**17, none fails them all
    faults = Faults(truncate="mixed", truncate_rate=0.5, seed=22)
    with FaultProxy(open_server.url, faults) as proxy:
        result = publish(hwb, "--url", proxy.url, "--no-inspect", *there, *new)
        stats = proxy.stats
    assert result.code == 0, result.out[-3000:] + result.err[-3000:]
    assert stats.truncated >= 4  # the faults really happened
    statuses = {name: e["status"] for name, e in ledger(result).items()}
    assert statuses == {
        **{f.name: "skipped-identical" for f in there},
        **{f.name: "uploaded" for f in new},
    }
    assert stats.upstream_status[409] == 0  # nothing the registry had was sent again
    assert stats.accepted == {f.name: 1 for f in new}


# -- §4: verified delivery ------------------------------------------------------------------------
def test_a_registry_that_drops_uploads_is_caught_and_the_files_sent_again(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30% of uploads are answered 200 and never stored: every file ends on the registry with
    its bytes, each `uploaded (verified)`, in one run."""
    monkeypatch.setenv("HWB_PUBLISH_RETRIES", "12")  # 0.3**13: no file dropped every time
    files = [
        *wheels(tmp_path / "dist", "drop-a", range(8)),
        *wheels(tmp_path / "dist", "drop-b", range(8)),
    ]
    with FaultProxy(open_server.url, Faults(drop_store=0.3, seed=4)) as proxy:
        result = hwb("--json", "publish", "--url", proxy.url, "--no-inspect", *map(str, files))
        dropped = sum(proxy.stats.dropped.values())
    assert result.code == 0, result.out[-3000:] + result.err[-3000:]
    assert dropped >= 2  # the faults really happened
    for path in files:
        assert (open_server.packages / path.name).read_bytes() == path.read_bytes()
    entries = ledger(result)
    assert {(e["status"], e["verified"]) for e in entries.values()} == {("uploaded", True)}
    assert json.loads(result.out)["verified"] == len(files)
    resent = [e for e in entries.values() if "sent again" in str(e["reason"])]
    assert len(resent) >= 1


def test_a_registry_that_stores_files_cut_short_is_an_error_naming_it(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path
) -> None:
    files = wheels(tmp_path / "dist", "corrupt", range(2))
    with FaultProxy(open_server.url, Faults(truncate_store=1.0)) as proxy:
        project = registry(tmp_path, proxy.url, f"{proxy.url}simple/")
        result = publish(hwb, "-r", "slow", "--no-inspect", "--project", project, *files)
        human = hwb(
            "publish", "-r", "slow", "--no-inspect", "--project", str(project), *map(str, files)
        )
    assert result.code == 14
    for path in files:
        entry = ledger(result)[path.name]
        assert entry["status"] == "failed" and entry["verified"] is False
        assert f"{path.name} on slow is not the file sent" in str(entry["reason"])
        assert "corrupted" in str(entry["reason"]) and "admins" in str(entry["hint"])
    # the rerun finds the stored file different: refused, never sent again
    assert human.code == 14 and "different content" in human.out


def test_verification_can_be_switched_off(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--no-verify (or HWB_PUBLISH_VERIFY=false): the uploads are not looked for again, and the
    ledger says none was verified; by default the human table says `uploaded (verified)`."""
    first, second = wheels(tmp_path / "dist", "switch", range(2))
    with FaultProxy(open_server.url, Faults()) as proxy:
        off = publish(hwb, "--url", proxy.url, "--no-inspect", "--no-verify", first)
        gets_off = proxy.stats.gets
        monkeypatch.setenv("HWB_PUBLISH_VERIFY", "false")
        shown = hwb("config", "show")
        on = hwb("publish", "--url", proxy.url, "--no-inspect", "--verify", str(second))
    assert off.code == 0 and ledger(off)[first.name]["verified"] is False
    assert gets_off == 1  # the lookup before the upload only
    assert "HWB_PUBLISH_VERIFY" in shown.out
    assert on.code == 0 and "uploaded (verified)" in on.out


def test_a_token_endpoint_answering_one_byte_a_second_is_given_up_after_its_limit(
    open_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trusted publishing's exchanges have TIMEOUT for the whole of each request too."""
    from hwb.errors import TrustedPublishingError
    from hwb.trust import oidc

    monkeypatch.setattr(oidc, "TIMEOUT", 2.0)
    with FaultProxy(open_server.url, Faults(trickle=1.0)) as slow:
        started = time.monotonic()
        with pytest.raises(TrustedPublishingError) as caught:
            oidc.audience(slow.url)
    assert time.monotonic() - started < 2 + MARGIN
    assert "did not answer the trusted-publishing audience request: no complete answer" in str(
        caught.value.message
    )
    assert "within 2 s" in caught.value.message
