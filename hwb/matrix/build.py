"""``hwb matrix build``: run cibuildwheel for some identifiers, optionally N runs at once.

Each run gets its own output folder (and so its own container); the wheels are matched to
their identifiers by tag and moved into the wheelhouse only when every run succeeded. A failed
run is translated into one line saying what went wrong (no container engine, an image that
cannot be pulled, a failing test command, another cibuildwheel error).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from hwb import log, proc
from hwb.errors import ConfigError, MatrixBuildError, ProjectError, UsageError
from hwb.fs import sha256_file
from hwb.matrix.identifiers import parse_identifier, wheel_matches
from hwb.matrix.selection import compiled_reasons, query_identifiers

if TYPE_CHECKING:
    from hwb.settings.model import ContainerEngine

_log = log.get("matrix.build")

_BUILD_START = re.compile(r"Building (\S+) wheel")
_BUILD_END = re.compile(r"(\S+) finished in ")
_CIBW_ERROR = re.compile(r"cibuildwheel: (?:\x1b\[[0-9;]*m)?error(?:\x1b\[[0-9;]*m)?: (.*)")
_PULL_FAILURE = (
    "trying to pull",
    "pull access denied",
    "manifest unknown",
    "image not known",
    "initializing source",
    "unable to find image",
    "error pulling image",
    "repository does not exist",
)


@dataclass(frozen=True)
class MatrixBuildOptions:
    project: Path
    only: tuple[str, ...] = ()
    platform: str | None = None
    isolation: ContainerEngine = ""
    jobs: int = 1
    outdir: Path = Path("wheelhouse")
    environ: Mapping[str, str] | None = None


@dataclass
class BuiltWheel:
    identifier: str
    path: Path
    size: int
    sha256: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "wheel": self.path.name,
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class MatrixResult:
    wheels: list[BuiltWheel]
    outdir: Path
    runs: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "outdir": str(self.outdir),
            "runs": self.runs,
            "seconds": round(self.seconds, 2),
            "wheels": [w.to_dict() for w in self.wheels],
        }


@dataclass
class _Run:
    number: int
    identifiers: list[str]
    platform: str
    outdir: Path
    lines: list[str] = field(default_factory=list)
    returncode: int = 0
    seconds: float = 0.0
    started: dict[str, float] = field(default_factory=dict)
    finished: dict[str, float] = field(default_factory=dict)


class _Timer(logging.Handler):
    """Timestamps cibuildwheel's "Building X wheel" / "X finished in" lines as they stream."""

    def __init__(self, run: _Run) -> None:
        super().__init__(logging.DEBUG)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if m := _BUILD_START.search(text):
            self.run.started[m.group(1)] = record.created
        elif m := _BUILD_END.search(text):
            self.run.finished[m.group(1).split("\x1b[0m")[-1]] = record.created


def split_only(values: Sequence[str]) -> list[str]:
    """``--only`` takes identifiers repeated, space- or comma-separated (a plan job's ``only``)."""
    out: list[str] = []
    for value in values:
        for part in re.split(r"[\s,]+", value.strip()):
            if part and part not in out:
                out.append(part)
    return out


def _engine(
    opts: MatrixBuildOptions, environ: Mapping[str, str], pyproject: Mapping[str, Any]
) -> str:
    if opts.isolation:
        return opts.isolation
    raw = environ.get("CIBW_CONTAINER_ENGINE", "")
    if not raw:
        table = pyproject.get("tool", {}).get("cibuildwheel", {})
        linux = table.get("linux", {}) if isinstance(table, dict) else {}
        raw = str(linux.get("container-engine") or table.get("container-engine") or "docker")
    return raw.split(";")[0].strip() or "docker"


def _deal(identifiers: list[str], jobs: int) -> list[list[str]]:
    count = max(1, min(jobs, len(identifiers)))
    return [identifiers[i::count] for i in range(count)]


def _argv_env(
    run: _Run, opts: MatrixBuildOptions, base_env: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    env = dict(base_env)
    # hwb folds the output itself (cibuildwheel's own groups would nest inside hwb's).
    env["CIBW_LOG_FOLD_MODE"] = "disabled"
    if opts.isolation:
        env["CIBW_CONTAINER_ENGINE"] = opts.isolation
    # --option=VALUE: a folder named "-x" is never read as an option
    argv = [sys.executable, "-m", "cibuildwheel", f"--output-dir={run.outdir}"]
    if len(run.identifiers) == 1:
        argv += [f"--only={run.identifiers[0]}"]
    else:
        # Several identifiers: what --only does for one (all archs, every enable group, no skip).
        from cibuildwheel.selector import EnableGroup

        argv += [f"--platform={run.platform}"]
        env["CIBW_BUILD"] = " ".join(run.identifiers)
        env["CIBW_SKIP"] = ""
        env["CIBW_ARCHS"] = "all"
        env["CIBW_ENABLE"] = " ".join(sorted(g.value for g in EnableGroup.all_groups()))
    # cibuildwheel wants the package inside its working directory (Linux mounts the cwd).
    argv.append(".")
    return argv, env


def _failure(run: _Run, engine: str, others: int = 0) -> MatrixBuildError:
    lines = [ln for ln in run.lines if ln.strip()]
    lowered = "\n".join(lines[-80:]).lower()
    errors = [m.group(1).strip() for ln in lines if (m := _CIBW_ERROR.search(ln))]
    active = next((i for i in reversed(list(run.started)) if i not in run.finished), None)
    ids = ", ".join(run.identifiers)
    last_step = next((ln.strip() for ln in reversed(lines) if ln.strip().endswith("...")), "")
    if "not found. an oci exe" in lowered or f"'{engine}': '{engine}'" in lowered:
        message, hint = (
            f"container engine '{engine}' is not available for the Linux builds ({ids})",
            f"Install {engine} (or pass --isolation docker|podman), then run again.",
        )
    elif "starting container image" in lowered and any(p in lowered for p in _PULL_FAILURE):
        image = next(
            (
                ln.split("Starting container image", 1)[1].strip(" .")
                for ln in lines
                if "Starting container image" in ln
            ),
            "the build image",
        )
        message, hint = (
            f"could not pull the container image {image} for {ids}",
            "Check the image (CIBW_MANYLINUX_*_IMAGE) and that its registry is reachable.",
        )
    elif last_step.startswith("Testing wheel"):
        who = active or ids
        code = re.search(r"failed with code (\d+)", errors[-1]) if errors else None
        message, hint = (
            f"the test command failed for {who}" + (f" (exit {code.group(1)})" if code else ""),
            "Fix the tests (test-command in [tool.cibuildwheel]) or skip them with test-skip.",
        )
    else:
        reason = errors[-1] if errors else f"cibuildwheel exited with code {run.returncode}"
        where = f" while building {active}" if active else f" ({ids})"
        message, hint = (
            f"cibuildwheel failed{where}: {reason[:300]}",
            "The build output above shows the cause; rerun with -v for every line.",
        )
    if others:
        message += f" (and {others} more failed run(s))"
    return MatrixBuildError(message, hint=hint, details=[ln.rstrip() for ln in lines[-15:]])


def _execute(run: _Run, opts: MatrixBuildOptions, env: Mapping[str, str], prefix: str) -> None:
    argv, child_env = _argv_env(run, opts, env)
    logger = log.get(f"matrix.build.run{run.number}")
    logger.setLevel(logging.DEBUG)  # the timer sees every line; Output's handler filters
    timer = _Timer(run)
    logger.addHandler(timer)
    started = time.perf_counter()
    try:
        done = proc.run(
            argv,
            cwd=opts.project,
            env=child_env,
            stream_level=logging.INFO,
            prefix=prefix,
            logger=logger,
        )
    finally:
        logger.removeHandler(timer)
    run.seconds = time.perf_counter() - started
    run.lines = done.lines
    run.returncode = done.returncode


def _collect(runs: Sequence[_Run]) -> list[tuple[Path, str, float]]:
    """(wheel path, identifier, seconds) for every identifier, from the runs' folders."""
    found: list[tuple[Path, str, float]] = []
    for run in runs:
        wheels = sorted(run.outdir.glob("*.whl"))
        tagged = []
        for wheel in wheels:
            try:
                tagged.append((wheel, parse_wheel_filename(wheel.name)[3]))
            except InvalidWheelFilename:
                continue
        for ident in run.identifiers:
            match = next((w for w, tags in tagged if wheel_matches(ident, tags)), None)
            if match is None:
                raise MatrixBuildError(
                    f"cibuildwheel reported success but produced no wheel for {ident}",
                    hint="Check build/skip in [tool.cibuildwheel]; the output lists the builds.",
                )
            if ident in run.started and ident in run.finished:
                seconds = run.finished[ident] - run.started[ident]
            else:
                seconds = run.seconds / len(run.identifiers)
            found.append((match, ident, seconds))
    return found


def _select(
    opts: MatrixBuildOptions, environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The identifiers to build and the platform of each: --only, or all of one platform."""
    identifiers = split_only(opts.only)
    platforms: dict[str, str] = {}
    for ident in identifiers:
        try:
            platforms[ident] = parse_identifier(ident).platform
        except ConfigError as exc:  # typed on the command line: a usage error (exit 2)
            raise UsageError(f"--only {exc}", hint=exc.hint) from None
    if opts.platform and identifiers:
        raise UsageError(
            "--platform cannot be combined with --only (the identifier names its platform)"
        )
    if not identifiers:
        platform = opts.platform or {"darwin": "macos", "win32": "windows"}.get(
            sys.platform, "linux"
        )
        found, _ = query_identifiers(opts.project, [platform], None, environ)
        identifiers = found[platform]
        platforms = dict.fromkeys(identifiers, platform)
        if not identifiers:
            raise MatrixBuildError(
                f"cibuildwheel selects no build for {platform}",
                hint="Check build/skip/archs in [tool.cibuildwheel] and requires-python.",
            )
    return identifiers, platforms


def _build_pure(
    opts: MatrixBuildOptions, pyproject: Mapping[str, Any] | None, started: float
) -> MatrixResult:
    """A pure project's plan has one job and no identifiers: its one wheel, built by pypa/build
    (cibuildwheel refuses a pure wheel)."""
    from hwb.build import builder
    from hwb.settings.model import BuildSettings

    options = BuildSettings(outdir=opts.outdir.resolve(), wheel=True, sdist=False)
    result = builder.build_project(opts.project, options, pyproject)
    wheels = [
        BuiltWheel("pure", a.path, a.size, a.sha256, result.seconds)
        for a in result.artifacts
        if a.kind == "wheel"
    ]
    return MatrixResult(wheels, options.outdir, 1, time.perf_counter() - started)


def build_matrix(
    opts: MatrixBuildOptions, pyproject: Mapping[str, Any] | None = None
) -> MatrixResult:
    started = time.perf_counter()
    environ = dict(os.environ if opts.environ is None else opts.environ)
    if not opts.project.is_dir():
        raise ProjectError(f"{opts.project} is not a directory", hint="Pass the project's folder.")
    if opts.jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {opts.jobs}")
    if not opts.only and not opts.platform and not compiled_reasons(opts.project, pyproject):
        return _build_pure(opts, pyproject, started)
    identifiers, platforms = _select(opts, environ)
    engine = _engine(opts, environ, pyproject or {})
    if "linux" in platforms.values() and proc.which(engine, environ) is None:
        raise MatrixBuildError(
            f"container engine '{engine}' is not available for the Linux builds",
            hint=f"Install {engine} (or pass --isolation docker|podman), then run again.",
        )

    # Deal the identifiers of each platform into the runs (a run builds one platform).
    runs: list[_Run] = []
    outdir = opts.outdir.resolve()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create {outdir}: {exc.strerror}") from None
    scratch = Path(tempfile.mkdtemp(prefix=".hwb-matrix-", dir=outdir))
    try:
        by_platform: dict[str, list[str]] = {}
        for ident in identifiers:
            by_platform.setdefault(platforms[ident], []).append(ident)
        for platform, idents in by_platform.items():
            for chunk in _deal(idents, opts.jobs):
                number = len(runs) + 1
                runs.append(_Run(number, chunk, platform, scratch / f"run{number}"))
        parallel = len(runs) > 1
        title = f"cibuildwheel: {', '.join(identifiers)}" + (
            f" ({len(runs)} runs at once)" if parallel else ""
        )
        with log.step(_log, title), ThreadPoolExecutor(max_workers=len(runs)) as pool:
            futures = [
                pool.submit(_execute, run, opts, environ, f"[{run.number}] " if parallel else "")
                for run in runs
            ]
            for future in futures:
                future.result()
        failed = [run for run in runs if run.returncode != 0]
        if failed:
            raise _failure(failed[0], engine, others=len(failed) - 1)
        collected = _collect(runs)
        # All runs succeeded: move the wheels into the wheelhouse.
        wheels: list[BuiltWheel] = []
        moved: dict[Path, Path] = {}
        for path, ident, seconds in collected:
            target = moved.get(path)
            if target is None:
                target = outdir / path.name
                path.replace(target)
                moved[path] = target
            wheels.append(
                BuiltWheel(ident, target, target.stat().st_size, sha256_file(target), seconds)
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return MatrixResult(wheels, outdir, len(runs), time.perf_counter() - started)
