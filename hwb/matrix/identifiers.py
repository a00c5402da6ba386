"""What a cibuildwheel build identifier says: its Python, platform and architecture, and
which wheel tags serve it.

cibuildwheel identifiers are ``{python}-{platform}``, e.g. ``cp312-manylinux_x86_64``,
``cp314t-win_arm64``, ``pp311-macosx_arm64``. Selection is cibuildwheel's job; this module only
reads identifiers that cibuildwheel printed (or a plan holds), and a malformed one is a
:class:`ConfigError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.tags import Tag

from hwb.errors import ConfigError

_IDENTIFIER = re.compile(r"^(?P<python>[a-z]+\d+t?)-(?P<platform>[a-z0-9_]+)$")
_WINDOWS_ARCH = {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64"}


@dataclass(frozen=True)
class Identifier:
    """A parsed cibuildwheel build identifier."""

    text: str
    python: str  # cp312, cp314t, pp311
    platform_tag: str  # manylinux_x86_64, win_amd64, macosx_arm64
    platform: str  # linux, macos, windows, pyodide, ios, android
    arch: str  # cibuildwheel's arch name: x86_64, aarch64, AMD64, x86, arm64, universal2

    @property
    def runner_key(self) -> str:
        return f"{self.platform}-{self.arch}"


def parse_identifier(text: str, *, file: str | None = None) -> Identifier:
    """``file``: where the identifier was read (a plan), named in the error."""
    match = _IDENTIFIER.match(text.strip())
    if not match:
        raise _unknown(f"'{text}' is not a cibuildwheel build identifier", file)
    python, plat = match.group("python"), match.group("platform")
    if plat in _WINDOWS_ARCH:
        return Identifier(text, python, plat, "windows", _WINDOWS_ARCH[plat])
    family, _, arch = plat.partition("_")
    platform = {
        "manylinux": "linux",
        "musllinux": "linux",
        "macosx": "macos",
        "pyodide": "pyodide",
        "ios": "ios",
        "android": "android",
    }.get(family)
    if platform is None or not arch:
        raise _unknown(f"'{text}': unknown platform '{plat}'", file)
    return Identifier(text, python, plat, platform, arch)


def _unknown(what: str, file: str | None) -> ConfigError:
    if file is None:
        return ConfigError(
            what, hint="Use an identifier from 'hwb matrix plan' (e.g. cp312-win_amd64)."
        )
    return ConfigError(
        f"{file}: {what}",
        hint="Write the plan again: hwb matrix plan --format json -o plan.json.",
        file=file,
    )


# -- wheel tags ------------------------------------------------------------------------------


def _python_matches(python: str, tag: Tag) -> bool:
    impl = re.match(r"[a-z]+", python)
    assert impl is not None  # noqa: S101 - the identifier regex guarantees it
    family = impl.group(0)
    digits = python[len(family) :].rstrip("t")
    free_threaded = python.endswith("t")
    if tag.abi == "none" and tag.interpreter in {"py3", f"py{digits}"}:
        return True  # pure Python (or a binary without a Python ABI)
    if family == "cp":
        if free_threaded:
            return tag.interpreter == f"cp{digits}" and tag.abi == f"cp{digits}t"
        if tag.interpreter == f"cp{digits}" and tag.abi in {f"cp{digits}", "none"}:
            return True
        if tag.abi == "abi3" and tag.interpreter.startswith("cp"):
            # An abi3 wheel built for cp39 serves every later CPython.
            built = tag.interpreter[2:]
            return built.isdigit() and _version_key(built) <= _version_key(digits)
        return False
    if family == "pp":
        return tag.interpreter == f"pp{digits}"
    if family == "gp":
        return tag.interpreter.startswith("graalpy") and digits in tag.interpreter
    return tag.interpreter == python


def _version_key(digits: str) -> tuple[int, int]:
    return int(digits[0]), int(digits[1:] or 0)


def _platform_matches(ident: Identifier, platform: str) -> bool:
    if platform == "any":
        return True
    plat = ident.platform_tag
    if plat in _WINDOWS_ARCH:
        return platform == plat
    family, _, arch = plat.partition("_")
    if family == "manylinux":
        return (platform.startswith(("manylinux", "linux_"))) and platform.endswith(f"_{arch}")
    return platform.startswith(f"{family}_") and platform.endswith(f"_{arch}")


def wheel_matches(identifier: str | Identifier, tags: Iterable[Tag]) -> bool:
    """Does a wheel with these tags serve this identifier (python, ABI and platform)?"""
    ident = parse_identifier(identifier) if isinstance(identifier, str) else identifier
    return any(
        _python_matches(ident.python, t) and _platform_matches(ident, t.platform) for t in tags
    )
