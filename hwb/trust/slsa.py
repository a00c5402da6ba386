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
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PREDICATE = "https://slsa.dev/provenance/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"

#: Turns the statement's bytes into one signed line (a Sigstore bundle's JSON).
DsseSigner = Callable[[bytes], str]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def predicate(environ: Mapping[str, str]) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    if environ.get("GITHUB_ACTIONS"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repo, ref, sha = (
            environ.get(k, "") for k in ("GITHUB_REPOSITORY", "GITHUB_REF", "GITHUB_SHA")
        )
        workflow_ref = environ.get(
            "GITHUB_WORKFLOW_REF", ""
        )  # owner/repo/.github/workflows/x.yml@ref
        path = workflow_ref.split("@")[0].removeprefix(f"{repo}/")
        run = f"{server}/{repo}/actions/runs/{environ.get('GITHUB_RUN_ID', '')}"
        return {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {"ref": ref, "repository": f"{server}/{repo}", "path": path}
                },
                "internalParameters": {
                    "github": {
                        "event_name": environ.get("GITHUB_EVENT_NAME", ""),
                        "repository_id": environ.get("GITHUB_REPOSITORY_ID", ""),
                        "repository_owner_id": environ.get("GITHUB_REPOSITORY_OWNER_ID", ""),
                        "runner_environment": environ.get("RUNNER_ENVIRONMENT", ""),
                    }
                },
                "resolvedDependencies": [
                    {"uri": f"git+{server}/{repo}@{ref}", "digest": {"gitCommit": sha}}
                ],
            },
            "runDetails": {
                "builder": {"id": f"{server}/{workflow_ref}"},
                "metadata": {
                    "invocationId": f"{run}/attempts/{environ.get('GITHUB_RUN_ATTEMPT', '1')}",
                    "startedOn": now,
                },
            },
        }
    if environ.get("GITLAB_CI"):
        server = environ.get("CI_SERVER_URL", "https://gitlab.com")
        project = environ.get("CI_PROJECT_PATH", "")
        ref = environ.get("CI_COMMIT_REF_NAME", "")
        config = environ.get("CI_CONFIG_PATH", ".gitlab-ci.yml")
        return {
            "buildDefinition": {
                "buildType": "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/PROVENANCE.md",
                "externalParameters": {
                    "source": f"{server}/{project}",
                    "entryPoint": environ.get("CI_JOB_NAME", ""),
                    "config": config,
                    "ref": ref,
                },
                "internalParameters": {
                    "pipeline_id": environ.get("CI_PIPELINE_ID", ""),
                    "runner_id": environ.get("CI_RUNNER_ID", ""),
                },
                "resolvedDependencies": [
                    {
                        "uri": f"git+{server}/{project}@{ref}",
                        "digest": {"gitCommit": environ.get("CI_COMMIT_SHA", "")},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": f"{server}/{project}//{config}@{ref}"},
                "metadata": {"invocationId": environ.get("CI_JOB_URL", ""), "startedOn": now},
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
        "subject": [{"name": f.name, "digest": {"sha256": _sha256(f)}} for f in files],
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
    from hwb.trust.oidc import ambient_token

    token = ambient_token("sigstore")
    on_secret(token)
    return sigstore_dsse_signer(token)


def write(
    files: list[Path], output: Path, environ: Mapping[str, str], signer: DsseSigner | None
) -> dict[str, Any]:
    """Write the provenance (atomically); returns the statement."""
    stmt = statement(files, environ)
    payload = json.dumps(stmt, separators=(",", ":"), sort_keys=True).encode()
    line = signer(payload) if signer is not None else unsigned_envelope(payload)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(line.replace("\n", "") + "\n")
    tmp.replace(output)
    return stmt
