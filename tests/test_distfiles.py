"""One answer to "which files are distributions, and what their names say": inspect, gather,
publish, the Action and the static index agree on a folder, ``.zip`` sdists included."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from hwb import action, distfiles
from hwb.errors import DistributionError
from hwb.inspect.runner import collect_paths
from hwb.matrix.gather import _candidates
from hwb.publish.dists import collect
from hwb.static_index import pages
from tests import distfactory as df
from tests.conftest import Run


def zip_sdist(directory: Path, version: str = df.VERSION) -> Path:
    """A .zip sdist (what old setuptools wrote on Windows; PyPI still accepts one)."""
    path = directory / f"{df.NAME}-{version}.zip"
    top = f"{df.NAME}-{version}"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/PKG-INFO", df.GOOD_METADATA.format(version=version))
        zf.writestr(f"{top}/pyproject.toml", '[project]\nname = "demo-pkg"\n')
        zf.writestr(f"{top}/LICENSE", "MIT License\n")
    return path


def test_every_command_lists_the_same_distributions(tmp_path: Path) -> None:
    folder = tmp_path / "dist"
    folder.mkdir()
    wanted = [df.wheel(folder), df.sdist(folder), zip_sdist(folder)]
    for other in ("notes.txt", "demo_pkg-1.0.tar.bz2", "demo_pkg-1.0.egg", "x.whl.metadata"):
        (folder / other).write_text("not a distribution\n")
    (folder / "nested.whl").mkdir()  # a folder named like a wheel is not one
    names = sorted(p.name for p in wanted)
    assert [p.name for p in distfiles.in_folder(folder)] == names
    assert sorted(p.name for p in collect([folder])) == names  # publish, attest
    assert sorted(p.name for p in collect_paths([folder])) == names  # inspect
    assert sorted(p.name for p in _candidates([folder])) == names  # gather
    assert sorted(Path(p).name for p in action._dists(folder)) == names  # the Action


def test_inspect_of_a_folder_reports_its_zip_sdist_as_publish_would(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    folder = tmp_path / "dist"
    folder.mkdir()
    df.wheel(folder)
    zip_sdist(folder)
    # publish inspects every file it would upload; inspect of the same folder must see them too
    result = hwb("--json", "inspect", str(folder))
    assert result.code == 12, result.out
    assert '"HWB301"' in result.out and f"{df.NAME}-{df.VERSION}.zip" in result.out


@pytest.mark.parametrize(
    ("filename", "kind", "name", "version", "tags"),
    [
        ("demo_pkg-1.0-py3-none-any.whl", "wheel", "demo-pkg", "1.0", 1),
        (
            "Demo.Pkg-2.0rc1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "wheel",
            "demo-pkg",
            "2.0rc1",
            2,
        ),
        ("demo_pkg-1.0.tar.gz", "sdist", "demo-pkg", "1.0", 0),
        ("demo_pkg-1.0.post1.zip", "sdist", "demo-pkg", "1.0.post1", 0),
    ],
)
def test_names_say_kind_project_version_and_tags(
    filename: str, kind: str, name: str, version: str, tags: int
) -> None:
    parsed = distfiles.parse_name(filename)
    assert (parsed.kind, parsed.name, parsed.version) == (kind, name, Version(version))
    assert len(parsed.tags) == tags
    assert distfiles.version_of(Path(filename)) == Version(version)


@pytest.mark.parametrize(
    ("filename", "error"),
    [
        ("demo_pkg-py3-none-any.whl", "Invalid wheel filename"),
        ("demo_pkg.tar.gz", "Invalid sdist filename"),
        ("demo_pkg-1.0.tar.bz2", "not a distribution"),
    ],
)
def test_a_bad_name_is_a_distribution_error(filename: str, error: str) -> None:
    with pytest.raises(DistributionError, match=error) as raised:
        distfiles.parse_name(filename)
    assert raised.value.exit_code == 13 and raised.value.hint
    assert distfiles.version_of(filename) is None


def test_index_pages_order_zip_sdists_by_version() -> None:
    files = [
        "demo_pkg-1.10.zip",
        "demo_pkg-1.9.tar.gz",
        "stray.txt",
        "demo_pkg-1.9-py3-none-any.whl",
    ]
    assert sorted(files, key=pages.version_key) == [
        "stray.txt",
        "demo_pkg-1.9-py3-none-any.whl",
        "demo_pkg-1.9.tar.gz",
        "demo_pkg-1.10.zip",
    ]


def test_index_rebuild_keeps_a_zip_sdist_that_publish_listed(tmp_path: Path) -> None:
    from hwb.fs import sha256_file
    from hwb.static_index.index import StaticIndex
    from hwb.static_index.store import DirStore

    index = StaticIndex(DirStore(tmp_path / "idx"))
    index.store.check()  # creates the folder, as a publish does first
    for path in (df.wheel(tmp_path), zip_sdist(tmp_path)):
        index.add(path, "demo-pkg", sha256_file(path), ">=3.9")
    page = tmp_path / "idx/simple/demo-pkg/index.json"
    published = json.loads(page.read_text())["files"]
    assert index.rebuild()["files"] == 2  # the .zip was left out as "not readable"
    rebuilt = json.loads(page.read_text())["files"]
    assert [(f["filename"], f["requires-python"]) for f in rebuilt] == [
        (f["filename"], f["requires-python"]) for f in published
    ]
