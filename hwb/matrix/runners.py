"""What an identifier means: its platform, architecture, CI runner and matching wheel tags.

cibuildwheel identifiers are ``{python}-{platform}``, e.g. ``cp312-manylinux_x86_64``,
``cp314t-win_arm64``, ``pp311-macosx_arm64``. Selection is cibuildwheel's job; this module only
reads identifiers that cibuildwheel printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.tags import Tag

from hwb.errors import ConfigError

#: GitHub-hosted runner per ``platform-arch`` (overridable with [tool.hwb.matrix] runners).
DEFAULT_RUNNERS: dict[str, str] = {
    "linux-x86_64": "ubuntu-latest",
    "linux-i686": "ubuntu-latest",
    "linux-aarch64": "ubuntu-24.04-arm",
    "linux-armv7l": "ubuntu-24.04-arm",
    # These need QEMU (docker/setup-qemu-action) on an x86_64 runner.
    "linux-ppc64le": "ubuntu-latest",
    "linux-s390x": "ubuntu-latest",
    "linux-riscv64": "ubuntu-latest",
    "macos-x86_64": "macos-15-intel",
    "macos-arm64": "macos-latest",
    "macos-universal2": "macos-latest",
    "windows-AMD64": "windows-latest",
    "windows-x86": "windows-latest",
    "windows-ARM64": "windows-11-arm",
}

#: GitLab runner tags per ``platform-arch`` (GitLab.com hosted runners; [] = default runner).
DEFAULT_GITLAB_TAGS: dict[str, list[str]] = {
    "linux-aarch64": ["saas-linux-small-arm64"],
    "linux-armv7l": ["saas-linux-small-arm64"],
    # GitLab has no Intel macOS runner; cibuildwheel cross-compiles x86_64 on Apple silicon.
    "macos-x86_64": ["saas-macos-medium-m1"],
    "macos-arm64": ["saas-macos-medium-m1"],
    "macos-universal2": ["saas-macos-medium-m1"],
    "windows-AMD64": ["saas-windows-medium-amd64"],
    "windows-x86": ["saas-windows-medium-amd64"],
}

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


def parse_identifier(text: str) -> Identifier:
    match = _IDENTIFIER.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a cibuildwheel build identifier (e.g. cp312-win_amd64)")
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
        raise ValueError(f"'{text}': unknown platform '{plat}'")
    return Identifier(text, python, plat, platform, arch)


def runner_map(overrides: Mapping[str, str]) -> dict[str, str]:
    """The default runners with the user's overrides; an unknown key is a typo."""
    for key in overrides:
        if key not in DEFAULT_RUNNERS:
            known = ", ".join(sorted(DEFAULT_RUNNERS))
            raise ConfigError(
                f"[tool.hwb.matrix] runners: unknown key '{key}'",
                hint=f"Keys are platform-arch: {known}.",
            )
    return {**DEFAULT_RUNNERS, **overrides}


def runner_for(ident: Identifier, runners: Mapping[str, str]) -> str:
    return runners.get(ident.runner_key, "ubuntu-latest")


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
