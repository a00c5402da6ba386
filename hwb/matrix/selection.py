"""Which identifiers cibuildwheel selects for a project, exactly as
``cibuildwheel --print-build-identifiers`` prints them, and whether the project needs a matrix
at all (a pure project builds one wheel).

cibuildwheel alone decides *what* is built ([tool.cibuildwheel], ``CIBW_*``: build, skip, archs,
enable, requires-python). hwb asks it in-process through the functions behind
``--print-build-identifiers`` (fast: one import for all platforms), and falls back to running
``cibuildwheel --print-build-identifiers`` when that private API has changed shape.

A plan runs on one machine, but its jobs run on other runners: cibuildwheel's ``auto`` archs
describe the machine it runs on. :func:`select_for_runners` reads the project's ``archs``
setting, evaluates it over every runner family (:func:`hwb.matrix.runners.expand_archs`) and
asks cibuildwheel for those archs explicitly.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwb import log, proc
from hwb.errors import ConfigError
from hwb.matrix.runners import expand_archs

_log = log.get("matrix")


class _ApiUnavailable(Exception):
    """cibuildwheel's internal API is not what this hwb knows: use its CLI instead."""


def _query_api(
    project: Path,
    platforms: Sequence[str],
    archs: str | Mapping[str, str] | None,
    environ: Mapping[str, str],
    on_runners: bool = False,
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
                    archs=(archs.get(name) if isinstance(archs, Mapping) else archs) or None,
                    package_dir=project,
                    print_build_identifiers=True,
                )
                options = compute_options(
                    platform=platform,
                    command_line_arguments=args,
                    env=environ,
                )
                module = ALL_PLATFORM_MODULES[platform]
                selector = options.globals.build_selector
                architectures = options.globals.architectures
                if on_runners and name == "macos":
                    # get_python_configurations, less its "this machine is x86_64, so no
                    # PyPy/GraalPy arm64" filter: arm64 builds run on Apple-silicon runners.
                    result[platform] = [
                        c.identifier
                        for c in module.all_python_configurations()
                        if any(c.identifier.endswith(a.value) for a in architectures)
                        and selector(c.identifier)
                    ]
                    continue
                result[platform] = list(
                    get_build_identifiers(
                        platform_module=module,
                        build_selector=selector,
                        architectures=architectures,
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
    project: Path,
    platforms: Sequence[str],
    archs: str | Mapping[str, str] | None,
    environ: Mapping[str, str],
) -> dict[str, list[str]]:
    def one(platform: str) -> list[str]:
        argv = [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers"]
        argv += [f"--platform={platform}"]
        chosen = archs.get(platform) if isinstance(archs, Mapping) else archs
        if chosen:
            argv += [f"--archs={chosen}"]  # a setting's value, never an option of its own
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
    archs: str | Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    method: str = "auto",
    *,
    on_runners: bool = False,
) -> tuple[dict[str, list[str]], str]:
    """Identifiers per platform, exactly as ``cibuildwheel --print-build-identifiers`` gives
    them (``archs``: its ``--archs``, one for all platforms or one per platform); also which
    way they were obtained (``api`` or ``cli``). ``on_runners``: the builds run on the runners
    of their arch, not on this machine (cibuildwheel's CLI, the fallback, cannot know)."""
    env = dict(os.environ if environ is None else environ)
    project = project.resolve()
    if method in {"auto", "api"}:
        try:
            return _query_api(project, platforms, archs, env, on_runners), "api"
        except _ApiUnavailable as exc:
            if method == "api":
                raise
            _log.debug("cibuildwheel API unavailable (%s); using its CLI", exc)
    return _query_cli(project, platforms, archs, env), "cli"


# -- archs over the runners ------------------------------------------------------------------


@dataclass(frozen=True)
class ArchChoice:
    """The archs planned for one platform, and why."""

    platform: str
    expression: str  # as written: "auto", "auto aarch64", "x86_64 arm64"
    origin: str  # where it was read: CIBW_ARCHS_LINUX, [tool.cibuildwheel.linux], ...
    archs: tuple[str, ...]  # evaluated over the runner families

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.expression, "from": self.origin, "archs": list(self.archs)}


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key) if isinstance(data, Mapping) else None
        data = value if isinstance(value, Mapping) else {}
    return data


def archs_setting(
    platform: str, environ: Mapping[str, str], pyproject: Mapping[str, Any] | None
) -> tuple[str, str]:
    """The project's cibuildwheel ``archs`` for ``platform`` and where it came from, in
    cibuildwheel's order: CIBW_ARCHS_<PLATFORM>, CIBW_ARCHS, [tool.cibuildwheel.<platform>],
    [tool.cibuildwheel], else its default ``auto``."""
    for name in (f"CIBW_ARCHS_{platform.upper()}", "CIBW_ARCHS"):
        if environ.get(name, "").strip():
            return environ[name].strip(), name
    table = _table(pyproject or {}, "tool", "cibuildwheel")
    for where, source in (
        (f"[tool.cibuildwheel.{platform}]", _table(table, platform)),
        ("[tool.cibuildwheel]", table),
    ):
        value = source.get("archs")
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value.strip():
            return value.strip(), where
    return "auto", "cibuildwheel's default"


def select_for_runners(
    project: Path,
    platforms: Sequence[str],
    archs: str | None,
    environ: Mapping[str, str] | None = None,
    pyproject: Mapping[str, Any] | None = None,
    method: str = "auto",
) -> tuple[dict[str, list[str]], dict[str, ArchChoice], str]:
    """Identifiers per platform for every runner family the release runs on: ``archs`` (hwb's
    own setting) or else the project's cibuildwheel ``archs``, with ``auto`` meaning each
    runner's (not this machine's); build, skip, enable and requires-python stay cibuildwheel's.
    """
    env = dict(os.environ if environ is None else environ)
    choices: dict[str, ArchChoice] = {}
    for platform in platforms:
        expression, origin = (
            (archs, "[tool.hwb.matrix] archs") if archs else archs_setting(platform, env, pyproject)
        )
        expanded = tuple(expand_archs(expression, platform))
        choices[platform] = ArchChoice(platform, expression, origin, expanded)
    wanted = [p for p in platforms if choices[p].archs]
    found, used = (
        query_identifiers(
            project,
            wanted,
            {p: " ".join(choices[p].archs) for p in wanted},
            env,
            method,
            on_runners=True,
        )
        if wanted
        else ({}, "api")
    )
    return {p: found.get(p, []) for p in platforms}, choices, used


# -- does the project need a matrix ----------------------------------------------------------

#: Build backends that compile: their presence alone makes a project "compiled".
COMPILING_BACKENDS = {
    "scikit_build_core.build": "scikit-build-core",
    "mesonpy": "meson-python",
    "maturin": "maturin",
    "pybind11.setup_helpers": "pybind11",
}
_SETUP_EXT = re.compile(r"\b(ext_modules|Extension\s*\(|cythonize\s*\(|Pybind11Extension)")


def compiled_reasons(project_dir: Path, data: Mapping[str, Any] | None) -> list[str]:
    """Why the project builds platform wheels (empty: a pure project, one wheel for all)."""
    data = data or {}
    backend = _table(data, "build-system").get("build-backend")
    if backend is None:
        backend = "setuptools.build_meta:__legacy__"
    reasons: list[str] = []
    if backend in COMPILING_BACKENDS:
        reasons.append(f"build backend {COMPILING_BACKENDS[backend]}")
    tool = _table(data, "tool")
    if "cibuildwheel" in tool:
        reasons.append("[tool.cibuildwheel]")
    if _table(tool, "setuptools").get("ext-modules"):
        reasons.append("[tool.setuptools] ext-modules")
    setup_py = project_dir / "setup.py"
    if setup_py.is_file() and _SETUP_EXT.search(setup_py.read_text(errors="replace")):
        reasons.append("extension modules in setup.py")
    if (project_dir / "Cargo.toml").is_file() and backend != "maturin":
        reasons.append("Cargo.toml")
    return reasons
