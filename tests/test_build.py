"""`hwb build` against real build backends (hatchling, flit, setuptools, in-tree backends)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.build import epoch, interpreters
from hwb.errors import InterpreterNotFoundError, UsageError
from hwb.fs import sha256_file
from tests.conftest import Run

pytestmark = pytest.mark.integration


def built(result: Run) -> list[dict[str, object]]:
    assert result.code == 0, result.err
    artifacts: list[dict[str, object]] = json.loads(result.out)["artifacts"]
    return artifacts


def wheel_text(wheel: Path, member: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member).decode()


def git(cwd: Path, *args: str, date: str = "@1700000000 +0000") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_pure_hatch_wheel(hwb: Callable[..., Run], project: Callable[[str], Path]) -> None:
    src = project("pure-hatch")
    artifacts = built(hwb("--json", "build", str(src)))
    assert [a["kind"] for a in artifacts] == ["wheel"]
    wheel = Path(str(artifacts[0]["path"]))
    assert wheel.parent == src / "dist"
    assert wheel.name == "hwbt_pure-0.3.0-py3-none-any.whl"
    assert artifacts[0]["sha256"] == sha256_file(wheel)
    assert artifacts[0]["size"] == wheel.stat().st_size
    assert "Tag: py3-none-any" in wheel_text(wheel, "hwbt_pure-0.3.0.dist-info/WHEEL")
    assert wheel_text(wheel, "hwbt_pure/__init__.py") == 'VALUE = "pure"\n'
    assert [p.name for p in (src / "dist").iterdir()] == [wheel.name]  # no staging left behind


def test_sdist_then_wheel_from_that_sdist_with_checksums(
    hwb: Callable[..., Run], project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = project("pure-hatch")
    monkeypatch.chdir(src)
    # A module left out of the sdist: a wheel built from the sdist cannot contain it.
    (src / "src" / "hwbt_pure" / "extra.py").write_text("X = 1\n")
    with (src / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.hatch.build.targets.sdist]\nexclude = ["src/hwbt_pure/extra.py"]\n')
    artifacts = built(hwb("--json", "build", str(src), "--sdist", "--checksum", "-o", "out"))
    assert [a["kind"] for a in artifacts] == ["sdist", "wheel"]
    wheel = Path(str(artifacts[1]["path"]))
    with zipfile.ZipFile(wheel) as zf:
        assert "hwbt_pure/extra.py" not in zf.namelist()
    sums = src / "out" / "SHA256SUMS"
    assert sums.read_text().count("\n") == 2
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=src / "out",
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2

    # Without --sdist the wheel comes from the tree and does hold the module.
    artifacts = built(hwb("--json", "build", str(src), "-o", "tree"))
    with zipfile.ZipFile(str(artifacts[0]["path"])) as zf:
        assert "hwbt_pure/extra.py" in zf.namelist()


def test_relative_outdir_is_relative_to_the_current_directory(
    hwb: Callable[..., Run], project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hwb build PATH -o out` puts files in ./out, as `python -m build` and `uv build` do;
    the outdir written in [tool.hwb.build] stays relative to the project that holds it."""
    src = project("pure-hatch")
    work = src.parent / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    artifacts = built(hwb("--json", "build", "../pure-hatch", "-o", "out"))
    assert Path(str(artifacts[0]["path"])).parent == work / "out"
    assert not (src / "out").exists()
    with (src / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.hwb.build]\noutdir = "wheelhouse"\n')
    artifacts = built(hwb("--json", "build", "../pure-hatch"))
    assert Path(str(artifacts[0]["path"])).parent == src / "wheelhouse"


def test_flit_sdist_and_wheel(hwb: Callable[..., Run], project: Callable[[str], Path]) -> None:
    src = project("flit")
    artifacts = built(hwb("--json", "build", str(src), "--sdist"))
    names = sorted(Path(str(a["path"])).name for a in artifacts)
    assert names == ["hwbt_flit-2.1.0-py3-none-any.whl", "hwbt_flit-2.1.0.tar.gz"]


def _install_and_run(wheel: Path, target: Path, code: str, python: str = sys.executable) -> str:
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--isolated",
            "--no-index",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [python, "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {code}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def test_setuptools_c_extension(
    hwb: Callable[..., Run], project: Callable[[str], Path], tmp_path: Path
) -> None:
    src = project("setuptools-cext")
    artifacts = built(hwb("--json", "build", str(src), "--sdist"))
    wheel = Path(str(artifacts[1]["path"]))
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert wheel.name.startswith(f"hwbt_cext-0.1.0-{tag}-{tag}-linux_")
    with zipfile.ZipFile(wheel) as zf:
        assert any(n.startswith("hwbt_cext/_native") and n.endswith(".so") for n in zf.namelist())
    assert (
        _install_and_run(wheel, tmp_path / "site", "import hwbt_cext; print(hwbt_cext.answer())")
        == "42"
    )
    # Built outside a manylinux container: fine for a private index, refused by PyPI
    # (issue 24: it used to pass `hwb inspect --repository pypi`).
    assert hwb("inspect", "--check-wheel", str(wheel)).code == 0
    result = hwb("inspect", "--check-wheel", "--repository", "pypi", str(wheel))
    assert result.code == 12 and "HWB222" in result.out
    assert "unsupported platform tag 'linux_x86_64'" in result.out


def test_python_option_builds_for_that_interpreter(
    hwb: Callable[..., Run], project: Callable[[str], Path], tmp_path: Path
) -> None:
    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.11"
    try:
        interp = interpreters.find(other)
    except InterpreterNotFoundError:
        pytest.skip(
            f"Python {other} is not installed on this machine (.ci/run provides it via pyenv)"
        )
    src = project("setuptools-cext")
    artifacts = built(hwb("--json", "build", str(src), "--python", other))
    wheel = Path(str(artifacts[0]["path"]))
    tag = "cp" + other.replace(".", "")
    assert wheel.name.startswith(f"hwbt_cext-0.1.0-{tag}-{tag}-")
    assert (
        _install_and_run(
            wheel,
            tmp_path / "site",
            "import hwbt_cext; print(hwbt_cext.answer())",
            python=interp.executable,
        )
        == "42"
    )


def test_unknown_python_lists_what_was_found(
    hwb: Callable[..., Run], project: Callable[[str], Path]
) -> None:
    result = hwb("build", str(project("pure-hatch")), "--python", "3.99")
    assert result.code == 6
    assert "error: no Python 3.99 interpreter found" in result.err
    current = "{}.{}".format(*sys.version_info[:2])
    assert "Found: " in result.err and f"{current} (" in result.err
    result = hwb("build", str(project("flit")), "--python", "/nonexistent/python")
    assert result.code == 6
    assert "not a working Python interpreter" in result.err


def test_source_date_epoch_from_last_commit_and_config_settings(
    hwb: Callable[..., Run], project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = project("nondeterministic")
    git(src, "init", "-q")
    git(src, "add", ".")
    git(src, "commit", "-q", "-m", "init")
    artifacts = built(hwb("--json", "build", str(src), "-C", "deterministic", "-C", "k=v"))
    payload = json.loads(wheel_text(Path(str(artifacts[0]["path"])), "hwbt_nondet.py"))
    assert payload["sde"] == "1700000000"
    assert payload["config_settings"] == {"deterministic": "", "k": "v"}

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    artifacts = built(hwb("--json", "build", str(src), "-C", "deterministic"))
    assert (
        json.loads(wheel_text(Path(str(artifacts[0]["path"])), "hwbt_nondet.py"))["sde"]
        == "1234567890"
    )


def test_verify_reproducible_passes_for_hatchling(
    hwb: Callable[..., Run], project: Callable[[str], Path]
) -> None:
    result = hwb("--json", "build", str(project("pure-hatch")), "--sdist", "--verify-reproducible")
    assert result.code == 0, result.err
    assert json.loads(result.out)["reproducible"] is True


def test_verify_reproducible_fails_and_leaves_outdir_untouched(
    hwb: Callable[..., Run], project: Callable[[str], Path]
) -> None:
    src = project("nondeterministic")
    (src / "dist").mkdir()
    (src / "dist" / "previous-1.0-py3-none-any.whl").write_text("old")
    result = hwb("build", str(src), "--verify-reproducible")
    assert result.code == 7
    assert "two builds of the same source differ: hwbt_nondet-0.0.1-py3-none-any.whl" in result.err
    assert sorted(p.name for p in (src / "dist").iterdir()) == ["previous-1.0-py3-none-any.whl"]


def test_broken_backend_shows_its_last_lines(
    hwb: Callable[..., Run], project: Callable[[str], Path]
) -> None:
    src = project("broken-backend")
    (src / "dist").mkdir()
    result = hwb("build", str(src))
    assert result.code == 5
    assert "error: hwbt-broken-marker: missing header foo.h" in result.err
    assert "RuntimeError: compiler exited with status 1" in result.err
    assert "error: the build backend failed while building the wheel" in result.err
    assert "hint: " in result.err
    assert "hwb/cli.py" not in result.err  # the backend's traceback is shown, never hwb's
    assert list((src / "dist").iterdir()) == []


def test_backend_that_writes_nothing(
    hwb: Callable[..., Run], project: Callable[[str], Path]
) -> None:
    result = hwb("build", str(project("no-output-backend")))
    assert result.code == 5
    assert "reported hwbt_ghost-0.0.1-py3-none-any.whl but wrote no such file" in result.err


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("missing-build-system", 4, "has no [build-system] table and there is no setup.py"),
        ("bad-build-system", 4, "invalid [build-system] table"),
        ("invalid-pyproject", 3, "pyproject.toml:7:"),
        ("not-a-project", 4, "is not a Python project: no pyproject.toml or setup.py"),
    ],
)
def test_bad_projects(
    hwb: Callable[..., Run], project: Callable[[str], Path], name: str, code: int, message: str
) -> None:
    result = hwb("build", str(project(name)))
    assert result.code == code, result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert len([line for line in result.err.splitlines() if line.startswith("error:")]) == 1


def test_missing_path_and_unwritable_outdir(
    hwb: Callable[..., Run], project: Callable[[str], Path], tmp_path: Path
) -> None:
    result = hwb("build", str(tmp_path / "nope"))
    assert result.code == 4 and "does not exist" in result.err
    (tmp_path / "afile").write_text("")
    result = hwb("build", str(project("nondeterministic")), "-o", str(tmp_path / "afile"))
    assert result.code == 4 and "cannot write to the output directory" in result.err


def test_nothing_to_build(hwb: Callable[..., Run], project: Callable[[str], Path]) -> None:
    result = hwb("build", str(project("nondeterministic")), "--no-wheel")
    assert result.code == 2 and "nothing to build" in result.err


def test_no_isolation(hwb: Callable[..., Run], project: Callable[[str], Path]) -> None:
    src = project("nondeterministic")
    artifacts = built(hwb("--json", "build", str(src), "--no-isolation"))
    assert Path(str(artifacts[0]["path"])).is_file()
    (src / "pyproject.toml").write_text(
        (src / "pyproject.toml")
        .read_text()
        .replace("requires = []", 'requires = ["hwbt-surely-not-installed>=1"]')
    )
    result = hwb("build", str(src), "--no-isolation")
    assert result.code == 4
    assert (
        "build requirements missing for --no-isolation: hwbt-surely-not-installed>=1" in result.err
    )


def test_pip_installer_fallback(hwb: Callable[..., Run], project: Callable[[str], Path]) -> None:
    result = hwb("--json", "build", str(project("pure-hatch")), "--installer", "pip")
    assert result.code == 0, result.err
    assert json.loads(result.out)["installer"] == "pip"


def test_github_outputs_and_summary(
    hwb: Callable[..., Run], project: Callable[[str], Path], github_env: dict[str, Path]
) -> None:
    src = project("pure-hatch")
    result = hwb("build", str(src), "--sdist", "--checksum")
    assert result.code == 0, result.err
    assert "::group::Building sdist" in result.err and "::endgroup::" in result.err
    outputs = github_env["output"].read_text()
    assert f"wheel={src / 'dist' / 'hwbt_pure-0.3.0-py3-none-any.whl'}" in outputs
    assert f"sdist={src / 'dist' / 'hwbt_pure-0.3.0.tar.gz'}" in outputs
    assert "artifacts<<ghadelimiter_" in outputs
    assert "version=0.3.0\n" in outputs  # read off the file names
    summary = github_env["summary"].read_text()
    digest = sha256_file(src / "dist" / "hwbt_pure-0.3.0.tar.gz")
    assert "| `hwbt_pure-0.3.0.tar.gz` | sdist |" in summary and digest in summary


def test_source_date_epoch_validation(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a whole number"):
        epoch.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})
    assert epoch.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "0"}) == "315532800"
    assert epoch.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "1700000001"}) == "1700000001"


def test_source_date_epoch_missing_is_a_warning(
    hwb: Callable[..., Run], project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a git checkout (as in hwb's image before it had git) the archives carry the
    build's own time: the same commit built elsewhere differs. That was silent; it warns."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = project("nondeterministic")
    result = hwb("--json", "build", str(src), "-C", "deterministic")
    built(result)
    assert "warning: SOURCE_DATE_EPOCH is not set and " in result.err
    assert f"{src} is not in a git repository" in result.err
    assert "not reproducible" in result.err
    # A checkout with no commit yet, one whose commits do not touch the project, no git.
    git(src, "init", "-q")
    assert "does not have any commits yet" in epoch.commit_time(src)[1]
    git(src.parent, "init", "-q")
    (src.parent / "other.txt").write_text("x")
    git(src.parent, "add", "other.txt")
    git(src.parent, "commit", "-q", "-m", "other")
    shutil.rmtree(src / ".git")
    assert epoch.commit_time(src) == (None, f"no commit touches {src}")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    assert epoch.commit_time(src)[1].startswith("git is not installed")
    # Set, or from a commit: no warning.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    quiet = hwb("--json", "build", str(src), "-C", "deterministic")
    assert "SOURCE_DATE_EPOCH" not in quiet.err


def test_wheel_from_an_sdist_file(
    hwb: Callable[..., Run], project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hwb build some-1.0.tar.gz` builds the wheel from that sdist, next to it (as uv build
    does); the sdist's own file list decides what the wheel holds."""
    src = project("pure-hatch")
    (src / "src" / "hwbt_pure" / "extra.py").write_text("X = 1\n")
    with (src / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.hatch.build.targets.sdist]\nexclude = ["src/hwbt_pure/extra.py"]\n')
    sdist = Path(str(built(hwb("--json", "build", str(src), "--sdist", "--no-wheel"))[0]["path"]))
    shipped = sdist.parent.parent / "shipped"
    shipped.mkdir()
    sdist = sdist.rename(shipped / sdist.name)
    result = hwb("--json", "build", str(sdist))
    artifacts = built(result)
    assert [(a["kind"], Path(str(a["path"])).parent) for a in artifacts] == [("wheel", shipped)]
    wheel = Path(str(artifacts[0]["path"]))
    assert wheel.name == "hwbt_pure-0.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert "hwbt_pure/__init__.py" in zf.namelist()
        assert "hwbt_pure/extra.py" not in zf.namelist()
    assert json.loads(result.out)["project"] == str(sdist)
    assert sorted(p.name for p in shipped.iterdir()) == sorted([sdist.name, wheel.name])
    # -o is relative to the current directory, as for a project.
    monkeypatch.chdir(shipped.parent)
    artifacts = built(hwb("--json", "build", str(sdist), "-o", "out"))
    assert Path(str(artifacts[0]["path"])) == shipped.parent / "out" / wheel.name
    result = hwb("build", str(sdist), "--sdist")
    assert result.code == 2 and "already an sdist" in result.err


def _tar(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            data = b"x = 1\n" if info.isfile() else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize(
    ("members", "error"),
    [
        ([tarfile.TarInfo("evil-1.0/../../escaped.py")], "leaves the directory"),
        ([tarfile.TarInfo("/tmp/evil-1.0/x.py")], "leaves the directory"),
        ([_link("evil-1.0/passwd", "/etc/passwd")], "points outside the directory"),
        ([_link("evil-1.0/up", "../../../x")], "points outside the directory"),
    ],
)
def test_a_hostile_sdist_is_refused_before_anything_is_unpacked(
    hwb: Callable[..., Run], tmp_path: Path, members: list[tarfile.TarInfo], error: str
) -> None:
    sdist = _tar(tmp_path / "evil-1.0.tar.gz", [tarfile.TarInfo("evil-1.0/setup.py"), *members])
    result = hwb("build", str(sdist))
    assert result.code == 4, result.err
    assert "error: the sdist evil-1.0.tar.gz is not safe to unpack: " in result.err
    assert error in result.err and "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil-1.0.tar.gz"]


def test_a_corrupt_sdist_file_is_a_project_error(hwb: Callable[..., Run], tmp_path: Path) -> None:
    sdist = tmp_path / "broken-1.0.tar.gz"
    sdist.write_bytes(b"\x1f\x8b\x08 not really gzip")
    result = hwb("build", str(sdist))
    assert result.code == 4 and "cannot unpack the sdist broken-1.0.tar.gz" in result.err
    (tmp_path / "notes.txt").write_text("hello")
    result = hwb("build", str(tmp_path / "notes.txt"))
    assert result.code == 4 and "is not a directory or an sdist (.tar.gz)" in result.err
