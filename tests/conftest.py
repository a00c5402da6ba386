"""Shared fixtures: sample projects, a clean environment, and an in-process CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwb.cli import main

PACKAGES = Path(__file__).parent / "packages"
EXAMPLES = Path(__file__).parent.parent / "examples"

_LEAKY_ENV = (
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITLAB_CI",
    "NO_COLOR",
    "FORCE_COLOR",
    "SOURCE_DATE_EPOCH",
    "HWB_DEBUG",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see neither the developer's CI variables nor their HWB_* settings."""
    for name in list(os.environ):
        if name in _LEAKY_ENV or name.startswith("HWB_"):
            monkeypatch.delenv(name)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def hwb(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run the hwb CLI in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a sample project (tests/packages/NAME or examples/NAME) into a temp dir."""

    def copy(name: str) -> Path:
        source = PACKAGES / name if (PACKAGES / name).exists() else EXAMPLES / name
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def github_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Pretend to be a GitHub Actions step: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are temp files."""
    files = {"output": tmp_path / "gh_output", "summary": tmp_path / "gh_summary"}
    for path in files.values():
        path.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
    yield files


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pure example, built once per session (wheel + sdist) with hwb."""
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(EXAMPLES / "pure-hatch", base / "src")
    assert main(["-q", "build", str(base / "src"), "--sdist", "-o", str(base / "dist")]) == 0
    return base / "dist"
