"""SLSA v1 build provenance for the artifacts of a release: one in-toto v1 statement whose
subjects are the files (name + sha256) and whose predicate says what built them, from where,
read off the CI's environment (GitHub Actions, GitLab CI; "local" elsewhere). Signed with
Sigstore (DSSE) when the CI offers an identity, else written as an unsigned DSSE envelope; one
JSON object per line in a ``.intoto.jsonl`` file, as SLSA's tools expect.

The predicate follows the shapes GitHub's own build-provenance action and GitLab's runner emit
(buildType, externalParameters.workflow, resolvedDependencies with the git commit, builder.id,
invocationId); no library writes it from a CI environment, hence by hand.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hwb import ci, fs

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PREDICATE = "https://slsa.dev/provenance/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"

#: Turns the statement's bytes into one signed line (a Sigstore bundle's JSON).
DsseSigner = Callable[[bytes], str]


def predicate(environ: Mapping[str, str]) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    github, gitlab = ci.github_run(environ), ci.gitlab_job(environ)
    if github is not None:
        server, repo, ref = github.server_url, github.repository, github.ref
        path = github.workflow_ref.split("@")[0].removeprefix(f"{repo}/")
        run = f"{server}/{repo}/actions/runs/{github.run_id}"
        return {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {"ref": ref, "repository": f"{server}/{repo}", "path": path}
                },
                "internalParameters": {
                    "github": {
                        "event_name": github.event_name,
                        "repository_id": github.repository_id,
                        "repository_owner_id": github.repository_owner_id,
                        "runner_environment": github.runner_environment,
                    }
                },
                "resolvedDependencies": [
                    {"uri": f"git+{server}/{repo}@{ref}", "digest": {"gitCommit": github.sha}}
                ],
            },
            "runDetails": {
                "builder": {"id": f"{server}/{github.workflow_ref}"},
                "metadata": {
                    "invocationId": f"{run}/attempts/{github.run_attempt}",
                    "startedOn": now,
                },
            },
        }
    if gitlab is not None:
        server, project, ref = gitlab.server_url, gitlab.project_path, gitlab.ref_name
        config = gitlab.config_path
        return {
            "buildDefinition": {
                "buildType": "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/PROVENANCE.md",
                "externalParameters": {
                    "source": f"{server}/{project}",
                    "entryPoint": gitlab.job_name,
                    "config": config,
                    "ref": ref,
                },
                "internalParameters": {
                    "pipeline_id": gitlab.pipeline_id,
                    "runner_id": gitlab.runner_id,
                },
                "resolvedDependencies": [
                    {"uri": f"git+{server}/{project}@{ref}", "digest": {"gitCommit": gitlab.sha}}
                ],
            },
            "runDetails": {
                "builder": {"id": f"{server}/{project}//{config}@{ref}"},
                "metadata": {"invocationId": gitlab.job_url, "startedOn": now},
            },
        }
    return {
        "buildDefinition": {
            "buildType": "https://github.com/hwb/hwb/provenance/local/v1",
            "externalParameters": {},
            "internalParameters": {},
            "resolvedDependencies": [],
        },
        "runDetails": {"builder": {"id": "local"}, "metadata": {"startedOn": now}},
    }


def statement(files: list[Path], environ: Mapping[str, str]) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f.name, "digest": {"sha256": fs.sha256_file(f)}} for f in files],
        "predicateType": SLSA_PREDICATE,
        "predicate": predicate(environ),
    }


def unsigned_envelope(payload: bytes) -> str:
    return json.dumps(
        {
            "payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [],
        }
    )


def sigstore_dsse_signer(identity_token: str) -> DsseSigner:
    from sigstore.dsse import Statement
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    context = SigningContext.from_trust_config(ClientTrustConfig.production())

    def sign(payload: bytes) -> str:
        with context.signer(IdentityToken(identity_token), cache=True) as signer:
            return str(signer.sign_dsse(Statement(payload)).to_json())

    return sign


def make_signer(on_secret: Callable[[str], None]) -> DsseSigner:
    from hwb.trust.identity import sigstore_token

    return sigstore_dsse_signer(sigstore_token(on_secret))


def write(
    files: list[Path], output: Path, environ: Mapping[str, str], signer: DsseSigner | None
) -> dict[str, Any]:
    """Write the provenance (atomically); returns the statement."""
    stmt = statement(files, environ)
    payload = json.dumps(stmt, separators=(",", ":"), sort_keys=True).encode()
    line = signer(payload) if signer is not None else unsigned_envelope(payload)
    fs.write_atomic(output, line.replace("\n", "") + "\n")
    return stmt
