"""The composite action run for real under act, as users call it (``uses: someorg/hwb@v1``):
the pure sample built (outputs read by a later step), passed as an artifact through act's
artifact server, published to pypiserver on loopback with user/password and with trusted
publishing (loopback OIDC issuer + Warehouse-like front), and pip-installed back; failing steps
fail their jobs with hwb's ::error:: annotation; secrets never reach act's log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actrunner import ACT_DIR, ActRun, missing, run_act, scratch_repo
from tests.conftest import EXAMPLES
from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher
from tests.servers import pypiserver, pypiserver_auth

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

USER = "releaser"
PASSWORD = "act-S3cret-pw-9f3b1c"
WRONG = "act-Wrong-pw-77aa01"
PROJECT = "hwbdemo-greet"


def workflow(name: str) -> str:
    return (ACT_DIR / "workflows" / name).read_text()


@pytest.fixture(scope="module")
def pure_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ActRun, Path, Path]]:
    tmp = tmp_path_factory.mktemp("act-pure")
    repo = scratch_repo(
        tmp / "repo", EXAMPLES / "pure-hatch", {"release.yml": workflow("pure.yml")}
    )
    (tmp / "pw").mkdir()
    (tmp / "tp").mkdir()
    with (
        pypiserver_auth(tmp / "pw", USER, PASSWORD) as pw,
        pypiserver(tmp / "tp") as tp,
        FakeIssuer() as issuer,
        FakeWarehouse(
            tp.url, issuer, [Publisher("github", PROJECT, "octo/greet", "release.yml")]
        ) as warehouse,
    ):
        run = run_act(
            repo,
            "release.yml",
            tmp / "act",
            variables={
                "PASSWORD_UPLOAD_URL": pw.url,
                "PASSWORD_INDEX_URL": pw.simple,
                "UPLOAD_USER": USER,
                "TRUSTED_UPLOAD_URL": warehouse.upload_url,
                "TRUSTED_INDEX_URL": tp.simple,
            },
            secrets={"UPLOAD_PASSWORD": PASSWORD},
            env={k: v for k, v in issuer.github_env().items() if k.startswith("ACTIONS_ID_TOKEN")},
        )
        assert warehouse.stats.mints >= 1, run.log[-4000:]
        yield run, tmp / "pw", tmp / "tp"


# One act run serves these checks: a single test, so that pytest-xdist never runs it twice.
def test_build_publish_with_password_and_trusted_and_secrets_masked(
    pure_run: tuple[ActRun, Path, Path],
) -> None:
    run, pw, tp = pure_run
    assert run.code == 0, run.log[-6000:]
    # The build step's outputs, read by a later step (sha256sum -c passed on SHA256SUMS).
    assert re.search(
        r"OUTPUTS version=1\.0\.0 sdist=hwbdemo_greet-1\.0\.0\.tar\.gz "
        r"wheel=hwbdemo_greet-1\.0\.0-py3-none-any\.whl",
        run.log,
    )
    assert "hwb: reusing" in run.log  # the second hwb step in the build job reused the venv
    # Passed through act's artifact server, uploaded with user/password, installed back.
    assert sorted(p.name for p in pw.iterdir()) == [
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    assert "INSTALLED " in run.log

    # Trusted publishing through the action (the issuer and Warehouse-like front on loopback).
    assert sorted(p.name for p in tp.iterdir()) == [
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    assert "INSTALLED-TRUSTED" in run.log

    # Secrets given as inputs never reach act's log.
    assert PASSWORD not in run.log
    assert "pypi-" not in run.log.replace("pypi-server", "")  # no minted token either


def test_failing_steps_fail_their_jobs_with_hwbs_annotation(tmp_path: Path) -> None:
    repo = scratch_repo(
        tmp_path / "repo", EXAMPLES / "pure-hatch", {"failing.yml": workflow("failing.yml")}
    )
    (tmp_path / "pw").mkdir()
    with pypiserver_auth(tmp_path / "pw", USER, PASSWORD) as pw:
        run = run_act(
            repo,
            "failing.yml",
            tmp_path / "act",
            variables={"PASSWORD_UPLOAD_URL": pw.url, "UPLOAD_USER": USER},
            secrets={"WRONG_PASSWORD": WRONG},
        )
    assert run.code != 0
    assert "::error title=hwb::input sdist: expected true or false, got 'sometimes'" in run.log, (
        run.log[-6000:]
    )
    assert "::error title=hwb::1 upload(s) failed, 0 uploaded" in run.log, run.log[-6000:]
    assert re.search(r"::warning::failed hwbdemo_greet-1\.0\.0-py3-none-any\.whl -> "
                     r"127\.0\.0\.1:\d+: forbidden: 403 Forbidden", run.log)  # fmt: skip
    assert "REACHED-AFTER" not in run.log.replace('echo "REACHED-AFTER', "")
    assert WRONG not in run.log
    assert list((tmp_path / "pw").iterdir()) == []


def test_hostile_inputs_stay_inert_and_args_tokens_are_masked(tmp_path: Path) -> None:
    """Issue 23: an input holding a newline and workflow commands sets no output, and a token
    in args is masked before the action echoes its command line (act honours both)."""
    token = "args-T0ken-5d1e/8c2b+a9f0=="
    repo = scratch_repo(
        tmp_path / "repo", EXAMPLES / "pure-hatch", {"hostile.yml": workflow("hostile.yml")}
    )
    run = run_act(
        repo,
        "hostile.yml",
        tmp_path / "act",
        variables={
            "HOSTILE_DIR": "dist\n::set-output name=wheel::PWNED-OUT\n::stop-commands::PWNED",
            "ARGS_TOKEN": token,
        },
    )
    assert "OUTPUT-WHEEL=[]" in run.log, run.log[-6000:]
    assert "OUTPUT-WHEEL=[PWNED" not in run.log
    assert token not in run.log and "args-T0ken" not in run.log


def test_per_command_actions_run_as_users_call_them(tmp_path: Path) -> None:
    """``uses: someorg/hwb/actions/build@v1`` and its siblings, on a runner without uv (the
    install bootstraps uv from its pinned wheel, or falls back to pip offline): outputs reach
    later steps, and the root action runs beside them in the same job."""
    repo = scratch_repo(
        tmp_path / "repo",
        EXAMPLES / "pure-hatch",
        {"per-command.yml": workflow("per-command.yml")},
    )
    run = run_act(repo, "per-command.yml", tmp_path / "act", with_uv=False)
    assert run.code == 0, run.log[-6000:]
    assert re.search(
        r"OUTPUTS version=1\.0\.0 sdist=hwbdemo_greet-1\.0\.0\.tar\.gz "
        r"wheel=hwbdemo_greet-1\.0\.0-py3-none-any\.whl",
        run.log,
    ), run.log[-6000:]
    # Each action installs hwb here: act copies the checkout once per action used, where a
    # runner checks out someorg/hwb@v1 once and every path in it shares one virtualenv.
    assert run.log.count("Success - Main Install hwb") == 4, run.log[-6000:]
    assert "Success - Main hwb inspect" in run.log
    assert "NOTES-READ" in run.log
