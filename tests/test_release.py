"""`hwb version show/bump` on real git repositories, with a bare repository as the remote."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import histories
from tests.conftest import Run
from tests.gitrepo import GitRepo, init_repo

STATIC = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "widget"
# The version below is bumped by hwb; this comment must survive.
version = "{version}"   # inline comment too
description = "A widget."

[tool.hwb.version]
files = ["src/widget/__init__.py:__version__", "VERSION"]
"""


@pytest.fixture
def static_repo(tmp_path: Path) -> GitRepo:
    repo = init_repo(tmp_path / "widget", remote=tmp_path / "remote.git")
    repo.commit(
        "chore: start",
        files={
            "pyproject.toml": STATIC.format(version="1.2.3"),
            "src/widget/__init__.py": '"""Widget."""\n\n__version__ = "1.2.3"\n',
            "VERSION": "1.2.3\n",
        },
    )
    repo.git("push", "-q", "-u", "origin", "main")
    repo.git("tag", "-a", "v1.2.3", "-m", "Release 1.2.3")
    return repo


def bump(hwb: Callable[..., Run], repo: GitRepo | histories.Replayed, *args: str) -> Run:
    return hwb("--json", "version", "bump", *args, "--project", str(repo.path))


def remote_refs(repo: GitRepo) -> dict[str, str]:
    out = repo.git("ls-remote", "origin")
    return {ref: sha for sha, ref in (line.split("\t") for line in out.splitlines())}


def test_show_static(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    result = hwb("--json", "version", "show", "--project", str(static_repo.path))
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "version": "1.2.3",
        "source": "static",
        "from": "[project].version",
    }


def test_bump_edits_every_file_preserving_format(
    hwb: Callable[..., Run], static_repo: GitRepo
) -> None:
    result = bump(hwb, static_repo, "minor")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["previous"], data["version"], data["commit"], data["tag"]) == (
        "1.2.3",
        "1.3.0",
        None,
        None,
    )
    assert (static_repo.path / "pyproject.toml").read_text() == STATIC.format(version="1.3.0")
    assert (
        static_repo.path / "src/widget/__init__.py"
    ).read_text() == '"""Widget."""\n\n__version__ = "1.3.0"\n'
    assert (static_repo.path / "VERSION").read_text() == "1.3.0\n"


def test_commit_tag_push(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.commit("feat: something new")
    result = bump(hwb, static_repo, "patch", "--commit", "--tag", "--push")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["tag"] == "v1.2.4" and data["pushed_to"] == "origin/main"
    head = static_repo.git("rev-parse", "HEAD")
    assert data["commit"] == head
    assert static_repo.git("log", "-1", "--format=%s") == "Release 1.2.4"
    assert static_repo.git("cat-file", "-t", "v1.2.4") == "tag"  # annotated
    refs = remote_refs(static_repo)
    assert refs["refs/heads/main"] == head
    assert refs["refs/tags/v1.2.4^{}"] == head
    assert static_repo.git("status", "--porcelain") == ""


def test_dry_run_changes_nothing(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    before = static_repo.git("rev-parse", "HEAD")
    result = hwb(
        "version",
        "bump",
        "major",
        "--commit",
        "--tag",
        "--push",
        "--dry-run",
        "--project",
        str(static_repo.path),
    )
    assert result.code == 0, result.err
    assert "1.2.3 -> 2.0.0" in result.out and "tag    v2.0.0" in result.out
    assert static_repo.git("status", "--porcelain") == ""
    assert static_repo.git("rev-parse", "HEAD") == before
    assert "v2.0.0" not in static_repo.git("tag")


def test_set_version(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    assert json.loads(bump(hwb, static_repo, "--set", "2.0.0rc1").out)["version"] == "2.0.0rc1"
    result = bump(hwb, static_repo, "--set", "1.0.0")
    assert result.code == 11 and "is not after the current version 2.0.0rc1" in result.err
    result = bump(hwb, static_repo, "--set", "two")
    assert result.code == 11 and "not a valid PEP 440 version" in result.err


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (["fix: a bug", "docs: words"], "1.2.4"),
        (["perf: faster"], "1.2.4"),
        (["fix: a bug", "feat(api): new call"], "1.3.0"),
        (["feat: x", "refactor!: drop the old API"], "2.0.0"),
        (["fix: y\n\nBREAKING CHANGE: config renamed"], "2.0.0"),
    ],
)
def test_auto_from_conventional_commits(
    hwb: Callable[..., Run], static_repo: GitRepo, messages: list[str], expected: str
) -> None:
    for message in messages:
        static_repo.commit(message)
    result = bump(hwb, static_repo, "auto")
    assert result.code == 0, result.err
    assert json.loads(result.out)["version"] == expected


def test_auto_breaking_at_zero(hwb: Callable[..., Run], tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "z")
    repo.commit(
        "chore: start",
        files={
            "pyproject.toml": STATIC.format(version="0.4.1").replace(
                'files = ["src/widget/__init__.py:__version__", "VERSION"]', "major-on-zero = false"
            )
        },
    )
    repo.git("tag", "v0.4.1")
    repo.commit("feat!: rework everything")
    assert json.loads(bump(hwb, repo, "auto", "--dry-run").out)["version"] == "0.5.0"


def test_auto_with_nothing_to_release(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.commit("docs: readme")
    static_repo.commit("Tidy things up")
    result = bump(hwb, static_repo, "auto")
    assert result.code == 10
    assert "no feat, fix, perf or breaking commit since v1.2.3" in result.err


def test_changelog_on_bump(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.write("CHANGELOG.md", "# Changelog\n\n## 1.2.3 - 2025-01-01\n\n- first\n")
    static_repo.commit("docs: changelog")
    static_repo.commit("feat(cli): add --json (#7)")
    result = bump(hwb, static_repo, "auto", "--changelog", "--commit")
    assert result.code == 0, result.err
    text = (static_repo.path / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n\n## 1.3.0 - ")
    assert "### Features\n\n- **cli:** add --json (#7) (" in text
    assert text.endswith("## 1.2.3 - 2025-01-01\n\n- first\n")
    assert "CHANGELOG.md" in static_repo.git("show", "--name-only", "--format=", "HEAD")


# -- every git error, each leaving the repository as it was -----------------------------------
def test_dirty_tree(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    edited = STATIC.format(version="1.2.3").replace("A widget.", "A local edit.")
    static_repo.write("pyproject.toml", edited)
    result = bump(hwb, static_repo, "patch", "--commit")
    assert result.code == 9
    assert "uncommitted changes (pyproject.toml)" in result.err
    assert (static_repo.path / "pyproject.toml").read_text() == edited
    assert (static_repo.path / "VERSION").read_text() == "1.2.3\n"


def test_detached_head(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.git("checkout", "-q", "--detach")
    result = bump(hwb, static_repo, "patch", "--commit")
    assert result.code == 9 and "HEAD is detached" in result.err


def test_no_upstream(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.git("checkout", "-q", "-b", "feature")
    result = bump(hwb, static_repo, "patch", "--commit", "--push")
    assert result.code == 9 and "branch feature has no upstream" in result.err
    assert static_repo.git("status", "--porcelain") == ""


def test_tag_exists(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.git("tag", "v1.2.4")
    result = bump(hwb, static_repo, "patch", "--tag")
    assert result.code == 9 and "tag v1.2.4 already exists" in result.err
    assert static_repo.git("status", "--porcelain") == ""


def test_push_rejected_rolls_everything_back(
    hwb: Callable[..., Run], static_repo: GitRepo, tmp_path: Path
) -> None:
    # Someone else pushes to main first.
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "remote.git"), str(other)], check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=O",
            "-c",
            "user.email=o@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: theirs",
        ],
        cwd=other,
        check=True,
    )
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=other, check=True)
    before = static_repo.git("rev-parse", "HEAD")
    result = bump(hwb, static_repo, "patch", "--commit", "--tag", "--push")
    assert result.code == 9
    assert "git push to origin was rejected" in result.err
    assert "rolled back" in result.err
    assert static_repo.git("rev-parse", "HEAD") == before
    assert "v1.2.4" not in static_repo.git("tag")
    assert static_repo.git("status", "--porcelain") == ""
    assert "refs/tags/v1.2.4" not in remote_refs(static_repo)


def test_not_a_git_repository(hwb: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0"\n')
    result = hwb("version", "bump", "patch", "--commit", "--project", str(tmp_path))
    assert result.code == 9 and "need a git repository" in result.err
    assert (tmp_path / "pyproject.toml").read_text().endswith('version = "1.0"\n')
    # Without git options a plain bump still works outside git.
    assert hwb("version", "bump", "patch", "--project", str(tmp_path)).code == 0


def test_files_that_disagree(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    static_repo.commit("chore: drift", files={"VERSION": "1.2.2\n"})
    result = bump(hwb, static_repo, "patch")
    assert (
        result.code == 11
        and "holds version 1.2.2, but the project's version is 1.2.3" in result.err
    )


def test_push_needs_something_to_push(hwb: Callable[..., Run], static_repo: GitRepo) -> None:
    result = bump(hwb, static_repo, "patch", "--push")
    assert result.code == 2 and "--push needs --commit and/or --tag" in result.err


# -- dynamic versions ---------------------------------------------------------------------------
DYNAMIC_HATCH = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "dyn"
dynamic = ["version"]

[tool.hatch.version]
path = "dyn/__init__.py"
"""

DYNAMIC_SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=70"]
build-backend = "setuptools.build_meta"

[project]
name = "dyn"
dynamic = ["version"]

[tool.setuptools.dynamic]
version = {attr = "dyn.__version__"}
"""

DYNAMIC_VCS = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "dyn"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"

[tool.hatch.build.targets.wheel]
packages = ["dyn"]
"""


@pytest.mark.integration
@pytest.mark.parametrize(
    "pyproject", [DYNAMIC_HATCH, DYNAMIC_SETUPTOOLS], ids=["hatch-path", "setuptools-attr"]
)
def test_dynamic_version_in_a_file(hwb: Callable[..., Run], tmp_path: Path, pyproject: str) -> None:
    repo = init_repo(tmp_path / "dyn")
    repo.commit(
        "chore: start",
        files={"pyproject.toml": pyproject, "dyn/__init__.py": '__version__ = "0.9.1"\n'},
    )
    shown = hwb("--json", "version", "show", "--project", str(repo.path))
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["version"] == "0.9.1"  # from the backend's metadata
    result = bump(hwb, repo, "minor", "--commit", "--tag")
    assert result.code == 0, result.err
    assert (repo.path / "dyn/__init__.py").read_text() == '__version__ = "0.10.0"\n'
    assert (repo.path / "pyproject.toml").read_text() == pyproject
    assert repo.git("describe", "--tags") == "v0.10.0"


@pytest.mark.integration
def test_dynamic_vcs_version_only_tags(hwb: Callable[..., Run], tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "dyn", remote=tmp_path / "remote.git")
    repo.commit("chore: start", files={"pyproject.toml": DYNAMIC_VCS, "dyn/__init__.py": ""})
    repo.git("push", "-q", "-u", "origin", "main")
    repo.git("tag", "-a", "v1.4.0", "-m", "r")
    repo.commit("fix: a bug")
    result = bump(hwb, repo, "auto", "--tag", "--push")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["source"], data["version"], data["files"]) == ("vcs", "1.4.1", [])
    assert "refs/tags/v1.4.1" in remote_refs(repo)
    shown = hwb("--json", "version", "show", "--project", str(repo.path))
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["version"] == "1.4.1"  # hatch-vcs agrees with the tag


# -- real histories (tests/histories.py) -------------------------------------------------------
def test_auto_after_an_off_branch_tag(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """commitizen tagged v4.13.3 on a bump commit the branch does not contain. On the branch,
    [project].version is 4.13.3 and a fix follows: the release is 4.13.4, as commitizen made.
    The last reachable tag (v4.12.1) would have counted 4.13.0's features: 4.14.0."""
    cz = histories.replay("commitizen-v4.13.json", tmp_path / "cz")
    cz.checkout("75266a6e425558ba7799d83af39678b8cf83b93d")  # the fix, before "bump: … 4.13.4"
    cz.git("tag", "-d", "v4.13.4")  # as it was before that release
    result = bump(hwb, cz, "auto", "--dry-run", "--tag")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["previous"], data["version"], data["tag"]) == ("4.13.3", "4.13.4", "v4.13.4")
    assert "tag v4.13.3 is not on this branch" in result.err
    # Before 4.13.1 only a refactor, tests and docs followed 4.13.0: nothing hwb would release.
    cz.checkout("9783d975d4ac44e3b9b53058a5c816e444666bf6")
    result = bump(hwb, cz, "auto", "--dry-run")
    assert result.code == 10, result.out
    assert "since v4.13.0" in result.err


def test_bump_tags_in_the_projects_own_format(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """markupsafe tags 3.0.2: a bump tags 3.0.3, not v3.0.3, when tag-format is not set; a
    configured tag-format wins."""
    ms = histories.replay("markupsafe-3.0.2.json", tmp_path / "ms")
    result = bump(hwb, ms, "patch", "--dry-run", "--tag")
    assert result.code == 0, result.err
    assert json.loads(result.out)["tag"] == "3.0.3"
    assert "release tags: {version}" in result.err
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HWB_VERSION_TAG_FORMAT", "markupsafe-{version}")
        result = bump(hwb, ms, "patch", "--dry-run", "--tag")
    assert json.loads(result.out)["tag"] == "markupsafe-3.0.3"
    assert "release tags:" not in result.err


# -- shallow clones: actions/checkout's default fetch-depth: 1 ----------------------------------
def _shallow(source: Path, where: Path) -> Path:
    got = subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "main", f"file://{source}",
         str(where)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"],
        cwd=where,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shallow.stdout.strip() == "true"
    return where


def test_shallow_clone_is_deepened_from_its_remote(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """A depth-1 clone has neither the history nor the tags: the notes were "No changes." and
    exit 0. hwb fetches both from the remote, then gives the same notes as a full clone."""
    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    psr.checkout_tag("v10.5.2")
    full = hwb("version", "changelog", "--project", str(psr.path))
    assert full.code == 0 and "toggle verify upstream off" in full.out
    clone = _shallow(psr.path, tmp_path / "clone")
    result = hwb("version", "changelog", "--project", str(clone))
    assert result.code == 0, result.err
    assert "shallow clone: fetching its history and tags from origin" in result.err
    assert result.out == full.out
    # And a bump reads the deepened history too.
    clone2 = _shallow(psr.path, tmp_path / "clone2")
    result = hwb("--json", "version", "bump", "auto", "--dry-run", "--project", str(clone2))
    assert result.code == 10, result.out  # v10.5.2 is HEAD's own tag: nothing since it
    assert "since v10.5.2" in result.err


def test_shallow_clone_without_a_remote(hwb: Callable[..., Run], tmp_path: Path) -> None:
    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    clone = _shallow(psr.path, tmp_path / "clone")
    subprocess.run(["git", "remote", "remove", "origin"], cwd=clone, check=True)
    result = hwb("version", "changelog", "--project", str(clone))
    assert result.code == 9
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines[0] == (
        "error: the repository is a shallow clone with no remote to fetch its history from"
    )
    assert "fetch-depth: 0" in result.err and "Traceback" not in result.err


def test_deepening_a_shallow_clone_is_bounded(tmp_path: Path) -> None:
    """A remote that does not answer (here: its upload-pack sleeps) costs the timeout, then a
    one-line error with the fix, not a hung release job."""
    import time

    from hwb.errors import GitError
    from hwb.versioning import git

    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    clone = _shallow(psr.path, tmp_path / "clone")
    subprocess.run(
        ["git", "config", "remote.origin.uploadpack", "sleep 60; git-upload-pack"],
        cwd=clone,
        check=True,
    )
    started = time.monotonic()
    with pytest.raises(GitError, match="deepening it from origin failed: gave up after 1 s"):
        git.ensure_history(git.open_repo(clone), timeout=1)
    assert time.monotonic() - started < 15


def test_concurrent_bumps_in_one_repository_are_serialised(tmp_path: Path) -> None:
    """Issue 22 §5: two `hwb version bump patch --commit --tag` at once in one repository, 10
    trials: one waits for the other (a lock in .git), then bumps past it; neither rolls back
    what the other wrote, and every trial ends with both releases committed and tagged."""
    import os
    import sys

    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    for trial in range(10):
        repo = init_repo(tmp_path / f"trial-{trial}")
        repo.commit(
            "chore: start",
            files={
                "pyproject.toml": STATIC.format(version="1.0.0"),
                "src/widget/__init__.py": '__version__ = "1.0.0"\n',
                "VERSION": "1.0.0\n",
            },
        )
        argv = [sys.executable, "-m", "hwb", "--json", "version", "bump", "patch", "--commit",
                "--tag", "--project", str(repo.path)]  # fmt: skip
        children = [
            subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=tmp_path,
            )
            for _ in range(2)
        ]
        results = [(c.wait(timeout=300), *c.communicate()) for c in children]
        assert [code for code, _, _ in results] == [0, 0], (trial, results)
        assert sorted(json.loads(out)["version"] for _, out, _ in results) == ["1.0.1", "1.0.2"]
        assert repo.git("status", "--porcelain") == "", trial
        assert (repo.path / "VERSION").read_text() == "1.0.2\n"
        assert '__version__ = "1.0.2"' in (repo.path / "src/widget/__init__.py").read_text()
        assert sorted(repo.git("tag").split()) == ["v1.0.1", "v1.0.2"]
        assert repo.git("log", "--format=%s").splitlines() == [
            "Release 1.0.2",
            "Release 1.0.1",
            "chore: start",
        ], trial
        assert repo.git("rev-parse", "v1.0.2^{commit}") == repo.git("rev-parse", "HEAD")


def test_rollback_leaves_a_file_someone_changed_meanwhile(
    hwb: Callable[..., Run], static_repo: GitRepo
) -> None:
    """Issue 22 §5: a failed release rolls back only what hwb wrote. Here another process (a
    pre-push hook standing in for it) rewrites VERSION after hwb did, and the push fails: hwb
    restores the other files and leaves VERSION as the other process wrote it, saying so."""
    hook = static_repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho 9.9.9 > VERSION\nexit 1\n")
    hook.chmod(0o755)
    head = static_repo.git("rev-parse", "HEAD")
    result = bump(hwb, static_repo, "patch", "--commit", "--tag", "--push")
    assert result.code == 9, result.err
    assert (static_repo.path / "VERSION").read_text() == "9.9.9\n"  # theirs, not rolled over
    assert '__version__ = "1.2.3"' in (static_repo.path / "src/widget/__init__.py").read_text()
    assert 'version = "1.2.3"' in (static_repo.path / "pyproject.toml").read_text()
    assert static_repo.git("rev-parse", "HEAD") == head
    assert "v1.2.4" not in static_repo.git("tag").split()
    assert "VERSION: changed by someone else" in result.err
    assert "Nothing was changed" not in result.err


def test_a_403_in_a_path_is_not_a_refused_login() -> None:
    """git quotes the remote's path; a temp folder named ``pytest-403`` once made a lost race
    read as an authentication failure (whose hint is the opposite fix)."""
    from hwb.versioning.git import _push_error

    lines = [
        "To /tmp/pytest-of-root/pytest-403/popen-gw0/t0/remote.git",
        " ! [rejected]        main -> main (fetch first)",
        "error: failed to push some refs to '/tmp/pytest-of-root/pytest-403/t0/remote.git'",
    ]
    assert "was rejected" in _push_error(lines, "origin", "main").message
    refused = ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403"]
    assert "authentication failed" in _push_error(refused, "origin", "main").message
