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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb import log
from hwb.errors import ToolMissingError

_log = log.get("proc")


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
) -> Completed:
    """Run ``args``, returning its exit code and output; it never raises for a non-zero exit
    (callers decide what a failure means), only :class:`ToolMissingError`."""
    argv = [str(a) for a in args]
    env_map = dict(env) if env is not None else dict(os.environ)
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
    ) as proc:
        assert proc.stdout is not None  # noqa: S101 - guaranteed by stdout=PIPE
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            logger.log(stream_level, "%s%s", prefix, line)
        returncode = proc.wait()
    return Completed(argv, returncode, lines)
