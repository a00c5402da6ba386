"""`hwb gather`: artifact folders as download-artifact writes them, checked against a plan."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.errors import IncompleteReleaseError
from hwb.matrix.plan import Job, Plan
from tests.conftest import Run

IDS = {
    "cp311-manylinux_x86_64": "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-manylinux_x86_64": "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-win_amd64": "cp312-cp312-win_amd64",
    "cp312-macosx_arm64": "cp312-cp312-macosx_11_0_arm64",
}
SDIST = "demo_pkg-1.2.0.tar.gz"


def wheel_name(identifier: str) -> str:
    return f"demo_pkg-1.2.0-{IDS[identifier]}.whl"


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    jobs = [
        Job(ident, "ubuntu-latest", ident.split("-")[1].split("_")[0], "x", (ident,))
        for ident in IDS
    ]
    plan = Plan("Demo.Pkg", "1.2.0", ["linux", "macos", "windows"], "identifier", jobs, sdist=True)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.to_dict()))
    return path


def put(path: Path, content: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if content is not None else f"contents of {path.name}".encode())
    return path


def per_artifact(root: Path) -> Path:
    """download-artifact without merge-multiple: one folder per artifact."""
    for ident in IDS:
        put(root / f"wheels-{ident}" / wheel_name(ident))
    put(root / "sdist" / SDIST)
    return root


def merged(root: Path) -> Path:
    """download-artifact with merge-multiple: true — one flat folder."""
    for ident in IDS:
        put(root / wheel_name(ident))
    put(root / SDIST)
    return root


@pytest.mark.parametrize("layout", [per_artifact, merged])
def test_complete_release_is_gathered_with_checksums(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path, layout: Callable[[Path], Path]
) -> None:
    src = layout(tmp_path / "artifacts")
    dist = tmp_path / "dist"
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist), "--checksum")
    assert result.code == 0, result.err
    names = sorted(p.name for p in dist.iterdir())
    assert names == sorted([*(wheel_name(i) for i in IDS), SDIST, "SHA256SUMS"])
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(IDS) + 1
    assert "Complete: 4 identifier(s)" in result.out


def test_identical_duplicates_collapse(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    src = per_artifact(tmp_path / "a")
    # A re-run job uploaded the same wheel again under another artifact name.
    ident = "cp312-win_amd64"
    put(
        tmp_path / "a" / "wheels-rerun" / wheel_name(ident),
        (src / f"wheels-{ident}" / wheel_name(ident)).read_bytes(),
    )
    result = hwb(
        "--json", "gather", str(src), "--plan", str(plan_file), "-o", str(tmp_path / "dist")
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    dup = next(f for f in data["files"] if f["name"] == wheel_name(ident))
    assert len(dup["found"]) == 2
    assert dup["path"] == str(tmp_path / "dist" / wheel_name(ident))
    assert data["complete"] is True


def test_missing_wheel_names_identifier_and_job_and_writes_nothing(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    src = merged(tmp_path / "a")
    (src / wheel_name("cp312-macosx_arm64")).unlink()
    dist = tmp_path / "dist"
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist), "--checksum")
    assert result.code == IncompleteReleaseError.exit_code == 19
    assert "missing wheel: cp312-macosx_arm64 (job cp312-macosx_arm64)" in result.err
    assert "error: incomplete release" in result.err and "hint:" in result.err
    assert not dist.exists()


def test_missing_sdist(hwb: Callable[..., Run], tmp_path: Path, plan_file: Path) -> None:
    src = merged(tmp_path / "a")
    (src / SDIST).unlink()
    result = hwb("gather", str(src), "--plan", str(plan_file))
    assert result.code == 19
    assert "missing sdist: demo_pkg-1.2.0.tar.gz (job sdist)" in result.err


def test_stray_is_an_error_unless_allowed(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    src = merged(tmp_path / "a")
    stray = put(src / "demo_pkg-1.2.0-cp310-cp310-win_amd64.whl")
    other = put(src / "other-1.0-py3-none-any.whl")
    dist = tmp_path / "dist"
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist))
    assert result.code == 19
    assert f"stray: {stray}" in result.err and "match no planned identifier" in result.err
    assert f"stray: {other}" in result.err and "project other" in result.err
    assert not dist.exists()
    allowed = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist), "--allow-strays")
    assert allowed.code == 0, allowed.err
    assert not (dist / stray.name).exists() and (dist / SDIST).exists()


def test_wrong_version_is_a_stray(hwb: Callable[..., Run], tmp_path: Path, plan_file: Path) -> None:
    src = merged(tmp_path / "a")
    put(src / "demo_pkg-1.1.0-cp312-cp312-win_amd64.whl")
    result = hwb("gather", str(src), "--plan", str(plan_file))
    assert result.code == 19 and "version 1.1.0, not 1.2.0" in result.err


def test_two_different_files_under_one_name_conflict(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    src = per_artifact(tmp_path / "a")
    ident = "cp311-manylinux_x86_64"
    put(src / "wheels-rerun" / wheel_name(ident), b"a different build")
    dist = tmp_path / "dist"
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist))
    assert result.code == 19
    assert f"conflict: {wheel_name(ident)} differs between" in result.err
    assert not dist.exists()


def test_existing_different_file_in_outdir_is_refused(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    src = merged(tmp_path / "a")
    dist = tmp_path / "dist"
    put(dist / SDIST, b"an older sdist")
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(dist))
    assert result.code == 19 and "already exists with different content" in result.err
    assert sorted(p.name for p in dist.iterdir()) == [SDIST]


def test_abi3_wheel_serves_every_later_cpython(tmp_path: Path) -> None:
    from hwb.matrix.gather import gather

    ids = ("cp39-manylinux_x86_64", "cp312-manylinux_x86_64")
    plan = Plan(
        "demo",
        "1.0",
        ["linux"],
        "platform-arch",
        [Job("linux-x86_64", "u", "linux", "x86_64", ids)],
        sdist=False,
    )
    put(tmp_path / "a" / "demo-1.0-cp39-abi3-manylinux_2_17_x86_64.whl")
    result = gather(plan, [tmp_path / "a"], None)
    assert [f.identifiers for f in result.files] == [list(ids)]


def test_not_a_plan_is_a_config_error(hwb: Callable[..., Run], tmp_path: Path) -> None:
    bad = put(tmp_path / "plan.json", b'{"jobs": []}')
    result = hwb("gather", str(tmp_path), "--plan", str(bad))
    assert result.code == 3 and "is not an hwb plan" in result.err


def test_missing_folder_is_a_usage_error(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    result = hwb("gather", str(tmp_path / "nope"), "--plan", str(plan_file))
    assert result.code == 2 and "does not exist" in result.err


def test_a_zip_sdist_is_the_release_sdist(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    """PyPI accepts a .zip sdist and publish uploads one: gather must not call it missing."""
    src = merged(tmp_path / "a")
    (src / SDIST).rename(src / SDIST.replace(".tar.gz", ".zip"))
    result = hwb("gather", str(src), "--plan", str(plan_file), "-o", str(tmp_path / "dist"))
    assert result.code == 0, result.err
    assert (tmp_path / "dist" / "demo_pkg-1.2.0.zip").is_file()


def test_a_plan_with_an_unknown_identifier_is_a_config_error(
    hwb: Callable[..., Run], tmp_path: Path, plan_file: Path
) -> None:
    data = json.loads(plan_file.read_text())
    data["jobs"][0]["identifiers"] = ["bogus"]
    plan_file.write_text(json.dumps(data))
    result = hwb("gather", str(merged(tmp_path / "a")), "--plan", str(plan_file))
    assert result.code == 3, result.err  # was exit 1, "internal error: ValueError"
    assert result.err.splitlines()[0] == (
        f"error: {plan_file}: 'bogus' is not a cibuildwheel build identifier"
    )
    assert "hint: Write the plan again" in result.err and "Traceback" not in result.err


def test_a_pure_plan_wants_its_one_pure_wheel(hwb: Callable[..., Run], tmp_path: Path) -> None:
    pure = Plan(
        "Demo.Pkg", "1.2.0", ["linux"], "platform-arch",
        [Job("pure", "ubuntu-latest", "any", "any", ())], sdist=True, pure=True,
    )  # fmt: skip
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(pure.to_dict()))
    src = tmp_path / "artifacts"
    put(src / SDIST)
    missing = hwb("gather", str(src), "--plan", str(plan_path), "-o", str(tmp_path / "dist"))
    assert missing.code == IncompleteReleaseError.exit_code
    assert "missing wheel: the pure wheel (py3-none-any) (job pure)" in missing.err
    put(src / "wheels-pure" / "demo_pkg-1.2.0-py3-none-any.whl")
    put(src / "wheels-pure" / wheel_name("cp312-win_amd64"))
    stray = hwb("gather", str(src), "--plan", str(plan_path), "-o", str(tmp_path / "dist"))
    assert stray.code == IncompleteReleaseError.exit_code and "not a pure wheel" in stray.err
    (src / "wheels-pure" / wheel_name("cp312-win_amd64")).unlink()
    done = hwb("gather", str(src), "--plan", str(plan_path), "-o", str(tmp_path / "dist"))
    assert done.code == 0, done.err
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        "demo_pkg-1.2.0-py3-none-any.whl",
        SDIST,
    ]
