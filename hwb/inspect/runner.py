"""`hwb inspect`: the pre-release checklist for wheels and sdists.

One streaming pass per archive feeds every check (RECORD hashes, duplicate contents, the secret
scan); the checks themselves live in a module per group. The catalogue of IDs is
:mod:`hwb.inspection.catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwb.errors import ArchiveError, DistributionError
from hwb.inspect.archive import Archive, open_archive
from hwb.inspect.catalogue import CATALOGUE, GROUPS, Severity
from hwb.inspect.context import Context, Finding

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
    #: The files are headed for PyPI/TestPyPI (local versions become errors).
    public_index: bool = False


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
            dists = (
                sorted(
                    p
                    for p in folder.glob("*")
                    if p.is_file() and p.name.endswith((".whl", ".tar.gz"))
                )
                if folder.is_dir()
                else []
            )
            if not dists:
                raise DistributionError(
                    f"no wheels or sdists in {folder}", hint="Build first: hwb build --sdist."
                )
            found += dists
        else:
            found.append(path)
    return found


def inspect_paths(
    paths: list[Path],
    options: InspectOptions,
    on_file: Callable[[int, int, Path], None] | None = None,
) -> Report:
    """Inspect every distribution in ``paths``; ``on_file(done, total, path)`` after each."""
    public = options.public_index
    if options.index_url and not public:
        from hwb.simple_api import is_public

        public = is_public(options.index_url)
    cache: dict[str, Any] = {}
    files = collect_paths(paths)
    reports = []
    for done, path in enumerate(files, 1):
        reports.append(_inspect_one(path, options, public, cache))
        if on_file is not None:
            on_file(done, len(files), path)
    return Report(reports, options.strict)


def _inspect_one(
    path: Path, options: InspectOptions, public: bool, cache: dict[str, Any]
) -> FileReport:
    from hwb.inspect.archive import kind_of

    kind = kind_of(path)
    if kind is None or not path.exists():
        open_archive(path)  # raises the DistributionError that says why
    assert kind is not None  # noqa: S101 - open_archive raised otherwise
    broken = "HWB200" if kind == "wheel" else "HWB300"
    report = FileReport(path, kind)
    try:
        archive = open_archive(path)
    except ArchiveError as exc:
        report.findings.append(Finding(broken, Severity.ERROR, path.name, f"cannot open: {exc}"))
        return report
    ctx = Context(archive, set(options.groups), public)
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
        license_prefix = f"{info}/licenses/"
    else:
        top = sdist_checks.check_sdist(ctx)
        meta_member = f"{top}/PKG-INFO" if top else None
        license_prefix = f"{top}/"
    scan = (
        (lambda name, head: sensitive.scan_member(ctx, name, head))
        if "sensitive" in ctx.groups
        else None
    )
    needs_contents = bool(ctx.groups & {"wheel", "sensitive"})
    digests = archive.digest_all(scan) if needs_contents else {}
    if "sensitive" in ctx.groups:
        sensitive.scan_names(ctx)
    if meta_member is None or meta_member not in archive.names:
        ctx.add("HWB100", f"{meta_member or 'metadata'} is missing", meta_member)
    else:
        text = archive.read(meta_member).decode("utf-8", "replace")
        metadata_checks.check_metadata(ctx, text, meta_member, license_prefix)
    if archive.kind == "wheel" and info:
        wheel_checks.check_record(ctx, info, digests)
        wheel_checks.check_layout(ctx, info, digests)
    if archive.kind == "sdist":
        sdist_checks.check_pkg_info_matches(ctx)
    if "version" in ctx.groups and options.index_url:
        from hwb.fs import sha256_file
        from hwb.inspect import version_checks

        version_checks.check_version(ctx, options.index_url, sha256_file(archive.path), cache)
