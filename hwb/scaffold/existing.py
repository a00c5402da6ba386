"""What a project's CI already does, read from its files before ``hwb init-ci`` adds a release
pipeline: which workflows or pipelines already publish (one tag must not publish twice), and
which build Python its ``requires-python`` allows.

Publishing is recognised by what the project's own files run: pypa/gh-action-pypi-publish,
PyO3/maturin-action's upload, ``twine upload``, ``uv publish``, ``maturin upload|publish``,
``flit|poetry|hatch|pdm publish`` and ``hwb publish`` (or the hwb action's publish command).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

#: What a publishing step looks like in a workflow or pipeline file, and how to name it.
_PUBLISHERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"uses:\s*['\"]?pypa/gh-action-pypi-publish@"), "pypa/gh-action-pypi-publish"),
    (re.compile(r"uses:\s*['\"]?pypa/gh-action-pypi-publish\b"), "pypa/gh-action-pypi-publish"),
    (re.compile(r"\btwine\s+upload\b"), "twine upload"),
    (re.compile(r"\buv\s+publish\b"), "uv publish"),
    (re.compile(r"\bmaturin\s+(?:upload|publish)\b"), "maturin upload"),
    (re.compile(r"\b(flit|poetry|hatch|pdm)\s+publish\b"), "{0} publish"),
    (re.compile(r"\bhwb\s+publish\b"), "hwb publish"),
)
#: The maturin action and the hwb action publish through an input, not a command line.
_ACTION_COMMAND = re.compile(
    r"uses:\s*['\"]?(?P<action>[\w.-]+/(?:maturin-action|hwb))@[^\n]*\n"
    r"(?:(?!\s*-\s)[^\n]*\n)*?\s*command:\s*['\"]?(?P<command>upload|publish)\b"
)


@dataclass(frozen=True)
class Publisher:
    """A file of the project's CI that publishes, and how (its first publishing line)."""

    path: Path
    line: int
    how: str

    def describe(self, root: Path) -> str:
        try:
            shown = self.path.relative_to(root).as_posix()
        except ValueError:
            shown = str(self.path)
        return f"{shown}:{self.line} ({self.how})"


def ci_files(root: Path, ci: str) -> list[Path]:
    """The project's own workflow (GitHub) or pipeline (GitLab) files."""
    if ci == "github":
        folder = root / ".github" / "workflows"
        return sorted(p for p in folder.glob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())
    found = [root / ".gitlab-ci.yml"] if (root / ".gitlab-ci.yml").is_file() else []
    found += sorted(p for p in (root / ".gitlab").rglob("*.yml") if p.is_file())
    return found


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def publishers(root: Path, ci: str, *, ignore: frozenset[Path] = frozenset()) -> list[Publisher]:
    """Every CI file of the project that already publishes (``ignore``: files hwb wrote)."""
    found: list[Publisher] = []
    for path in ci_files(root, ci):
        if path in ignore:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        # Comments say what a file could do, not what it does.
        code = re.sub(r"(?m)^\s*#.*$", "", text)
        hits: list[tuple[int, str]] = []
        for pattern, name in _PUBLISHERS:
            for match in pattern.finditer(code):
                hits.append((match.start(), name.format(*match.groups())))
        for match in _ACTION_COMMAND.finditer(code):
            action = match.group("action").split("/")[-1]
            hits.append((match.start(), f"{action} {match.group('command')}"))
        if hits:
            offset, how = min(hits)
            found.append(Publisher(path, _line_of(code, offset), how))
    return found


DEFAULT_PYTHON = "3.12"
#: CPython versions a runner offers, oldest first; the last is the newest stable release.
_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
#: Released after the newest above: used (as a pre-release) only when nothing else is allowed.
_NEXT = ("3.15",)


def build_python(requires_python: str | None) -> tuple[str, bool]:
    """The Python to build with, from ``requires-python``: 3.12 (the Python whose image the
    GitLab templates pin by digest) when it is allowed, else the newest stable CPython that is
    (``>=3.14``: 3.14; ``<3.12``: 3.11); and whether it is a pre-release (``>=3.15`` before
    3.15 is out). Unreadable or absent: 3.12."""
    if not requires_python:
        return DEFAULT_PYTHON, False
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return DEFAULT_PYTHON, False
    allowed = [v for v in _PYTHONS if spec.contains(Version(v), prereleases=True)]
    if DEFAULT_PYTHON in allowed:
        return DEFAULT_PYTHON, False
    if allowed:
        return allowed[-1], False
    upcoming = [v for v in _NEXT if spec.contains(Version(v), prereleases=True)]
    if upcoming:
        return upcoming[0], True
    return DEFAULT_PYTHON, False


def cibuildwheel_env(root: Path) -> dict[str, str]:
    """The ``CIBW_*`` variables the project's GitHub workflows give cibuildwheel (workflow,
    job and step ``env:`` of jobs that run pypa/cibuildwheel): its choices of archs, skip and
    build live there when ``[tool.cibuildwheel]`` does not hold them. Values that are
    expressions (``${{ ... }}``) mean something only in that workflow and are left out."""
    import yaml

    from hwb.scaffold import yamlio

    found: dict[str, str] = {}
    for path in ci_files(root, "github"):
        try:
            doc = yamlio.load(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, yaml.YAMLError):  # a broken workflow of theirs is not init-ci's failure
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
            continue
        for job in doc["jobs"].values():
            steps = job.get("steps") if isinstance(job, dict) else None
            if not isinstance(steps, list):
                continue
            runs = [s for s in steps if isinstance(s, dict)]
            cibw = [s for s in runs if "pypa/cibuildwheel" in str(s.get("uses", ""))]
            cibw += [s for s in runs if "cibuildwheel" in str(s.get("run", ""))]
            if not cibw:
                continue
            for scope in (doc.get("env"), job.get("env"), *(s.get("env") for s in cibw)):
                for name, value in (scope or {}).items() if isinstance(scope, dict) else ():
                    text = str(value)
                    if str(name).startswith("CIBW_") and "${{" not in text:
                        found[str(name)] = text
    return found
