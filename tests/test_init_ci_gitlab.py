"""The GitLab pipeline `hwb init-ci gitlab` writes, run for real by gitlab-ci-local: build ->
inspect -> publish to pypiserver on loopback, with a token variable and with trusted publishing
(PYPI_ID_TOKEN from the loopback issuer, exchanged at the Warehouse-like front); tag rules."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hwb.cli import main
from hwb.scaffold import yamlio
from tests.cirunners import HOST_INSTALL, git_init, gitlab_ci_local, gitlab_jobs
from tests.conftest import EXAMPLES, PACKAGES
from tests.faultproxy import FaultProxy, Faults
from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher, gitlab_claims
from tests.servers import Server, pypiserver, pypiserver_auth

pytestmark = pytest.mark.integration

TAG = {"CI_COMMIT_TAG": "v1.0.0"}
TOKEN = "pypi-gl-secret-0123456789abcdef"


def scaffold(tmp_path: Path, registries: str, *init_args: str) -> Path:
    """The pure example in a git repository, with the pipeline init-ci writes (vendored)."""
    repo = tmp_path / "greet"
    shutil.copytree(EXAMPLES / "pure-hatch", repo)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + registries)
    git_init(repo)
    assert main(["-q", "init-ci", "gitlab", str(repo), "--templates", "vendor", *init_args]) == 0
    return repo


@pytest.fixture
def open_registry(tmp_path: Path) -> Iterator[Server]:
    packages = tmp_path / "packages"
    packages.mkdir()
    with pypiserver_auth(packages, "ci", TOKEN) as server:
        yield server


def test_token_publish_on_tag(tmp_path: Path, open_registry: Server) -> None:
    repo = scaffold(tmp_path, f'\n[tool.hwb.registries.staging]\nurl = "{open_registry.url}"\n')
    ran = gitlab_ci_local(
        repo,
        variables={
            **TAG,
            "HWB_INSTALL": HOST_INSTALL,
            "HWB_REPOSITORY": "staging",
            "HWB_REGISTRY_STAGING_USERNAME": "ci",
            "HWB_REGISTRY_STAGING_PASSWORD": TOKEN,
        },
    )
    assert ran.code == 0, ran.log
    for job in ("hwb-build", "hwb-inspect", "hwb-publish", "hwb-release-notes"):
        assert f"PASS  {job}" in ran.log
    assert "hwb-publish-testpypi" not in ran.log.split("PASS")[0]  # rules: HWB_TESTPYPI false
    assert sorted(p.name for p in open_registry.packages.iterdir()) == [
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    assert TOKEN not in ran.log.replace(f"HWB_REGISTRY_STAGING_PASSWORD={TOKEN}", "")


def test_trusted_publishing_with_pypi_id_token(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    publisher = Publisher("gitlab", "hwbdemo-greet", repository="group/greet",
                          workflow=".gitlab-ci.yml")  # fmt: skip
    with (
        pypiserver(packages) as upstream,
        FakeIssuer() as issuer,
        FakeWarehouse(upstream.url, issuer, [publisher]) as warehouse,
    ):
        repo = scaffold(
            tmp_path,
            f'\n[tool.hwb.registries.warehouse]\nurl = "{warehouse.upload_url}"\n'
            f'index-url = "{upstream.simple}"\ntrusted-publisher = true\n',
        )
        ran = gitlab_ci_local(
            repo,
            "hwb-build", "hwb-inspect", "hwb-publish",
            variables={
                **TAG,
                "HWB_INSTALL": HOST_INSTALL,
                "HWB_REPOSITORY": "warehouse",
                # gitlab-ci-local accepts id_tokens: but cannot mint them; GitLab would.
                "PYPI_ID_TOKEN": issuer.token("pypi", gitlab_claims("group/greet")),
            },
        )  # fmt: skip
        assert ran.code == 0, ran.log
        assert warehouse.stats.mints == 1
        assert sum(warehouse.stats.uploads.values()) == 2
        (minted,) = warehouse.stats.tokens_used
        assert minted not in ran.log
    assert len(list(packages.iterdir())) == 2


def test_gitlab_package_registry_with_the_job_token(tmp_path: Path) -> None:
    """`--registry gitlab`: a job publishing to ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/
    packages/pypi as gitlab-ci-token with $CI_JOB_TOKEN (pypiserver under GitLab's path)."""
    packages = tmp_path / "packages"
    packages.mkdir()
    job_token = "glcbt-64_job-token-secret-value"
    prefix = "/api/v4/projects/42/packages/pypi"
    with (
        pypiserver_auth(packages, "gitlab-ci-token", job_token) as upstream,
        FaultProxy(upstream.url, Faults(), strip_prefix=prefix) as gitlab,
    ):
        repo = scaffold(tmp_path, "", "--registry", "gitlab")
        ran = gitlab_ci_local(
            repo,
            "hwb-build", "hwb-inspect", "hwb-publish-gitlab",
            variables={
                **TAG,
                "HWB_INSTALL": HOST_INSTALL,
                "CI_API_V4_URL": gitlab.url.rstrip("/") + "/api/v4",
                "CI_PROJECT_ID": "42",
                "CI_JOB_TOKEN": job_token,
            },
        )  # fmt: skip
    assert ran.code == 0, ran.log
    assert "PASS  hwb-publish-gitlab" in ran.log
    assert len(list(packages.iterdir())) == 2
    assert job_token not in ran.log.replace(f"CI_JOB_TOKEN={job_token}", "")
    assert gitlab_jobs(repo)["hwb-publish-gitlab"]["when"] == "never"  # tags only


def test_without_a_tag_nothing_is_published(tmp_path: Path, open_registry: Server) -> None:
    repo = scaffold(tmp_path, f'\n[tool.hwb.registries.staging]\nurl = "{open_registry.url}"\n')
    untagged = gitlab_jobs(repo)
    tagged = gitlab_jobs(repo, TAG)
    testpypi = gitlab_jobs(repo, {**TAG, "HWB_TESTPYPI": "true"})
    assert untagged["hwb-build"]["when"] == untagged["hwb-inspect"]["when"] == "on_success"
    assert untagged["hwb-publish"]["when"] == "never"
    assert untagged["hwb-release-notes"]["when"] == "never"
    assert tagged["hwb-publish"]["when"] == "on_success"
    assert tagged["hwb-publish-testpypi"]["when"] == "never"
    assert testpypi["hwb-publish-testpypi"]["when"] == "on_success"
    # And for real: an untagged pipeline builds and inspects, and sends nothing.
    ran = gitlab_ci_local(
        repo, variables={"HWB_INSTALL": HOST_INSTALL, "HWB_REPOSITORY": "staging"}
    )
    assert ran.code == 0, ran.log
    assert "PASS  hwb-inspect" in ran.log and "hwb-publish" not in ran.log
    assert list(open_registry.packages.iterdir()) == []


def test_compiled_plan_child_pipeline_and_gather(tmp_path: Path) -> None:
    """The matrix path: hwb-plan (cibuildwheel's identifiers) writes the child pipeline that
    hwb-matrix triggers. gitlab-ci-local runs downstream pipelines only experimentally and
    cannot start the child's Docker-in-Docker service, so the child runs as its own pipeline:
    its sdist job, then gather, which refuses the release because the wheel job did not run."""
    repo = tmp_path / "cext"
    shutil.copytree(PACKAGES / "setuptools-cext", repo)
    with (repo / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.cibuildwheel]\nbuild = "cp311-manylinux_x86_64 cp312-manylinux_x86_64"\n')
    git_init(repo)
    assert main(["-q", "init-ci", "gitlab", str(repo), "--templates", "vendor"]) == 0
    jobs = gitlab_jobs(repo)
    assert {"hwb-plan", "hwb-matrix", "hwb-release-notes"} <= set(jobs)
    install = {"HWB_INSTALL": HOST_INSTALL, "HWB_MATRIX_PLATFORM": "linux"}
    ran = gitlab_ci_local(repo, "hwb-plan", variables=install)
    assert ran.code == 0, ran.log
    # One job per runner: both identifiers build in the linux-x86_64 job.
    assert "Planned 2 identifier(s) in 1 job(s) for linux" in ran.log
    assert "linux: x86_64, aarch64 (archs 'auto'" in ran.log
    artifacts = repo / ".gitlab-ci-local" / "artifacts" / "hwb-plan"
    plan = json.loads((artifacts / "hwb-plan.json").read_text())
    assert [j["identifiers"] for j in plan["jobs"]] == [
        ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64"],
    ]  # fmt: skip
    shutil.copy(artifacts / "hwb-child.yml", repo / "hwb-child.yml")
    child = yamlio.load((repo / "hwb-child.yml").read_text())
    wheels = [n for n in child if n.startswith("hwb-wheels-")]
    assert wheels == ["hwb-wheels-linux-x86_64"]
    assert child[wheels[0]]["variables"]["HWB_ONLY"] == (
        "cp311-manylinux_x86_64 cp312-manylinux_x86_64"
    )
    assert "@sha256:" in child[wheels[0]]["services"][0]["name"]
    assert child["hwb-publish"]["needs"][0] == {"job": "hwb-gather", "artifacts": True}
    child_jobs = _child_jobs(repo)
    assert child_jobs["hwb-publish"]["when"] == "never"
    assert _child_jobs(repo, TAG)["hwb-publish"]["when"] == "on_success"
    ran = gitlab_ci_local(repo, "--file", "hwb-child.yml", "hwb-sdist", "hwb-gather",
                          variables={"HWB_INSTALL": HOST_INSTALL})  # fmt: skip
    assert "PASS  hwb-sdist" in ran.log, ran.log
    assert ran.code != 0 and "FAIL  hwb-gather" in ran.log
    assert "cp311-manylinux_x86_64" in ran.log and "cp312-manylinux_x86_64" in ran.log
    assert "exit code 19" in ran.log or "FAIL 19" in ran.log, ran.log


def _child_jobs(repo: Path, variables: dict[str, str] | None = None) -> dict[str, Any]:
    ran = gitlab_ci_local(repo, "--file", "hwb-child.yml", "--list-json", variables=variables)
    assert ran.code == 0, ran.log
    listed, _ = json.JSONDecoder().raw_decode(ran.log[ran.log.index("[") :])
    return {job["name"]: job for job in listed}
