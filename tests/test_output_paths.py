"""Every output path follows one rule (issue 23 §1): a regular file or a new path is written
atomically, a symlink is followed (the link stays), a device, FIFO or inherited stream
(``/dev/stdout``, ``/proc/self/fd/1``) is written through and never renamed over, and a write
error there (``ENOSPC`` on ``/dev/full``) fails the command instead of exiting 0.

Each command with an output option runs as a real process. The ``/dev`` cases run in a
private mount namespace with its own ``/dev`` (``unshare``, root), so the code before the fix,
which replaced ``/dev/full`` and ``/dev/stdout`` by regular files, cannot damage the machine's.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwb import fs
from tests import distfactory as df
from tests.gitrepo import init_repo

PACKAGES = Path(__file__).parent / "packages"
ROOT = Path(__file__).parent.parent

#: A private /dev in a private mount namespace: the devices and links the cases need.
_PRIVATE_DEV = """
set -e
mount -t tmpfs hwb-test-dev /dev
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/full c 1 7; mknod -m 666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
set +e
"$@"
rc=$?
# What the write left behind, for the test to check.
[ -c /dev/full ] || echo "REPLACED /dev/full" >&2
[ -L /dev/stdout ] || echo "REPLACED /dev/stdout" >&2
exit $rc
"""


def _namespaces() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs probe /mnt"], capture_output=True, check=False
    )
    return probe.returncode == 0


NAMESPACES = _namespaces()


@dataclass(frozen=True)
class Command:
    name: str
    #: Makes what the command needs in the folder and returns its argv with {out}.
    setup: Callable[[Path], list[str]]
    #: Text the written file holds.
    marker: str


def _attest(tmp: Path) -> list[str]:
    whl = df.wheel(tmp)
    return ["attest", str(whl), "--no-sign", "-o", "{out}"]


def _publish(tmp: Path) -> list[str]:
    dist = tmp / "dist"
    dist.mkdir()
    df.wheel(dist)
    proj = tmp / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    index = (tmp / "index").as_uri()
    return ["publish", str(dist), "--project", str(proj), "--url", index, "--report", "{out}"]


def _matrix(tmp: Path) -> list[str]:
    shutil.copytree(PACKAGES / "hatch-cibw", tmp / "proj")
    return ["matrix", "plan", str(tmp / "proj"), "--platform", "linux", "-o", "{out}"]


def _changelog(tmp: Path) -> list[str]:
    repo = init_repo(tmp / "repo")
    repo.commit("feat: first", files={"pyproject.toml": '[project]\nname="x"\nversion="1.0"\n'})
    repo.git("tag", "v1.0.0")
    repo.commit("fix: a bug")
    return ["version", "changelog", "--project", str(repo.path), "-o", "{out}"]


def _child(tmp: Path) -> list[str]:
    matrix = tmp / "matrix.yml"
    argv = [*_matrix(tmp)[:-2], "--format", "gitlab", "-o", str(matrix)]
    assert _run(argv, private_dev=False, cwd=tmp).returncode == 0
    return ["init-ci", "gitlab-child", "--matrix", str(matrix), "-o", "{out}"]


COMMANDS = [
    Command("attest", _attest, "application/vnd.in-toto+json"),
    Command("publish-report", _publish, '"uploaded"'),
    Command("matrix-plan", _matrix, "cp3"),
    Command("version-changelog", _changelog, "a bug"),
    Command("init-ci-gitlab-child", _child, "hwb-publish"),
]


def _run(argv: list[str], *, private_dev: bool, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "hwb", *argv]
    if private_dev:
        cmd = ["unshare", "-m", "sh", "-c", _PRIVATE_DEV, "sh", *cmd]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )


def _argv(command: Command, tmp: Path, out: str) -> list[str]:
    return [out if a == "{out}" else a for a in command.setup(tmp)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_symlink_is_followed_and_kept(command: Command, tmp_path: Path) -> None:
    real, link = tmp_path / "real.out", tmp_path / "link.out"
    real.write_text("old")
    link.symlink_to(real.name)
    done = _run(_argv(command, tmp_path, str(link)), private_dev=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink(), "the symlink was replaced by a file"
    assert command.marker in real.read_text()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_fifo_is_written_through(command: Command, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.out"
    os.mkfifo(fifo)
    argv = _argv(command, tmp_path, str(fifo))
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    done = _run(argv, private_dev=False, cwd=tmp_path)
    if reader.is_alive():  # nothing opened the FIFO for writing: release the reader
        with fifo.open("w"):
            pass
    reader.join(10)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a file"
    assert got and command.marker in got[0]


@pytest.mark.skipif(not NAMESPACES, reason="needs root and unshare for a private /dev")
@pytest.mark.parametrize("target", ["/dev/stdout", "/proc/self/fd/1"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_stdout_is_written_through(command: Command, target: str, tmp_path: Path) -> None:
    done = _run(_argv(command, tmp_path, target), private_dev=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "REPLACED" not in done.stderr
    assert command.marker in done.stdout


@pytest.mark.skipif(not NAMESPACES, reason="needs root and unshare for a private /dev")
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_dev_full_is_a_clear_error_and_stays_a_device(command: Command, tmp_path: Path) -> None:
    done = _run(_argv(command, tmp_path, "/dev/full"), private_dev=True, cwd=tmp_path)
    assert "REPLACED" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert "/dev/full: write failed (No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
    if command.name == "publish-report":  # what was uploaded is still shown
        assert "uploaded" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("path", "through"),
    [("/dev/stdout", True), ("/dev/stderr", True), ("/dev/fd/3", True),
     ("/proc/self/fd/1", True), ("/proc/42/fd/7", True), ("/dev/null", True),
     ("/dev/stdout.json", False), ("/proc/self/fdinfo/1", False)],
)  # fmt: skip
def test_inherited_streams_are_written_through_by_name(path: str, through: bool) -> None:
    """Linux resolves /dev/stdout to the file stdout is redirected to: the name decides."""
    assert fs.writes_through(Path(path)) is through


def test_a_symlink_to_a_stream_is_a_stream(tmp_path: Path) -> None:
    """Not followed to the file stdout is redirected to (which a rename would replace)."""
    (tmp_path / "out").symlink_to("/dev/stdout")
    (tmp_path / "chain").symlink_to("out")
    assert fs.writes_through(tmp_path / "chain")


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    before = target.stat().st_ino
    fs.write_atomic(target, "new")
    assert target.read_text() == "new" and target.stat().st_ino != before
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
