"""Which CI runner builds which identifier: GitHub runners and GitLab runner tags per
``platform-arch``, with the user's overrides; and which archs a release builds when the project
says ``auto`` (the runners', not the planning machine's)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hwb.errors import ConfigError
from hwb.matrix.identifiers import Identifier

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
    # macos-13 (GitHub's last Intel image) was retired in December 2025; macos-15-intel
    # replaced it.
    "macos-x86_64": "macos-15-intel",
    "macos-arm64": "macos-latest",
    "macos-universal2": "macos-latest",
    "windows-AMD64": "windows-latest",
    "windows-x86": "windows-latest",
    "windows-ARM64": "windows-11-arm",
}

#: GitLab runner tags per ``platform-arch`` (GitLab.com hosted runners).
DEFAULT_GITLAB_TAGS: dict[str, list[str]] = {
    "linux-x86_64": ["saas-linux-small-amd64"],
    "linux-i686": ["saas-linux-small-amd64"],
    "linux-ppc64le": ["saas-linux-small-amd64"],
    "linux-s390x": ["saas-linux-small-amd64"],
    "linux-riscv64": ["saas-linux-small-amd64"],
    "linux-aarch64": ["saas-linux-small-arm64"],
    "linux-armv7l": ["saas-linux-small-arm64"],
    # GitLab has no Intel macOS runner; cibuildwheel cross-compiles x86_64 on Apple silicon.
    "macos-x86_64": ["saas-macos-medium-m1"],
    "macos-arm64": ["saas-macos-medium-m1"],
    "macos-universal2": ["saas-macos-medium-m1"],
    "windows-AMD64": ["saas-windows-medium-amd64"],
    "windows-x86": ["saas-windows-medium-amd64"],
    # No Windows ARM runner on GitLab.com: cibuildwheel cross-compiles ARM64 (tests skipped).
    "windows-ARM64": ["saas-windows-medium-amd64"],
}

#: What GitLab.com cannot build natively: (platform-arch, what happens instead).
GITLAB_CROSS = {
    "macos-x86_64": "cross-compiled on an Apple-silicon runner (GitLab has no Intel macOS)",
    "windows-ARM64": "cross-compiled on an AMD64 runner, tests skipped (no Windows ARM runner)",
}

#: Every arch cibuildwheel builds per platform, in the order plans list them.
ALL_ARCHS: dict[str, tuple[str, ...]] = {
    "linux": ("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"),
    "macos": ("arm64", "x86_64", "universal2"),
    "windows": ("AMD64", "x86", "ARM64"),
}

#: The runner families a release runs on (one per native arch), per platform: every platform
#: has hosted x86_64 and ARM runners on GitHub (ubuntu-24.04-arm, macos-14+, windows-11-arm).
NATIVE_ARCHS: dict[str, tuple[str, ...]] = {
    "linux": ("x86_64", "aarch64"),
    "macos": ("arm64", "x86_64"),
    "windows": ("AMD64", "ARM64"),
}

#: cibuildwheel's ``auto`` on a runner of this native arch (cibuildwheel 3+: the native arch,
#: plus x86 on Windows AMD64), and ``auto32`` (aarch64 runners on GitHub cannot run armv7l).
_AUTO = {("windows", "AMD64"): ("AMD64", "x86")}
_AUTO32 = {("linux", "x86_64"): ("i686",), ("windows", "AMD64"): ("x86",)}

#: Where an arch that is not a runner's native one is built: on the runner of this native arch
#: (one job per runner: a 32-bit or universal build shares its host's job).
HOST_ARCH: dict[str, str] = {
    "linux-i686": "x86_64",
    "linux-armv7l": "aarch64",
    "windows-x86": "AMD64",
    "macos-universal2": "arm64",
}
#: Emulated under QEMU: slow, so each keeps a job of its own.
EMULATED = frozenset({"linux-ppc64le", "linux-s390x", "linux-riscv64"})


def expand_archs(expression: str, platform: str) -> list[str]:
    """cibuildwheel's ``archs`` expression (``auto``, ``native``, ``auto64``, ``auto32``,
    ``all`` or names) evaluated over every runner family of ``platform``, not this machine."""
    known = ALL_ARCHS[platform]
    chosen: set[str] = set()
    for word in (w for w in re.split(r"[\s,]+", expression.strip()) if w):
        if word in {"auto", "native", "auto64"}:
            for native in NATIVE_ARCHS[platform]:
                extra = _AUTO.get((platform, native), ()) if word == "auto" else ()
                chosen.update((native, *extra))
        elif word == "auto32":
            for native in NATIVE_ARCHS[platform]:
                chosen.update(_AUTO32.get((platform, native), ()))
        elif word == "all":
            chosen.update(known)
        else:
            match = next((a for a in known if a.lower() == word.lower()), None)
            if match is None:
                raise ConfigError(
                    f"archs: '{word}' is not a {platform} arch",
                    hint=f"{platform} archs: {', '.join(known)} (or auto, auto64, auto32, all).",
                )
            chosen.add(match)
    return [a for a in known if a in chosen]


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


def host_key(ident: Identifier, runners: Mapping[str, str]) -> str:
    """The ``platform-arch`` whose job builds this identifier when there is one job per runner:
    a 32-bit or universal2 build joins its host's job when both run on the same runner."""
    key = ident.runner_key
    if key in EMULATED or key not in HOST_ARCH:
        return key
    host = f"{ident.platform}-{HOST_ARCH[key]}"
    return host if runners.get(host) == runners.get(key) else key
