"""workflows-templates/github/release.yml, the whole pipeline, run for real under act on a tag
push of the C-extension sample: validate -> plan -> wheels fanned out over
fromJSON(needs.plan.outputs.matrix), built by cibuildwheel under podman in the manylinux-like
image -> gather against the plan -> publish to a TestPyPI and a PyPI (Warehouse-like fronts of
real pypiservers on loopback, trusted publishing from the loopback OIDC issuer) -> GitHub release
(a recording `gh` stand-in) with notes from `hwb version changelog --format github`.

The template runs as written except where it would leave this machine: registry URLs point at
loopback, Sigstore signing (attestations, signed provenance) is off, and `--check-all` checks the
version against the loopback index. Each edit is asserted to have applied."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.actrunner import ACT_DIR, ROOT, missing, run_act, scratch_repo
from tests.conftest import EXAMPLES
from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher
from tests.servers import pypiserver

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

IDS = "cp311-manylinux_x86_64 cp312-manylinux_x86_64"
GH_TOKEN = "ghs_fakeGithubToken0123456789abcdef"
PROJECT = "hwbdemo-fastsum"

MATRIX_SETTINGS = f"""
[tool.hwb.matrix]
platform = "linux"
isolation = "podman"

[tool.cibuildwheel]
build = "{IDS}"
"""


def loopback_template(testpypi: str, pypi: str, simple: str) -> str:
    text = (ROOT / "workflows-templates" / "github" / "release.yml").read_text()
    edits = [
        ("          repository: testpypi\n",
         f"          repository-url: {testpypi}\n          args: --trusted-publisher\n", 1),
        ("          repository: pypi\n",
         f"          repository-url: {pypi}\n          args: --trusted-publisher\n", 1),
        ("          attestations: true\n", "          attestations: false\n", 2),
        ("          command: attest\n",
         "          command: attest\n          args: --no-sign\n", 1),
        ("          args: --check-all\n", f"          args: --check-all --index-url {simple}\n", 1),
    ]  # fmt: skip
    for old, new, count in edits:
        assert text.count(old) == count, old
        text = text.replace(old, new)
    return text


def test_release_template_full_pipeline(manylinux_image: str, tmp_path: Path) -> None:
    project = tmp_path / "src"
    project.mkdir()
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    record = tmp_path / "gh-record.jsonl"
    with (
        pypiserver(tmp_path / "t") as test_index,
        pypiserver(tmp_path / "p") as index,
        FakeIssuer() as issuer,
        FakeWarehouse(test_index.url, issuer,
                      [Publisher("github", PROJECT, "octo/greet", "release.yml", "pypi")],
                      audience="testpypi") as testpypi,
        FakeWarehouse(index.url, issuer,
                      [Publisher("github", PROJECT, "octo/greet", "release.yml", "pypi")])
        as pypi,
    ):  # fmt: skip
        workflow = loopback_template(testpypi.upload_url, pypi.upload_url, index.simple)
        repo = scratch_repo(
            tmp_path / "repo", EXAMPLES / "cext-setuptools", {"release.yml": workflow}
        )
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
        subprocess.run([*git, "tag", "-a", "v0.9.0", "-m", "v0.9.0"], cwd=repo, check=True)
        with (repo / "pyproject.toml").open("a") as fh:
            fh.write(MATRIX_SETTINGS)
        subprocess.run([*git, "commit", "-qam", "feat: wheels for CPython 3.11 and 3.12"],
                       cwd=repo, check=True)  # fmt: skip
        subprocess.run([*git, "tag", "-a", "v1.0.0", "-m", "v1.0.0"], cwd=repo, check=True)
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"ref": "refs/tags/v1.0.0", "ref_name": "v1.0.0",
                                     "repository": {"full_name": "octo/greet"}}))  # fmt: skip
        env = {k: v for k, v in issuer.github_env().items() if k.startswith("ACTIONS_ID_TOKEN")}
        env |= {"CIBW_MANYLINUX_X86_64_IMAGE": manylinux_image, "GH_FAKE_RECORD": str(record)}
        run = run_act(repo, "release.yml", tmp_path / "act", env=env, event=event,
                      secrets={"GITHUB_TOKEN": GH_TOKEN},
                      extra_path=(ACT_DIR / "bin",), timeout=1500)  # fmt: skip
        (tmp_path / "act.log").write_text(run.log)
        assert run.code == 0, run.log[-8000:]

        wheels = [f"hwbdemo_fastsum-1.0.0-cp3{m}-cp3{m}-manylinux" for m in ("11", "12")]
        for registry in (tmp_path / "t", tmp_path / "p"):
            names = sorted(p.name for p in registry.iterdir())
            assert len(names) == 3, names
            assert names[0].startswith(wheels[0]) and names[1].startswith(wheels[1])
            assert names[2] == "hwbdemo_fastsum-1.0.0.tar.gz"
        # Trusted publishing did it: one token minted per registry, used for every file.
        assert testpypi.stats.mints == 1 and pypi.stats.mints == 1
        assert sum(pypi.stats.uploads.values()) == 3
        for wheel in (tmp_path / "p").glob("*.whl"):
            with zipfile.ZipFile(wheel) as zf:  # repaired by auditwheel in the manylinux image
                assert any(n.endswith(".so") for n in zf.namelist())

    # One wheels job per runner (both identifiers on the x86_64 Linux runner); with validation
    # and the plan in one job, a release is 5 jobs (was 7), every one succeeded.
    assert "[release/wheels linux-x86_64" in run.log
    assert "[release/wheels cp311" not in run.log
    assert run.log.count("🏁  Job succeeded") == 5
    assert GH_TOKEN not in run.log
    (release,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert release["tag"] == "v1.0.0" and release["token_set"]
    assert release["repo"] == "octo/greet"
    assert "https://github.com/octo/greet/compare/v0.9.0...v1.0.0" in release["notes"]
    assert "--verify-tag" in release["flags"]
    assert "wheels for CPython 3.11 and 3.12" in release["notes"]
    assert "provenance.intoto.jsonl" in release["assets"]
    assert "hwbdemo_fastsum-1.0.0.tar.gz" in release["assets"]
    assert "SHA256SUMS" in release["assets"]


def test_pure_template(tmp_path: Path) -> None:
    """workflows-templates/github/pure.yml as written, but for its registry (loopback, trusted
    publishing) and Sigstore (off): build + inspect + publish of the pure sample."""
    text = (ROOT / "workflows-templates" / "github" / "pure.yml").read_text()
    (tmp_path / "p").mkdir()
    with (
        pypiserver(tmp_path / "p") as index,
        FakeIssuer() as issuer,
        FakeWarehouse(index.url, issuer,
                      [Publisher("github", "hwbdemo-greet", "octo/greet", "release.yml")])
        as pypi,
    ):  # fmt: skip
        edits = [
            ("          repository: pypi\n",
             f"          repository-url: {pypi.upload_url}\n          args: --trusted-publisher\n"),
            ("          attestations: true\n", "          attestations: false\n"),
        ]  # fmt: skip
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        repo = scratch_repo(
            tmp_path / "repo", EXAMPLES / "pure-hatch", {"release.yml": text}, tags=("v1.0.0",)
        )
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"ref": "refs/tags/v1.0.0"}))
        env = {k: v for k, v in issuer.github_env().items() if k.startswith("ACTIONS_ID_TOKEN")}
        run = run_act(repo, "release.yml", tmp_path / "act", env=env, event=event)
        assert run.code == 0, run.log[-8000:]
        assert pypi.stats.mints == 1
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "hwbdemo_greet-1.0.0-py3-none-any.whl",
        "hwbdemo_greet-1.0.0.tar.gz",
    ]
    assert run.log.count("🏁  Job succeeded") == 2
