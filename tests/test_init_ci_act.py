"""The GitHub workflow `hwb init-ci github` writes for a pure project, run end to end by act on a
tag push: build, inspect, artifact, publish with trusted publishing (the loopback OIDC issuer and
Warehouse-like front in front of pypiserver). The registry URL reaches loopback through
HWB_REGISTRY_PYPI_URL in the runner's environment, not through edits of the generated file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hwb.cli import main
from tests.actrunner import missing, run_act
from tests.cirunners import git_init
from tests.conftest import EXAMPLES
from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher
from tests.servers import pypiserver

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]


def test_generated_release_workflow_runs_under_act(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    publisher = Publisher("github", "hwbdemo-greet", "octo/greet", "release.yml")
    with (
        pypiserver(packages) as upstream,
        FakeIssuer() as issuer,
        FakeWarehouse(upstream.url, issuer, [publisher]) as warehouse,
    ):
        repo = tmp_path / "greet"
        shutil.copytree(EXAMPLES / "pure-hatch", repo)
        git_init(repo)
        # Sigstore cannot be reached from here: the one option the test changes.
        assert main(["-q", "init-ci", "github", str(repo), "--ref", "v1", "--no-attestations"]) == 0
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"ref": "refs/tags/v1.0.0"}))
        run = run_act(
            repo,
            "release.yml",
            tmp_path / "act",
            env={
                **{k: v for k, v in issuer.github_env().items() if k.startswith("ACTIONS_ID")},
                # "pypi" at loopback for this run, as a mirror would be configured.
                "HWB_REGISTRY_PYPI_URL": warehouse.upload_url,
                "HWB_REGISTRY_PYPI_INDEX_URL": upstream.simple,
            },
            event=event,
        )
        assert run.code == 0, run.log[-6000:]
        assert warehouse.stats.mints == 1
    assert sorted(p.name for p in packages.iterdir()) == [
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    assert "Job succeeded" in run.log
