"""Static indexes (`type = "dir"` and `type = "s3"`) against real components: moto's S3 server and
a folder served by ``python -m http.server``, installed from with pip and uv."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import distfactory as df
from tests.conftest import Run
from tests.helpers import publish
from tests.servers import AWS_TEST_ENV, S3Server, http_folder, moto_s3, s3_client

pytestmark = pytest.mark.integration

BUCKET = "hwb-index"
PREFIX = "pypi"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3(tmp_path: Path, aws_env: None) -> Iterator[S3Server]:
    with moto_s3(tmp_path) as server:
        s3_client(server.endpoint).create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
        yield server


def config_project(base: Path, s3: S3Server | None = None, folder: Path | None = None) -> Path:
    """A directory whose pyproject declares the static registries under test."""
    proj = base / "cfg"
    proj.mkdir(exist_ok=True)
    text = '[project]\nname = "cfg"\nversion = "0"\n'
    if s3 is not None:
        text += (
            f'\n[tool.hwb.registries.bucket]\ntype = "s3"\nbucket = "{BUCKET}"\n'
            f'prefix = "{PREFIX}/packages/"\nindex-prefix = "{PREFIX}"\n'
            f'endpoint_url = "{s3.endpoint}"\nacl = "public-read"\n'
        )
    if folder is not None:
        text += f'\n[tool.hwb.registries.folder]\ntype = "dir"\npath = "{folder}"\n'
    (proj / "pyproject.toml").write_text(text)
    return proj


def publish_new(
    hwb: Callable[..., Run], tmp_path: Path, proj: Path, registry: str, name: str, version: str
) -> Run:
    """``hwb publish`` of a fresh wheel of ``name`` ``version`` to ``registry`` (of ``proj``)."""
    return publish(hwb, df.project_wheel(tmp_path, name, version), project=proj, registry=registry)


def bucket_simple(s3: S3Server) -> str:
    return f"{s3.endpoint}/{BUCKET}/{PREFIX}/simple/"


def entries(result: Run) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(result.out)["entries"]
    return data


def installer(tool: str, index: str, target: Path, *reqs: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1"}
    if tool == "pip":
        cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir"]
    else:
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
        cmd = [uv, "pip", "install", "--python", sys.executable,
               "--no-cache"]  # fmt: skip
    cmd += ["--no-deps", "--index-url", index, "--target", str(target), *reqs]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def imported_version(target: Path, module: str) -> str:
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); import {module} as m; print(m.VERSION)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        data: bytes = response.read()
        return data


# -- pages (offline) ---------------------------------------------------------------------------


def test_pages_carry_every_pep_attribute(hwb: Callable[..., Run], tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    wheel = df.project_wheel(tmp_path, "My_Pkg", "1.0", requires_python=">=3.9,<4")
    result = publish(hwb, wheel, project=proj, registry="folder")
    assert result.code == 0, result.err
    page = (folder / "simple/my-pkg/index.html").read_text()
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    metadata = (folder / f"packages/my-pkg/{wheel.name}.metadata").read_bytes()
    core = hashlib.sha256(metadata).hexdigest()
    assert b"Name: My_Pkg" in metadata
    assert '<meta name="pypi:repository-version" content="1.1">' in page
    assert f'href="../../packages/my-pkg/{wheel.name}#sha256={sha}"' in page
    assert 'data-requires-python="&gt;=3.9,&lt;4"' in page
    assert f'data-core-metadata="sha256={core}"' in page
    assert f'data-dist-info-metadata="sha256={core}"' in page
    listing = json.loads((folder / "simple/my-pkg/index.json").read_text())
    assert listing["meta"]["api-version"] == "1.1"
    assert listing["name"] == "my-pkg" and listing["versions"] == ["1.0"]
    (entry,) = listing["files"]
    assert entry["hashes"] == {"sha256": sha} and entry["requires-python"] == ">=3.9,<4"
    assert entry["core-metadata"] == entry["dist-info-metadata"] == {"sha256": core}
    assert entry["size"] == wheel.stat().st_size and entry["yanked"] is False
    root = json.loads((folder / "simple/index.json").read_text())
    assert root["projects"] == [{"name": "my-pkg"}]
    assert '<a href="my-pkg/">my-pkg</a>' in (folder / "simple/index.html").read_text()


def test_incremental_only_affected_pages_and_root_only_for_new_projects(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    assert publish_new(hwb, tmp_path, proj, "folder", "alpha", "1.0").code == 0
    assert publish_new(hwb, tmp_path, proj, "folder", "beta", "1.0").code == 0
    # Pages are replaced by rename, so a rewritten page has a new inode: no timing involved.
    before = {p: p.stat().st_ino for p in folder.rglob("*.html")}
    before |= {p: p.stat().st_ino for p in folder.rglob("*.json")}
    assert publish_new(hwb, tmp_path, proj, "folder", "alpha", "1.1").code == 0
    changed = sorted(str(p.relative_to(folder)) for p, t in before.items() if p.stat().st_ino != t)
    assert changed == ["simple/alpha/index.html", "simple/alpha/index.json"]


def test_identical_skipped_different_refused(hwb: Callable[..., Run], tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    wheel = df.project_wheel(tmp_path, "alpha", "1.0")
    assert publish(hwb, wheel, project=proj, registry="folder").code == 0
    again = publish(hwb, wheel, project=proj, registry="folder")
    assert again.code == 0 and entries(again)[0]["status"] == "skipped-identical"
    other = tmp_path / "other"
    other.mkdir()
    different = df.project_wheel(other, "alpha", "1.0", body="VERSION = 'changed'\n")
    refused = publish(hwb, different, project=proj, registry="folder")
    assert refused.code == 14
    assert "exists in" in refused.err and "different content" in refused.err
    stored = folder / "packages/alpha" / wheel.name
    assert stored.read_bytes() == wheel.read_bytes()  # never overwritten


# -- install from the index --------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_folder_over_http_then_install(hwb: Callable[..., Run], tmp_path: Path, tool: str) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    wheel = df.project_wheel(tmp_path, "alpha", "1.0")
    assert publish(hwb, wheel, project=proj, registry="folder").code == 0
    with http_folder(folder, tmp_path) as served:
        done = installer(tool, served.url + "simple/", tmp_path / "site", "alpha")
    assert done.returncode == 0, done.stderr
    assert imported_version(tmp_path / "site", "alpha") == "1.0"


def test_folder_via_file_url(hwb: Callable[..., Run], tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    wheel = df.project_wheel(tmp_path, "beta", "2.0")
    result = hwb("publish", "--url", folder.as_uri(), str(wheel))
    assert result.code == 0, result.err
    done = installer("pip", folder.as_uri() + "/simple/", tmp_path / "site", "beta")
    assert done.returncode == 0, done.stderr
    assert imported_version(tmp_path / "site", "beta") == "2.0"


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_bucket_then_install(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server, tool: str, built: Path
) -> None:
    proj = config_project(tmp_path, s3=s3)
    result = publish(hwb, built, project=proj, registry="bucket")
    assert result.code == 0, result.err
    assert sorted(str(e["status"]) for e in entries(result)) == ["uploaded", "uploaded"]
    done = installer(tool, bucket_simple(s3), tmp_path / "site", "hwbdemo-greet")
    assert done.returncode == 0, done.stderr
    code = f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
    code += "from hwbdemo_greet import greet; print(greet('s3'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Hello, s3!"


def _versions_index(hwb: Callable[..., Run], tmp_path: Path, proj: Path, registry: str) -> None:
    """gamma 1.0, 1.1 (to be yanked) and 2.0 (requires Python 4)."""
    files = [
        df.project_wheel(tmp_path, "gamma", "1.0"),
        df.project_wheel(tmp_path, "gamma", "1.1"),
        df.project_wheel(tmp_path, "gamma", "2.0", requires_python=">=4"),
    ]
    assert publish(hwb, *files, project=proj, registry=registry).code == 0
    yanked = hwb(
        "index", "yank", registry, "gamma", "1.1", "--reason", "broken", "--project", str(proj)
    )
    assert yanked.code == 0, yanked.err


def test_resolver_uses_metadata_requires_python_and_yank_over_http(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    _versions_index(hwb, tmp_path, proj, "folder")
    page = (folder / "simple/gamma/index.html").read_text()
    assert 'data-yanked="broken"' in page
    with http_folder(folder, tmp_path) as served:
        index = served.url + "simple/"
        # A dry run resolves from the .metadata files alone: no wheel is downloaded.
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
        report = tmp_path / "report.json"
        dry = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir", "--dry-run",
             "--ignore-installed", "--report", str(report), "--index-url", index, "gamma"],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert dry.returncode == 0, dry.stderr
        chosen = json.loads(report.read_text())["install"][0]["metadata"]["version"]
        assert chosen == "1.0"  # 2.0 needs Python 4, 1.1 is yanked
        log = served.requests()
        assert any("gamma-1.0-py3-none-any.whl.metadata" in line for line in log)
        assert not any(re.search(r"\.whl HTTP", line) for line in log), log
        # A real install fetches the chosen wheel only.
        done = installer("pip", index, tmp_path / "site", "gamma")
        assert done.returncode == 0, done.stderr
        wheels = [line for line in served.requests() if re.search(r"\.whl HTTP", line)]
        assert len(wheels) == 1 and "gamma-1.0-py3-none-any.whl" in wheels[0]
        # A yanked version is still installable when pinned exactly (PEP 592).
        pinned = installer("pip", index, tmp_path / "pinned", "gamma==1.1")
        assert pinned.returncode == 0, pinned.stderr
        assert "yanked" in pinned.stderr.lower() and "broken" in pinned.stderr
    assert imported_version(tmp_path / "site", "gamma") == "1.0"


def test_yank_unyank_and_uv_on_the_bucket(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server
) -> None:
    proj = config_project(tmp_path, s3=s3)
    _versions_index(hwb, tmp_path, proj, "bucket")
    done = installer("uv", bucket_simple(s3), tmp_path / "site", "gamma")
    assert done.returncode == 0, done.stderr
    assert imported_version(tmp_path / "site", "gamma") == "1.0"
    log = s3.requests()  # uv needs no metadata for one package without dependencies
    assert any("gamma-1.0-py3-none-any.whl HTTP" in line for line in log)
    assert not any("gamma-1.1-py3-none-any.whl " in line for line in log)
    assert not any("gamma-2.0-py3-none-any.whl " in line for line in log)
    unyank = hwb("index", "unyank", "bucket", "gamma", "1.1", "--project", str(proj))
    assert unyank.code == 0, unyank.err
    done = installer("uv", bucket_simple(s3), tmp_path / "site2", "gamma")
    assert done.returncode == 0, done.stderr
    assert imported_version(tmp_path / "site2", "gamma") == "1.1"
    missing = hwb("index", "yank", "bucket", "gamma", "9.9", "--project", str(proj))
    assert missing.code == 14 and "no files of version 9.9" in missing.err


def test_bucket_pages_at_the_urls_pip_asks_for(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server
) -> None:
    """S3 serves the key ``simple/name/`` for ``.../simple/name/``: the HTML is written there too,
    with content types and cache headers right for an index."""
    proj = config_project(tmp_path, s3=s3)
    assert publish_new(hwb, tmp_path, proj, "bucket", "delta", "1.0").code == 0
    base = bucket_simple(s3)
    assert fetch(base + "delta/") == fetch(base + "delta/index.html")
    assert b'<a href="delta/">delta</a>' in fetch(base)
    listing = json.loads(fetch(base + "delta/index.json"))
    assert listing["files"][0]["filename"] == "delta-1.0-py3-none-any.whl"
    head = s3_client(s3.endpoint).head_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key=f"{PREFIX}/simple/delta/index.json"
    )
    assert head["ContentType"] == "application/vnd.pypi.simple.v1+json"
    assert "must-revalidate" in head["CacheControl"]


# -- concurrency and crashes -------------------------------------------------------------------


def _many(tmp_path: Path, count: int, processes: int) -> list[list[Path]]:
    """``count`` distinct wheels over 4 projects, split among ``processes`` publishers so that
    every publisher races the others on the same project pages and the root page."""
    out = tmp_path / "many"
    out.mkdir()
    files = [df.project_wheel(out, f"proj{i % 4}", f"1.{i}") for i in range(count)]
    return [files[i::processes] for i in range(processes)]


def _hwb_cmd(proj: Path, registry: str, files: list[Path], *extra: str) -> list[str]:
    return [sys.executable, "-m", "hwb", "-q", "publish", "--no-inspect", "--project", str(proj),
            "-r", registry, *extra, *map(str, files)]  # fmt: skip


def _check_complete(read: Callable[[str], bytes], expected: list[Path]) -> None:
    """Every file listed once, in JSON and HTML, with its hash; the root lists every project."""
    by_project: dict[str, list[Path]] = {}
    for path in expected:
        by_project.setdefault(path.name.split("-")[0], []).append(path)
    root = json.loads(read("simple/index.json"))
    assert sorted(p["name"] for p in root["projects"]) == sorted(by_project)
    for name, paths in by_project.items():
        listing = json.loads(read(f"simple/{name}/index.json"))
        listed = {f["filename"]: f["hashes"]["sha256"] for f in listing["files"]}
        assert len(listing["files"]) == len(paths)
        html_page = read(f"simple/{name}/index.html").decode()
        for path in paths:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            assert listed[path.name] == sha
            assert f"{path.name}#sha256={sha}" in html_page
            assert hashlib.sha256(read(f"packages/{name}/{path.name}")).hexdigest() == sha


def test_eight_concurrent_publishers_into_a_folder_and_a_bucket(
    tmp_path: Path, s3: S3Server
) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, s3=s3, folder=folder)
    groups = _many(tmp_path, 200, 8)
    env = {**os.environ, **AWS_TEST_ENV}
    procs = [
        subprocess.Popen(_hwb_cmd(proj, registry, group), env=env, stderr=subprocess.PIPE)
        for registry in ("folder", "bucket")
        for group in groups
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    expected = [path for group in groups for path in group]
    _check_complete(lambda key: (folder / key).read_bytes(), expected)
    client = s3_client(s3.endpoint)

    def read_object(key: str) -> bytes:
        body = client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"]  # type: ignore[attr-defined]
        data: bytes = body.read()
        return data

    _check_complete(read_object, expected)
    # And installable: every project's newest version, with pip, from each index.
    with http_folder(folder, tmp_path) as served:
        for index in (served.url + "simple/", bucket_simple(s3)):
            site = tmp_path / f"site-{len(index)}"
            done = installer("pip", index, site, "proj0", "proj1", "proj2", "proj3")
            assert done.returncode == 0, done.stderr
            assert imported_version(site, "proj3") == "1.199"


@pytest.mark.parametrize("registry", ["folder", "bucket"])
def test_publisher_killed_mid_run_then_next_publish_succeeds(
    tmp_path: Path, s3: S3Server, registry: str
) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, s3=s3, folder=folder)
    # A folder takes a small file in well under a millisecond: 60 could all land between two
    # polls of a loaded machine, so the folder's victim gets more files, sent one at a time.
    count, jobs = (400, "1") if registry == "folder" else (60, "8")
    (files,) = _many(tmp_path, count, 1)
    env = {**os.environ, **AWS_TEST_ENV}
    victim = subprocess.Popen(
        _hwb_cmd(proj, registry, files, "-j", jobs),
        env=env,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = s3_client(s3.endpoint)

    def landed() -> int:
        if registry == "folder":
            return len(list(folder.glob("packages/*/*.whl")))
        listing = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/packages/")  # type: ignore[attr-defined]
        return sum(1 for o in listing.get("Contents", []) if o["Key"].endswith(".whl"))

    deadline = time.monotonic() + 60
    while landed() < 5 and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert 0 < landed() < len(files), "the kill should land mid-run"
    rerun = subprocess.run(
        _hwb_cmd(proj, registry, files),
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    if registry == "folder":
        _check_complete(lambda key: (folder / key).read_bytes(), files)
    else:
        _check_complete(
            lambda key: client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"].read(),  # type: ignore[attr-defined]
            files,
        )


@pytest.mark.parametrize("registry", ["folder", "bucket"])
def test_files_another_publisher_stored_are_skipped_identical(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server, registry: str
) -> None:
    """Issue 22 §5: a file whose bytes another publisher (or a killed run) stored, not yet
    listed, is listed by this run but was not delivered by it: skipped-identical, as the README
    says, not "uploaded"; a file this run stores is uploaded."""
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, s3=s3, folder=folder)
    theirs = df.project_wheel(tmp_path, "shared", "1.0")
    ours = df.project_wheel(tmp_path, "shared", "1.1")
    key = f"packages/shared/{theirs.name}"
    sha = hashlib.sha256(theirs.read_bytes()).hexdigest()
    if registry == "folder":  # what the other publisher's create-if-absent left
        (folder / "packages" / "shared").mkdir(parents=True)
        (folder / key).write_bytes(theirs.read_bytes())
    else:
        s3_client(s3.endpoint).put_object(  # type: ignore[attr-defined]
            Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=theirs.read_bytes(), Metadata={"sha256": sha}
        )
    result = publish(hwb, theirs, ours, project=proj, registry=registry)
    assert result.code == 0, result.err
    assert {e["file"]: e["status"] for e in entries(result)} == {
        theirs.name: "skipped-identical",
        ours.name: "uploaded",
    }


def test_sixteen_workers_share_the_s3_connection_pool(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server
) -> None:
    """Issue 22 §5: the S3 client's pool is sized from jobs, so 16 workers never discard a
    connection ("Connection pool is full, discarding connection")."""
    proj = config_project(tmp_path, s3=s3)
    (files,) = _many(tmp_path, 64, 1)
    result = publish(hwb, "--no-inspect", "-j", "16", *files, project=proj, registry="bucket")
    assert result.code == 0, result.err
    assert "Connection pool is full" not in result.err


# -- bad input ---------------------------------------------------------------------------------


def test_missing_bucket(hwb: Callable[..., Run], tmp_path: Path, s3: S3Server) -> None:
    proj = config_project(tmp_path, s3=s3)
    text = (proj / "pyproject.toml").read_text().replace(f'"{BUCKET}"', '"no-such-bucket"')
    (proj / "pyproject.toml").write_text(text)
    result = publish(
        hwb, df.project_wheel(tmp_path, "alpha", "1.0"), project=proj, registry="bucket"
    )
    assert result.code == 14
    assert "bucket no-such-bucket does not exist" in result.err
    assert "Traceback" not in result.err


def test_wrong_credentials(
    hwb: Callable[..., Run], tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with moto_s3(tmp_path, auth=True) as server:
        proj = config_project(tmp_path, s3=server)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value-123")
        wheel = df.project_wheel(tmp_path, "alpha", "1.0")
        result = publish(hwb, wheel, project=proj, registry="bucket")
        loud = hwb("-vvv", "publish", "--project", str(proj), "-r", "bucket", str(wheel))
    assert loud.code == 14 and "wrong-secret-value-123" not in loud.err + loud.out
    assert result.code == 14
    assert "S3 refused the credentials" in result.err and "AWS_SECRET_ACCESS_KEY" in result.err
    assert "wrong-secret-value-123" not in result.err + result.out
    assert "Traceback" not in result.err


def test_unwritable_folder(hwb: Callable[..., Run], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    proj = config_project(tmp_path, folder=blocker / "idx")
    result = publish(
        hwb, df.project_wheel(tmp_path, "alpha", "1.0"), project=proj, registry="folder"
    )
    assert result.code == 14
    assert f"cannot write to the index folder {blocker / 'idx'}" in result.err
    assert "Traceback" not in result.err


def test_corrupted_page_refused_then_rebuild_repairs(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    first = df.project_wheel(tmp_path, "alpha", "1.0")
    other = df.project_wheel(tmp_path, "beta", "1.0")
    assert publish(hwb, first, other, project=proj, registry="folder").code == 0
    page = folder / "simple/alpha/index.json"
    page.write_text('{"name": "alpha", "files": [')  # a truncated page
    snapshot = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    result = publish(
        hwb, df.project_wheel(tmp_path, "alpha", "1.1"), project=proj, registry="folder"
    )
    assert result.code == 14
    assert "simple/alpha/index.json is not a valid index page" in result.err
    assert "hwb index rebuild" in result.out  # the entry's hint (human mode prints it too)
    for path, data in snapshot.items():  # nothing written over the index
        assert path.read_bytes() == data
    rebuilt = hwb("--json", "index", "rebuild", "folder", "--project", str(proj))
    assert rebuilt.code == 0, rebuilt.err
    # 1.1 landed as a file before its page was found corrupt: the rebuild lists it.
    assert json.loads(rebuilt.out) | {"location": ""} == {
        "location": "",
        "projects": 2,
        "files": 3,
        "temp_files_removed": 0,
    }
    listing = json.loads(page.read_text())
    assert [f["filename"] for f in listing["files"]] == [
        "alpha-1.0-py3-none-any.whl",
        "alpha-1.1-py3-none-any.whl",
    ]
    assert publish_new(hwb, tmp_path, proj, "folder", "alpha", "1.2").code == 0


def test_rebuild_keeps_yanks_and_migrates_an_s3pypi_like_layout(
    hwb: Callable[..., Run], tmp_path: Path, s3: S3Server
) -> None:
    """Files put under packages/<name>/ by another tool get pages from ``hwb index rebuild``;
    a yank made before survives it."""
    proj = config_project(tmp_path, s3=s3)
    client = s3_client(s3.endpoint)
    assert publish_new(hwb, tmp_path, proj, "bucket", "alpha", "1.0").code == 0
    assert hwb("index", "yank", "bucket", "alpha", "1.0", "--project", str(proj)).code == 0
    foreign = df.project_wheel(tmp_path, "alpha", "2.0")
    client.put_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key=f"{PREFIX}/packages/alpha/{foreign.name}", Body=foreign.read_bytes()
    )
    result = hwb("index", "rebuild", "bucket", "--project", str(proj))
    assert result.code == 0, result.err
    listing = json.loads(fetch(bucket_simple(s3) + "alpha/index.json"))
    assert [(f["filename"], f["yanked"]) for f in listing["files"]] == [
        ("alpha-1.0-py3-none-any.whl", ""),
        ("alpha-2.0-py3-none-any.whl", False),
    ]
    packages = f"{s3.endpoint}/{BUCKET}/{PREFIX}/packages/alpha/"
    assert fetch(packages + f"{foreign.name}.metadata").startswith(b"Metadata-Version")


def test_index_command_errors(hwb: Callable[..., Run], tmp_path: Path) -> None:
    proj = config_project(tmp_path, folder=tmp_path / "idx")
    wrong = hwb("index", "rebuild", "pypi", "--project", str(proj))
    assert wrong.code == 3 and "is not a static index" in wrong.err
    missing = hwb("index", "yank", "folder", "nothing", "1.0", "--project", str(proj))
    assert missing.code == 14 and "there is no index at" in missing.err
    assert not (tmp_path / "idx").exists()  # nothing created by a command that only maintains
    (tmp_path / "idx").mkdir()
    unknown = hwb("index", "yank", "folder", "nothing", "1.0", "--project", str(proj))
    assert unknown.code == 14 and "project nothing is not in" in unknown.err


def test_dry_run_writes_nothing(hwb: Callable[..., Run], tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    proj = config_project(tmp_path, folder=folder)
    result = hwb(
        "publish", "--dry-run", "--project", str(proj), "-r", "folder",
        str(df.project_wheel(tmp_path, "alpha", "1.0")),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "folder" in result.err + result.out
    assert not (folder / "simple").exists() and not (folder / "packages").exists()


def test_builtin_local_registry_and_underscore_keys(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    wheel = df.project_wheel(tmp_path, "alpha", "1.0")
    result = hwb("publish", "-r", "local", str(wheel), "--project", str(tmp_path))
    assert result.code == 0, result.err
    assert (tmp_path / "data/hwb/index/packages/alpha" / wheel.name).is_file()
    # s3pypi's spelling (generate_index, cdn_url) is accepted for the same keys.
    proj = config_project(tmp_path, folder=tmp_path / "plain")
    with (proj / "pyproject.toml").open("a") as fh:
        fh.write('generate_index = false\ncdn_url = "https://cdn.example/pkgs"\n')
    dry = hwb("publish", "--dry-run", "-r", "folder", str(wheel), "--project", str(proj))
    assert dry.code == 0, dry.err
    assert "https://cdn.example/pkgs/simple/" in dry.err + dry.out
    assert hwb("publish", "-r", "folder", str(wheel), "--project", str(proj)).code == 0
    assert (tmp_path / "plain/packages/alpha" / wheel.name).is_file()
    assert not (tmp_path / "plain/simple").exists()
