"""What ``hwb init-ci`` needs to know about a project, read from its files (nothing is built)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hwb.errors import HwbError, ProjectError
from hwb.matrix.selection import compiled_reasons
from hwb.settings import resolver


@dataclass(frozen=True)
class Remote:
    """Where the project lives: host and path (owner/repo, or GitLab namespace/project)."""

    host: str
    path: str

    @property
    def owner(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class ProjectFacts:
    root: Path  # where the pipeline file goes (the git top level, else the project)
    project_dir: Path
    name: str | None
    backend: str | None
    compiled: bool
    why_compiled: list[str] = field(default_factory=list)
    requires_python: str | None = None
    has_tool_hwb: bool = False
    registries: list[str] = field(default_factory=list)
    remote: Remote | None = None
    git: bool = False
    pyproject: Path | None = None
    #: [tool.hwb.version] tag-format as the project wrote it (None: not set).
    tag_format: str | None = None
    #: The format of the project's existing version tags, and the newest of them.
    detected_tag_format: str | None = None
    newest_tag: str | None = None

    @property
    def effective_tag_format(self) -> str:
        """What releases are tagged as: the setting, else the existing tags, else v{version}."""
        return self.tag_format or self.detected_tag_format or "v{version}"

    @property
    def package_dir(self) -> str:
        """The project directory relative to the pipeline's root ('.' when it is the root)."""
        rel = self.project_dir.relative_to(self.root)
        return "." if rel == Path() else rel.as_posix()


def parse_remote(url: str) -> Remote | None:
    """``git@host:group/sub/proj.git``, ``https://host/owner/repo``, ``ssh://git@host:22/o/r``."""
    url = url.strip()
    if not url:
        return None
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif "@" in url and ":" in url:
        host, _, path = url.partition("@")[2].partition(":")
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    if not host or "/" not in path:
        return None
    return Remote(host, path)


def _git_remote(project_dir: Path) -> tuple[Path | None, Remote | None]:
    from hwb.versioning import git

    try:
        repo = git.open_repo(project_dir)
    except HwbError:
        return None, None
    except OSError:  # git itself is not installed
        return None, None
    url = repo.run("remote", "get-url", "origin", check=False).output.strip()
    return repo.root, parse_remote(url)


def _tag_format(repo_dir: Path | None, name: str | None) -> tuple[str | None, str | None]:
    """The tag format the repository's version tags follow (``v{version}``, ``{version}`` as
    pallets tag, ``name-{version}`` in a monorepo) and its newest such tag; (None, None) without
    git or version tags."""
    if repo_dir is None:
        return None, None
    from hwb.versioning import git, tags

    try:
        repo = git.open_repo(repo_dir)
        tag_format = tags.detect_tag_format(repo, name)
        names = git.all_tags(repo) if tag_format else []
    except (HwbError, OSError):
        return None, None
    if tag_format is None:
        return None, None
    versions = [(v, t) for t in names if (v := tags.version_of_tag(tag_format, t)) is not None]
    return tag_format, max(versions)[1] if versions else None


def detect(project_dir: Path) -> ProjectFacts:
    project_dir = project_dir.resolve()
    if not project_dir.is_dir():
        raise ProjectError(f"{project_dir}: no such directory", hint="Pass the project's folder.")
    pyproject = resolver.find_pyproject(project_dir)
    if pyproject is None and not (project_dir / "setup.py").is_file():
        raise ProjectError(
            f"{project_dir} has no pyproject.toml or setup.py",
            hint="Run hwb init-ci in (or pass the path of) a Python project.",
        )
    data = resolver.load_toml(pyproject) if pyproject else {}
    backend = data.get("build-system", {}).get("build-backend")
    if backend is None:
        backend = "setuptools.build_meta:__legacy__"
    project = data.get("project", {})
    tool_hwb = data.get("tool", {}).get("hwb")
    git_root, remote = _git_remote(project_dir)
    reasons = compiled_reasons(project_dir, data)
    version_table = data.get("tool", {}).get("hwb", {}).get("version", {})
    configured = version_table.get("tag-format") if isinstance(version_table, dict) else None
    name = project.get("name") or data.get("tool", {}).get("poetry", {}).get("name")
    detected, newest_tag = _tag_format(git_root, name)
    return ProjectFacts(
        root=git_root if git_root is not None else project_dir,
        project_dir=project_dir,
        name=name,
        backend=backend,
        compiled=bool(reasons),
        why_compiled=reasons,
        requires_python=project.get("requires-python"),
        has_tool_hwb=tool_hwb is not None,
        registries=sorted((tool_hwb or {}).get("registries", {})),
        remote=remote,
        git=git_root is not None,
        pyproject=pyproject,
        tag_format=configured if isinstance(configured, str) else None,
        detected_tag_format=detected,
        newest_tag=newest_tag,
    )
