"""The previous release, as the project's history says: its tag (reachable or not, under the
project's own tag convention), the commits since it, and a bounded start when there is no tag."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from hwb import log
from hwb.settings.model import VersionSettings
from hwb.versioning import git, tags
from hwb.versioning.commits import Commit, read_commits, release_commit_pattern

if TYPE_CHECKING:
    from hwb.versioning.release import Source

_log = log.get("version")


def commits_in(repo: git.Repo, settings: VersionSettings, rev_range: str) -> list[Commit]:
    """Commits in the range, less hwb's own release commits."""
    pattern = release_commit_pattern(settings.commit_message)
    return read_commits(repo, rev_range, exclude=pattern)


def with_tag_format(
    repo: git.Repo, settings: VersionSettings, project: str | None = None
) -> VersionSettings:
    """``settings`` with the tag format known: when none is configured, the format the
    repository's version tags already follow (``project``'s own in a monorepo; saying
    which), else ``v{version}``."""
    if settings.tag_format:
        return settings
    found = tags.detect_from_tags(git.all_tags(repo), project)
    if found is None:
        return dataclasses.replace(settings, tag_format=tags.DEFAULT_TAG_FORMAT)
    plural = "s" if found.count > 1 else ""
    _log.info(
        "release tags: %s, as the repository's %d version tag%s (e.g. %s) are named; "
        "set [tool.hwb.version] tag-format to choose",
        found.tag_format,
        found.count,
        plural,
        found.example,
    )
    return dataclasses.replace(settings, tag_format=found.tag_format)


def last_release_tag(
    repo: git.Repo, settings: VersionSettings, ref: str = "HEAD"
) -> tuple[str, Version] | None:
    """The highest release tag (by PEP 440) reachable from ``ref``."""
    return highest(settings, git.tags_merged(repo, ref))


def highest(
    settings: VersionSettings, names: list[str], below: Version | None = None
) -> tuple[str, Version] | None:
    """The tag of the highest version (below ``below``). Of tags naming one version (PSR's
    moving ``v10.5`` is 10.5.0 to PEP 440, like ``v10.5.0``), the one spelling it whole."""
    found = [
        (t, ver)
        for t in names
        if (ver := settings.version_of_tag(t)) is not None and (below is None or ver < below)
    ]
    if not found:
        return None
    return max(found, key=lambda tv: (tv[1], len(tv[1].release)))


def warn_off_branch(repo: git.Repo, tag: str, ref: str) -> None:
    if not git.is_ancestor(repo, tag, ref):
        _log.warning(
            "the previous release's tag %s is not on this branch (it points at a commit %s does "
            "not contain); the notes and the bump count the commits since it anyway",
            tag,
            ref,
        )


def previous_release(
    repo: git.Repo, settings: VersionSettings, current: Version | None, ref: str = "HEAD"
) -> tuple[str, Version] | None:
    """The release the next one follows. The tag of the project's current version when it
    exists, reachable from ``ref`` or not (a release tagged off the branch, as commitizen's
    4.13.x were, is still the previous release: the last reachable tag would repeat its
    notes and over-bump); else the highest release tag reachable from ``ref``."""
    if current is not None:
        tag = settings.tag_for(str(current))
        if git.tag_exists(repo, tag):
            warn_off_branch(repo, tag, ref)
            return tag, current
    return last_release_tag(repo, settings, ref)


#: A line that sets a version (``version = "1.2"``, ``__version__ = ...``, ``VERSION: ...``), as
#: ``git log -G`` (POSIX regex) finds the commits that changed one.
_VERSION_LINE = "^ *_*[Vv][Ee][Rr][Ss][Ii][Oo][Nn]_* *[:=]"


def start_without_tag(
    repo: git.Repo, settings: VersionSettings, version_paths: list[str], ref: str
) -> str | None:
    """Where notes start when no release tag precedes ``ref``: after the last commit that
    changed the version (a release made before the project had tags, or under tags of another
    kind), said in a warning; None (the whole history) only when there is none, said too."""
    fmt = settings.effective_tag_format
    bump = (
        git.last_version_change(repo, version_paths, _VERSION_LINE, ref) if version_paths else None
    )
    if bump is None:
        counted = repo.run("rev-list", "--count", "--end-of-options", ref, check=False)
        count = counted.output.strip() or "?"
        _log.warning(
            "no release tag named like %s precedes %s: the notes cover the whole history (%s "
            "commits); pass --from REF, or set [tool.hwb.version] tag-format to the project's tags",
            fmt,
            ref,
            count,
        )
        return None
    subject = repo.out("log", "-1", "--format=%h %s", bump)
    _log.warning(
        "no release tag named like %s precedes %s: the notes start after %s, the last commit "
        "that changed the version; pass --from REF to choose",
        fmt,
        ref,
        subject,
    )
    return bump


def version_paths(repo: git.Repo, root: Path, source: Source | None) -> list[str]:
    """The files a version bump edits, relative to the repository (pathspecs)."""
    files = [root / "pyproject.toml"] if source is None or source.pyproject else []
    files += [f.path for f in (source.files if source else [])]
    rel = []
    for path in files:
        try:
            rel.append(str(path.resolve().relative_to(repo.root.resolve())))
        except ValueError:
            continue
    return rel


def since(
    repo: git.Repo,
    settings: VersionSettings,
    found: tuple[str, Version] | None,
    version_paths: list[str],
    ref: str = "HEAD",
) -> str:
    """The revision range of the commits since the previous release (bounded when there is
    no previous tag)."""
    if found is not None:
        return f"{found[0]}..{ref}"
    start = start_without_tag(repo, settings, version_paths, ref)
    return f"{start}..{ref}" if start else ref


def prepare(
    repo: git.Repo, settings: VersionSettings, project: str | None = None
) -> VersionSettings:
    """Before reading the history: the whole of it (a shallow CI clone is deepened, or an
    error), and the tag format known."""
    git.ensure_history(repo)
    return with_tag_format(repo, settings, project)
