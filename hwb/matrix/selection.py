"""Which identifiers cibuildwheel selects for a project, exactly as
``cibuildwheel --print-build-identifiers`` prints them.

cibuildwheel alone decides *what* is built ([tool.cibuildwheel], ``CIBW_*``: build, skip, archs,
enable, requires-python). hwb asks it in-process through the functions behind
``--print-build-identifiers`` (fast: one import for all platforms), and falls back to running
``cibuildwheel --print-build-identifiers`` when that private API has changed shape.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hwb import log, proc
from hwb.errors import ConfigError

_log = log.get("matrix")


class _ApiUnavailable(Exception):
    """cibuildwheel's internal API is not what this hwb knows: use its CLI instead."""


def _query_api(
    project: Path, platforms: Sequence[str], archs: str | None, environ: Mapping[str, str]
) -> dict[str, list[str]]:
    try:
        import dataclasses

        from cibuildwheel.errors import FatalError
        from cibuildwheel.options import CommandLineArguments, compute_options
        from cibuildwheel.platforms import ALL_PLATFORM_MODULES, get_build_identifiers
    except ImportError as exc:
        raise _ApiUnavailable(str(exc)) from exc
    result: dict[str, list[str]] = {}
    captured = io.StringIO()
    try:
        # cibuildwheel prints its warnings; hwb's stdout carries the plan, so keep them aside.
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            for name in platforms:
                platform: Any = name  # one of cibuildwheel's PlatformName literals
                args = dataclasses.replace(
                    CommandLineArguments.defaults(),
                    platform=platform,
                    archs=archs or None,
                    package_dir=project,
                    print_build_identifiers=True,
                )
                options = compute_options(
                    platform=platform,
                    command_line_arguments=args,
                    env=environ,
                )
                result[platform] = list(
                    get_build_identifiers(
                        platform_module=ALL_PLATFORM_MODULES[platform],
                        build_selector=options.globals.build_selector,
                        architectures=options.globals.architectures,
                    )
                )
    except FatalError as exc:
        raise ConfigError(
            f"cibuildwheel: {exc.args[0] if exc.args else type(exc).__name__}",
            hint="Fix [tool.cibuildwheel] or the CIBW_* variables.",
        ) from None
    except (TypeError, AttributeError, KeyError) as exc:
        raise _ApiUnavailable(repr(exc)) from exc
    for line in captured.getvalue().splitlines():
        if line.strip():
            _log.warning("cibuildwheel: %s", line.strip())
    return result


def _query_cli(
    project: Path, platforms: Sequence[str], archs: str | None, environ: Mapping[str, str]
) -> dict[str, list[str]]:
    def one(platform: str) -> list[str]:
        argv = [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers"]
        argv += [f"--platform={platform}"]
        if archs:
            argv += [f"--archs={archs}"]  # a setting's value, never an option of its own
        done = proc.run([*argv, "--", str(project)], env=environ, stream_level=logging.DEBUG)
        if done.returncode != 0:
            errors = [ln for ln in done.lines if "error" in ln.lower()] or done.tail(1)
            raise ConfigError(
                f"cibuildwheel --print-build-identifiers --platform {platform} failed: "
                f"{errors[-1].strip() if errors else f'exit {done.returncode}'}",
                hint="Fix [tool.cibuildwheel] or the CIBW_* variables.",
            )
        return [
            ln.strip() for ln in done.lines if ln.strip() and "-" in ln and " " not in ln.strip()
        ]

    # One process per platform, concurrently: each is mostly interpreter start-up.
    with ThreadPoolExecutor(max_workers=len(platforms)) as pool:
        lists = list(pool.map(one, platforms))
    return dict(zip(platforms, lists, strict=True))


def query_identifiers(
    project: Path,
    platforms: Sequence[str],
    archs: str | None = None,
    environ: Mapping[str, str] | None = None,
    method: str = "auto",
) -> tuple[dict[str, list[str]], str]:
    """Identifiers per platform, exactly as ``cibuildwheel --print-build-identifiers`` gives
    them; also which way they were obtained (``api`` or ``cli``)."""
    env = dict(os.environ if environ is None else environ)
    project = project.resolve()
    if method in {"auto", "api"}:
        try:
            return _query_api(project, platforms, archs, env), "api"
        except _ApiUnavailable as exc:
            if method == "api":
                raise
            _log.debug("cibuildwheel API unavailable (%s); using its CLI", exc)
    return _query_cli(project, platforms, archs, env), "cli"
