"""Which CI runner builds which identifier: GitHub runners and GitLab runner tags per
``platform-arch``, with the user's overrides."""

from __future__ import annotations

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
