"""One install gives the whole tool: the distribution's declared dependencies, and each optional
extra's absence turned into exit 8 with the exact install command (never an internal error).

An extra is made absent for real in a child interpreter: a ``sys.meta_path`` finder refuses its
modules, exactly as Python does when they are not installed."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from hwb import DISTRIBUTION
from tests import distfactory as df

# Runs hwb's entry point with some top-level modules made uninstallable.
_BLOCKED_RUN = """
import sys
blocked = set(sys.argv[1].split(","))
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
from hwb.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_without(
    modules: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, modules, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )


def core_requirements() -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in metadata.requires(DISTRIBUTION) or []]
    return {r.name: r for r in reqs if not r.marker or "extra" not in str(r.marker)}


def test_published_as_headless_wheel_builder_with_hwb_command() -> None:
    dist = metadata.distribution(DISTRIBUTION)
    assert dist.metadata["Name"] == "headless-wheel-builder"
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"hwb": "hwb.cli:run"}


def test_core_dependencies_are_the_whole_tool() -> None:
    core = core_requirements()
    for name in ("build", "twine", "id", "pypi-attestations", "pyyaml", "cibuildwheel",
                 "packaging", "click", "requests", "requests-toolbelt", "rich"):  # fmt: skip
        assert name in core, f"{name} is not a core dependency"
    assert not {"boto3", "google-auth", "uv"} & set(core)  # cloud SDKs and uv stay extras


@pytest.mark.parametrize("extra", ["s3", "gcp", "uv", "attest"])
def test_extras_named_in_hints_exist(extra: str) -> None:
    provided = metadata.metadata(DISTRIBUTION).get_all("Provides-Extra") or []
    assert extra in provided


def test_s3_index_without_boto3_is_exit_8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb.registries.bucket]\ntype = "s3"\nbucket = "releases"\n'
    )
    wheel = df.wheel(tmp_path)
    result = run_without("boto3,botocore", "publish", "-r", "bucket", "--no-inspect",
                         "--project", str(tmp_path), str(wheel))  # fmt: skip
    assert result.returncode == 8, result.stderr
    assert "error: the S3 index s3://releases/ needs boto3, which is not installed" in result.stderr
    assert "hint: pip install 'headless-wheel-builder[s3]'" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_s3_index_rebuild_without_boto3_is_exit_8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb.registries.bucket]\ntype = "s3"\nbucket = "releases"\n'
    )
    result = run_without("boto3,botocore", "index", "rebuild", "bucket", cwd=tmp_path)
    assert result.returncode == 8, result.stderr
    assert "hint: pip install 'headless-wheel-builder[s3]'" in result.stderr


def test_google_registry_without_google_auth_is_exit_8(tmp_path: Path) -> None:
    wheel = df.wheel(tmp_path)
    url = "https://europe-west1-python.pkg.dev/proj/repo/"
    result = run_without("google", "publish", "--no-inspect", "--url", url, str(wheel))
    assert result.returncode == 8, result.stderr
    assert "needs google-auth, which is not installed" in result.stderr
    assert "hint: pip install 'headless-wheel-builder[gcp]'" in result.stderr
    assert "internal error" not in result.stderr
