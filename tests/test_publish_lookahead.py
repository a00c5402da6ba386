"""The index lookups run ahead of the uploads: they start beside the pre-publish inspection
(reads only; nothing is sent before the inspection passes), and a run that stops early never
waits for them. Against a real pypiserver behind the fault proxy (which counts the lookups)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hwb.publish import service
from tests import distfactory as df
from tests.conftest import Run
from tests.faultproxy import FaultProxy, Faults
from tests.servers import Server


def _projects(tmp_path: Path, count: int) -> list[Path]:
    folder = tmp_path / "dist"
    folder.mkdir()
    return [df.project_wheel(folder, f"ahead-{i}", "1.0") for i in range(count)]


def test_lookups_run_while_the_inspection_does_and_nothing_is_sent_before_it_passes(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = _projects(tmp_path, 6)
    real = service.inspect_before_upload
    seen: dict[str, int] = {}

    with FaultProxy(open_server.url, Faults()) as proxy:

        def inspect_slowly(
            paths: list[Path], checks: Any, on_started: Callable[[], None] | None = None
        ) -> None:
            def started() -> None:
                if on_started is not None:
                    on_started()
                deadline = time.monotonic() + 10  # bounded: fails below if no lookup came
                while proxy.stats.gets < len(wheels) and time.monotonic() < deadline:
                    time.sleep(0.01)
                seen["gets"], seen["posts"] = proxy.stats.gets, len(proxy.stats.posts)

            real(paths, checks, started)

        monkeypatch.setattr(service, "inspect_before_upload", inspect_slowly)
        result = hwb("publish", "--url", proxy.url, *map(str, wheels))
        assert result.code == 0, result.err
        # every project was looked up during the inspection, and nothing sent before it ended
        assert seen == {"gets": len(wheels), "posts": 0}
        # the uploads used those listings: no second lookup per project before the uploads,
        # then one per project after them, the verification
        assert proxy.stats.gets == 2 * len(wheels)
        assert sorted(proxy.stats.accepted) == sorted(w.name for w in wheels)


@pytest.fixture
def silent_index() -> Iterator[tuple[str, list[socket.socket]]]:
    """An HTTP server that accepts connections and never answers (a hung registry)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/", accepted
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_failed_inspection_does_not_wait_for_a_hung_index(
    hwb: Callable[..., Run], silent_index: tuple[str, list[socket.socket]], tmp_path: Path
) -> None:
    url, _accepted = silent_index
    good = _projects(tmp_path, 3)
    broken = df.wheel(tmp_path, bad_hash_for="demo_pkg/__init__.py")
    started = time.monotonic()
    result = hwb("publish", "--url", url, *map(str, good), str(broken))
    took = time.monotonic() - started
    assert result.code == 12 and "nothing was uploaded" in result.err
    assert took < 10, f"waited {took:.1f}s for lookups of a run that had already failed"
