"""`hwb inspect`: the pre-release checklist for wheels and sdists.

One streaming pass per archive feeds every check (RECORD hashes, duplicate contents, the secret
scan); the checks themselves live in a module per group. Many files are inspected
over all cores. The catalogue of IDs is :mod:`hwb.inspect.catalogue`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwb import distfiles
from hwb.errors import ArchiveError, DistributionError
from hwb.inspect.archive import Archive, open_archive
from hwb.inspect.catalogue import CATALOGUE, GROUPS, Severity
from hwb.inspect.context import Context, Finding

if TYPE_CHECKING:
    from hwb.settings.model import InspectSettings

__all__ = [
    "CATALOGUE",
    "GROUPS",
    "Finding",
    "InspectOptions",
    "Report",
    "collect_paths",
    "inspect_paths",
]


@dataclass(frozen=True)
class InspectOptions:
    groups: frozenset[str] = frozenset(GROUPS)
    ignore: frozenset[str] = frozenset()
    strict: bool = False
    index_url: str | None = None
    #: The files are headed for PyPI/TestPyPI (what only PyPI refuses becomes an error: local
    #: versions, non-normalized wheel names, platform tags such as linux_x86_64).
    public_index: bool = False
    #: Globs of member paths whose sensitive findings are info ([tool.hwb.inspect]
    #: allow-sensitive): test keys a project ships on purpose.
    allow_sensitive: tuple[str, ...] = ()


@dataclass
class FileReport:
    path: Path
    kind: str
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class Report:
    files: list[FileReport]
    strict: bool = False

    def count(self, severity: Severity) -> int:
        return sum(1 for r in self.files for f in r.findings if f.severity is severity)

    @property
    def passed(self) -> bool:
        return self.count(Severity.ERROR) == 0 and not (
            self.strict and self.count(Severity.WARNING)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "strict": self.strict,
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "files": [r.to_dict() for r in self.files],
        }


def collect_paths(paths: list[Path]) -> list[Path]:
    """Distributions named by ``paths``: files as given; a directory stands for its dist/
    (a project) or its own wheels and sdists."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            folder = (
                path / "dist"
                if (path / "pyproject.toml").exists() or (path / "setup.py").exists()
                else path
            )
            dists = distfiles.in_folder(folder) if folder.is_dir() else []
            if not dists:
                raise DistributionError(
                    f"no wheels or sdists in {folder}", hint="Build first: hwb build --sdist."
                )
            found += dists
        else:
            found.append(path)
    return found


def inspect_options(
    settings: InspectSettings,
    *,
    groups: frozenset[str] = frozenset(),
    ignore: tuple[str, ...] = (),
    repository: str | None = None,
    index_url_given: bool = False,
    mask: Callable[..., None] = lambda *secrets: None,
) -> InspectOptions:
    """One run's options: ``[tool.hwb.inspect]`` as resolved (``--strict`` and ``--index-url``
    included), the chosen check ``groups`` (none: all), ``ignore`` IDs added to the configured
    ones, ``repository`` (pypi/testpypi) for the index. Credentials in the index URL go to
    ``mask`` before anything could show them."""
    from hwb.errors import UsageError

    ids = frozenset(i.upper() for i in (*settings.ignore, *ignore))
    unknown = sorted(i for i in ids if i not in CATALOGUE)
    if unknown:
        raise UsageError(
            f"unknown check ID(s): {', '.join(unknown)}", hint="See the catalogue in the README."
        )
    index_url = settings.index_url or None
    if repository:
        from hwb.simple_api import PUBLIC_INDEXES

        if index_url_given:
            raise UsageError("give --index-url or --repository, not both")
        index_url = PUBLIC_INDEXES[repository]
    if index_url:
        from hwb.redaction import split_userinfo
        from hwb.settings.values import check_http_url

        check_http_url(index_url, "--index-url", from_command_line=index_url_given)
        _, user, password = split_userinfo(index_url)
        if password:  # credentials in the URL are a secret
            mask(password, user)
    return InspectOptions(
        groups or frozenset(GROUPS),
        ids,
        settings.strict,
        index_url,
        allow_sensitive=settings.allow_sensitive,
    )


def inspect_paths(
    paths: list[Path],
    options: InspectOptions,
    on_file: Callable[[int, int, Path], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> Report:
    """Inspect every distribution in ``paths``; ``on_file(done, total, path)`` after each.
    ``on_started()`` is called once the work is under way (worker processes forked), so a
    caller can start threads of its own beside it without blocking the fork."""
    public = options.public_index
    if options.index_url and not public:
        from hwb.simple_api import is_public

        public = is_public(options.index_url)
    files = collect_paths(paths)
    for path in files:  # usage errors (missing file, not a distribution) before any work
        if distfiles.kind_of(path) is None or not path.exists():
            open_archive(path)
    cache: dict[str, Any] = {}
    if options.index_url or not _worth_a_pool(files):
        reports = []
        if on_started is not None:
            on_started()
        for done, path in enumerate(files, 1):
            reports.append(_inspect_one(path, options, public, cache))
            if on_file is not None:
                on_file(done, len(files), path)
    else:
        reports = _inspect_parallel(files, options, public, on_file, on_started)
    return Report(reports, options.strict)


#: Below this many files, or this many bytes in all, a process pool costs more than it saves
#: (60 one-kB wheels: ~45 ms in this process, ~50 ms with a pool, whose fork must also come
#: before any thread a caller starts beside the inspection).
PARALLEL_MIN_FILES = 4
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


def _worth_a_pool(files: list[Path]) -> bool:
    if len(files) < PARALLEL_MIN_FILES or _workers() < 2:
        return False
    return sum(f.stat().st_size for f in files) >= PARALLEL_MIN_BYTES


def _workers() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # not on macOS or Windows
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def _inspect_parallel(
    files: list[Path],
    options: InspectOptions,
    public: bool,
    on_file: Callable[[int, int, Path], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> list[FileReport]:
    """One file per task over all cores, biggest first (so no core idles at the end), results
    in the order given (output stays deterministic). Not used with --check-version: its index
    lookups share a per-project cache, and the network, not the CPU, bounds them."""
    from concurrent.futures import as_completed

    from hwb import proc

    _preload()
    order = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size)
    workers = min(_workers(), len(files))
    pool = proc.worker_pool(workers, preload=["hwb.inspect.runner"])
    try:
        futures = {i: pool.submit(_inspect_one, files[i], options, public, {}) for i in order}
        if on_started is not None:  # fork has happened (at the first submit): threads are safe
            on_started()
        if on_file is not None:  # progress as files finish, in whatever order they do
            where = {future: i for i, future in futures.items()}
            for done, future in enumerate(as_completed(where), 1):
                on_file(done, len(files), files[where[future]])
        return [futures[i].result() for i in range(len(files))]
    except BaseException:  # an interrupt waits neither for the queue nor the files being read
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown()


def _preload() -> None:
    """Import what every check needs once, before forking workers. Not docutils (~80 ms):
    only reStructuredText READMEs need it, and a worker that meets one imports it itself."""
    import trove_classifiers  # noqa: F401
    from packaging import metadata  # noqa: F401

    from hwb.inspect import metadata_checks, sdist_checks, sensitive, wheel_checks  # noqa: F401


def _inspect_one(
    path: Path, options: InspectOptions, public: bool, cache: dict[str, Any]
) -> FileReport:
    kind = distfiles.kind_of(path)
    if kind is None or not path.exists():
        open_archive(path)  # raises the DistributionError that says why
    assert kind is not None  # noqa: S101 - open_archive raised otherwise
    broken = "HWB200" if kind == "wheel" else "HWB300"
    report = FileReport(path, kind)
    # The metadata and sdist checks read names and the metadata file, nothing else.
    contents = bool(options.groups & {"wheel", "sensitive"})
    try:
        archive = open_archive(path, contents=contents)
    except ArchiveError as exc:
        report.findings.append(Finding(broken, Severity.ERROR, path.name, f"cannot open: {exc}"))
        return report
    from hwb.inspect.sensitive import allow_pattern

    ctx = Context(
        archive, set(options.groups), public, allow_sensitive=allow_pattern(options.allow_sensitive)
    )
    try:
        _run_checks(ctx, options, cache)
    except ArchiveError as exc:
        ctx.add(broken, str(exc), always=True)
    finally:
        archive.close()
    report.findings = [f for f in ctx.findings if f.id not in options.ignore]
    return report


def _run_checks(ctx: Context, options: InspectOptions, cache: dict[str, Any]) -> None:
    from hwb.inspect import metadata_checks, sdist_checks, sensitive, wheel_checks

    archive: Archive = ctx.archive
    bomb = archive.bomb()
    if bomb:
        ctx.add("HWB216", f"{bomb}: not read (possible zip bomb)", always=True)
        return
    if archive.kind == "wheel":
        info = wheel_checks.check_structure(ctx)
        meta_member = f"{info}/METADATA" if info else None
        root = info or ""
    else:
        top = sdist_checks.check_sdist(ctx)
        meta_member = f"{top}/PKG-INFO" if top else None
        root = top or ""
    scan = None
    if "sensitive" in ctx.groups:

        def scan(name: str, head: bytes) -> None:
            if not sensitive.is_binary(head):
                sensitive.scan_member(ctx, name, head)

    needs_contents = bool(ctx.groups & {"wheel", "sensitive"})
    digests = (
        archive.digest_all(scan, sensitive.wants_content, crc="wheel" not in ctx.groups)
        if needs_contents
        else {}
    )
    if "sensitive" in ctx.groups:
        sensitive.scan_names(ctx)
    if meta_member is None or meta_member not in archive.names:
        ctx.add("HWB100", f"{meta_member or 'metadata'} is missing", meta_member)
    else:
        text = archive.read(meta_member).decode("utf-8", "replace")
        metadata_checks.check_metadata(ctx, text, meta_member, root)
    if archive.kind == "wheel" and info and "wheel" in ctx.groups:
        wheel_checks.check_metadata_matches(ctx, info)
        wheel_checks.check_record(ctx, info, digests)
        wheel_checks.check_layout(ctx, info, digests)
    if archive.kind == "sdist":
        sdist_checks.check_pkg_info_matches(ctx)
    if "version" in ctx.groups and options.index_url:
        from hwb.fs import sha256_file
        from hwb.inspect import version_checks

        version_checks.check_version(ctx, options.index_url, sha256_file(archive.path), cache)
