"""What ``hwb init-ci`` needs to know about a project, read from its files (nothing is built)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hwb.errors import HwbError, ProjectError
from hwb.settings import resolver

#: Build backends that compile: their presence alone makes a project "compiled".
COMPILING_BACKENDS = {
    "scikit_build_core.build": "scikit-build-core",
    "mesonpy": "meson-python",
    "maturin": "maturin",
    "pybind11.setup_helpers": "pybind11",
}
_SETUP_EXT = re.compile(r"\b(ext_modules|Extension\s*\(|cythonize\s*\(|Pybind11Extension)")


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


def _compiled(project_dir: Path, data: dict[str, Any], backend: str | None) -> list[str]:
    reasons: list[str] = []
    if backend in COMPILING_BACKENDS:
        reasons.append(f"build backend {COMPILING_BACKENDS[backend]}")
    tool = data.get("tool", {})
    if "cibuildwheel" in tool:
        reasons.append("[tool.cibuildwheel]")
    if tool.get("setuptools", {}).get("ext-modules"):
        reasons.append("[tool.setuptools] ext-modules")
    setup_py = project_dir / "setup.py"
    if setup_py.is_file() and _SETUP_EXT.search(setup_py.read_text(errors="replace")):
        reasons.append("extension modules in setup.py")
    if (project_dir / "Cargo.toml").is_file() and backend != "maturin":
        reasons.append("Cargo.toml")
    return reasons


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
    reasons = _compiled(project_dir, data, backend)
    return ProjectFacts(
        root=git_root if git_root is not None else project_dir,
        project_dir=project_dir,
        name=project.get("name") or data.get("tool", {}).get("poetry", {}).get("name"),
        backend=backend,
        compiled=bool(reasons),
        why_compiled=reasons,
        requires_python=project.get("requires-python"),
        has_tool_hwb=tool_hwb is not None,
        registries=sorted((tool_hwb or {}).get("registries", {})),
        remote=remote,
        git=git_root is not None,
    )
