"""`hwb matrix build`: real cibuildwheel runs in a manylinux-like image under podman.

The image is built from this machine's own interpreters by tests/containers/manylinux-image.sh
(no image registry is reachable here) and cached between runs. musllinux, macOS and Windows
cannot be built here: they are covered by the plan tests only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hwb.errors import IncompleteReleaseError, MatrixBuildError
from tests.conftest import PACKAGES, Run
from tests.manylinux import pyenv_python

IDS = ("cp311-manylinux_x86_64", "cp312-manylinux_x86_64")


@pytest.fixture
def podman_env(manylinux_image: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("CIBW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CIBW_MANYLINUX_X86_64_IMAGE", manylinux_image)
    yield


def build_first(hwb: Callable[..., Run], cext: Path, wheelhouse: Path) -> Run:
    """``hwb matrix build`` of the first identifier alone, under podman."""
    return hwb(
        "matrix", "build", str(cext), "--isolation", "podman", "--only", IDS[0],
        "-o", str(wheelhouse),
    )  # fmt: skip


@pytest.mark.integration
@pytest.mark.usefixtures("podman_env")
def test_two_identifiers_in_parallel_give_repaired_wheels_that_install_and_import(
    hwb: Callable[..., Run],
    cext: Path,
    tmp_path: Path,
    github_env: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    result = hwb(
        "--json", "matrix", "build", str(cext), "--isolation", "podman",
        "--only", IDS[0], "--only", IDS[1], "--jobs", "2", "-o", str(wheelhouse),
    )  # fmt: skip
    assert result.code == 0, result.err[-3000:]
    import json

    data = json.loads(result.out)
    assert data["runs"] == 2
    assert [w["identifier"] for w in data["wheels"]] == list(IDS)
    assert sorted(p.name for p in wheelhouse.iterdir()) == sorted(
        w["wheel"] for w in data["wheels"]
    )
    for wheel, minor in zip(data["wheels"], ("11", "12"), strict=True):
        path = Path(wheel["path"])
        assert path.name.startswith(f"hwbdemo_fastsum-1.0.0-cp3{minor}-cp3{minor}-manylinux")
        assert wheel["size"] == path.stat().st_size and len(wheel["sha256"]) == 64
        assert wheel["seconds"] > 0
        with zipfile.ZipFile(path) as zf:  # auditwheel repaired it: its WHEEL tag says so
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL"))
            assert "manylinux" in zf.read(meta).decode()
        python = pyenv_python(minor)
        assert python is not None
        venv = tmp_path / f"venv{minor}"
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", str(path)],
            check=True,
        )
        code = "import hwbdemo_fastsum as m; print(m.fastsum(10))"
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-c", code],
            capture_output=True, text=True, check=True, cwd=tmp_path,
        )  # fmt: skip
        assert done.stdout.strip() == "45"
    # Output streamed with each run's lines prefixed, in one CI group; outputs and summary.
    assert "::group::cibuildwheel: " in result.err and "[1] " in result.err and "[2] " in result.err
    outputs = github_env["output"].read_text()
    assert f"wheelhouse={wheelhouse}" in outputs
    assert IDS[1] in github_env["summary"].read_text()

    # The same two identifiers planned by cibuildwheel, then gathered from the real wheels.
    monkeypatch.setenv("CIBW_BUILD", " ".join(IDS))
    monkeypatch.setenv("HWB_MATRIX_EXPECT_SDIST", "0")
    plan = hwb(
        "matrix", "plan", str(cext), "--platform", "linux", "-o", str(tmp_path / "plan.json")
    )
    assert plan.code == 0, plan.err
    dist = tmp_path / "dist"
    gathered = hwb(
        "gather", str(wheelhouse), "--plan", str(tmp_path / "plan.json"), "-o", str(dist)
    )
    assert gathered.code == 0, gathered.err
    assert sorted(p.name for p in dist.iterdir()) == sorted(p.name for p in wheelhouse.iterdir())


@pytest.mark.integration
@pytest.mark.usefixtures("podman_env")
def test_failing_test_command_is_one_line_and_moves_nothing(
    hwb: Callable[..., Run], cext: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIBW_TEST_COMMAND", "python -c 'raise SystemExit(3)'")
    wheelhouse = tmp_path / "wheelhouse"
    result = build_first(hwb, cext, wheelhouse)
    assert result.code == MatrixBuildError.exit_code == 18
    assert f"error: the test command failed for {IDS[0]} (exit 3)" in result.err
    assert "hint:" in result.err and "Traceback" not in result.err
    assert list(wheelhouse.iterdir()) == []


@pytest.mark.integration
@pytest.mark.usefixtures("podman_env")
def test_image_that_cannot_be_pulled(
    hwb: Callable[..., Run], cext: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIBW_MANYLINUX_X86_64_IMAGE", "localhost/hwb-no-such-image:0")
    result = build_first(hwb, cext, tmp_path / "w")
    assert result.code == 18
    assert "error: could not pull the container image localhost/hwb-no-such-image:0" in result.err


def test_missing_container_engine(
    hwb: Callable[..., Run], cext: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = build_first(hwb, cext, tmp_path / "w")
    assert result.code == 18
    assert "error: container engine 'podman' is not available" in result.err
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


def test_only_and_platform_conflict(hwb: Callable[..., Run], cext: Path) -> None:
    result = hwb("matrix", "build", str(cext), "--platform", "linux", "--only", IDS[0])
    assert result.code == 2 and "--platform cannot be combined with --only" in result.err


def test_bad_identifier_is_a_usage_error(hwb: Callable[..., Run], cext: Path) -> None:
    result = hwb("matrix", "build", str(cext), "--only", "manylinux")
    assert result.code == 2 and "not a cibuildwheel build identifier" in result.err


def test_bare_matrix_is_build(
    hwb: Callable[..., Run], cext: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`hwb matrix --platform linux --isolation X` (the seed's form) builds."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(cext)
    result = hwb("matrix", "--platform", "linux", "--isolation", "docker")
    assert result.code == 18 and "container engine 'docker' is not available" in result.err


def test_group_options_before_a_subcommand_are_refused(hwb: Callable[..., Run], cext: Path) -> None:
    result = hwb("matrix", "--jobs", "2", "plan", str(cext))
    assert result.code == 2 and "would be ignored: jobs" in result.err


def test_split_only() -> None:
    from hwb.matrix.build import split_only

    assert split_only(["a b", "c,d", "a"]) == ["a", "b", "c", "d"]


@pytest.mark.integration
def test_a_pure_projects_one_job_builds_its_one_wheel(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    """The pure plan's job passes no identifiers: the wheel comes from pypa/build (cibuildwheel
    would refuse a pure wheel), and gather accepts it against the plan."""
    project = tmp_path / "flit"
    shutil.copytree(PACKAGES / "flit", project)
    plan = tmp_path / "plan.json"
    assert hwb("matrix", "plan", str(project), "-o", str(plan)).code == 0
    result = hwb("matrix", "build", str(project), "-o", str(tmp_path / "wheelhouse"))
    assert result.code == 0, result.err
    (wheel,) = (tmp_path / "wheelhouse").glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    gathered = hwb(
        "gather", str(tmp_path / "wheelhouse"), "--plan", str(plan), "-o", str(tmp_path / "dist")
    )
    # The plan also expects the sdist (another job's): only that is missing.
    assert gathered.code == IncompleteReleaseError.exit_code and "1 missing" in gathered.err, (
        gathered.err
    )
    assert "missing sdist" in gathered.err and "missing wheel" not in gathered.err
