"""``hwb verify`` against real attestations: the pypi-attestations sdist ships real distributions
with the real attestations their GitHub, GitLab and Google Cloud Build publishers made (signed by
Sigstore's public-good instance), under test/assets/. Verification is offline, for real."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

SDIST = "pypi-attestations==0.0.30"
GITHUB = ("pypi_attestations-0.0.19.tar.gz", "--github", "trailofbits/pypi-attestations")
GITLAB = ("gitlab_oidc_project-0.0.3.tar.gz", "--gitlab", "facutuesca/gitlab-oidc-project")
GOOGLE = (
    "gcb_attestation_test-0.0.0.tar.gz",
    "--google",
    "919436158236-compute@developer.gserviceaccount.com",
)


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Download the pypi-attestations sdist from PyPI and unpack its test assets."""
    where = tmp_path_factory.mktemp("pypi-attestations")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--no-build-isolation", "-d", str(where), SDIST],
        check=True, capture_output=True,
    )  # fmt: skip
    (sdist,) = where.glob("*.tar.gz")
    with tarfile.open(sdist) as tf:
        members = [m for m in tf.getmembers() if "/test/assets/" in m.name and m.isfile()]
        tf.extractall(where, members=members, filter="data")
    (folder,) = where.glob("*/test/assets")
    return folder


def identity_args(case: tuple[str, str, str], workflow: str | None = None) -> list[str]:
    _, flag, name = case
    args = [flag, name]
    if flag == "--github":
        args += ["--workflow", workflow or "release.yml"]
    elif workflow:
        args += ["--workflow", workflow]
    return args


@pytest.mark.parametrize("case", [GITHUB, GITLAB, GOOGLE], ids=["github", "gitlab", "google"])
def test_real_attestations_verify(
    hwb: Callable[..., Run], assets: Path, case: tuple[str, str, str]
) -> None:
    result = hwb("verify", str(assets / case[0]), *identity_args(case))
    assert result.code == 0, result.err
    assert result.out.startswith(f"ok     {case[0]}: ")
    assert f"by {case[1].strip('-')}:{case[2]}" in result.out


def test_github_provenance_and_slsa_counted(hwb: Callable[..., Run], assets: Path) -> None:
    result = hwb("--json", "verify", str(assets / GITHUB[0]), *identity_args(GITHUB))
    assert result.code == 0, result.err
    assert '"attestations": 3' in result.out  # publish + SLSA + the provenance's publish
    assert "SLSA provenance" in result.out


_GH_SIGNER = "built by `release.yml@refs/tags/v0.0.19` in `trailofbits/pypi-attestations` (GitHub)"
_GL_SIGNER = (
    "built by `.gitlab-ci.yml@refs/heads/main` in `facutuesca/gitlab-oidc-project` (GitLab)"
)


@pytest.mark.parametrize(
    ("case", "wrong", "says"),
    [
        (
            GITHUB,
            ["--workflow", "other.yml"],
            f"{_GH_SIGNER}, expected `other.yml` in `trailofbits/pypi-attestations` (GitHub)",
        ),
        (
            GITLAB,
            ["--workflow", "ci/release.yml"],
            f"{_GL_SIGNER}, expected `ci/release.yml` in `facutuesca/gitlab-oidc-project` (GitLab)",
        ),
        (
            (GOOGLE[0], "--google", "someone-else@developer.gserviceaccount.com"),
            [],
            "signed by `919436158236-compute@developer.gserviceaccount.com` (Google), "
            "expected `someone-else@developer.gserviceaccount.com` (Google)",
        ),
        (
            (GITHUB[0], "--github", "evil/pypi-attestations"),
            ["--workflow", "release.yml"],
            f"{_GH_SIGNER}, expected `release.yml` in `evil/pypi-attestations` (GitHub)",
        ),
        (
            (GITLAB[0], "--github", "facutuesca/gitlab-oidc-project"),
            ["--workflow", "x.yml"],
            f"{_GL_SIGNER}, expected `x.yml` in `facutuesca/gitlab-oidc-project` (GitHub)",
        ),
    ],
    ids=["github-workflow", "gitlab-ci-file", "google-email", "github-repo", "wrong-ci"],
)
def test_wrong_identity_rejected(
    hwb: Callable[..., Run], assets: Path, case: tuple[str, str, str], wrong: list[str], says: str
) -> None:
    args = [case[1], case[2], *wrong]
    result = hwb("verify", str(assets / case[0]), *args)
    assert result.code == 17, result.out + result.err
    assert result.out.startswith(f"FAILED {case[0]}: ")
    assert says in result.out  # who signed, in words; not the certificate's repr
    assert "ObjectIdentifier" not in result.out and "Extension" not in result.out
    assert "failed verification" in result.err


@pytest.mark.parametrize("case", [GITHUB, GITLAB, GOOGLE], ids=["github", "gitlab", "google"])
def test_one_byte_changed_rejected(
    hwb: Callable[..., Run], assets: Path, tmp_path: Path, case: tuple[str, str, str]
) -> None:
    name = case[0]
    for path in assets.glob(name + "*"):
        shutil.copy(path, tmp_path / path.name)
    data = bytearray((tmp_path / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / name).write_bytes(bytes(data))
    result = hwb("verify", str(tmp_path / name), *identity_args(case))
    assert result.code == 17, result.out
    assert "FAILED" in result.out and "does not match distribution digest" in result.out


def test_missing_attestation_and_usage(
    hwb: Callable[..., Run], assets: Path, tmp_path: Path
) -> None:
    bare = tmp_path / GITLAB[0]
    shutil.copy(assets / GITLAB[0], bare)
    result = hwb("verify", str(bare), *identity_args(GITLAB))
    assert result.code == 17 and "no attestation" in result.out
    assert hwb("verify", str(bare)).code == 2
    assert hwb("verify", str(bare), "--github", "a/b").code == 2
    assert hwb("verify", str(tmp_path / "nope.whl"), "--google", "x@y").code == 13


def test_verify_needs_no_extra(assets: Path) -> None:
    """pypi-attestations (and sigstore, pydantic) are core: with every extra's modules made
    uninstallable, ``hwb verify`` still verifies."""
    from tests.test_install import run_without

    result = run_without(
        "boto3,botocore,google,uv", "verify", str(assets / GITHUB[0]), *identity_args(GITHUB)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok     {GITHUB[0]}: ")
