"""Malformed and hostile input, command by command (issue 12).

Every case runs the CLI in-process on a fresh copy of one workspace (a project with an
in-tree build backend that misbehaves on request, built distributions, a folder index, a git
repository) and asserts the contract of a refused input: the documented exit code, exactly one
``error:`` line followed by a ``hint:``, no traceback and no "internal error", within a time
bound, and every file of the workspace (the folder index included) exactly as it was, except
the paths a case names.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hwb.publish import answers
from tests import distfactory as df
from tests.conftest import Run
from tests.gitrepo import init_repo
from tests.helpers import wait_until

# git, a loopback server, backends run as subprocesses: ~45 s on 2 workers.
pytestmark = pytest.mark.integration

BACKEND = """
import os, pathlib, subprocess, sys, time
MODE = os.environ.get("BACKEND_MODE", "ok")

def get_requires_for_build_wheel(config_settings=None):
    return []

def get_requires_for_build_sdist(config_settings=None):
    return []

def build_sdist(sdist_directory, config_settings=None):
    return build_wheel(sdist_directory)

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if MODE == "fail":
        print("backend: compiling demo_pkg")
        print("backend: error: something went wrong")
        sys.exit(2)
    if MODE == "outside":  # a file from elsewhere, named as the product
        return os.environ["VICTIM"]
    if MODE == "escape":
        return "../../../victim.whl"
    if MODE == "nonwheel":
        pathlib.Path(wheel_directory, "setup.py").write_text("# not a wheel")
        return "setup.py"
    if MODE == "ghost":
        return "demo_pkg-1.0-py3-none-any.whl"
    if MODE == "sleep":
        child = subprocess.Popen(["sleep", "300"])
        pathlib.Path(os.environ["CHILD_PID"]).write_text(str(child.pid))
        time.sleep(300)
    raise SystemExit("unknown mode " + MODE)
"""

TEMPLATE_PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "demo-pkg"
version = "1.0.0"

[tool.hwb.publish]
retries = 1
timeout = 5

[tool.hwb.registries.folder]
type = "dir"
path = "../index"
"""


class Canned:
    """A loopback HTTP server answering each path with a canned (status, headers, body):
    malformed simple-API pages, a registry asking to retry after a day."""

    #: The running server's URL, for setups that need it.
    current = ""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                owner.hits.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                prefix = "/" + self.path.lstrip("/").split("/", 1)[0] + "/"
                status, headers, body = owner.routes.get(prefix, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PEP691 = {"Content-Type": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture(scope="module")
def canned() -> Iterator[Canned]:
    server = Canned()
    server.routes = {
        "/badjson/": (200, PEP691, b'{"meta": {"api-version": "1.0"}, "files": [ {"filename'),
        "/shape/": (200, PEP691, b'{"meta": {"api-version": "1.0"}, "files": "nope"}'),
        "/items/": (200, PEP691, b'{"files": [1, null, {"filename": 3, "hashes": []}]}'),
        "/bytes/": (200, {"Content-Type": "text/html"}, bytes(range(256)) * 40),
        "/retry/": (503, {"Retry-After": "100000"}, b"come back tomorrow"),
        "/teapot/": (418, {}, b"I'm a teapot"),
        # A git host refusing the credentials (smart HTTP answers 401 to info/refs).
        "/git/": (401, {"WWW-Authenticate": 'Basic realm="git"'}, b"Unauthorized"),
    }
    yield server
    server.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace every case starts from (copied per case)."""
    root = tmp_path_factory.mktemp("bad-input-template")
    proj = root / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(TEMPLATE_PYPROJECT)
    (proj / "backend.py").write_text(BACKEND)
    (proj / "CHANGELOG.md").write_text("# Changelog\n")
    dist = proj / "dist"
    dist.mkdir()
    df.wheel(dist)
    df.sdist(dist)
    (root / "victim.whl").write_bytes(b"precious file outside the build")
    (root / "notes.txt").write_text("not a distribution\n")
    repo = init_repo(proj)
    (proj / ".gitignore").write_text("dist/\n__pycache__/\n")
    repo.commit("chore: initial", files={})
    repo.git("tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    # A folder index holding the distributions (the registry cases must leave it unchanged).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITHUB_"))}
    subprocess.run([sys.executable, "-m", "hwb", "-q", "publish", "-r", "folder", "--no-inspect"],
                   cwd=proj, env=env, check=True)  # fmt: skip
    return root


@pytest.fixture
def ws(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(template, root, symlinks=True)
    for name in ("PYPI_TOKEN", "TESTPYPI_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
                 "GCE_METADATA_HOST", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "PYPI_ID_TOKEN",
                 "SIGSTORE_ID_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "xdg"))
    monkeypatch.setenv("VICTIM", str(root / "victim.whl"))
    monkeypatch.chdir(root / "proj")
    monkeypatch.setattr(answers, "BACKOFF_BASE", 0.0)
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file (and folder) under root, with its content hash."""
    state: dict[str, str] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or rel == "proj/.git/index":
            continue
        if path.is_symlink():
            state[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            state[rel] = "dir"
        elif not path.is_file():  # a FIFO or a socket: reading it would block
            state[rel] = "special"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


# -- setups: each turns the workspace into the hostile situation ----------------------------------
Setup = Callable[[Path], None]


def pyproject_tail(text: str) -> Setup:
    def apply(root: Path) -> None:
        path = root / "proj" / "pyproject.toml"
        path.write_text(path.read_text() + "\n" + text)

    return apply


def pyproject_replace(old: str, new: str) -> Setup:
    def apply(root: Path) -> None:
        path = root / "proj" / "pyproject.toml"
        path.write_text(path.read_text().replace(old, new))

    return apply


def write(rel: str, data: bytes | str) -> Setup:
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return apply


def mkdir(rel: str) -> Setup:
    def apply(root: Path) -> None:
        (root / rel).mkdir(parents=True, exist_ok=True)

    return apply


def remove(rel: str) -> Setup:
    def apply(root: Path) -> None:
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return apply


def chain(*setups: Setup) -> Setup:
    def apply(root: Path) -> None:
        for s in setups:
            s(root)

    return apply


def wheel_with(**kwargs: object) -> Setup:
    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        df.wheel(out, **kwargs)  # type: ignore[arg-type]

    return apply


def raw_wheel(members: dict[str, bytes], name: str = "demo_pkg-1.0-py3-none-any.whl") -> Setup:
    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        with zipfile.ZipFile(out / name, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)

    return apply


def _good_members(record: bytes | None = None, metadata: bytes | None = None) -> dict[str, bytes]:
    info = "demo_pkg-1.0.dist-info"
    meta = metadata or df.GOOD_METADATA.format(version="1.0").encode()
    wheel_meta = df.WHEEL_META.format(pure="true", tag="py3-none-any").encode()
    members = {"demo_pkg/__init__.py": b"", f"{info}/METADATA": meta, f"{info}/WHEEL": wheel_meta}
    members[f"{info}/RECORD"] = record if record is not None else b""
    return members


def tar_gz(members: list[tuple[str, int, bytes]], name: str = "demo_pkg-1.0.tar.gz") -> Setup:
    """An sdist whose headers declare (name, size) with ``data`` written (maybe truncated)."""

    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tf:
            for member, size, data in members:
                info = tarfile.TarInfo(member)
                info.size = size
                tf.addfile(info, io.BytesIO(data + b"\0" * (size - len(data))) if size < 1 << 24
                           else None)  # fmt: skip
                if size >= 1 << 24:  # a huge member: its header only, then a padded block
                    tf.fileobj.write(data[:512].ljust(512, b"\0"))
        import gzip

        (out / name).write_bytes(gzip.compress(raw.getvalue(), compresslevel=1))

    return apply


def git_remote(url: str) -> Setup:
    """Point the project's upstream at ``url`` (``{canned}`` is filled in by the test)."""

    def apply(root: Path) -> None:
        proj = str(root / "proj")
        remote = url.format(canned=Canned.current)
        for args in (
            ["remote", "add", "origin", remote],
            ["config", "branch.main.remote", "origin"],
            ["config", "branch.main.merge", "refs/heads/main"],
        ):
            subprocess.run(["git", "-C", proj, *args], check=True, capture_output=True)

    return apply


def zip_bomb(root: Path) -> None:
    (root / "bad").mkdir(exist_ok=True)
    df.zip_bomb(root / "bad")


def many_member_sdist(count: int) -> Setup:
    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        top = "demo_pkg-1.0/"
        with tarfile.open(out / "demo_pkg-1.0.tar.gz", "w:gz", compresslevel=1) as tf:
            for name, data in [
                ("PKG-INFO", df.GOOD_METADATA.format(version="1.0").encode()),
                ("pyproject.toml", b'[project]\nname = "demo-pkg"\n'),
                ("LICENSE", b"MIT\n"),
            ]:
                info = tarfile.TarInfo(top + name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            empty = io.BytesIO(b"")
            for i in range(count):
                tf.addfile(tarfile.TarInfo(f"{top}src/demo_pkg/m{i}.py"), empty)

    return apply


@dataclass
class Case:
    id: str
    args: list[str]
    code: int
    setup: Setup | None = None
    env: dict[str, str] = field(default_factory=dict)
    error: str = ""  # a substring of the error line
    hint: str = ""  # a substring of the hint line
    changes: frozenset[str] = frozenset()  # workspace paths the case may change
    seconds: float = 20.0
    out: str = ""  # a substring of stdout (the result)
    #: Inspection findings are each an error line; the last one carries the hint.
    several_errors: bool = False


def C(id: str, args: str | list[str], code: int, **kw: object) -> Case:
    return Case(id, args.split() if isinstance(args, str) else args, code, **kw)  # type: ignore[arg-type]


GOOD_META = df.GOOD_METADATA.format(version="1.0")
GIB = 1 << 30

CONFIG = [
    C(
        "timeout-zero",
        "config show",
        3,
        env={"HWB_PUBLISH_TIMEOUT": "0"},
        error="out of range",
        hint="1..3600",
    ),
    C("timeout-negative", "config show", 3, env={"HWB_PUBLISH_TIMEOUT": "-5"}, error="allowed"),
    C("timeout-huge", "config show", 3, env={"HWB_PUBLISH_TIMEOUT": "99999"}, error="1..3600"),
    C("timeout-float", "config show", 3, env={"HWB_PUBLISH_TIMEOUT": "4.5"}, error="integer"),
    C("retries-negative", "config show", 3, env={"HWB_PUBLISH_RETRIES": "-1"}, error="0..100"),
    C("jobs-zero", "config show", 3, env={"HWB_PUBLISH_JOBS": "0"}, error="1..64"),
    C("jobs-huge", "config show", 3, env={"HWB_PUBLISH_JOBS": "100000"}, error="1..64"),
    C(
        "toml-timeout-zero",
        "config show",
        3,
        setup=pyproject_replace("timeout = 5", "timeout = 0"),
        error="timeout = 0 is out of range",
    ),
    C(
        "toml-jobs-negative",
        "config show",
        3,
        setup=pyproject_tail(""),
        env={"HWB_PUBLISH_JOBS": "-3"},
    ),
    C(
        "toml-retries-huge",
        "config show",
        3,
        setup=pyproject_replace("retries = 1", "retries = 1000"),
        error="0..100",
    ),
    C(
        "misspelt-section",
        "config show",
        3,
        env={"HWB_BIULD_SDIST": "1"},
        error="HWB_BIULD_SDIST",
        hint="Unset",
    ),
    C(
        "misspelt-section-2",
        "config show",
        3,
        env={"HWB_PUBLSH_JOBS": "2"},
        error="did you mean 'HWB_PUBLISH_JOBS'",
    ),
    C("misspelt-key", "config show", 3, env={"HWB_BUILD_SDSIT": "1"}, error="HWB_BUILD_SDSIT"),
    C("env-not-integer", "config show", 3, env={"HWB_PUBLISH_JOBS": "many"}, error="integer"),
    C("env-not-boolean", "config show", 3, env={"HWB_BUILD_SDIST": "maybe"}, error="boolean"),
    C(
        "env-bad-table",
        "config show",
        3,
        env={"HWB_BUILD_CONFIG_SETTINGS": "novalue"},
        error="KEY=VALUE",
    ),
    C(
        "invalid-toml",
        "config show",
        3,
        setup=pyproject_tail("[tool.hwb.build\n"),
        error="invalid TOML",
    ),
    C(
        "unknown-section",
        "config show",
        3,
        setup=pyproject_tail("[tool.hwb.biuld]\nsdist = true"),
        error="did you mean 'build'",
    ),
    C(
        "unknown-key",
        "config show",
        3,
        setup=pyproject_tail("[tool.hwb.build]\nsdsit = true"),
        error="unknown key",
    ),
    C(
        "wrong-type",
        "config show",
        3,
        setup=pyproject_tail('[tool.hwb.build]\nsdist = "yes"'),
        error="must be a boolean",
    ),
    C(
        "enum",
        "config show",
        3,
        setup=pyproject_tail('[tool.hwb.build]\ninstaller = "conda"'),
        error="must be one of",
    ),
    C(
        "unset-var",
        # only where the registry is used (issue 24: other commands must not care)
        ["publish", "-r", "x", "--dry-run", "dist"],
        3,
        setup=pyproject_tail('[tool.hwb.registries.x]\nurl = "https://h/"\npassword = "${NOPE_X}"'),
        error="NOPE_X",
    ),
    C(
        "not-utf8",
        "config show",
        3,
        setup=write("proj/pyproject.toml", b"[project]\nname='\xff'\n"),
        error="UTF-8",
    ),
    C(
        "hwb-not-table",
        "config show",
        3,
        setup=write("proj/pyproject.toml", "[tool]\nhwb = 1\n"),
        error="must be a table",
    ),
    C(
        "registry-not-table",
        "config show",
        3,
        setup=pyproject_tail("[tool.hwb.registries]\nx = 1"),
        error="must be a table",
    ),
    C(
        "commit-message-brace",
        "version bump patch --dry-run",
        3,
        setup=pyproject_tail('[tool.hwb.version]\ncommit-message = "Release {"'),
        error="not a valid template",
    ),
    C(
        "commit-message-attr",
        "version bump patch --dry-run",
        3,
        setup=pyproject_tail('[tool.hwb.version]\ncommit-message = "R {version.__class__}"'),
        error="is not allowed",
    ),
    C(
        "commit-message-index",
        "version bump patch --dry-run",
        3,
        setup=pyproject_tail('[tool.hwb.version]\ncommit-message = "R {version[0]}"'),
        error="is not allowed",
    ),
    C(
        "tag-message-unknown",
        "version bump patch --dry-run",
        3,
        setup=pyproject_tail('[tool.hwb.version]\ntag-message = "R {nope}"'),
        error="{nope}",
    ),
    C(
        "tag-format-conversion",
        "version bump patch --dry-run",
        3,
        setup=pyproject_tail('[tool.hwb.version]\ntag-format = "v{version!r}"'),
        error="not allowed",
    ),
]

BUILD = [
    C("missing-path", "build /nonexistent/project", 4, error="does not exist"),
    C("path-is-file", "build pyproject.toml", 4, error="not a directory"),
    C(
        "not-a-project",
        ["build", "{root}/empty"],
        4,
        setup=mkdir("empty"),
        error="not a Python project",
        changes=frozenset({"empty"}),
    ),
    C(
        "no-build-system-no-setup",
        ["build", "{root}/p2"],
        4,
        setup=write("p2/pyproject.toml", '[project]\nname = "x"\nversion = "1"\n'),
        error="no [build-system]",
        changes=frozenset({"p2", "p2/pyproject.toml"}),
    ),
    C(
        "invalid-build-system",
        "build --no-isolation",
        4,
        setup=pyproject_replace("requires = []", 'requires = "hatchling"'),
        error="[build-system]",
    ),
    C(
        "backend-missing-no-isolation",
        "build --no-isolation",
        4,
        setup=pyproject_replace('build-backend = "backend"', 'build-backend = "no_such_backend"'),
        error="no_such_backend cannot be imported",
        hint="requires",
    ),
    C(
        "requirement-missing-no-isolation",
        "build --no-isolation",
        4,
        setup=pyproject_replace("requires = []", 'requires = ["no-such-dist-xyz>=1"]'),
        error="build requirements missing",
    ),
    C(
        "backend-fails",
        "build --no-isolation",
        5,
        env={"BACKEND_MODE": "fail"},
        error="the build backend failed",
    ),
    C(
        "backend-fails-new-outdir",
        ["build", "--no-isolation", "-o", "{root}/new/out"],
        5,
        env={"BACKEND_MODE": "fail"},
        error="the build backend failed",
    ),
    C(
        "backend-path-outside",
        "build --no-isolation",
        5,
        env={"BACKEND_MODE": "outside"},
        error="not in the folder it was given",
    ),
    C(
        "backend-path-escape",
        "build --no-isolation",
        5,
        env={"BACKEND_MODE": "escape"},
        error="not in the folder it was given",
    ),
    C(
        "backend-non-wheel",
        "build --no-isolation",
        5,
        env={"BACKEND_MODE": "nonwheel"},
        error="not a wheel",
    ),
    C(
        "backend-ghost",
        "build --no-isolation",
        5,
        env={"BACKEND_MODE": "ghost"},
        error="wrote no such file",
    ),
    C("python-bogus-version", "build --python 1.2", 6, error="no Python 1.2"),
    C(
        "python-missing-path",
        "build --python /nonexistent/python3",
        6,
        error="not a working Python",
    ),
    C("python-not-python", "build --python /bin/true", 6, error="not a working Python"),
    C(
        "python-too-old",
        ["build", "--python", "{root}/py27"],
        6,
        setup=chain(
            write("py27", "#!/bin/sh\necho 2.7.18; echo /usr/bin/python2.7\n"),
            lambda root: (root / "py27").chmod(0o755),
        ),
        error="cannot run a PEP 517 build",
        hint="3.8",
    ),
    C("python-garbage", "build --python ../../etc", 6),
    C("nothing-to-build", "build --no-wheel --no-sdist", 2, error="nothing to build"),
    C("config-setting-no-key", "build -C =value", 2, error="KEY=VALUE"),
    C("installer-unknown", "build --installer conda", 2),
    C(
        "outdir-is-file",
        ["build", "--no-isolation", "-o", "{root}/notes.txt"],
        4,
        error="output directory",
    ),
    C(
        "outdir-under-file",
        ["build", "--no-isolation", "-o", "{root}/notes.txt/sub"],
        4,
        error="output directory",
    ),
    C(
        "sde-not-number",
        "build --no-isolation",
        2,
        env={"SOURCE_DATE_EPOCH": "yesterday"},
        error="SOURCE_DATE_EPOCH",
    ),
    C(
        "sde-negative",
        "build --no-isolation",
        2,
        env={"SOURCE_DATE_EPOCH": "-5"},
        error="SOURCE_DATE_EPOCH",
    ),
    C("unknown-option", "build --frobnicate", 2, error="No such option"),
]

INSPECT = [
    C("missing-file", "inspect /nonexistent.whl", 13, error="no such file"),
    C("not-a-dist", ["inspect", "{root}/notes.txt"], 13, error="not a distribution"),
    C(
        "empty-dir",
        ["inspect", "{root}/empty"],
        13,
        setup=mkdir("empty"),
        changes=frozenset({"empty"}),
    ),
    C(
        "empty-wheel",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=write("bad/demo_pkg-1.0-py3-none-any.whl", b""),
        changes=frozenset({"bad"}),
    ),
    C(
        "random-wheel",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=write("bad/demo_pkg-1.0-py3-none-any.whl", os.urandom(4000)),
    ),
    C(
        "random-sdist",
        ["inspect", "{root}/bad/demo_pkg-1.0.tar.gz"],
        12,
        setup=write("bad/demo_pkg-1.0.tar.gz", os.urandom(4000)),
    ),
    C(
        "truncated-sdist",
        ["inspect", "{root}/bad/demo_pkg-1.0.tar.gz"],
        12,
        setup=write("bad/demo_pkg-1.0.tar.gz", b"\x1f\x8b\x08\x00" + os.urandom(100)),
    ),
    C(
        "record-cr-lines",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=raw_wheel(_good_members(record=b"demo_pkg/__init__.py,,\r\nx,\r\n\r\n")),
    ),
    C(
        "record-random-bytes",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=raw_wheel(_good_members(record=os.urandom(3000))),
    ),
    C(
        "record-bad-csv",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=raw_wheel(_good_members(record=b'"unterminated,\n\x00,,,,,\n')),
    ),
    C(
        "metadata-not-utf8",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=raw_wheel(_good_members(metadata=GOOD_META.encode().replace(b"A demo", b"\xff\xfe"))),
    ),
    C(
        "metadata-random",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=raw_wheel(_good_members(metadata=os.urandom(2000))),
    ),
    C(
        "wheel-no-metadata",
        ["inspect", "{root}/bad/demo_pkg-1.0-py3-none-any.whl"],
        12,
        setup=wheel_with(metadata=False),
    ),
    C(
        "zip-bomb",
        ["inspect", "{root}/bad"],
        12,
        setup=zip_bomb,
    ),
    C(
        "tar-gib-member",
        ["inspect", "{root}/bad/demo_pkg-1.0.tar.gz"],
        12,
        setup=tar_gz(
            [
                ("demo_pkg-1.0/PKG-INFO", len(GOOD_META), GOOD_META.encode()),
                ("demo_pkg-1.0/big.bin", GIB, b""),
            ]
        ),
        seconds=10,
        out="possible zip bomb",  # reported from the header, nothing inflated
    ),
    C(
        "tar-many-members",
        ["inspect", "{root}/bad/demo_pkg-1.0.tar.gz"],
        0,
        setup=many_member_sdist(20000),
        seconds=30,
    ),
    C(
        "tar-path-escape",
        ["inspect", "{root}/bad/demo_pkg-1.0.tar.gz"],
        12,
        setup=tar_gz(
            [
                ("demo_pkg-1.0/PKG-INFO", len(GOOD_META), GOOD_META.encode()),
                ("../../etc/evil", 3, b"abc"),
            ]
        ),
    ),
    # A malformed index page is a finding (HWB503, index unusable), not a crash.
    C(
        "index-bad-json",
        [
            "inspect",
            "--check-version",
            "--index-url",
            "{canned}/badjson/",
            "dist/demo_pkg-1.0-py3-none-any.whl",
        ],
        12,
    ),
    C(
        "index-wrong-shape",
        [
            "inspect",
            "--check-version",
            "--index-url",
            "{canned}/shape/",
            "dist/demo_pkg-1.0-py3-none-any.whl",
        ],
        12,
    ),
    C(
        "index-bad-items",
        [
            "inspect",
            "--check-version",
            "--index-url",
            "{canned}/items/",
            "dist/demo_pkg-1.0-py3-none-any.whl",
        ],
        12,
    ),
    C(
        "index-random-bytes",
        [
            "inspect",
            "--check-version",
            "--index-url",
            "{canned}/bytes/",
            "dist/demo_pkg-1.0-py3-none-any.whl",
        ],
        0,
    ),
    C("index-url-unparsable", "inspect --index-url http://[::1 dist", 2, error="index"),
    C("index-url-and-repository", "inspect --index-url https://x/ --repository pypi dist", 2),
    C("unknown-check-id", "inspect --ignore HWB999 dist", 2, error="unknown check"),
    C("repository-unknown", "inspect --repository nope dist", 2),
]

PUBLISH = [
    C("url-empty", ["publish", "--url", "", "dist"], 2, error="--url is empty", hint="--url"),
    C("url-unparsable", "publish --url http://[::1 dist", 2, error="not a valid URL", hint="--url"),
    C("url-no-host", "publish --url http:///legacy/ dist", 2, error="no host"),
    C("url-ftp", "publish --url ftp://host/x dist", 2, error="unsupported scheme"),
    C("url-no-scheme", "publish --url upload.example dist", 2, error="unsupported scheme"),
    C("url-relative-file", "publish --url file://relative/path dist", 2, error="absolute"),
    C("url-bad-port", "publish --url http://host:99999999/ dist", 2, error="not a valid URL"),
    C("test-with-repository", "publish --test -r pypi dist", 2, error="--test"),
    C("all-with-repository", "publish --all -r pypi dist", 2, error="--all"),
    C("all-and-test", "publish --all --test dist", 2),
    C("url-and-repository", "publish --url https://h/ -r pypi dist", 2),
    C("token-and-trusted", "publish --token x --trusted-publisher -r folder dist", 2),
    C("unknown-registry", "publish -r nope dist", 3, error="unknown registry"),
    C("misspelt-registry", "publish -r foldr dist", 3, error="did you mean 'folder'"),
    C(
        "report-is-dir",
        ["publish", "-r", "folder", "--report", "{root}/proj", "dist"],
        2,
        error="is a directory",
    ),
    C(
        "report-missing-dir",
        ["publish", "-r", "folder", "--report", "{root}/no/r.json", "dist"],
        2,
        error="cannot write",
    ),
    C("jobs-zero", "publish -j 0 -r folder dist", 2),
    C("jobs-huge", "publish -j 1000 -r folder dist", 2),
    C(
        "no-dists",
        ["publish", "-r", "folder", "{root}/empty"],
        13,
        setup=mkdir("empty"),
        changes=frozenset({"empty"}),
    ),
    C("missing-file", "publish -r folder /nonexistent.whl", 13, error="no such file"),
    C("not-a-dist", ["publish", "-r", "folder", "{root}/notes.txt"], 13),
    C("pypi-no-token", "publish -r pypi dist", 15, error="no credential"),
    C("trusted-outside-ci", "publish --trusted-publisher -r pypi dist", 16),
    C(
        "corrupt-wheel-inspected",
        ["publish", "-r", "folder", "{root}/bad"],
        12,
        setup=write("bad/demo_pkg-1.0-py3-none-any.whl", os.urandom(2000)),
        changes=frozenset({"bad", "bad/demo_pkg-1.0-py3-none-any.whl"}),
        several_errors=True,
    ),
    C(
        "registry-url-not-http",
        "publish -r weird dist",
        3,
        setup=pyproject_tail('[tool.hwb.registries.weird]\nurl = "ftp://h/"'),
        error="http(s)",
    ),
    C(
        "registry-url-unparsable",
        "publish -r weird dist",
        3,
        setup=pyproject_tail('[tool.hwb.registries.weird]\nurl = "http://[::1"'),
        error="not a valid URL",
        hint="[tool.hwb.registries]",
    ),
    C(
        "registry-dir-no-path",
        "publish -r weird dist",
        3,
        setup=pyproject_tail('[tool.hwb.registries.weird]\ntype = "dir"'),
        error="needs path",
    ),
    C(
        "registry-s3-no-bucket",
        "publish -r weird dist",
        3,
        setup=pyproject_tail('[tool.hwb.registries.weird]\ntype = "s3"'),
        error="needs bucket",
    ),
    C(
        "registry-oidc-incomplete",
        "publish -r weird dist",
        3,
        setup=pyproject_tail(
            '[tool.hwb.registries.weird]\nurl = "https://h/"\noidc = "artifactory"'
        ),
        error="needs",
    ),
    C(
        "retry-after-huge",
        ["publish", "--no-inspect", "--url", "{canned}/retry/", "dist"],
        14,
        error="upload(s) failed",
        seconds=15,
    ),
    C(
        "teapot",
        ["publish", "--no-inspect", "--url", "{canned}/teapot/", "dist"],
        14,
        error="upload(s) failed",
    ),
    C("unknown-option", "publish --frobnicate", 2),
]

INDEX = [
    C("rebuild-unknown-registry", "index rebuild nope", 3, error="unknown registry"),
    C("rebuild-upload-api", "index rebuild pypi", 3, error="not a static index"),
    C(
        "rebuild-stray-file",
        "index rebuild folder",
        0,
        setup=write("index/packages/demo-pkg/notes.txt", "stray"),
        changes=frozenset({"index/packages/demo-pkg/notes.txt"}),
    ),
    C(
        "rebuild-stray-wheel",
        "index rebuild folder",
        0,
        setup=write("index/packages/demo-pkg/junk-1.0-py3-none-any.whl", os.urandom(300)),
        changes=frozenset(
            {
                "index/packages/demo-pkg/junk-1.0-py3-none-any.whl",
                "index/simple/demo-pkg/index.json",
                "index/simple/demo-pkg/index.html",
            }
        ),
    ),
    C(
        "yank-corrupt-page",
        "index yank folder demo-pkg 1.0",
        14,
        setup=write("index/simple/demo-pkg/index.json", "{corrupt"),
        changes=frozenset({"index/simple/demo-pkg/index.json"}),
        hint="rebuild",
    ),
    C("yank-not-pep440", "index yank folder demo-pkg not..a..version", 11),
    C("yank-missing-project", "index yank folder nothing-here 1.0", 14),
    C("unyank-not-pep440", "index unyank folder demo-pkg ???", 11),
    C(
        "rebuild-missing-folder",
        "index rebuild weird",
        14,
        setup=pyproject_tail('[tool.hwb.registries.weird]\ntype = "dir"\npath = "../no-index"'),
        error="no index",
    ),
]

VERSION = [
    C("set-not-pep440", "version bump --set banana", 11, error="banana"),
    C("set-backwards", "version bump --set 0.1", 11),
    C("set-same", "version bump --set 1.0.0", 11),
    C("bump-unknown-part", "version bump sideways", 2),
    C("push-and-allow-dirty", "version bump patch --commit --push --allow-dirty", 2),
    C("push-without-commit", "version bump patch --push", 2),
    C(
        "dirty-tree-commit",
        "version bump patch --commit",
        9,
        setup=write("proj/backend.py", BACKEND + "\n# edited\n"),
        changes=frozenset({"proj/backend.py"}),
    ),
    C("no-upstream-push", "version bump patch --commit --push", 9),
    C(
        "changelog-is-directory",
        "version bump patch --changelog",
        4,
        setup=chain(remove("proj/CHANGELOG.md"), mkdir("proj/CHANGELOG.md")),
        error="not a regular file",
        changes=frozenset({"proj/CHANGELOG.md"}),
    ),
    C(
        "changelog-not-utf8",
        "version bump patch --changelog",
        4,
        setup=write("proj/CHANGELOG.md", b"# Changelog\n\xff\xfe\n"),
        error="not UTF-8",
        changes=frozenset({"proj/CHANGELOG.md"}),
    ),
    C(
        "changelog-output-missing-dir",
        ["version", "changelog", "-o", "{root}/no/dir/notes.md"],
        2,
        error="cannot write",
    ),
    C(
        "push-auth-refused",
        "version bump patch --commit --tag --push",
        9,
        setup=git_remote("{canned}/git/demo.git"),
        env={"GIT_TERMINAL_PROMPT": "0"},
        error="authentication failed",
        hint="push rights",
        changes=frozenset({"proj/.git/"}),
    ),
    C("changelog-from-unknown-ref", "version changelog --from no-such-ref", 9),
    C("auto-nothing", "version bump auto", 10, setup=lambda root: None),
    C(
        "version-outside-repo-commit",
        ["version", "bump", "patch", "--commit", "--project", "{root}/norepo"],
        9,
        setup=write("norepo/pyproject.toml", '[project]\nname = "x"\nversion = "1.0"\n'),
        changes=frozenset({"norepo", "norepo/pyproject.toml"}),
    ),
    C(
        "no-version-anywhere",
        ["version", "show", "--project", "{root}/nov"],
        11,
        setup=write("nov/pyproject.toml", '[project]\nname = "x"\n'),
        changes=frozenset({"nov", "nov/pyproject.toml"}),
    ),
]

ATTEST = [
    C("missing-file", "attest /nonexistent.whl", 13),
    C("not-a-dist", ["attest", "{root}/notes.txt"], 13),
    C(
        "output-missing-dir",
        ["attest", "--no-sign", "-o", "{root}/no/such/p.jsonl", "dist"],
        2,
        error="does not exist",
    ),
    C("output-is-dir", ["attest", "--no-sign", "-o", "{root}/proj", "dist"], 2),
    C("sign-outside-ci", "attest --sign dist", 17, error="signing needs", hint="--no-sign"),
    C(
        "no-dists",
        ["attest", "{root}/empty"],
        13,
        setup=mkdir("empty"),
        changes=frozenset({"empty"}),
    ),
]

VERIFY = [
    C("missing-file", "verify --github o/r --workflow w.yml /nonexistent.whl", 13),
    C("no-publisher", "verify dist/demo_pkg-1.0-py3-none-any.whl", 2),
    C("github-no-workflow", "verify --github o/r dist/demo_pkg-1.0-py3-none-any.whl", 2),
    C(
        "no-attestation",
        "verify --github o/r --workflow w.yml dist/demo_pkg-1.0-py3-none-any.whl",
        17,
    ),
    C(
        "corrupt-attestation",
        "verify --github o/r --workflow w.yml dist/demo_pkg-1.0-py3-none-any.whl",
        17,
        setup=write("proj/dist/demo_pkg-1.0-py3-none-any.whl.publish.attestation", "{not json"),
        changes=frozenset({"proj/dist/demo_pkg-1.0-py3-none-any.whl.publish.attestation"}),
    ),
    C(
        "attestation-random",
        "verify --gitlab g/p dist/demo_pkg-1.0-py3-none-any.whl",
        17,
        setup=write("proj/dist/demo_pkg-1.0-py3-none-any.whl.publish.attestation", os.urandom(500)),
    ),
]

GLOBAL = [
    C("unknown-command", "frobnicate", 2),
    C("unknown-global-option", "--frobnicate build", 2),
    C("missing-argument", "index yank folder", 2),
]

GROUPS = {"config": CONFIG, "build": BUILD, "inspect": INSPECT, "publish": PUBLISH,
          "index": INDEX, "version": VERSION, "attest": ATTEST, "verify": VERIFY,
          "global": GLOBAL}  # fmt: skip
ALL = [pytest.param(case, id=f"{group}-{case.id}") for group, cases in GROUPS.items()
       for case in cases]  # fmt: skip


def test_at_least_100_cases() -> None:
    assert len(ALL) >= 100


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", ALL)
def test_bad_input(
    hwb: Callable[..., Run],
    ws: Path,
    canned: Canned,
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    run_case(hwb, ws, canned, monkeypatch, case)


def run_case(
    hwb: Callable[..., Run],
    ws: Path,
    canned: Canned,
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    """Run one case in the workspace and check the contract of a refused input."""
    if case.setup is not None:
        Canned.current = canned.url
        case.setup(ws)
        (ws / "bad").mkdir(exist_ok=True)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    before = snapshot(ws)
    args = [a.format(root=ws, canned=canned.url) for a in case.args]
    started = time.monotonic()
    result = hwb(*args)
    elapsed = time.monotonic() - started
    err = _ANSI.sub("", result.err)
    assert result.code == case.code, f"exit {result.code}, expected {case.code}:\n{err}"
    assert elapsed < case.seconds, f"took {elapsed:.1f}s"
    assert "Traceback" not in err and "internal error" not in err, err
    if case.code != 0:
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 or (case.several_errors and errors), err
        lines = err.splitlines()
        after = lines[len(lines) - lines[::-1].index(errors[-1]) :]
        assert after and after[0].startswith("hint:"), err
        assert case.error in errors[-1], err
        assert case.hint in after[0], err
    assert case.out in result.out, result.out
    after_state = snapshot(ws)
    changed = {k for k in before.keys() | after_state.keys() if before.get(k) != after_state.get(k)}
    # version bump's lock file (serialising concurrent bumps) stays in .git: it holds no state
    changed = {k for k in changed if not k.endswith(".git/hwb-release.lock")}
    prefixes = (*(c for c in case.changes if c.endswith("/")), "bad/")
    allowed = set(case.changes) | {"bad"} | {k for k in changed if k.startswith(prefixes)}
    assert changed <= allowed, f"changed: {sorted(changed - allowed)}"


@pytest.mark.timeout(60)
def test_interrupted_build_leaves_nothing_behind(template: Path, tmp_path: Path) -> None:
    """SIGTERM during a build (a CI cancelling the job): the backend and its children are
    stopped, the staging and temporary folders removed, --outdir as it was, exit 143 (128 +
    SIGTERM)."""
    root = tmp_path / "ws"
    shutil.copytree(template, root, symlinks=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, "BACKEND_MODE": "sleep", "CHILD_PID": str(pid_file), "TMPDIR": str(temp),
           "NO_COLOR": "1"}  # fmt: skip
    env.pop("HWB_DEBUG", None)
    outdir = root / "out"
    hwb = subprocess.Popen(
        [sys.executable, "-m", "hwb", "build", "--no-isolation", "-o", str(outdir), "."],
        cwd=root / "proj", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_until(pid_file.exists, 30)
    assert pid_file.exists(), hwb.communicate(timeout=10)
    child = int(pid_file.read_text())
    hwb.send_signal(signal.SIGTERM)
    _, err = hwb.communicate(timeout=20)
    assert hwb.returncode == 143, err
    assert "Traceback" not in err

    def alive() -> bool:  # a zombie is stopped: only the wait of its (new) parent is missing
        try:
            return "zombie" not in Path(f"/proc/{child}/status").read_text().lower()
        except FileNotFoundError:
            return False

    # SIGKILL is delivered asynchronously: give the kernel a bounded moment, not a fixed one
    # (if hwb left it running, `sleep 300` outlives this wait by far)
    wait_until(lambda: not alive(), 10)
    assert not alive(), "the backend's child process is still running"
    assert not outdir.exists(), list(outdir.iterdir())
    assert list(temp.iterdir()) == []
