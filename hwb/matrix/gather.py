"""``hwb gather``: collect the matrix jobs' artifacts and refuse an incomplete release.

Artifacts arrive in any layout (``download-artifact`` with ``merge-multiple``, one folder per
artifact, GitLab's merged ``needs:`` artifacts). Every wheel and sdist under the given folders
is checked against the plan before anything is written: every planned identifier needs exactly
one wheel whose tags serve it, the planned sdist must be there, identical copies collapse, two
different files under one name are a conflict, anything else is a stray.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.tags import Tag
from packaging.utils import canonicalize_name

from hwb import distfiles, log
from hwb.errors import DistributionError, IncompleteReleaseError, UsageError
from hwb.fs import sha256_file, write_atomic
from hwb.matrix.identifiers import parse_identifier, wheel_matches
from hwb.matrix.plan import Plan

_log = log.get("matrix.gather")


@dataclass
class Found:
    """One distinct file (by name and content), with every place it was found."""

    name: str
    kind: distfiles.Kind
    sha256: str
    size: int
    paths: list[Path]
    tags: frozenset[Tag] = frozenset()
    identifiers: list[str] = field(default_factory=list)


@dataclass
class Missing:
    kind: str
    what: str  # identifier, or the sdist's name
    job: str


@dataclass
class GatherResult:
    files: list[Found]
    missing: list[Missing]
    strays: list[tuple[Path, str]]  # path, reason
    conflicts: dict[str, list[Path]]
    ambiguous: dict[str, list[str]]  # identifier -> wheel names
    outdir: Path | None = None
    checksum_file: Path | None = None

    @property
    def complete(self) -> bool:
        return not (self.missing or self.strays or self.conflicts or self.ambiguous)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "outdir": str(self.outdir) if self.outdir else None,
            "checksum-file": str(self.checksum_file) if self.checksum_file else None,
            "files": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "size": f.size,
                    "sha256": f.sha256,
                    "identifiers": f.identifiers,
                    "path": str(self.outdir / f.name) if self.outdir else None,
                    "found": [str(p) for p in f.paths],
                }
                for f in self.files
            ],
            "missing": [{"kind": m.kind, "name": m.what, "job": m.job} for m in self.missing],
            "strays": [{"path": str(p), "reason": r} for p, r in self.strays],
            "conflicts": {n: [str(p) for p in ps] for n, ps in self.conflicts.items()},
            "ambiguous": self.ambiguous,
        }


def _candidates(dirs: Sequence[Path]) -> list[Path]:
    paths: list[Path] = []
    for root in dirs:
        if root.is_file():
            paths.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".hwb-"))
            for name in sorted(filenames):
                if distfiles.is_distribution(name):
                    paths.append(Path(dirpath) / name)
    return paths


def _same_project(plan: Plan, name: str, version: str) -> str | None:
    """Why a distribution does not belong to the plan's release (None: it does)."""
    if plan.project and canonicalize_name(name) != canonicalize_name(plan.project):
        return f"project {name}, not {plan.project}"
    if plan.version and version != plan.version:
        return f"version {version}, not {plan.version}"
    return None


def _scan(
    plan: Plan, dirs: Sequence[Path]
) -> tuple[dict[str, dict[str, Found]], list[tuple[Path, str]], set[str]]:
    """Distinct files by name and content, strays, and the versions seen."""
    for d in dirs:
        if not d.exists():
            raise UsageError(
                f"{d} does not exist", hint="Pass the folders the artifacts were downloaded to."
            )
    by_name: dict[str, dict[str, Found]] = {}  # name -> sha256 -> file
    strays: list[tuple[Path, str]] = []
    versions: set[str] = set()
    for path in _candidates(dirs):
        try:
            parsed = distfiles.parse_name(path)
        except DistributionError as exc:
            strays.append((path, f"not a distribution file name ({exc})"))
            continue
        version = str(parsed.version)
        reason = _same_project(plan, parsed.name, version)
        if reason:
            strays.append((path, reason))
            continue
        versions.add(version)
        digest = sha256_file(path)
        same = by_name.setdefault(path.name, {})
        if digest in same:
            same[digest].paths.append(path)  # an identical copy collapses
        else:
            size = path.stat().st_size
            same[digest] = Found(path.name, parsed.kind, digest, size, [path], parsed.tags)
    return by_name, strays, versions


def check(plan: Plan, dirs: Sequence[Path]) -> GatherResult:
    """Compare what the folders hold with the plan (reads, never writes)."""
    by_name, strays, versions = _scan(plan, dirs)

    conflicts = {
        name: [p for f in files.values() for p in f.paths]
        for name, files in by_name.items()
        if len(files) > 1
    }
    files = [next(iter(v.values())) for k, v in sorted(by_name.items()) if k not in conflicts]
    if not plan.version and len(versions) > 1:
        # A plan without a static version still means one release.
        for f in files:
            strays.append(
                (f.paths[0], f"versions differ across artifacts: {', '.join(sorted(versions))}")
            )
        files = []

    job_of = {ident: job.name for job in plan.jobs for ident in job.identifiers}
    parsed = {ident: parse_identifier(ident) for ident in job_of}
    wheels = [f for f in files if f.kind == "wheel"]
    served: dict[str, list[str]] = {ident: [] for ident in job_of}
    for wheel in wheels:
        for ident, p in parsed.items():
            if wheel_matches(p, wheel.tags):
                wheel.identifiers.append(ident)
                served[ident].append(wheel.name)
    pure_wheels: list[str] = []
    if plan.pure:
        # A pure project's one wheel: py3-none-any (or pyX-none-any), whatever job built it.
        for wheel in wheels:
            if all(t.abi == "none" and t.platform == "any" for t in wheel.tags):
                wheel.identifiers.append("pure")
                pure_wheels.append(wheel.name)
    kept: list[Found] = []
    for f in files:
        if f.kind == "wheel" and not f.identifiers:
            reason = "not a pure wheel" if plan.pure else "its tags match no planned identifier"
            strays.append((f.paths[0], reason))
        elif f.kind == "sdist" and not plan.sdist:
            strays.append((f.paths[0], "the plan has no sdist"))
        else:
            kept.append(f)
    missing = [
        Missing("wheel", ident, job_of[ident]) for ident, names in served.items() if not names
    ]
    ambiguous = {ident: names for ident, names in served.items() if len(names) > 1}
    if plan.pure and not pure_wheels:
        missing.append(Missing("wheel", "the pure wheel (py3-none-any)", "pure"))
    elif len(pure_wheels) > 1:
        ambiguous["pure"] = pure_wheels
    sdists = [f for f in kept if f.kind == "sdist"]
    if plan.sdist and not sdists:
        missing.append(Missing("sdist", plan.expected_sdist_name() or "the sdist", "sdist"))
    elif len(sdists) > 1:
        ambiguous["sdist"] = [f.name for f in sdists]
    return GatherResult(kept, missing, strays, conflicts, ambiguous)


def _error(result: GatherResult) -> IncompleteReleaseError:
    parts: list[str] = []
    lines: list[str] = []
    if result.missing:
        parts.append(f"{len(result.missing)} missing")
        lines += [f"missing {m.kind}: {m.what} (job {m.job})" for m in result.missing]
    if result.conflicts:
        parts.append(f"{len(result.conflicts)} conflicting")
        lines += [
            f"conflict: {name} differs between {', '.join(str(p) for p in paths)}"
            for name, paths in result.conflicts.items()
        ]
    if result.ambiguous:
        parts.append(f"{len(result.ambiguous)} ambiguous")
        lines += [
            f"ambiguous: {ident} is served by {', '.join(names)}"
            for ident, names in result.ambiguous.items()
        ]
    if result.strays:
        parts.append(f"{len(result.strays)} stray")
        lines += [f"stray: {path} ({reason})" for path, reason in result.strays]
    first = lines[0] if len(lines) == 1 else f"{lines[0]} (and {len(lines) - 1} more)"
    return IncompleteReleaseError(
        f"incomplete release, nothing gathered ({', '.join(parts)}): {first}",
        hint="Re-run the failed matrix jobs (or remove the stray files), then gather again.",
        details=lines,
    )


def gather(
    plan: Plan,
    dirs: Sequence[Path],
    outdir: Path | None,
    *,
    checksum: bool = False,
    allow_strays: bool = False,
) -> GatherResult:
    """Check, then (only when complete) copy the release into ``outdir`` atomically."""
    result = check(plan, dirs)
    if allow_strays:
        for path, reason in result.strays:
            _log.warning("stray left out: %s (%s)", path, reason)
        result.strays = []
    if not result.complete:
        raise _error(result)
    if outdir is None:
        return result
    # Refuse to mix with a different file already in outdir (nothing written in that case).
    for f in result.files:
        existing = outdir / f.name
        if existing.exists() and sha256_file(existing) != f.sha256:
            raise IncompleteReleaseError(
                f"{existing} already exists with different content; nothing gathered",
                hint="Gather into an empty folder.",
                file=str(existing),
            )
    outdir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hwb-gather-", dir=outdir))
    try:
        for f in result.files:
            shutil.copyfile(f.paths[0], staging / f.name)
        if checksum:
            lines = "".join(
                f"{f.sha256}  {f.name}\n" for f in sorted(result.files, key=lambda f: f.name)
            )
            write_atomic(staging / "SHA256SUMS", lines)
        # Every file is complete in staging; renames within one folder are atomic.
        for f in result.files:
            (staging / f.name).replace(outdir / f.name)
        if checksum:
            (staging / "SHA256SUMS").replace(outdir / "SHA256SUMS")
            result.checksum_file = outdir / "SHA256SUMS"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.outdir = outdir
    return result
