"""``hwb version``: where a project's version lives, the bump plan, and carrying it out.

Every precondition (git repository, clean tree, branch, free tag, upstream) is checked before
any file is written; a failure after that (commit, tag, push) restores the files and removes the
local commit and tag, so a bump either happens completely or leaves the repository as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from hwb import ci, log
from hwb.errors import (
    ConfigError,
    GitError,
    HwbError,
    NothingToReleaseError,
    ProjectError,
    UsageError,
    VersionError,
)
from hwb.fs import write_atomic
from hwb.settings.model import VersionSettings
from hwb.versioning import changelog, git, history
from hwb.versioning import pep440 as v

_log = log.get("version")
_VCS_REQUIRES = re.compile(
    r"^(setuptools[-_]scm|hatch[-_]vcs|versioningit|dunamai|pdm[-_]backend)", re.I
)


@dataclass
class Source:
    """Where the version lives: ``static`` ([project].version, plus configured files), ``file``
    (a dynamic version read from a file), or ``vcs`` (a dynamic version from git tags)."""

    kind: Literal["static", "file", "vcs"]
    current: Version
    files: list[v.VersionFile] = field(default_factory=list)
    pyproject: Path | None = None
    detail: str = ""


def _name(data: Mapping[str, Any]) -> str | None:
    name = data.get("project", {}).get("name")
    return str(name) if name else None


def _dynamic_file(root: Path, data: Mapping[str, Any]) -> tuple[v.VersionFile, str] | None:
    tool = data.get("tool", {})
    hatch_path = tool.get("hatch", {}).get("version", {}).get("path")
    if hatch_path:
        return v.VersionFile(root / hatch_path, "__version__"), "[tool.hatch.version] path"
    attr = tool.get("setuptools", {}).get("dynamic", {}).get("version", {}).get("attr")
    if attr:
        module, _, name = attr.rpartition(".")
        return _module_file(root, module, name, "[tool.setuptools.dynamic] version.attr")
    backend = str(data.get("build-system", {}).get("build-backend", ""))
    if backend.startswith("flit"):
        module = tool.get("flit", {}).get("module", {}).get("name")
        module = module or str(data.get("project", {}).get("name", "")).replace("-", "_")
        return _module_file(root, module, "__version__", "flit's module __version__")
    return None


def _module_file(
    root: Path, module: str, name: str, origin: str
) -> tuple[v.VersionFile, str] | None:
    rel = Path(*module.split("."))
    for base in (root, root / "src"):
        for candidate in (base / rel / "__init__.py", base / rel.with_suffix(".py")):
            if candidate.is_file():
                return v.VersionFile(candidate, name), origin
    return None


def inside_project(root: Path, path: Path, key: str, settings: VersionSettings) -> Path:
    """``path`` if hwb may write it: inside the project (links followed), or listed in
    ``allow-outside-project``. ``../..`` or an absolute path must not send a write elsewhere."""
    target = path.resolve()
    if target.is_relative_to(root.resolve()):
        return path
    allowed = {(root / p).resolve() for p in settings.allow_outside_project}
    if target in allowed:
        return path
    raise ConfigError(
        f"{key} names {path}, which is outside the project {root}",
        hint="Name a file inside the project, or list the path in [tool.hwb.version] "
        "allow-outside-project to allow the write.",
        file=str(root / "pyproject.toml"),
    )


def detect_source(
    root: Path, data: Mapping[str, Any], settings: VersionSettings, repo: git.Repo | None
) -> Source:
    project = data.get("project", {})
    configured = [v.VersionFile.from_spec(root, spec) for spec in settings.files]
    for vf in configured:
        inside_project(root, vf.path, "[tool.hwb.version] files", settings)
    pyproject = root / "pyproject.toml"
    dynamic = "version" in project.get("dynamic", [])
    if not dynamic and "version" in project:
        current = v.parse(str(project["version"]), "[project].version", str(pyproject))
        return Source("static", current, configured, pyproject, "[project].version")
    if not dynamic and not configured:
        raise VersionError(
            f"{pyproject} declares no [project].version and no dynamic version",
            hint='Add version = "0.1.0" to [project], or list files in [tool.hwb.version].',
        )
    tool = data.get("tool", {})
    requires = [str(r) for r in data.get("build-system", {}).get("requires", [])]
    is_vcs = (
        (
            "setuptools_scm" in tool
            or tool.get("hatch", {}).get("version", {}).get("source") == "vcs"
            or any(_VCS_REQUIRES.match(r) for r in requires)
        )
        and not configured
        and _dynamic_file(root, data) is None
    )
    if is_vcs:
        if repo is None:
            raise GitError(
                f"{root} is not in a git repository, but its version comes from git tags"
            )
        found = history.last_release_tag(repo, history.with_tag_format(repo, settings, _name(data)))
        current = found[1] if found else Version("0.0.0")
        return Source("vcs", current, [], None, f"git tag {found[0]}" if found else "no tag yet")
    located = _dynamic_file(root, data)
    if located:
        inside_project(root, located[0].path, located[1], settings)
    files = ([located[0]] if located else []) + configured
    if not files:
        raise VersionError(
            "cannot tell where this project's dynamic version is kept",
            hint='List the file in [tool.hwb.version] files = ["src/pkg/__init__.py:__version__"].',
        )
    current = v.parse(files[0].read(), f"{files[0].path} {files[0].variable or ''}".strip())
    return Source(
        "file", current, files, None, located[1] if located else "[tool.hwb.version] files"
    )


@dataclass
class Change:
    path: Path
    old: str
    new: str
    existed: bool = True


@dataclass
class ReleasePlan:
    previous: Version
    new: Version
    source: Source
    changes: list[Change]
    tag: str
    commit_message: str
    tag_message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": str(self.previous),
            "version": str(self.new),
            "source": self.source.kind,
            "files": [str(c.path) for c in self.changes],
            "tag": self.tag,
        }


def _pyproject_text(path: Path, new: str) -> str:
    import tomlkit

    doc = tomlkit.parse(path.read_text("utf-8"))
    doc["project"]["version"] = new
    return tomlkit.dumps(doc)


def auto_part(
    repo: git.Repo,
    settings: VersionSettings,
    current: Version,
    version_paths: list[str] | None = None,
) -> str:
    """The release part conventional commits since the previous release call for."""
    found = history.previous_release(repo, settings, current)
    commits = history.commits_in(
        repo, settings, history.since(repo, settings, found, version_paths or [])
    )
    if any(c.breaking for c in commits):
        return "minor" if current.major == 0 and not settings.major_on_zero else "major"
    if any(c.type == "feat" for c in commits):
        return "minor"
    if any(c.type in {"fix", "perf"} for c in commits):
        return "patch"
    since = f" since {found[0]}" if found else ""
    raise NothingToReleaseError(f"no feat, fix, perf or breaking commit{since}: nothing to release")


def plan(
    root: Path,
    data: Mapping[str, Any],
    settings: VersionSettings,
    repo: git.Repo | None,
    part: str | None,
    pre: str | None = None,
    dev: bool = False,
    set_version: str | None = None,
    with_changelog: bool = False,
) -> ReleasePlan:
    if repo is not None:  # the history is read only for these; the tag format always counts
        reads = part == "auto" or with_changelog
        name = _name(data)
        settings = (
            history.prepare(repo, settings, name)
            if reads
            else history.with_tag_format(repo, settings, name)
        )
    source = detect_source(root, data, settings, repo)
    paths = history.version_paths(repo, root, source) if repo is not None else []
    if set_version is not None:
        new = v.parse(set_version, "--set")
        if new <= source.current:
            raise VersionError(
                f"--set {new} is not after the current version {source.current}",
                hint="Versions on an index only go up; choose a higher version.",
            )
    else:
        if part == "auto":
            if repo is None:
                raise GitError(f"{root} is not in a git repository: 'auto' reads its commits")
            part = auto_part(repo, settings, source.current, paths)
            _log.info("conventional commits call for a %s release", part)
        new = v.bump(source.current, part or "", pre=pre, dev=dev)
    text = str(new)
    changes: list[Change] = []
    if source.kind == "static" and source.pyproject is not None:
        old = source.pyproject.read_text("utf-8")
        changes.append(Change(source.pyproject, old, _pyproject_text(source.pyproject, text)))
    for vf in source.files:
        found = vf.read()
        if v.parse(found, str(vf.path)) != source.current:
            raise VersionError(
                f"{vf.path} holds version {found}, but the project's version is {source.current}",
                hint="Make the files agree before bumping.",
                file=str(vf.path),
            )
        changes.append(Change(vf.path, vf.path.read_text("utf-8"), vf.render(text)))
    if with_changelog:
        if repo is None:
            raise GitError(f"{root} is not in a git repository: the changelog reads its commits")
        changes.append(_changelog_change(root, repo, settings, text, source.current, paths))
    return ReleasePlan(
        previous=source.current,
        new=new,
        source=source,
        changes=changes,
        tag=settings.tag_for(text),
        commit_message=settings.commit_message.format(version=text, previous=source.current),
        tag_message=settings.tag_message.format(version=text, previous=source.current),
    )


def _changelog_change(
    root: Path,
    repo: git.Repo,
    settings: VersionSettings,
    version: str,
    current: Version,
    version_paths: list[str],
) -> Change:
    path = root / settings.changelog_file
    inside_project(root, path, "[tool.hwb.version] changelog-file", settings)
    found = history.previous_release(repo, settings, current)
    commits = history.commits_in(
        repo, settings, history.since(repo, settings, found, version_paths)
    )
    url = changelog.project_web_url(repo, settings.repository_url, ci.environ())
    release = changelog.Release(
        version=version,
        previous_tag=found[0] if found else None,
        tag=settings.tag_for(version),
        date=repo.out("log", "-1", "--format=%cs"),
        commits=commits,
        web_url=url,
        host=changelog.host_of(url),
        types=frozenset(settings.changelog_types),
    )
    old = changelog.read_file(path)
    section = changelog.render_markdown(release)
    return Change(path, old, changelog.insert_section(old, section), existed=path.is_file())


@dataclass
class Outcome:
    plan: ReleasePlan
    commit: str | None = None
    tag: str | None = None
    pushed_to: str | None = None


def preflight(
    repo: git.Repo | None,
    plan_: ReleasePlan,
    *,
    commit: bool,
    tag: bool,
    push: bool,
    allow_dirty: bool,
) -> tuple[str, str] | None:
    """Check every git precondition before anything is written; returns the push target."""
    if not (commit or tag or push):
        return None
    if repo is None:
        raise GitError(
            "--commit, --tag and --push need a git repository", hint="Run inside a git checkout."
        )
    if push and not (commit or tag):
        raise UsageError("--push needs --commit and/or --tag: there is nothing else to push")
    if push and allow_dirty:
        raise UsageError("--allow-dirty cannot be combined with --push")
    dirty = git.is_dirty(repo)
    if dirty and not allow_dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise GitError(
            f"the working tree has uncommitted changes ({shown})",
            hint="Commit or stash them first, so the release commit holds only the bump.",
        )
    branch = git.current_branch(repo)
    if tag and git.tag_exists(repo, plan_.tag):
        raise GitError(
            f"tag {plan_.tag} already exists",
            hint="That version was released already: bump to a higher one.",
        )
    if plan_.source.kind == "vcs" and commit and not plan_.changes:
        _log.warning("the version comes from git tags: there are no files to commit")
    if push:
        remote, remote_branch = git.upstream(repo, branch)
        return remote, remote_branch
    return None


def _write(path: Path, text: str) -> None:
    write_atomic(path, text)


def apply(
    repo: git.Repo | None,
    plan_: ReleasePlan,
    *,
    commit: bool,
    tag: bool,
    push: bool,
    allow_dirty: bool = False,
) -> Outcome:
    target = preflight(repo, plan_, commit=commit, tag=tag, push=push, allow_dirty=allow_dirty)
    outcome = Outcome(plan_)
    written: list[Change] = []
    index = git.save_index(repo) if repo is not None and commit and plan_.changes else None
    try:
        for change in plan_.changes:
            _write(change.path, change.new)
            written.append(change)
        if repo is not None and commit and plan_.changes:
            outcome.commit = git.commit(repo, [c.path for c in plan_.changes], plan_.commit_message)
        if repo is not None and tag:
            git.tag(repo, plan_.tag, plan_.tag_message)
            outcome.tag = plan_.tag
        if repo is not None and push and target is not None:
            tags = [plan_.tag] if outcome.tag else []
            git.push(repo, target[0], git.current_branch(repo), target[1], tags)
            outcome.pushed_to = f"{target[0]}/{target[1]}"
    except BaseException as exc:  # any failure, Ctrl-C included, rolls everything back
        kept = _roll_back(repo, outcome, written, index, commit)
        rolled_back = (
            " Nothing was changed: files, index, commit and tag were rolled back."
            if not kept
            else f" Rolled back, except {', '.join(kept)}: changed by someone else since hwb "
            "wrote it, so left as it is."
        )
        if isinstance(exc, OSError):
            raise ProjectError(
                f"cannot write {exc.filename or 'a version file'}: {exc.strerror or exc}",
                hint="Make the files writable." + rolled_back,
            ) from None
        if isinstance(exc, HwbError):
            exc.hint = (exc.hint or "") + rolled_back
        raise
    return outcome


def _roll_back(
    repo: git.Repo | None, outcome: Outcome, written: list[Change], index: str | None, commit: bool
) -> list[str]:
    """Undo what :func:`apply` did (files, index, commit, tag), never what someone else did
    since: the commit only while it is HEAD, a file only while it holds what hwb wrote. The
    files left as they are."""
    paths = [c.path for c in written] if commit else []
    if repo is not None and not git.undo_release(repo, outcome.commit, outcome.tag, index, paths):
        return ["the release commit (it is no longer HEAD)"]
    kept = []
    for change in reversed(written):
        try:
            current = change.path.read_text("utf-8")
        except OSError:
            current = None
        if current != change.new:
            kept.append(str(change.path))
        elif change.existed:
            _write(change.path, change.old)
        else:
            change.path.unlink(missing_ok=True)
    return kept


def project_source(
    root: Path, data: Mapping[str, Any], settings: VersionSettings, repo: git.Repo | None
) -> Source | None:
    """The version source for release notes, None when the project has none hwb can read
    (notes need no version: they then start at the last release tag)."""
    try:
        return detect_source(root, data, settings, repo)
    except HwbError:
        return None


def release_notes(
    repo: git.Repo,
    settings: VersionSettings,
    from_ref: str | None,
    to_ref: str = "HEAD",
    *,
    root: Path | None = None,
    source: Source | None = None,
    project: str | None = None,
) -> changelog.Release:
    """The release ending at ``to_ref``: when ``to_ref`` carries a release tag (the release
    workflow's checkout), that version since the release before it (the highest lower version
    tag, on this branch or not); otherwise the unreleased commits since the project's current
    version's tag (:func:`previous_release`). Without any previous tag the notes start after
    the last version bump (:func:`_start_without_tag`). A shallow clone is deepened first."""
    git.check_revision(to_ref, "--to")
    if from_ref is not None:
        git.check_revision(from_ref, "--from")
    settings = history.prepare(repo, settings, project)
    current = history.highest(settings, git.tags_at(repo, to_ref))
    rev_range = f"{from_ref}..{to_ref}" if from_ref else None
    if from_ref is None:
        found: tuple[str, Version] | None
        if current is not None:
            found = history.highest(settings, git.all_tags(repo), below=current[1])
            if found is not None:
                history.warn_off_branch(repo, found[0], to_ref)
        else:
            version = source.current if source is not None and source.kind != "vcs" else None
            found = history.previous_release(repo, settings, version, to_ref)
        from_ref = found[0] if found else None
        paths = (
            history.version_paths(repo, root, source) if root is not None else ["pyproject.toml"]
        )
        rev_range = history.since(repo, settings, found, paths, to_ref)
        if found is None and rev_range != to_ref:
            from_ref = rev_range.split("..")[0]
    commits = history.commits_in(repo, settings, rev_range or to_ref)
    url = changelog.project_web_url(repo, settings.repository_url, ci.environ())
    return changelog.Release(
        version=str(current[1]) if current else None,
        previous_tag=from_ref,
        tag=current[0] if current else None,
        date=repo.out("log", "-1", "--format=%cs", "--end-of-options", to_ref, "--"),
        commits=commits,
        web_url=url,
        host=changelog.host_of(url),
        to_ref=to_ref,
        types=frozenset(settings.changelog_types),
    )
