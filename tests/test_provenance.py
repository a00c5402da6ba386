"""``hwb attest``: SLSA v1 provenance. Unsigned outside CI; in CI signed through the signer
boundary (Sigstore's Fulcio/Rekor are not reachable offline), with the identity fetched for real
from the loopback issuer."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.trust import slsa as provenance
from tests import distfactory as df
from tests.conftest import Run
from tests.oidcfakes import FakeIssuer

GITHUB_RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo/greet",
    "GITHUB_REF": "refs/tags/v1.0.0",
    "GITHUB_SHA": "a" * 40,
    "GITHUB_WORKFLOW_REF": "octo/greet/.github/workflows/release.yml@refs/tags/v1.0.0",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "push",
}


def files(tmp_path: Path) -> list[Path]:
    return [df.wheel(tmp_path), df.sdist(tmp_path)]


def test_unsigned_outside_ci(hwb: Callable[..., Run], tmp_path: Path) -> None:
    made = files(tmp_path)
    result = hwb("attest", *map(str, made))
    assert result.code == 0, result.err
    line = (tmp_path / "provenance.intoto.jsonl").read_text()
    assert line.count("\n") == 1
    envelope = json.loads(line)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert envelope["signatures"] == []
    stmt = json.loads(base64.b64decode(envelope["payload"]))
    assert stmt["_type"] == "https://in-toto.io/Statement/v1"
    assert stmt["predicateType"] == "https://slsa.dev/provenance/v1"
    assert stmt["subject"] == [
        {"name": p.name, "digest": {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()}}
        for p in made
    ]
    assert stmt["predicate"]["runDetails"]["builder"]["id"] == "local"
    assert "unsigned" in result.out


def test_signed_in_github_actions(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**issuer.github_env(), **GITHUB_RUN}.items():
        monkeypatch.setenv(name, value)
    signed: list[bytes] = []

    def fake_dsse(token: str) -> provenance.DsseSigner:
        assert token.count(".") == 2  # a real JWT from the issuer, audience sigstore

        def sign(payload: bytes) -> str:
            signed.append(payload)
            return json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                               "dsseEnvelope": {"payload": base64.b64encode(payload).decode(),
                                                "payloadType": "application/vnd.in-toto+json",
                                                "signatures": [{"sig": "ZmFrZQ=="}]}})  # fmt: skip

        return sign

    monkeypatch.setattr(provenance, "sigstore_dsse_signer", fake_dsse)
    out = tmp_path / "release.intoto.jsonl"
    result = hwb("attest", "-o", str(out), *map(str, files(tmp_path)))
    assert result.code == 0, result.err
    assert issuer.requests["sigstore"] == 1
    bundle = json.loads(out.read_text())
    stmt = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert json.loads(signed[0]) == stmt
    pred = stmt["predicate"]
    assert pred["runDetails"]["builder"]["id"] == (
        "https://github.com/octo/greet/.github/workflows/release.yml@refs/tags/v1.0.0"
    )
    assert pred["runDetails"]["metadata"]["invocationId"] == (
        "https://github.com/octo/greet/actions/runs/4242/attempts/2"
    )
    assert pred["buildDefinition"]["resolvedDependencies"] == [
        {
            "uri": "git+https://github.com/octo/greet@refs/tags/v1.0.0",
            "digest": {"gitCommit": "a" * 40},
        }
    ]
    assert pred["buildDefinition"]["externalParameters"]["workflow"]["path"] == (
        ".github/workflows/release.yml"
    )


def test_gitlab_predicate() -> None:
    pred = provenance.predicate(
        {
            "GITLAB_CI": "true",
            "CI_SERVER_URL": "https://gitlab.com",
            "CI_PROJECT_PATH": "g/p",
            "CI_COMMIT_REF_NAME": "v1",
            "CI_COMMIT_SHA": "b" * 40,
            "CI_JOB_URL": "https://gitlab.com/g/p/-/jobs/7",
        }
    )
    assert pred["runDetails"]["builder"]["id"] == "https://gitlab.com/g/p//.gitlab-ci.yml@v1"
    assert pred["runDetails"]["metadata"]["invocationId"] == "https://gitlab.com/g/p/-/jobs/7"
    assert pred["buildDefinition"]["resolvedDependencies"][0]["digest"] == {"gitCommit": "b" * 40}


def test_no_files(hwb: Callable[..., Run], tmp_path: Path) -> None:
    result = hwb("attest", str(tmp_path))
    assert result.code == 13 and "no wheels or sdists" in result.err
