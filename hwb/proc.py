"""The one place that starts processes: the subprocess wrapper, and the worker pool.

Resolves the program against the PATH the child will use (a missing tool is a clear error, not
a FileNotFoundError traceback), logs the shell-quoted command at -vv, streams the child's merged
output line by line at -v, and keeps it so that a failure can show its last lines.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwb import cancel, log
from hwb.errors import ToolMissingError, ToolTimeoutError
from hwb.redaction import scrub_env

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

_log = log.get("proc")
#: The children running now, so a second signal (which ends hwb at once) stops their trees too.
_live: set[subprocess.Popen[str]] = set()


@dataclass(frozen=True)
class Completed:
    args: list[str]
    returncode: int
    lines: list[str]

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def tail(self, n: int = 20) -> list[str]:
        return [line for line in self.lines if line.strip()][-n:]


def which(program: str, env: Mapping[str, str] | None = None) -> str | None:
    path = (env if env is not None else os.environ).get("PATH")
    return shutil.which(program, path=path)


def run(
    args: Sequence[str | Path],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stream_level: int = log.VERBOSE,
    prefix: str = "  ",
    logger: logging.Logger = _log,
    keep_credentials: bool = False,
    timeout: float | None = None,
) -> Completed:
    """Run ``args``, returning its exit code and output; it never raises for a non-zero exit
    (callers decide what a failure means), only :class:`ToolMissingError`, and
    :class:`ToolTimeoutError` when ``timeout`` seconds pass first (the child and everything it
    started are stopped before it is raised).

    The child never sees a publishing credential (:func:`hwb.redaction.scrub_env`: build
    backends and their requirements are third-party code) unless ``keep_credentials``."""
    argv = [str(a) for a in args]
    env_map = dict(env) if env is not None else dict(os.environ)
    if not keep_credentials:
        env_map = scrub_env(env_map)
    program = argv[0]
    if os.sep not in program:
        found = which(program, env_map)
        if found is None:
            raise ToolMissingError(
                f"'{program}' was not found on PATH",
                hint=f"Install {program}, or put it on PATH.",
            )
        argv[0] = found
    elif not Path(program).exists():
        raise ToolMissingError(f"'{program}' does not exist")
    logger.debug("+ %s", shlex.join(argv))
    lines: list[str] = []
    expired = threading.Event()
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=env_map,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        **_new_group(),
    ) as child:
        _live.add(child)

        # The output is read here line by line, so the time limit is kept by a timer that
        # stops the tree; the pipe then closes and the loop below ends.
        def expire() -> None:
            expired.set()
            _stop(child)

        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, expire)
            timer.daemon = True
            timer.start()
        try:
            assert child.stdout is not None  # noqa: S101 - guaranteed by stdout=PIPE
            for raw in child.stdout:
                line = raw.rstrip("\n")
                lines.append(line)
                logger.log(stream_level, "%s%s", prefix, line)
            returncode = child.wait()
        except BaseException:
            _stop(child)
            raise
        finally:
            _live.discard(child)
            if timer is not None:
                timer.cancel()
                timer.join()  # a stop under way finishes before this returns or raises
    if expired.is_set():
        raise ToolTimeoutError(
            f"'{Path(argv[0]).name}' did not finish within {timeout:g} s and was stopped",
            hint="Check that it can run unattended here (no prompt, no hung network call).",
            details=[line for line in lines if line.strip()][-20:],
        )
    return Completed(argv, returncode, lines)


def worker_pool(workers: int, preload: Sequence[str] = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` Python worker processes. fork where it is safe, so workers inherit
    what this process imported (the caller imports it first): only while this process has a
    single thread (forking with threads running can deadlock the child). Otherwise forkserver,
    preloading ``preload``, and on Windows (and macOS without forkserver) a fresh interpreter
    per worker (spawn)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context: multiprocessing.context.BaseContext
    if "fork" in methods and threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _new_group() -> dict[str, Any]:
    """Popen arguments that start the child in a process group of its own, so that stopping it
    (an interrupted hwb, a time limit) stops everything it started too (a backend's compilers)."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:  # noqa: RET505 - one branch per platform, so mypy checks each on its own
        return {"start_new_session": True}


def kill_children() -> None:
    """Kill every running child's tree at once (a second signal: no grace left)."""
    for child in list(_live):
        _kill_tree(child)


cancel.at_second_signal(kill_children)


if sys.platform == "win32":  # pragma: no cover - Windows

    def _kill_tree(child: subprocess.Popen[str]) -> None:
        with contextlib.suppress(OSError):
            child.kill()

    def _stop(child: subprocess.Popen[str], grace: float = 5.0) -> None:
        """Ask the child's process group to stop (CTRL_BREAK_EVENT, what Ctrl+Break in its
        console sends), then kill the whole tree (``taskkill /T /F``; at least the child should
        that fail) if it does not exit in time."""
        if child.poll() is not None:
            return
        with contextlib.suppress(OSError):
            child.send_signal(signal.CTRL_BREAK_EVENT)
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass
        taskkill = shutil.which("taskkill")
        if taskkill is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    [taskkill, "/T", "/F", "/PID", str(child.pid)],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
        with contextlib.suppress(OSError):
            child.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)

else:

    def _kill_tree(child: subprocess.Popen[str]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)

    def _stop(child: subprocess.Popen[str], grace: float = 5.0) -> None:
        """SIGTERM to the child's process group, then, once the child has exited or the grace
        is over, SIGKILL to whatever is left in the group (a grandchild that ignored SIGTERM
        would otherwise keep running, and keep the output pipe open)."""

        def send(sig: int) -> None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, sig)

        send(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
        send(signal.SIGKILL)
        child.wait(timeout=grace)
