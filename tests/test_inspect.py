"""`hwb inspect`: one generated bad distribution per check, good ones passing clean, parity
with `twine check --strict` and check-wheel-contents, bad input, and --check-version against a
real pypiserver."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.inspect.catalogue import Severity
from hwb.inspect.runner import CATALOGUE, InspectOptions, inspect_paths
from tests import distfactory as df
from tests.conftest import EXAMPLES, Run
from tests.servers import Server

README = Path(__file__).parent.parent / "README.md"
M = df.GOOD_METADATA.format(version="1.0")
GH_TOKEN = "ghp_" + "a1B2" * 9
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
PYPI_TOKEN = "pypi-AgEIcHlwaS5vcmc" + "x" * 60


def _deprecated_classifier() -> str:
    from trove_classifiers import deprecated_classifiers

    return sorted(deprecated_classifiers)[0]


# check ID -> how to build a distribution that must trip it
CORPUS: dict[str, Callable[[Path], Path]] = {
    "HWB100": df.without_metadata,
    "HWB101": lambda d: df.wheel(
        d, metadata=M.replace("Metadata-Version: 2.4", "Metadata-Version: 9.9")
    ),
    "HWB102": lambda d: df.wheel(d, metadata=M.replace("Version: 1.0\n", "")),
    "HWB103": lambda d: df.wheel(
        d, version="1.0+local.7", metadata=df.GOOD_METADATA.format(version="1.0+local.7")
    ),
    "HWB104": lambda d: df.wheel(d, metadata=M.replace("Summary: A demo package.\n", "")),
    "HWB105": lambda d: df.wheel(
        d, metadata=M.replace("Description-Content-Type: text/markdown\n", "")
    ),
    "HWB106": lambda d: df.wheel(
        d,
        metadata=M.replace("text/markdown", "text/x-rst").replace(
            df.README, "Title\n=====\n\nSome ``unclosed literal\n\n.. bogus-directive:: x\n"
        ),
    ),
    "HWB107": lambda d: df.wheel(d, metadata=M.replace(df.README, "")),
    "HWB108": lambda d: df.wheel(
        d, metadata=M.replace("License-Expression: MIT", "License-Expression: MIT OR Banana-1.0")
    ),
    "HWB109": lambda d: df.wheel(
        d,
        metadata=M.replace("License-File: LICENSE", "License-File: LICENSE\nLicense-File: NOTICE"),
    ),
    "HWB110": lambda d: df.wheel(
        d,
        metadata=M.replace("Summary:", "Classifier: Programming Language :: Cobol :: 99\nSummary:"),
    ),
    "HWB111": lambda d: df.wheel(
        d, metadata=M.replace("Summary:", "Requires-Dist: requests >>> 2\nSummary:")
    ),
    "HWB112": lambda d: df.wheel(
        d, metadata=M.replace("https://example.invalid/demo", "not a url")
    ),
    "HWB113": lambda d: df.wheel(
        d, metadata=M.replace("Summary:", f"Classifier: {_deprecated_classifier()}\nSummary:")
    ),
    "HWB114": lambda d: df.wheel(
        d,
        metadata=M.replace(
            "Summary:", "Classifier: License :: OSI Approved :: MIT License\nSummary:"
        ),
    ),
    "HWB115": lambda d: df.wheel(
        d, metadata=M.replace("License-Expression: MIT", "License-Expression: MIT\nLicense: MIT")
    ),
    "HWB200": lambda d: _write(d / "demo_pkg-1.0-py3-none-any.whl", b"this is not a zip file"),
    "HWB201": lambda d: df.wheel(d, extra=[("demo_pkg/__init__.py", b"second copy\n")]),
    "HWB202": lambda d: df.wheel(d, files={"demo_pkg/__init__.py": b"", "../evil.py": b"x = 1\n"}),
    "HWB203": lambda d: df.wheel(d, filename="Demo.Pkg-1.0-py3-none-any.whl"),
    "HWB204": lambda d: df.wheel(d, dist_info="other_pkg-1.0.dist-info"),
    "HWB205": lambda d: df.wheel(
        d, wheel_meta=df.WHEEL_META.format(pure="true", tag="py2-none-any")
    ),
    "HWB206": lambda d: df.wheel(
        d,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
        },
    ),
    "HWB207": lambda d: df.wheel(d, tag="cp311-cp311-linux_x86_64", pure=False),
    "HWB208": lambda d: df.wheel(d, record=False),
    "HWB209": lambda d: df.wheel(d, skip_in_record=("demo_pkg/__init__.py",)),
    "HWB210": lambda d: df.wheel(d, bad_hash_for="demo_pkg/__init__.py"),
    "HWB211": lambda d: df.wheel(
        d,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/__pycache__/x.cpython-311.pyc": b"\x00bytecode",
        },
    ),
    "HWB212": lambda d: df.wheel(
        d, files={"demo_pkg/__init__.py": b"", "tests/test_demo.py": b"def test(): pass\n"}
    ),
    "HWB213": lambda d: df.wheel(d, files={}),
    "HWB214": lambda d: df.wheel(d, files={"something_else/__init__.py": b'"""Other."""\n'}),
    "HWB215": lambda d: df.wheel(d, files={"demo_pkg/__init__.py": b"", "README.txt": b"hello\n"}),
    "HWB216": df.zip_bomb,
    "HWB217": lambda d: df.wheel(  # a stale build/ directory swept into the wheel
        d,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/a.py": b"VALUE = 42\n",
            "build/lib/demo_pkg/a.py": b"VALUE = 42\n",
        },
    ),
    "HWB218": lambda d: df.wheel(  # a package (it has __init__.py) nobody can import
        d,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/my-sub/__init__.py": b"",
            "demo_pkg/my-sub/mod.py": b"X = 1\n",
        },
    ),
    "HWB219": lambda d: df.wheel(
        d, files={"demo_pkg/__init__.py": b"", "demo_pkg_extra/__init__.py": b'"""More."""\n'}
    ),
    "HWB220": lambda d: df.wheel(
        d, files={"demo_pkg/__init__.py": b"", "demo_pkg_data/table.csv": b"a,b\n"}
    ),
    "HWB221": lambda d: df.wheel(d, metadata=df.GOOD_METADATA.format(version="1.1")),
    "HWB222": lambda d: df.wheel(  # what `hwb build` makes of a C extension outside manylinux
        d,
        tag="cp311-cp311-linux_x86_64",
        pure=False,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
        },
    ),
    "HWB300": lambda d: _write(d / "demo_pkg-1.0.tar.gz", b"\x1f\x8b not really gzip"),
    "HWB301": lambda d: df.sdist(d, filename="Demo-Pkg-1.0.tar.gz", top="Demo-Pkg-1.0"),
    "HWB302": lambda d: df.sdist(d, pkg_info=False),  # type: ignore[arg-type]
    "HWB303": lambda d: df.sdist(d, pkg_info=df.GOOD_METADATA.format(version="2.0")),
    "HWB304": lambda d: df.sdist(d, pyproject=False),
    "HWB305": lambda d: df.sdist(d, links=[("demo_pkg-1.0/passwd", "/etc/passwd", True)]),
    "HWB306": lambda d: df.sdist(d, extra_top=True),
    "HWB401": lambda d: df.wheel(
        d, files={"demo_pkg/__init__.py": b"", "demo_pkg/.env": b"SECRET_KEY=abc\n"}
    ),
    "HWB402": lambda d: df.wheel(
        d,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/settings.py": f'TOKEN = "{GH_TOKEN}"\n'.encode(),
        },
    ),
}
# Checks that are errors for PyPI/TestPyPI only, and info elsewhere.
PYPI_ONLY = {"HWB222"}
# Checks proven elsewhere: against a real index (HWB501-504).
INDEX_CHECKS = {"HWB501", "HWB502", "HWB503", "HWB504"}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("corpus")
    built = {}
    for check_id, make in CORPUS.items():
        folder = base / check_id
        folder.mkdir()
        built[check_id] = make(folder)
    return built


def test_corpus_covers_every_check() -> None:
    assert set(CORPUS) | INDEX_CHECKS == set(CATALOGUE)


@pytest.mark.parametrize("check_id", sorted(CORPUS))
def test_each_bad_distribution_is_caught(corpus: dict[str, Path], check_id: str) -> None:
    public = check_id in PYPI_ONLY  # an error only when bound for PyPI
    report = inspect_paths([corpus[check_id]], InspectOptions(public_index=public))
    ids = {f.id for f in report.files[0].findings}
    assert check_id in ids, f"{check_id} not reported; got {sorted(ids)}"
    strict = inspect_paths([corpus[check_id]], InspectOptions(strict=True, public_index=public))
    # every corpus entry fails at least under --strict (info findings never fail)
    assert strict.passed is (CATALOGUE[check_id].severity is Severity.INFO)


def test_secrets_are_named_never_shown(corpus: dict[str, Path], tmp_path: Path) -> None:
    path = df.wheel(
        tmp_path,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/config.py": f"a = 1\nAWS = '{AWS_KEY}'\nPYPI = '{PYPI_TOKEN}'\n".encode(),
            "demo_pkg/id_rsa": b"-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n",
            "demo_pkg/server.pem": df.pem_key("RSA PRIVATE KEY"),
            "demo_pkg/.git/config": b"[core]\n",
        },
    )
    report = inspect_paths([path], InspectOptions(groups=frozenset({"sensitive"})))
    messages = [f.message for f in report.files[0].findings]
    text = json.dumps(report.to_dict())
    assert AWS_KEY not in text and PYPI_TOKEN not in text and "abc" not in text
    assert "demo_pkg/config.py:2: looks like a AWS access key ID" in messages
    assert "demo_pkg/config.py:3: looks like a PyPI API token" in messages
    assert any(m.startswith("demo_pkg/id_rsa") for m in messages)
    assert "demo_pkg/server.pem: contains a private key" in messages
    assert any(".git/ directory" in m for m in messages)


@pytest.mark.integration
def test_good_distributions_pass_clean(hwb: Callable[..., Run], tmp_path: Path) -> None:
    for name in ("pure-hatch", "cext-setuptools"):
        src = tmp_path / name
        shutil.copytree(EXAMPLES / name, src)
        assert hwb("build", str(src), "--sdist").code == 0
        result = hwb("--json", "inspect", "--strict", str(src))
        assert result.code == 0, result.out + result.err
        report = json.loads(result.out)
        assert report["passed"] and report["errors"] == report["warnings"] == 0
        assert len(report["files"]) == 2
    good = df.wheel(src.parent)
    assert inspect_paths([good], InspectOptions(strict=True)).passed
    assert inspect_paths([df.sdist(src.parent)], InspectOptions(strict=True)).passed


# check-wheel-contents warns (W009) about several top-level entries; hwb reports it as info,
# since setuptools, attrs, black, mypy and future ship several on purpose (issue 13).
NOT_WARNINGS_HERE = {"HWB219"}


def _twine_rejects(path: Path) -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode != 0


def _cwc_rejects(path: Path) -> bool:
    if not path.name.endswith(".whl"):
        return False
    out = subprocess.run(
        [sys.executable, "-m", "check_wheel_contents", "--no-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode != 0


@pytest.mark.integration
def test_parity_with_twine_check_and_check_wheel_contents(
    hwb: Callable[..., Run], corpus: dict[str, Path]
) -> None:
    """Every distribution `twine check --strict` or check-wheel-contents rejects,
    `hwb inspect --strict` rejects too."""
    rejected_by_them = 0
    for check_id, path in sorted(corpus.items()):
        if check_id in NOT_WARNINGS_HERE:
            continue
        if _twine_rejects(path) or _cwc_rejects(path):
            rejected_by_them += 1
            result = hwb("inspect", "--strict", str(path))
            assert result.code == 12, f"{check_id}: {path.name} passed hwb but not twine/c-w-c"
    assert rejected_by_them >= 20  # the parity test must be meaningful


def test_bad_input(hwb: Callable[..., Run], tmp_path: Path, corpus: dict[str, Path]) -> None:
    result = hwb("inspect", str(tmp_path / "missing-1.0-py3-none-any.whl"))
    assert result.code == 13 and "no such file" in result.err
    (tmp_path / "notes.txt").write_text("hi")
    result = hwb("inspect", str(tmp_path / "notes.txt"))
    assert result.code == 13 and "not a distribution" in result.err
    fifo = tmp_path / "fifo-1.0-py3-none-any.whl"
    os.mkfifo(fifo)  # reading it would block forever: it must be refused, not opened
    result = hwb("inspect", str(fifo))
    assert result.code == 13 and "not a regular file" in result.err
    (tmp_path / "empty").mkdir()
    result = hwb("inspect", str(tmp_path / "empty"))
    assert result.code == 13 and "no wheels or sdists in" in result.err
    result = hwb("inspect", str(corpus["HWB216"]))
    assert result.code == 12 and "possible zip bomb" in result.out
    result = hwb("inspect", str(corpus["HWB200"]))
    assert result.code == 12 and "HWB200" in result.out
    for r in (result,):
        assert "Traceback" not in r.err


def test_ignore_strict_groups_and_config(
    hwb: Callable[..., Run], corpus: dict[str, Path], tmp_path: Path
) -> None:
    path = str(corpus["HWB104"])  # a warning only
    assert hwb("inspect", path).code == 0
    assert hwb("inspect", "--strict", path).code == 12
    assert hwb("inspect", "--strict", "--ignore", "HWB104", path).code == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb.inspect]\nstrict = true\nignore = ["HWB104"]\n'
    )
    assert hwb("inspect", "--project", str(tmp_path), path).code == 0
    assert hwb("inspect", "--ignore", "HWB999", path).code == 2
    # Only the metadata group: the RECORD problem is not looked at.
    assert hwb("inspect", "--check-metadata", str(corpus["HWB210"])).code == 0
    assert hwb("inspect", "--check-wheel", str(corpus["HWB210"])).code == 12


def test_github_annotations(
    hwb: Callable[..., Run], corpus: dict[str, Path], github_env: dict[str, Path]
) -> None:
    result = hwb("inspect", str(corpus["HWB210"]))
    assert result.code == 12
    assert re.search(
        r"::error file=[^,]*demo_pkg-1\.0-py3-none-any\.whl,title=HWB210::HWB210: sha256",
        result.err,
    )
    assert "HWB210" in github_env["summary"].read_text()


def test_readme_lists_the_catalogue() -> None:
    text = README.read_text()
    for check_id, check in CATALOGUE.items():
        assert re.search(rf"^\| {check_id} \| {check.severity.value} \|", text, re.M), check_id


@pytest.mark.integration
def test_check_version_against_pypiserver(hwb: Callable[..., Run], tmp_path: Path) -> None:
    from tests.servers import free_port, pypiserver

    packages, ours, theirs = tmp_path / "packages", tmp_path / "ours", tmp_path / "theirs"
    for d in (packages, ours, theirs):
        d.mkdir()
    old = df.wheel(packages, version="0.9", metadata=df.GOOD_METADATA.format(version="0.9"))
    published = df.wheel(ours)
    shutil.copy(published, packages / published.name)
    different = df.wheel(theirs, files={"demo_pkg/__init__.py": b"CHANGED = True\n"})
    sdist_same_version = df.sdist(ours)
    newer = df.wheel(ours, version="1.1", metadata=df.GOOD_METADATA.format(version="1.1"))
    assert old.exists()
    with pypiserver(packages) as server:

        def check(path: Path) -> tuple[int, set[str]]:
            result = hwb(
                "--json", "inspect", "--check-version", "--index-url", server.simple, str(path)
            )
            findings = json.loads(result.out)["files"][0]["findings"] if result.out else []
            return result.code, {f["id"] for f in findings}

        assert check(published) == (0, {"HWB502"})  # identical: "already published", not an error
        assert check(different) == (12, {"HWB501"})  # same name, other content
        assert check(sdist_same_version) == (0, {"HWB504"})  # adds a file to an existing release
        assert check(newer) == (0, set())
        result = hwb("inspect", "--check-version", "--index-url", server.simple, str(different))
        assert (
            "already on http://127.0.0.1" in result.out and "with different content" in result.out
        )
    closed = f"http://127.0.0.1:{free_port()}/simple/"
    result = hwb("--json", "inspect", "--check-version", "--index-url", closed, str(published))
    assert result.code == 12
    assert {f["id"] for f in json.loads(result.out)["files"][0]["findings"]} == {"HWB503"}
    # No target: the version check works offline (nothing to query, nothing reported).
    assert hwb("inspect", "--check-version", str(published)).code == 0


def test_local_version_is_an_error_for_pypi(corpus: dict[str, Path]) -> None:
    from hwb.inspect import metadata_checks
    from hwb.inspect.archive import open_archive
    from hwb.inspect.catalogue import Severity
    from hwb.inspect.context import Context

    archive = open_archive(corpus["HWB103"])
    try:
        for public, expected in ((False, Severity.WARNING), (True, Severity.ERROR)):
            ctx = Context(archive, {"metadata"}, public_index=public)
            text = archive.read("demo_pkg-1.0+local.7.dist-info/METADATA").decode()
            metadata_checks.check_metadata(ctx, text, "METADATA", "x/")
            assert [f.severity for f in ctx.findings if f.id == "HWB103"] == [expected]
    finally:
        archive.close()


def test_a_non_normalized_sdist_name_is_an_error_only_for_pypi(
    hwb: Callable[..., Run], corpus: dict[str, Path]
) -> None:
    """As for wheels (HWB203): PyPI refuses `Demo-Pkg-1.0.tar.gz` since it enforced PEP 625;
    devpi, Artifactory, a folder and pip take it, so elsewhere it is a warning, not a block."""
    path = str(corpus["HWB301"])
    result = hwb("inspect", "--check-sdist", path)
    assert result.code == 0, result.out
    assert "warning HWB301  Demo-Pkg-1.0.tar.gz should be named demo_pkg-1.0.tar.gz" in result.out
    assert "PyPI and TestPyPI refuse it" in result.out
    assert hwb("inspect", "--strict", "--check-sdist", path).code == 12
    result = hwb("inspect", "--check-sdist", "--repository", "pypi", path)
    assert result.code == 12
    assert "error   HWB301  Demo-Pkg-1.0.tar.gz should be named demo_pkg-1.0.tar.gz" in result.out


def test_pypi_targets_refuse_a_linux_x86_64_wheel(
    hwb: Callable[..., Run],
    corpus: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 24: the wheel `hwb build` makes of a C extension outside manylinux passed
    `hwb inspect --repository pypi` and `hwb publish --dry-run -r pypi`; PyPI refuses it."""
    path = str(corpus["HWB222"])
    result = hwb("inspect", "--check-wheel", "--repository", "pypi", path)
    assert result.code == 12
    assert "error   HWB222  Binary wheel" in result.out
    assert "unsupported platform tag 'linux_x86_64'" in result.out
    assert hwb("inspect", "--check-wheel", "--repository", "testpypi", path).code == 12
    # Anywhere else (no target, a private index) it is info: devpi or Artifactory take it, and
    # a local build of a C extension passes --strict.
    result = hwb("inspect", "--strict", "--check-wheel", path)
    assert result.code == 0 and "info    HWB222" in result.out
    monkeypatch.setenv("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc" + "x" * 60)
    result = hwb("publish", "--dry-run", "-r", "pypi", path)
    assert result.code == 12 and "HWB222" in result.err, result.err
    assert "nothing was uploaded" in result.err


def test_allow_sensitive_from_the_project(hwb: Callable[..., Run], tmp_path: Path) -> None:
    wheel_dir = tmp_path / "dist"
    wheel_dir.mkdir()
    path = df.wheel(
        wheel_dir,
        files={"demo_pkg/__init__.py": b"", "demo_pkg/test/test.key": df.pem_key()},
    )
    assert hwb("inspect", str(path)).code == 12
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb.inspect]\nallow-sensitive = ["demo_pkg/test/test.key"]\n'
    )
    result = hwb("inspect", "--project", str(tmp_path), str(path))
    assert result.code == 0, result.out
    assert "info    HWB401  demo_pkg/test/test.key: contains a private key (allowed by" in (
        result.out
    )
    result = hwb("--json", "inspect", "--strict", "--project", str(tmp_path), str(path))
    assert result.code == 0  # info never fails, not even --strict
    assert json.loads(result.out)["files"][0]["findings"][0]["severity"] == "info"


def test_publish_inspects_with_the_projects_rules(
    hwb: Callable[..., Run], tmp_path: Path, open_server: Server
) -> None:
    """Issue 24: `hwb publish`'s inspection ignored `[tool.hwb.inspect]`, so a wheel that
    `hwb inspect` passed (a test key the project allows, a check it ignores) was blocked at
    publish. Real pypiserver; what it holds is the proof."""
    wheel_dir = tmp_path / "dist"
    wheel_dir.mkdir()
    path = df.wheel(
        wheel_dir,
        files={"demo_pkg/__init__.py": b"", "demo_pkg/test/test.key": df.pem_key()},
    )
    args = ("publish", "--project", str(tmp_path), "--url", open_server.url, str(path))
    result = hwb(*args)
    assert result.code == 12 and "HWB401" in result.err, result.err
    assert not list(open_server.packages.iterdir())
    (tmp_path / "pyproject.toml").write_text('[tool.hwb.inspect]\nignore = ["HWB401"]\n')
    result = hwb(*args, "--dry-run")
    assert result.code == 0, result.err
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hwb.inspect]\nallow-sensitive = ["demo_pkg/test/test.key"]\nstrict = true\n'
    )
    result = hwb(*args)
    assert result.code == 0, result.err
    assert [p.name for p in open_server.packages.iterdir()] == [path.name]
    # strict is the project's too: a warning (no README here) stops the next release
    no_readme = df.GOOD_METADATA.format(version="2.0").split("\n\n")[0] + "\n"
    other = df.wheel(wheel_dir, version="2.0", metadata=no_readme)
    assert hwb("inspect", str(other)).code == 0  # a warning, not an error
    result = hwb("publish", "--project", str(tmp_path), "--url", open_server.url, str(other))
    assert result.code == 12 and "nothing was uploaded" in result.err, result.err
