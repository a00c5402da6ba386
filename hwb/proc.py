"""The one subprocess wrapper.

Resolves the program against the PATH the child will use (a missing tool is a clear error, not
a FileNotFoundError traceback), logs the shell-quoted command at -vv, streams the child's merged
output line by line at -v, and keeps it so that a failure can show its last lines.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb import log
from hwb.errors import ToolMissingError
from hwb.redaction import scrub_env

_log = log.get("proc")


@dataclass(frozen=True)
class Completed:
    args: list[str]
    returncode: int
    lines: list[str]
    timed_out: bool = False

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
    (callers decide what a failure means), only :class:`ToolMissingError`.

    The child never sees a publishing credential (:func:`hwb.redaction.scrub_env`: build
    backends and their requirements are third-party code) unless ``keep_credentials``.

    With ``timeout`` (seconds), a child still running then is stopped (its whole process
    group) and the result's ``timed_out`` is set; its return code is then the signal's."""
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
    expired: list[bool] = []
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
        # Its own process group, so an interrupted hwb can stop the child and everything the
        # child started (a backend's compilers) instead of leaving them running.
        start_new_session=os.name == "posix",
    ) as child:
        timer = threading.Timer(timeout, _expire, (child, expired)) if timeout else None
        if timer is not None:
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
            if timer is not None:
                timer.cancel()
    return Completed(argv, returncode, lines, timed_out=bool(expired))


def _expire(child: subprocess.Popen[str], expired: list[bool]) -> None:
    expired.append(True)
    _stop(child)


def _stop(child: subprocess.Popen[str], grace: float = 5.0) -> None:
    """Terminate the child's process group, then kill it if it does not exit in time."""
    import signal

    def send(sig: int) -> None:
        try:
            if os.name == "posix":
                os.killpg(child.pid, sig)
            else:  # pragma: no cover - Windows
                child.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass

    send(signal.SIGTERM)
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        child.wait(timeout=grace)
