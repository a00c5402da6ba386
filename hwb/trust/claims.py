"""An OIDC token's claims, decoded locally for diagnostics only (never trusted): which CI issued
it, the claims PyPI matches, and what to enter in an index's trusted-publisher form."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

#: The claims PyPI matches, per CI (rendered on failure, MISSING when absent).
CLAIMS = {
    "github": (
        "sub",
        "repository",
        "repository_owner",
        "repository_owner_id",
        "workflow_ref",
        "job_workflow_ref",
        "ref",
        "environment",
    ),
    "gitlab": ("sub", "project_path", "ci_config_ref_uri", "environment"),
    "google": ("email", "email_verified", "sub"),
}
ISSUERS = {
    "https://token.actions.githubusercontent.com": "github",
    "https://gitlab.com": "gitlab",
    "https://accounts.google.com": "google",
}


# -- claims (decoded locally, for diagnostics only) ----------------------------------------------
def decode_claims(token: str) -> dict[str, Any]:
    """The JWT's payload, *unverified*: used only to explain, never to decide."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ci_kind(claims: Mapping[str, Any]) -> str | None:
    issuer = str(claims.get("iss", ""))
    if issuer in ISSUERS:
        return ISSUERS[issuer]
    if "job_workflow_ref" in claims:
        return "github"
    if "ci_config_ref_uri" in claims or "project_path" in claims:
        return "gitlab"
    if "email" in claims:
        return "google"
    return None


def render_claims(claims: Mapping[str, Any]) -> list[str]:
    kind = ci_kind(claims) or "github"
    lines = ["The token's claims (decoded locally, for debugging only):"]
    for name in CLAIMS[kind]:
        value = claims.get(name)
        lines.append(f"  {name}: {'MISSING' if value is None else value}")
    return lines


def reusable_workflow_warning(claims: Mapping[str, Any]) -> str | None:
    workflow, job = claims.get("workflow_ref"), claims.get("job_workflow_ref")
    if workflow and job and workflow.split("@")[0] != job.split("@")[0]:
        return (
            f"the job runs in a reusable workflow ({job}) called from {workflow}: PyPI matches "
            "the reusable workflow's file, which it does not support as a trusted publisher "
            "(pypi/warehouse#11096); publish from the calling workflow instead"
        )
    return None


def publisher_form(claims: Mapping[str, Any], project: str | None = None) -> list[str]:
    """What to type into the index's trusted-publisher form, read off the claims."""
    kind = ci_kind(claims)
    rows: list[tuple[str, str]] = []
    if kind == "github":
        repository = str(claims.get("repository", "/"))
        workflow = re.search(r"[^/]+\.ya?ml(?=@)", str(claims.get("job_workflow_ref", "")))
        rows = [
            ("Publisher", "GitHub"),
            ("Owner", str(claims.get("repository_owner", repository.partition("/")[0]))),
            ("Repository name", repository.split("/", 1)[-1]),
            ("Workflow name", workflow.group(0) if workflow else "MISSING"),
            ("Environment name", str(claims.get("environment") or "(any; leave empty)")),
        ]
    elif kind == "gitlab":
        path = str(claims.get("project_path", "/"))
        namespace, _, name = path.rpartition("/")
        ci_file = re.search(r"//(.+?)@", str(claims.get("ci_config_ref_uri", "")))
        rows = [
            ("Publisher", "GitLab"),
            ("Namespace", namespace),
            ("Project name", name),
            ("Top-level pipeline file path", ci_file.group(1) if ci_file else "MISSING"),
            ("Environment name", str(claims.get("environment") or "(any; leave empty)")),
        ]
    elif kind == "google":
        rows = [
            ("Publisher", "Google"),
            ("Email", str(claims.get("email", "MISSING"))),
            ("Subject (optional)", str(claims.get("sub", ""))),
        ]
    if project:
        rows.insert(1, ("PyPI project name", project))
    return [f"  {label}: {value}" for label, value in rows]
