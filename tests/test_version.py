"""PEP 440 bump arithmetic (golden table) and version files."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from hwb.errors import VersionError
from hwb.versioning import pep440 as v

GOLDEN = [
    # (current, part, pre, dev, expected)
    ("1.2.3", "patch", None, False, "1.2.4"),
    ("1.2.3", "minor", None, False, "1.3.0"),
    ("1.2.3", "major", None, False, "2.0.0"),
    ("1.3.0b1", "beta", None, False, "1.3.0b2"),
    ("1.3.0b1", "minor", None, False, "1.4.0"),
    ("1.3.0a2", "rc", None, False, "1.3.0rc1"),
    ("1.3.1b2", "release", None, False, "1.3.1"),
    ("1.0.0", "minor", "rc", False, "1.1.0rc1"),
    ("1.0.0", "major", "alpha", False, "2.0.0a1"),
    ("1.0.0", "minor", "beta", True, "1.1.0b1.dev1"),
    ("1.0.0", "alpha", None, False, "1.0.1a1"),
    ("1.0.0.dev3", "dev", None, False, "1.0.0.dev4"),
    ("1.0.0.dev3", "alpha", None, False, "1.0.0a1"),
    ("1.0.0.dev3", "release", None, False, "1.0.0"),
    ("1.0.0", "dev", None, False, "1.0.1.dev1"),
    ("1.0.0rc1", "dev", None, False, "1.0.0rc2.dev1"),
    ("1.0.0rc2.dev1", "rc", None, False, "1.0.0rc2"),
    ("1.0.0", "post", None, False, "1.0.0.post1"),
    ("1.0.0.post1", "post", None, False, "1.0.0.post2"),
    ("1.0", "patch", None, False, "1.0.1"),
    ("2!1.0.0", "minor", None, False, "2!1.1.0"),
    ("1.2.3+local.1", "patch", None, False, "1.2.4"),
]


@pytest.mark.parametrize(("current", "part", "pre", "dev", "expected"), GOLDEN)
def test_golden_bumps(current: str, part: str, pre: str | None, dev: bool, expected: str) -> None:
    new = v.bump(Version(current), part, pre=pre, dev=dev)
    assert str(new) == expected
    assert new > Version(current)


@pytest.mark.parametrize(
    ("current", "part", "message"),
    [
        ("1.3.0rc1", "beta", "beta comes before rc"),
        ("1.3.0", "release", "already a final release"),
        ("1.0.0", "bogus", "unknown version part"),
    ],
)
def test_impossible_bumps(current: str, part: str, message: str) -> None:
    with pytest.raises(VersionError, match=message):
        v.bump(Version(current), part)


def test_pre_only_with_release_parts() -> None:
    with pytest.raises(VersionError, match="--pre combines with major, minor or patch"):
        v.bump(Version("1.0.0"), "post", pre="rc")


def test_parse_rejects_non_pep440() -> None:
    with pytest.raises(VersionError, match=r"'1\.2\.3-banana' is not a valid PEP 440 version"):
        v.parse("1.2.3-banana")


def test_version_file_assignment_forms(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    init.write_text('"""Doc."""\n\n__version__: str = \'1.2.3\'\nother = "1.2.3"\n')
    vf = v.VersionFile.from_spec(tmp_path, "init.py:__version__")
    assert vf.read() == "1.2.3"
    assert vf.render("1.3.0") == '"""Doc."""\n\n__version__: str = \'1.3.0\'\nother = "1.2.3"\n'


def test_version_file_whole_file(tmp_path: Path) -> None:
    (tmp_path / "VERSION").write_text("0.9.0\n")
    vf = v.VersionFile.from_spec(tmp_path, "VERSION")
    assert vf.read() == "0.9.0"
    assert vf.render("1.0.0") == "1.0.0\n"


def test_version_file_errors(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('__version__ = "1"\n__version__ = "2"\n')
    with pytest.raises(VersionError, match="found 2 assignments to __version__"):
        v.VersionFile.from_spec(tmp_path, "a.py:__version__").read()
    with pytest.raises(VersionError, match="found no assignments to VERSION"):
        v.VersionFile.from_spec(tmp_path, "a.py:VERSION").read()
    with pytest.raises(VersionError, match="cannot read"):
        v.VersionFile.from_spec(tmp_path, "missing.py:__version__").read()
    with pytest.raises(VersionError, match="is not PATH or PATH:VARIABLE"):
        v.VersionFile.from_spec(tmp_path, "a.py:")
