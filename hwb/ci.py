"""The one place that knows which CI hwb runs in and reads the CI's own variables.

Everything else asks here (or takes an ``environ`` mapping that a caller got from
:func:`environ`), so supporting a new CI means changing this module, and tests can pass a plain
dict instead of patching ``os.environ``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CiName = Literal["github", "gitlab"]


def environ() -> Mapping[str, str]:
    """The process environment, the input of every function below."""
    return os.environ


def which(env: Mapping[str, str]) -> CiName | None:
    """The CI whose output conventions apply (annotations, step summary, outputs, sections)."""
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return None


def unattended(env: Mapping[str, str]) -> bool:
    """Any CI or automation (``CI`` is set by GitHub, GitLab, CircleCI, Travis, Buildkite,
    Azure...): no live terminal displays there, only lines a log can keep."""
    return which(env) is not None or env.get("CI", "").lower() not in {"", "0", "false"}


def google_metadata_host(env: Mapping[str, str]) -> str | None:
    """Google Cloud (Build, Run, GCE) identity comes from the metadata server; GitHub runners
    hosted on GCE have the variable too, and there GitHub's own identity wins."""
    host = env.get("GCE_METADATA_HOST")
    return host if host and not env.get("GITHUB_ACTIONS") else None


def has_identity(env: Mapping[str, str]) -> bool:
    """Whether this CI can give an OIDC identity (trusted publishing, Sigstore signing)."""
    return bool(env.get("GITHUB_ACTIONS") or env.get("GITLAB_CI") or env.get("GCE_METADATA_HOST"))


def sigstore_identity(env: Mapping[str, str]) -> bool:
    """Whether this job can sign with Sigstore: GitHub with ``id-token: write`` (the runner then
    sets ``ACTIONS_ID_TOKEN_REQUEST_URL``), GitLab with a ``SIGSTORE_ID_TOKEN`` id_token,
    Google's metadata server."""
    if env.get("GITHUB_ACTIONS"):
        return bool(env.get("ACTIONS_ID_TOKEN_REQUEST_URL"))
    if env.get("GITLAB_CI"):
        return bool(env.get("SIGSTORE_ID_TOKEN"))
    return google_metadata_host(env) is not None


def id_token_variables(env: Mapping[str, str]) -> list[str]:
    """The GitLab job's id_tokens as variables (``<NAME>_ID_TOKEN``, the convention hwb's
    templates and the guide use): what the job declared, for messages."""
    return sorted(name for name, value in env.items() if name.endswith("_ID_TOKEN") and value)


def fork_pull_request(env: Mapping[str, str]) -> bool:
    """A GitHub workflow run for a pull request from a fork (GitHub gives it no OIDC token)."""
    if not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return False
    try:
        event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
        return bool(event["pull_request"]["head"]["repo"]["fork"])
    except (KeyError, OSError, ValueError, TypeError):
        return False


def project_web_url(env: Mapping[str, str]) -> str | None:
    """The repository's web page, from the CI's variables."""
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY"):
        return f"{env['GITHUB_SERVER_URL'].rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    if env.get("CI_PROJECT_URL"):
        return env["CI_PROJECT_URL"].rstrip("/")
    return None


@dataclass(frozen=True)
class GitHubRun:
    """A GitHub Actions workflow run, as its default variables describe it."""

    server_url: str
    repository: str
    ref: str
    sha: str
    workflow_ref: str  # owner/repo/.github/workflows/x.yml@ref
    run_id: str
    run_attempt: str
    event_name: str
    repository_id: str
    repository_owner_id: str
    runner_environment: str


@dataclass(frozen=True)
class GitLabJob:
    """A GitLab CI job, as its predefined variables describe it."""

    server_url: str
    project_path: str
    ref_name: str
    sha: str
    config_path: str
    job_name: str
    job_url: str
    pipeline_id: str
    runner_id: str


def github_run(env: Mapping[str, str]) -> GitHubRun | None:
    if not env.get("GITHUB_ACTIONS"):
        return None
    return GitHubRun(
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
        repository=env.get("GITHUB_REPOSITORY", ""),
        ref=env.get("GITHUB_REF", ""),
        sha=env.get("GITHUB_SHA", ""),
        workflow_ref=env.get("GITHUB_WORKFLOW_REF", ""),
        run_id=env.get("GITHUB_RUN_ID", ""),
        run_attempt=env.get("GITHUB_RUN_ATTEMPT", "1"),
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        repository_id=env.get("GITHUB_REPOSITORY_ID", ""),
        repository_owner_id=env.get("GITHUB_REPOSITORY_OWNER_ID", ""),
        runner_environment=env.get("RUNNER_ENVIRONMENT", ""),
    )


def gitlab_job(env: Mapping[str, str]) -> GitLabJob | None:
    if not env.get("GITLAB_CI"):
        return None
    return GitLabJob(
        server_url=env.get("CI_SERVER_URL", "https://gitlab.com"),
        project_path=env.get("CI_PROJECT_PATH", ""),
        ref_name=env.get("CI_COMMIT_REF_NAME", ""),
        sha=env.get("CI_COMMIT_SHA", ""),
        config_path=env.get("CI_CONFIG_PATH", ".gitlab-ci.yml"),
        job_name=env.get("CI_JOB_NAME", ""),
        job_url=env.get("CI_JOB_URL", ""),
        pipeline_id=env.get("CI_PIPELINE_ID", ""),
        runner_id=env.get("CI_RUNNER_ID", ""),
    )
