"""Helpers shared by several test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run


def publish(
    hwb: Callable[..., Run],
    *args: str | Path,
    project: Path | None = None,
    registry: str | None = None,
    trusted: bool = False,
    json: bool | None = None,
    loud: bool = False,
) -> Run:
    """``hwb publish ARGS`` in-process, with ``--project``/``-r`` when given. ``trusted``:
    ``--trusted-publisher --no-inspect`` (the OIDC tests' wheels are stand-ins). ``json``:
    ``--json`` (the ledger on stdout); by default on, except with ``trusted`` (those tests
    read the human lines). ``loud``: ``-vvv``."""
    argv = ["-vvv"] if loud else []
    argv += ["--json", "publish"] if (not trusted if json is None else json) else ["publish"]
    if trusted:
        argv.append("--no-inspect")
    if project is not None:
        argv += ["--project", str(project)]
    if trusted:
        argv.append("--trusted-publisher")
    if registry is not None:
        argv += ["-r", registry]
    return hwb(*argv, *map(str, args))


def wait_until(condition: Callable[[], bool], seconds: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; returns whether it held. For
    waiting on another process: a fixed sleep is either too long or, on a loaded machine, too
    short."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
