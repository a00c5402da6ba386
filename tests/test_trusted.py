"""Trusted publishing (OIDC) end to end: hwb ↔ a loopback OIDC issuer (GitHub's token endpoint,
GitLab's job variable, Google's metadata server) ↔ a Warehouse-like mint/upload front ↔ a real
pypiserver. The doubles and why they exist: tests/oidcfakes.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hwb.trust import identity, oidc
from tests import distfactory as df
from tests.conftest import Run
from tests.helpers import publish
from tests.oidcfakes import (
    FakeIssuer,
    FakeWarehouse,
    Publisher,
    github_claims,
    gitlab_claims,
    google_claims,
)
from tests.servers import Server, pypiserver

GH = Publisher("github", "demo-pkg", repository="octo/greet", workflow="release.yml")
GL = Publisher("gitlab", "demo-pkg", repository="group/greet", workflow=".gitlab-ci.yml")
GOOGLE = Publisher("google", "demo-pkg", email="release@greet.iam.gserviceaccount.com")


@pytest.fixture
def registry(open_server: Server) -> Server:
    return open_server


@pytest.fixture
def warehouse(registry: Server, issuer: FakeIssuer) -> Iterator[FakeWarehouse]:
    with FakeWarehouse(registry.url, issuer, [GH, GL, GOOGLE]) as running:
        yield running


def project_for(tmp_path: Path, **warehouses: FakeWarehouse) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir(exist_ok=True)
    text = '[project]\nname = "demo-pkg"\nversion = "1.0"\n'
    for name, wh in warehouses.items():
        simple = f"http://{wh.upstream.netloc}/simple/"
        text += f'\n[tool.hwb.registries.{name}]\nurl = "{wh.upload_url}"\nindex-url = "{simple}"\n'
    (proj / "pyproject.toml").write_text(text)
    return proj


def env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "GCE_METADATA_HOST", "ACTIONS_ID_TOKEN_REQUEST_URL",
                 "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "PYPI_ID_TOKEN", "GITHUB_EVENT_NAME",
                 "GITHUB_EVENT_PATH", "PYPI_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def wheels(tmp_path: Path, count: int = 2) -> list[str]:
    out = tmp_path / "dist"
    out.mkdir(exist_ok=True)
    return [
        str(df.wheel(out, version=f"1.{i}", metadata=df.GOOD_METADATA.format(version=f"1.{i}")))
        for i in range(count)
    ]


def publish_trusted(
    hwb: Callable[..., Run], tmp_path: Path, warehouse: FakeWarehouse, *options: str
) -> Run:
    """``hwb publish --trusted-publisher [OPTIONS]`` of two fresh wheels to ``warehouse``,
    configured as the registry ``w``."""
    files, proj = wheels(tmp_path), project_for(tmp_path, w=warehouse)
    return publish(hwb, *options, *files, project=proj, registry="w", trusted=True)


# -- success per CI ------------------------------------------------------------------------------


def test_github_actions(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    github_env: dict[str, Path],
) -> None:
    env(monkeypatch, issuer.github_env())
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    proj = project_for(tmp_path, pypi_like=warehouse)
    files = wheels(tmp_path)
    report = tmp_path / "report.json"
    result = publish(
        hwb,
        "--report",
        str(report),
        *files,
        project=proj,
        registry="pypi_like",
        trusted=True,
        loud=True,
    )
    assert result.code == 0, result.err
    assert sorted(p.name for p in registry.packages.iterdir()) == sorted(
        Path(f).name for f in files
    )
    assert warehouse.stats.mints == 1 and issuer.requests["pypi"] == 1
    # The minted token never shows, except in the ::add-mask:: command the runner consumes.
    (token,) = warehouse.stats.tokens_used
    masked = f"::add-mask::{token}"
    everything = result.out + result.err
    assert masked in everything
    assert token not in everything.replace(masked, "")
    for path in (report, github_env["output"], github_env["summary"]):
        assert token not in path.read_text()


def test_gitlab_ci(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITLAB_CI": "true", "PYPI_ID_TOKEN": issuer.token("pypi", gitlab_claims())})
    proj = project_for(tmp_path, gl=warehouse)
    result = publish(hwb, *wheels(tmp_path), project=proj, registry="gl", trusted=True)
    assert result.code == 0, result.err
    assert len(list(registry.packages.iterdir())) == 2 and warehouse.stats.mints == 1


def test_google_cloud_build(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer.claims = google_claims()
    env(monkeypatch, {"GCE_METADATA_HOST": issuer.url.removeprefix("http://")})
    proj = project_for(tmp_path, gcb=warehouse)
    result = publish(hwb, *wheels(tmp_path), project=proj, registry="gcb", trusted=True)
    assert result.code == 0, result.err
    assert len(list(registry.packages.iterdir())) == 2 and issuer.requests["pypi"] == 1


def test_testpypi_and_pypi_in_one_run(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = tmp_path / "other-packages"
    other.mkdir()
    with (
        pypiserver(other) as second,
        FakeWarehouse(registry.url, issuer, [GH], audience="pypi") as pypi,
        FakeWarehouse(second.url, issuer, [GH], audience="testpypi") as testpypi,
    ):
        env(monkeypatch, issuer.github_env())
        proj = project_for(tmp_path, prod=pypi, test=testpypi)
        result = publish(
            hwb, "-r", "test", "-r", "prod", *wheels(tmp_path), project=proj, trusted=True
        )
        assert result.code == 0, result.err
        assert issuer.requests == {"pypi": 1, "testpypi": 1}  # an audience each
        assert pypi.stats.mints == testpypi.stats.mints == 1
        assert len(list(registry.packages.iterdir())) == len(list(other.iterdir())) == 2


def test_token_expiring_mid_run_is_renewed(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tokens live 2 s here and are renewed 1 s before expiry; each upload takes 0.5 s on a
    clock that hwb and the index share (advanced by the upload itself, so the test does not
    depend on real timing), the index rejects expired tokens (403), so every upload
    succeeding proves the renewal."""
    import time
    import types

    clock = [time.time()]
    monkeypatch.setattr(oidc, "RENEW_BEFORE", 1.0)
    monkeypatch.setattr(oidc, "time", types.SimpleNamespace(time=lambda: clock[0]))
    with FakeWarehouse(registry.url, issuer, [GH], ttl=2.0) as warehouse:
        warehouse.clock = lambda: clock[0]
        env(monkeypatch, issuer.github_env())
        proj = project_for(tmp_path, slow=warehouse)
        files = wheels(tmp_path, 6)
        original = warehouse._upload

        def slow_upload(handler: Any, body: bytes) -> None:
            clock[0] += 0.5
            original(handler, body)

        warehouse._upload = slow_upload
        result = publish(hwb, "-j", "1", *files, project=proj, registry="slow", trusted=True)
        assert result.code == 0, result.err
        assert warehouse.stats.rejected == []
        assert warehouse.stats.mints >= 3 and issuer.requests["pypi"] == warehouse.stats.mints
        assert len(warehouse.stats.tokens_used) >= 2


# -- diagnostics ---------------------------------------------------------------------------------


def test_github_without_id_token_permission(
    hwb: Callable[..., Run],
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITHUB_ACTIONS": "true"})
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16
    assert "lacks the id-token: write permission" in result.err
    assert "permissions:\n" in result.err and "id-token: write" in result.err
    assert warehouse.stats.mints == 0 and not warehouse.stats.uploads


def test_github_pull_request_from_a_fork(
    hwb: Callable[..., Run],
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"fork": True}}}}))
    env(monkeypatch, {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                      "GITHUB_EVENT_PATH": str(event)})  # fmt: skip
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16 and "pull requests from forks" in result.err


def test_gitlab_without_id_tokens(
    hwb: Callable[..., Run],
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITLAB_CI": "true"})
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16
    assert "GitLab CI did not provide PYPI_ID_TOKEN" in result.err
    assert "id_tokens:\n      PYPI_ID_TOKEN:\n        aud: pypi" in result.err


def test_not_in_a_ci(
    hwb: Callable[..., Run],
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {})
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16 and "needs a CI identity" in result.err
    assert "set HWB_REGISTRY_W_PASSWORD (an API token)" in result.err
    # The guide's TestPyPI command: the hint names TestPyPI's own token variable.
    wheel = wheels(tmp_path, 1)[0]
    result = hwb("publish", "--repository", "testpypi", "--trusted-publisher", wheel)
    assert result.code == 16
    assert "set TESTPYPI_TOKEN (an API token)" in result.err and " PYPI_TOKEN" not in result.err


def test_invalid_publisher_explained_with_claims(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A renamed workflow: 422 invalid-publisher, each code explained, the claims, the form."""
    issuer.claims = github_claims(workflow="publish.yml")
    env(monkeypatch, issuer.github_env())
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16
    err = result.err
    assert "refused the trusted-publishing exchange (422: invalid-publisher)" in err
    assert "* invalid-publisher: valid token, but no corresponding publisher" in err
    assert "means: the token is valid, but no trusted publisher" in err
    assert "job_workflow_ref: octo/greet/.github/workflows/publish.yml@refs/tags/v1.0.0" in err
    assert "environment: pypi" in err and "repository_owner_id: 1234" in err
    assert "Workflow name: publish.yml" in err
    assert not warehouse.stats.uploads


def test_reusable_workflow_warned(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer.claims = github_claims(
        workflow="shared.yml", caller="octo/greet/.github/workflows/release.yml@refs/tags/v1.0.0"
    )
    env(monkeypatch, issuer.github_env())
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16
    assert "reusable workflow (octo/greet/.github/workflows/shared.yml" in result.err
    assert "pypi/warehouse#11096" in result.err


def test_reused_gitlab_token(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITLAB_CI": "true", "PYPI_ID_TOKEN": issuer.token("pypi", gitlab_claims())})
    proj = project_for(tmp_path, w=warehouse)
    files = wheels(tmp_path)
    assert publish(hwb, files[0], project=proj, registry="w", trusted=True).code == 0
    again = publish(hwb, files[1], project=proj, registry="w", trusted=True)
    assert again.code == 16 and "invalid-reuse-token" in again.err
    assert "already used" in again.err and "project_path: group/greet" in again.err


def test_index_with_trusted_publishing_disabled(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse.enabled = False
    env(monkeypatch, issuer.github_env())
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16 and "has trusted publishing disabled" in result.err


def test_dry_run_prints_the_publisher_form(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, issuer.github_env())
    result = publish_trusted(hwb, tmp_path, warehouse, "--dry-run")
    assert result.code == 0, result.err
    text = result.out + result.err
    rows = (
        "Publisher: GitHub",
        "PyPI project name: demo-pkg",
        "Owner: octo",
        "Repository name: greet",
        "Workflow name: release.yml",
        "Environment name: pypi",
    )
    for row in rows:
        assert row in text
    assert warehouse.stats.mints == 0  # a dry run mints nothing


def test_token_and_trusted_publisher_conflict(hwb: Callable[..., Run], tmp_path: Path) -> None:
    result = hwb("publish", "--token", "pypi-x", "--trusted-publisher", str(tmp_path))
    assert result.code == 2 and "contradict" in result.err


def test_automatic_in_ci_only_without_other_credentials() -> None:
    from hwb.publish.targets import resolve_target

    ci = {"GITHUB_ACTIONS": "true"}
    assert resolve_target("pypi", {}, ci).trusted
    assert not resolve_target("pypi", {}, {**ci, "PYPI_TOKEN": "pypi-abc"}).trusted
    configured = {"corp": {"url": "https://corp.example/upload/", "trusted-publisher": True}}
    assert resolve_target("corp", configured, {}).trusted
    from hwb.errors import CredentialsError

    with pytest.raises(CredentialsError):
        resolve_target("pypi", {}, {})


# -- attestations (signing tested at the signer boundary: Fulcio/Rekor are not reachable) -------


def _fake_make_signer(calls: list[str]) -> Callable[[Callable[[str], None]], Any]:
    """Stands in for Sigstore only: the CI identity is still fetched for real (audience
    'sigstore', from the fake issuer), the attestation has the real model's shape and an
    in-toto statement naming the file and its sha256; only the signature is not Sigstore's."""
    import base64
    import hashlib

    def make(on_secret: Callable[[str], None]) -> Callable[[Path], str]:
        token = identity.ambient_token("sigstore")
        on_secret(token)

        def sign(dist: Path) -> str:
            calls.append(dist.name)
            statement = {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [
                    {
                        "name": dist.name,
                        "digest": {"sha256": hashlib.sha256(dist.read_bytes()).hexdigest()},
                    }
                ],
                "predicateType": "https://docs.pypi.org/attestations/publish/v1",
                "predicate": None,
            }
            return json.dumps(
                {
                    "version": 1,
                    "verification_material": {"certificate": "", "transparency_entries": []},
                    "envelope": {
                        "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
                        "signature": base64.b64encode(b"fake-signature").decode(),
                    },
                }
            )

        return sign

    return make


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Sigstore's signer replaced by ``_fake_make_signer``: the names of the files it signs."""
    from hwb.trust import pep740 as attest

    signed: list[str] = []
    monkeypatch.setattr(attest, "make_signer", _fake_make_signer(signed))
    return signed


def test_attestations_signed_once_and_uploaded(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    calls: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, issuer.github_env())
    fresh, existing = map(Path, wheels(tmp_path))
    kept = existing.with_name(existing.name + ".publish.attestation")
    kept.write_text(json.dumps({"version": 1, "marker": "made earlier"}))
    before = kept.read_text()
    proj = project_for(tmp_path, w=warehouse)
    result = publish(hwb, "--attestations", str(fresh), str(existing), project=proj, registry="w",
                     trusted=True)  # fmt: skip
    assert result.code == 0, result.err
    assert calls == [fresh.name]  # an existing attestation is never re-signed
    assert kept.read_text() == before
    made = json.loads(fresh.with_name(fresh.name + ".publish.attestation").read_text())
    statement = json.loads(__import__("base64").b64decode(made["envelope"]["statement"]))
    assert statement["subject"][0]["name"] == fresh.name
    assert issuer.requests["sigstore"] == 1 and issuer.requests["pypi"] == 1
    assert warehouse.stats.attestations[fresh.name] == [made]
    assert warehouse.stats.attestations[existing.name] == [json.loads(before)]


def test_no_attestations_signs_nothing(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    calls: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, issuer.github_env())
    files = wheels(tmp_path)
    proj = project_for(tmp_path, w=warehouse)
    result = publish(hwb, "--no-attestations", *files, project=proj, registry="w", trusted=True)
    assert result.code == 0, result.err
    assert calls == [] and not list(Path(files[0]).parent.glob("*.attestation"))
    assert warehouse.stats.attestations == {}


def test_attestations_default_on_for_trusted_publishing_to_pypi_only() -> None:
    from hwb.publish.service import wants_attestations as _wants_attestations
    from hwb.publish.targets import resolve_target

    ci = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t.example/"}
    pypi = resolve_target("pypi", {}, ci)
    corp = resolve_target(
        "corp", {"corp": {"url": "https://c.example/u/", "trusted-publisher": True}}, ci
    )
    token = resolve_target("pypi", {}, {"PYPI_TOKEN": "pypi-x"})
    assert _wants_attestations(None, [pypi], ci)
    assert not _wants_attestations(None, [corp], ci) and not _wants_attestations(None, [token], ci)
    assert not _wants_attestations(False, [pypi], ci) and _wants_attestations(True, [token], ci)
    # [tool.hwb.publish] attestations (or HWB_PUBLISH_ATTESTATIONS) ranks below the flag.
    assert not _wants_attestations(None, [pypi], ci, False)
    assert _wants_attestations(None, [token], ci, True) and _wants_attestations(
        True, [pypi], ci, False
    )
    # No Sigstore identity (GitHub without id-token: write): off, with a warning.
    assert not _wants_attestations(None, [pypi], {"GITHUB_ACTIONS": "true"})


# -- private registries' own OIDC exchanges ------------------------------------------------------


@pytest.mark.parametrize("kind", ["artifactory", "cloudsmith"])
def test_registry_oidc_exchange(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    from tests.oidcfakes import FakeRegistryExchange

    with FakeRegistryExchange(kind, registry.url, issuer, audience="jfrog-ci") as fake:
        env(monkeypatch, issuer.github_env())
        proj = tmp_path / "proj"
        proj.mkdir()
        extra = (
            'oidc-provider = "github"\n'
            if kind == "artifactory"
            else f'oidc-url = "{fake.url}"\noidc-org = "acme"\noidc-service = "ci-bot"\n'
        )
        (proj / "pyproject.toml").write_text(
            f'[project]\nname = "x"\nversion = "0"\n[tool.hwb.registries.corp]\n'
            f'url = "{fake.upload_url}"\nindex-url = "{registry.simple}"\n'
            f'oidc = "{kind}"\noidc-audience = "jfrog-ci"\n{extra}'
        )
        files = wheels(tmp_path)
        result = hwb("publish", "--no-inspect", "--project", str(proj), "-r", "corp", *files)
        assert result.code == 0, result.err
        assert sorted(fake.uploads) == sorted(Path(f).name for f in files)
        assert issuer.requests["jfrog-ci"] == 1
        (token,) = fake.tokens
        assert token not in (result.out + result.err).replace(f"::add-mask::{token}", "")
        # A wrong provider / service account: refused, explained, nothing uploaded.
        text = (proj / "pyproject.toml").read_text()
        (proj / "pyproject.toml").write_text(
            text.replace('"github"', '"gitlab"').replace('"ci-bot"', '"someone"')
        )
        refused = hwb("publish", "--no-inspect", "--project", str(proj), "-r", "corp", *files)
        assert refused.code == 16
        assert f"refused the {kind} OIDC exchange" in refused.err
        assert (
            "Provider 'gitlab' not found" if kind == "artifactory" else "Invalid OIDC token"
        ) in refused.err
        assert "repository: octo/greet" in refused.err  # the claims, to compare with the mapping


def test_registry_oidc_needs_its_keys(tmp_path: Path) -> None:
    from hwb.errors import ConfigError
    from hwb.publish.targets import resolve_target

    table = {"corp": {"url": "https://c.example/u/", "oidc": "cloudsmith", "oidc-audience": "a"}}
    with pytest.raises(ConfigError, match="needs oidc-org, oidc-service"):
        resolve_target("corp", table, {})


# -- attestations where the guide's snippets do not ask for them (issue 24 §4) -------------------


def _pypi_is(warehouse: FakeWarehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The built-in pypi pointed at the warehouse; a project whose dist/ holds two wheels."""
    monkeypatch.setenv("HWB_REGISTRY_PYPI_URL", warehouse.upload_url)
    monkeypatch.setenv("HWB_REGISTRY_PYPI_INDEX_URL", f"http://{warehouse.upstream.netloc}/simple/")
    proj = project_for(tmp_path)
    (proj / "dist").mkdir()
    for i in range(2):
        df.wheel(
            proj / "dist", version=f"1.{i}", metadata=df.GOOD_METADATA.format(version=f"1.{i}")
        )
    monkeypatch.chdir(proj)
    return proj


def test_the_guides_gitlab_job_publishes_unsigned_with_one_warning(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    registry: Server,
    calls: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The guide's GitLab job declares only PYPI_ID_TOKEN (aud: pypi).
    env(monkeypatch, {"GITLAB_CI": "true", "PYPI_ID_TOKEN": issuer.token("pypi", gitlab_claims())})
    _pypi_is(warehouse, monkeypatch, tmp_path)
    result = hwb("publish", "--trusted-publisher")  # the guide's script line, verbatim
    assert result.code == 0, result.err
    assert len(list(registry.packages.iterdir())) == 2 and calls == []
    assert result.err.count("publishing without PEP 740 attestations") == 1
    assert "id_tokens:\n    SIGSTORE_ID_TOKEN:\n      aud: sigstore" in result.err
    assert warehouse.stats.attestations == {}


def test_a_sigstore_id_token_turns_attestations_on_and_the_setting_off(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    calls: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITLAB_CI": "true", "PYPI_ID_TOKEN": issuer.token("pypi", gitlab_claims()),
                      "SIGSTORE_ID_TOKEN": issuer.token("sigstore", gitlab_claims())})  # fmt: skip
    proj = _pypi_is(warehouse, monkeypatch, tmp_path)
    monkeypatch.setenv("HWB_PUBLISH_ATTESTATIONS", "false")  # what a template sets
    result = hwb("publish", "--trusted-publisher")
    assert result.code == 0, result.err
    assert calls == [] and "attestations" not in result.err
    monkeypatch.delenv("HWB_PUBLISH_ATTESTATIONS")
    for old in proj.glob("dist/*"):  # a new version: the first is on the index now
        old.unlink()
    df.wheel(proj / "dist", version="2.0", metadata=df.GOOD_METADATA.format(version="2.0"))
    monkeypatch.setenv("PYPI_ID_TOKEN", issuer.token("pypi", gitlab_claims()))  # single-use
    result = hwb("publish", "--trusted-publisher")
    assert result.code == 0, result.err
    assert calls == ["demo_pkg-2.0-py3-none-any.whl"]
    assert "publishing without PEP 740 attestations" not in result.err


def test_sigstore_unreachable_is_exit_17_with_the_reason(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real Sigstore client, whose trust root cannot be refreshed (a proxy that refuses,
    empty caches): a signing failure with a hint, not an internal error."""
    env(monkeypatch, issuer.github_env())
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    closed = __import__("tests.servers", fromlist=["free_port"]).free_port()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed}")
    result = publish_trusted(hwb, tmp_path, warehouse, "--attestations")
    assert result.code == 17, result.err
    assert "internal error" not in result.err and "This is a bug" not in result.err
    assert "Sigstore" in result.err and "--no-attestations" in result.err


def test_gitlab_says_which_id_tokens_were_declared_and_which_is_missing(
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    warehouse: FakeWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env(monkeypatch, {"GITLAB_CI": "true",
                      "SIGSTORE_ID_TOKEN": issuer.token("sigstore", gitlab_claims())})  # fmt: skip
    result = publish_trusted(hwb, tmp_path, warehouse)
    assert result.code == 16
    assert (
        "GitLab CI did not provide PYPI_ID_TOKEN: the job's id_tokens are SIGSTORE_ID_TOKEN, "
        "none of them PYPI_ID_TOKEN (aud: pypi)" in result.err
    )
