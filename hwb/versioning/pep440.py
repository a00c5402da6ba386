"""PEP 440 version arithmetic and the files that hold a project's version.

Bump rules (golden tables in tests/test_version.py), in the spirit of ``uv version --bump``:

- ``major``/``minor``/``patch`` increment that release segment, zero the ones after it and drop
  pre/post/dev/local: 1.2.3 -> patch 1.2.4; 1.3.0b1 -> minor 1.4.0.
- ``alpha``/``beta``/``rc`` on the same kind increment it (1.3.0b1 -> beta 1.3.0b2); on an
  earlier kind move forward (1.3.0a2 -> rc 1.3.0rc1); on a dev-only version start at 1
  (1.0.0.dev3 -> alpha 1.0.0a1); on a final release bump patch first (1.0.0 -> alpha 1.0.1a1).
  Combined with a release part (``minor --pre rc``) the release part goes first: 1.0.0 -> 1.1.0rc1.
- ``post``: 1.0.0 -> 1.0.0.post1 -> 1.0.0.post2.
- ``dev``: 1.0.0.dev3 -> 1.0.0.dev4; a version without dev gets the next patch (or pre) as .dev1:
  1.0.0 -> 1.0.1.dev1, 1.0.0rc1 -> 1.0.0rc2.dev1.
- ``release`` drops pre/dev: 1.3.1b2 -> 1.3.1.

Every result must sort after the current version; a bump that would go backwards is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from hwb.errors import VersionError

RELEASE_PARTS = ("major", "minor", "patch")
PRE_PARTS = {"alpha": "a", "beta": "b", "rc": "rc"}
PARTS = (*RELEASE_PARTS, *PRE_PARTS, "post", "dev", "release")
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}


def parse(text: str, what: str = "version", file: str | None = None) -> Version:
    hint = "Use a form such as 1.2.3, 1.2.3rc1, 1.2.3.post1 or 1.2.3.dev1."
    if len(text) > 256:  # PyPI's limit is far below; Python's int() refuses 4300+ digits
        raise VersionError(
            f"{what} is {len(text)} characters long: not a usable version", hint=hint, file=file
        )
    try:
        return Version(text)
    except ValueError:  # InvalidVersion
        raise VersionError(
            f"{what} {text!r} is not a valid PEP 440 version", hint=hint, file=file
        ) from None


def _compose(
    epoch: int,
    release: tuple[int, ...],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = (f"{epoch}!" if epoch else "") + ".".join(str(p) for p in release)
    if pre:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _release3(v: Version) -> tuple[int, int, int]:
    parts = (*v.release, 0, 0)[:3]
    return parts[0], parts[1], parts[2]


def _bump_release(v: Version, part: str) -> tuple[int, ...]:
    major, minor, patch = _release3(v)
    if part == "major":
        return (major + 1, 0, 0)
    if part == "minor":
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


def bump(current: Version, part: str, pre: str | None = None, dev: bool = False) -> Version:
    """The version after bumping ``part`` (see the module docstring), optionally followed by a
    pre-release kind (``pre``) and/or a dev release (``dev``)."""
    if part not in PARTS:
        raise VersionError(
            f"unknown version part {part!r}", hint=f"Use one of: {', '.join(PARTS)}."
        )
    if pre is not None and part not in RELEASE_PARTS:
        raise VersionError(f"--pre combines with major, minor or patch, not {part}")
    epoch = current.epoch
    if part in RELEASE_PARTS:
        release = _bump_release(current, part)
        pre_seg = (PRE_PARTS[pre], 1) if pre else None
        new = _compose(epoch, release, pre_seg, dev=1 if dev else None)
    elif part in PRE_PARTS:
        letter = PRE_PARTS[part]
        if current.pre is None:
            # A dev-only version (1.0.0.dev3) precedes 1.0.0a1; a final one needs a new patch.
            release = current.release if current.is_devrelease else _bump_release(current, "patch")
            new = _compose(epoch, release, (letter, 1))
        elif current.pre[0] == letter:
            number = current.pre[1] if current.is_devrelease else current.pre[1] + 1
            new = _compose(epoch, current.release, (letter, number))
        elif _PRE_ORDER[letter] > _PRE_ORDER[current.pre[0]]:
            new = _compose(epoch, current.release, (letter, 1))
        else:
            raise VersionError(
                f"cannot bump {current} to {part}: {part} comes before {current.pre[0]}",
                hint="Bump the same or a later pre-release kind, or 'release'.",
            )
        if dev:
            new = _compose(epoch, new.release, new.pre, dev=1)
    elif part == "post":
        post = 1 if current.post is None else current.post + 1
        new = _compose(epoch, current.release, current.pre, post)
    elif part == "dev":
        if current.dev is not None:
            new = _compose(epoch, current.release, current.pre, current.post, current.dev + 1)
        elif current.pre is not None:
            new = _compose(epoch, current.release, (current.pre[0], current.pre[1] + 1), dev=1)
        else:
            new = _compose(epoch, _bump_release(current, "patch"), dev=1)
    else:  # release
        if current.pre is None and current.dev is None:
            raise VersionError(
                f"{current} is already a final release",
                hint="Bump major, minor or patch for a new release.",
            )
        new = _compose(epoch, current.release)
    if new <= current:
        raise VersionError(f"bumping {part} would move {current} back to {new}")
    return new


# -- files holding the version ----------------------------------------------------------------
_ASSIGN = (
    r"^(?P<prefix>[ \t]*{name}[ \t]*(?::[^=\n]*)?=[ \t]*)(?P<q>['\"])(?P<value>[^'\"\n]*)(?P=q)"
)


@dataclass(frozen=True)
class VersionFile:
    """A file that holds the version: ``path:NAME`` (an assignment ``NAME = "1.2.3"`` in a
    Python or text file) or ``path`` alone (a file whose whole content is the version)."""

    path: Path
    variable: str | None

    @classmethod
    def from_spec(cls, root: Path, spec: str) -> VersionFile:
        path, sep, variable = spec.partition(":")
        if not path or (sep and not variable):
            raise VersionError(
                f"[tool.hwb.version] files: {spec!r} is not PATH or PATH:VARIABLE",
                hint='e.g. files = ["src/pkg/__init__.py:__version__", "VERSION"]',
            )
        return cls(root / path, variable or None)

    def _pattern(self) -> re.Pattern[str]:
        assert self.variable is not None  # noqa: S101 - callers check
        return re.compile(_ASSIGN.format(name=re.escape(self.variable)), re.M)

    def read(self) -> str:
        try:
            text = self.path.read_text("utf-8")
        except OSError as exc:
            raise VersionError(
                f"cannot read {self.path}: {exc.strerror}", file=str(self.path)
            ) from None
        if self.variable is None:
            return text.strip()
        matches = self._pattern().findall(text)
        if len(matches) != 1:
            found = "no" if not matches else f"{len(matches)}"
            raise VersionError(
                f"{self.path}: found {found} assignments to {self.variable}, expected exactly one",
                hint=f'The file needs one line like {self.variable} = "1.2.3".',
                file=str(self.path),
            )
        return str(self._pattern().search(text).group("value"))  # type: ignore[union-attr]

    def render(self, new: str) -> str:
        """The file's text with the version replaced (nothing else changed)."""
        text = self.path.read_text("utf-8")
        if self.variable is None:
            return text.replace(text.strip(), new, 1)
        return self._pattern().sub(lambda m: f"{m['prefix']}{m['q']}{new}{m['q']}", text, count=1)
