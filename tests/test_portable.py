"""The primitives that must work on the Windows and macOS runners the release workflow uses,
tested through their portable interfaces: the folder index's lock between processes, and the
process stop (a time limit, an interrupt) that takes the child's whole tree with it."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hwb import proc
from hwb.errors import ToolMissingError, ToolTimeoutError
from hwb.static_index.store import DirStore, writer_lock

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and /proc")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its (new) parent to reap it is gone too
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


#: A child that starts a grandchild deaf to SIGTERM, says its pid, and waits for it.
_TREE = (
    "import subprocess, sys\n"
    "g = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
    "signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(300)'],"
    " stdout=subprocess.PIPE)\n"
    "g.stdout.readline()\n"
    "print(g.pid, flush=True)\n"
    "g.wait()\n"
)


@pytest.fixture
def tree_pids() -> Iterator[list[int]]:
    pids: list[int] = []
    yield pids
    for pid in pids:  # never leave a sleeper behind, whatever the test did
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _pid_logger(name: str, pids: list[int], then: Callable[[], None] = lambda: None) -> Any:
    """A logger that notes the pid line the tree's child prints (then calls ``then``)."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage().strip()
            if text.isdigit():
                pids.append(int(text))
                then()

    logger = logging.getLogger(f"hwb.test.portable.{name}")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Collect())
    return logger


@posix_only
def test_timeout_stops_the_whole_tree(tree_pids: list[int]) -> None:
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError) as caught:
        proc.run(
            [sys.executable, "-c", _TREE],
            timeout=1,
            logger=_pid_logger("timeout", tree_pids),
            stream_level=logging.INFO,
        )
    assert caught.value.exit_code == 8
    assert "did not finish within 1 s and was stopped" in caught.value.message
    assert caught.value.details == [str(tree_pids[0])]  # its last output, for the user
    # The grandchild ignores SIGTERM: only the group's SIGKILL stops it.
    assert _gone(tree_pids[0])
    assert time.monotonic() - started < 15


@posix_only
def test_interrupt_stops_the_whole_tree(tree_pids: list[int]) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # hwb's SIGTERM handler (cli.main) turns a cancelled job into this KeyboardInterrupt.
    logger = _pid_logger("interrupt", tree_pids, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            proc.run([sys.executable, "-c", _TREE], logger=logger, stream_level=logging.INFO)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert tree_pids
    assert _gone(tree_pids[0])


def test_a_run_within_its_time_limit_is_untouched() -> None:
    done = proc.run([sys.executable, "-c", "print('ok')"], timeout=60)
    assert (done.returncode, done.lines) == (0, ["ok"])
    with pytest.raises(ToolMissingError):
        proc.run(["hwb-no-such-program"], timeout=5)


@posix_only
def test_an_interpreter_that_hangs_is_not_a_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hwb.build import interpreters

    hangs = tmp_path / "python3.99"
    hangs.write_text("#!/bin/sh\nsleep 300\n")
    hangs.chmod(0o755)
    monkeypatch.setattr(interpreters, "PROBE_TIMEOUT", 1.0)
    started = time.monotonic()
    assert interpreters.probe(hangs) is None
    assert time.monotonic() - started < 10
    assert interpreters.probe(sys.executable) == interpreters.current()


# -- the folder index's locks ----------------------------------------------------------------
_HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from hwb.static_index.store import DirStore\n"
    "store = DirStore(Path(sys.argv[1]))\n"
    "store.check()\n"
    "with store._locked('simple/p/index.html'):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(300)\n"
)


def test_a_key_lock_excludes_another_process_and_dies_with_it(tmp_path: Path) -> None:
    store = DirStore(tmp_path / "index")
    store.check()
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(store.root)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            waited: list[float] = []

            def contend() -> None:
                start = time.monotonic()
                with store._locked("simple/p/index.html"):
                    waited.append(time.monotonic() - start)

            contender = threading.Thread(target=contend)
            contender.start()
            contender.join(1.0)
            assert contender.is_alive()  # blocked behind the other process
            with store._locked("simple/q/index.html"):  # another key is free meanwhile
                pass
            holder.kill()  # a publisher killed mid-write: the OS releases its lock
            contender.join(10)
            assert not contender.is_alive()
            assert waited and waited[0] >= 1.0
        finally:
            holder.kill()


def test_a_live_writers_temporary_file_survives_clean(tmp_path: Path) -> None:
    store = DirStore(tmp_path / "index")
    store.check()
    folder = store.root / "simple" / "p"
    folder.mkdir(parents=True)
    old = time.time() - 60
    live, dead = folder / ".index.html.LiveWr1t", folder / ".index.html.DeadWr1t"
    for path in (live, dead):
        path.write_text("{")
        os.utime(path, (old, old))
    with writer_lock(store.root, live):
        assert store.clean(["simple/p"]) == 1
        assert live.exists() and not dead.exists()
    assert store.clean() == 1
    assert not live.exists()
    assert [p.name for p in (store.root / ".hwb-locks").iterdir()] == []  # no lock files left


def test_the_folder_store_loads_without_fcntl(tmp_path: Path) -> None:
    """Windows has no fcntl: the store (the folder and S3 indexes, the default `local`) must
    still import and work there."""
    script = (
        "import sys\n"
        "sys.modules['fcntl'] = None\n"  # what Windows has
        "from pathlib import Path\n"
        "from hwb.static_index.store import DirStore\n"
        "store = DirStore(Path(sys.argv[1]))\n"
        "store.check()\n"
        "store.create('packages/p/a.txt', b'a', 'text/plain')\n"
        "etag = store.replace('simple/p/index.html', b'1', 'text/html', None)\n"
        "store.replace('simple/p/index.html', b'2', 'text/html', etag)\n"
        "print(store.read('simple/p/index.html').data.decode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "2"), done.stderr
