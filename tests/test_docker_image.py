"""The Dockerfile, built for real with podman, offline: from a local base image (debootstrap,
tests/containers/python-base.sh, cached) with hwb's dependencies served by a loopback pypiserver
(and git from the Debian mirror the base image came from); then `hwb --version`, a real build
of the pure sample inside it as a non-root user, and, from a git checkout owned by another uid,
`hwb version changelog` and a build byte-identical to the host's (SOURCE_DATE_EPOCH from git)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwb.fs import sha256_file
from tests.conftest import EXAMPLES
from tests.gitrepo import init_repo
from tests.servers import Server, pypiserver

ROOT = Path(__file__).resolve().parent.parent
BASE = "localhost/hwb-python-base:bookworm"
IMAGE = "localhost/hwb-test-image:latest"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]


def sh(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """hwb's dependencies and hatchling (the sample's backend), on a loopback index."""
    wheels = tmp_path_factory.mktemp("docker-wheels")
    got = sh(sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels),
             "--only-binary", ":all:", str(ROOT), "hatchling", "pip")  # fmt: skip
    assert got.returncode == 0, got.stderr[-3000:]
    for stray in wheels.glob("headless_wheel_builder-*"):  # hwb itself comes from the build context
        stray.unlink()
    with pypiserver(wheels) as server:
        yield server


@pytest.fixture
def image(index: Server) -> str:
    if sh("podman", "image", "exists", BASE).returncode != 0:
        got = sh("bash", str(ROOT / "tests" / "containers" / "python-base.sh"), BASE)
        assert got.returncode == 0, got.stdout + got.stderr
    got = sh("podman", "build", "--pull=never", "--network=host", "--quiet",
             "--build-arg", f"BASE_IMAGE={BASE}", "--build-arg", f"PIP_INDEX_URL={index.simple}",
             "-t", IMAGE, str(ROOT))  # fmt: skip
    assert got.returncode == 0, got.stdout[-3000:] + got.stderr[-3000:]
    return IMAGE


# One image serves both checks: a single test, so that pytest-xdist never builds it twice.
def test_image_runs_hwb_as_non_root_and_builds_the_pure_sample(
    image: str, index: Server, tmp_path: Path
) -> None:
    from hwb import __version__

    got = sh("podman", "run", "--rm", image, "--version")
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == f"hwb {__version__}"
    who = sh("podman", "run", "--rm", "--entrypoint", "id", image, "-u")
    assert who.stdout.strip() == "1000"
    # No compiler in the image: pure builds need none.
    cc = sh("podman", "run", "--rm", "--entrypoint", "sh", image, "-c", "command -v gcc cc")
    assert cc.stdout.strip() == ""

    # A real build of the pure sample mounted at /src.
    project = tmp_path / "pure-hatch"
    shutil.copytree(EXAMPLES / "pure-hatch", project)
    # The container's user (uid 1000) writes dist/ into the mounted folder.
    for path in [project, *project.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    got = sh("podman", "run", "--rm", "--network=host", "-e", f"PIP_INDEX_URL={index.simple}",
             "-v", f"{project}:/src", image, "build", "--sdist", "--checksum")  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr
    built = sorted(p.name for p in (project / "dist").iterdir())
    assert built == [
        "SHA256SUMS",
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=project / "dist", capture_output=True, check=False
    )
    assert check.returncode == 0
    assert (project / "dist" / built[1]).stat().st_uid == 1000  # written by the non-root user
    # Not a git checkout: the timestamps are the build's own, and the user is told so.
    assert "SOURCE_DATE_EPOCH is not set and /src is not in a git repository" in got.stderr

    # git is in the image: from a checkout the host made (another uid owns it), the release
    # notes read the history, and the wheel is the host's, byte for byte.
    assert sh("podman", "run", "--rm", "--entrypoint", "git", image, "--version").returncode == 0
    repo = init_repo(tmp_path / "checkout")
    shutil.copytree(EXAMPLES / "pure-hatch", repo.path, dirs_exist_ok=True)
    repo.commit("feat: greet in two languages")
    repo.git("tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    host_dist = tmp_path / "host-dist"
    host = sh(sys.executable, "-m", "hwb", "build", str(repo.path), "-o", str(host_dist))
    assert host.returncode == 0, host.stderr
    for path in [repo.path, *repo.path.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    notes = sh("podman", "run", "--rm", "-v", f"{repo.path}:/src", image,
               "version", "changelog")  # fmt: skip
    assert notes.returncode == 0, notes.stderr
    assert "- greet in two languages (" in notes.stdout
    got = sh("podman", "run", "--rm", "--network=host", "-e", f"PIP_INDEX_URL={index.simple}",
             "-v", f"{repo.path}:/src", image, "build")  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr
    assert "SOURCE_DATE_EPOCH" not in got.stderr
    (wheel,) = (repo.path / "dist").glob("*.whl")
    assert sha256_file(wheel) == sha256_file(host_dist / wheel.name)
