"""The publishing guide's snippets, copied verbatim, run against local stand-ins (issue 24)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwb.errors import ConfigError
from hwb.settings import resolver
from hwb.settings.model import Registries
from tests import distfactory as df
from tests.conftest import EXAMPLES, Run
from tests.servers import AWS_TEST_ENV, Server, moto_s3, s3_client
from tests.test_index import installer

#: The guide's "DevPi / Configure HWB" block, verbatim.
GUIDE_DEVPI = """\
# pyproject.toml
[tool.hwb.registries.internal]
url = "https://devpi.internal.company.com/company/packages/"
username = "${DEVPI_USER}"
password = "${DEVPI_PASSWORD}"
"""


def guide_project(tmp_path: Path, block: str) -> Path:
    """The pure example with one of the guide's TOML blocks appended to its pyproject.toml."""
    src = tmp_path / "proj"
    shutil.copytree(EXAMPLES / "pure-hatch", src)
    with (src / "pyproject.toml").open("a") as f:
        f.write("\n" + block)
    return src


def test_an_unset_registry_secret_matters_only_to_the_registry_that_uses_it(
    tmp_path: Path, hwb: Callable[..., Run], open_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In the guide's workflow only the publish job has DEVPI_USER: every other job must work.
    src = guide_project(tmp_path, GUIDE_DEVPI)
    monkeypatch.chdir(src)
    assert (r := hwb("build", "--sdist")).code == 0, r.err
    for args in (
        ("inspect",),
        ("version", "show"),
        ("config", "show"),
        ("matrix", "plan", "--platform", "linux"),
    ):
        result = hwb(*args)
        assert result.code != 3 and "DEVPI_USER" not in result.err, (args, result.err)
    monkeypatch.setenv("HWB_REGISTRY_PYPI_URL", open_server.url)
    monkeypatch.setenv("HWB_REGISTRY_PYPI_INDEX_URL", open_server.simple)
    monkeypatch.setenv("PYPI_TOKEN", "pypi-token-for-the-stand-in")
    assert (r := hwb("publish", "-r", "pypi")).code == 0, r.err
    # The registry that uses it says what is missing, as before (exit 3).
    result = hwb("publish", "-r", "internal", "--dry-run")
    assert result.code == 3
    assert "[tool.hwb.registries.internal] username uses ${DEVPI_USER}" in result.err
    assert "Traceback" not in result.err


def test_a_set_registry_secret_is_expanded_and_masked(tmp_path: Path) -> None:
    src = guide_project(tmp_path, GUIDE_DEVPI)
    environ = {"DEVPI_USER": "ci-bot", "DEVPI_PASSWORD": "devpi-pw-42"}
    cfg = resolver.resolve(src, environ=environ)
    table = Registries.from_config(cfg).table("internal")
    assert (table.username, table.password) == ("ci-bot", "devpi-pw-42")
    assert cfg.secrets == ["devpi-pw-42"]
    # Half set: the password that is known is still a secret; the table is not usable.
    cfg = resolver.resolve(src, environ={"DEVPI_PASSWORD": "devpi-pw-42"})
    assert cfg.secrets == ["devpi-pw-42"]
    with pytest.raises(ConfigError, match=r"username uses \$\{DEVPI_USER\}"):
        Registries.from_config(cfg).table("internal")


def test_a_variable_the_configuration_references_is_never_a_typo(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    block = (
        '[tool.hwb.registries.corp]\nurl = "https://pkgs.corp.example/upload/"\n'
        'password = "${HWB_CORP_SECRET}"\n'
    )
    src = guide_project(tmp_path, block)
    cfg = resolver.resolve(src, environ={"HWB_CORP_SECRET": "corp-secret-value"})
    assert Registries.from_config(cfg).table("corp").password == "corp-secret-value"
    assert "corp-secret-value" in cfg.secrets


def test_unknown_hwb_variables_are_errors_only_when_close_to_a_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError, match="HWB_PUBLSH_JOBS; did you mean 'HWB_PUBLISH_JOBS'"):
        resolver.resolve(tmp_path, environ={"HWB_PUBLSH_JOBS": "4"})
    with pytest.raises(ConfigError, match="did you mean 'HWB_BUILD_OUTDIR'"):
        resolver.resolve(tmp_path, environ={"HWB_BUILD_OUTDR": "x"})
    with caplog.at_level("WARNING", logger="hwb"):
        cfg = resolver.resolve(tmp_path, environ={"HWB_CORP_SECRET": "x", "HWB_BUILD_FOO": "1"})
    assert cfg.get("build", "outdir") == "dist"
    assert "HWB_CORP_SECRET is set but names no hwb setting" in caplog.text
    assert "HWB_BUILD_FOO" in caplog.text


def test_the_dry_run_answers_would_this_release_go_through(
    tmp_path: Path, hwb: Callable[..., Run], open_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guide's "Pre-Release Checklist": `hwb publish --dry-run` reads the index as the real
    run does: a version already there with other content is a conflict, not an "upload"."""
    proj = tmp_path / "proj"
    dist = proj / "dist"
    dist.mkdir(parents=True)
    (proj / "pyproject.toml").write_text('[project]\nname = "guide-demo"\nversion = "1.2"\n')
    taken = df.project_wheel(dist, "guide-demo", "1.0")
    same = df.project_wheel(dist, "guide-demo", "1.1")
    new = df.project_wheel(dist, "guide-demo", "1.2")
    df.project_wheel(open_server.packages, "guide-demo", "1.0", body="OTHER = 1\n")
    shutil.copy(same, open_server.packages)
    before = sorted(p.name for p in open_server.packages.iterdir())
    monkeypatch.setenv("HWB_REGISTRY_PYPI_URL", open_server.url)
    monkeypatch.setenv("HWB_REGISTRY_PYPI_INDEX_URL", open_server.simple)
    monkeypatch.setenv("PYPI_TOKEN", "pypi-token-for-the-stand-in")
    monkeypatch.chdir(proj)

    result = hwb("publish", "--dry-run")  # the guide's command, verbatim

    assert result.code == 14, result.err
    lines = [line.strip() for line in result.out.splitlines()]
    assert f"conflict    {taken.name}" in "\n".join(lines)
    assert any(line.startswith(f"skip        {same.name}") for line in lines)
    assert any(line.startswith(f"upload      {new.name}") for line in lines)
    assert "✗ version not already published (1 conflict(s), 0 not checked)" in lines
    for item in (
        "all required metadata present",
        "README renders",
        "license file exists",
        "wheel structure valid",
        "no sensitive files included",
    ):
        assert f"✓ {item}" in lines
    assert "the real run would fail" in result.err
    assert sorted(p.name for p in open_server.packages.iterdir()) == before  # nothing sent

    taken.unlink()
    result = hwb("publish", "--dry-run")
    assert result.code == 0, result.err
    assert "✓ version not already published" in result.out
    assert sorted(p.name for p in open_server.packages.iterdir()) == before


#: The guide's "S3-Compatible Storage / Configure HWB" block, verbatim.
GUIDE_S3 = """\
# pyproject.toml
[tool.hwb.registries.s3]
type = "s3"
bucket = "my-python-packages"
region = "us-east-1"
prefix = "packages/"

# Optional: CloudFront CDN
cdn_url = "https://d1234567890.cloudfront.net"

# Generate PEP 503 index
generate_index = true
"""


def public_read(bucket: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_the_guides_s3_layout_installs_with_pip_as_the_guide_reads(
    tmp_path: Path, hwb: Callable[..., Run], built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files under <prefix><name>/, the index at simple/ in the bucket's root, links and the
    printed install command through cdn_url; pip installs from <cdn>/simple/."""
    bucket = "my-python-packages"
    with moto_s3(tmp_path) as s3:
        for name, value in AWS_TEST_ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)  # boto3's own variable: block as is
        client: Any = s3_client(s3.endpoint)
        client.create_bucket(Bucket=bucket)  # aws s3 mb s3://my-python-packages
        client.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))  # what pip reads
        # The CDN's stand-in: the bucket's own URL (what CloudFront would serve).
        cdn = f"{s3.endpoint}/{bucket}"
        src = guide_project(tmp_path, GUIDE_S3.replace("https://d1234567890.cloudfront.net", cdn))
        shutil.copytree(built, src / "dist")
        wheel = next(p.name for p in built.iterdir() if p.suffix == ".whl")
        monkeypatch.chdir(src)
        dry = hwb("publish", "--repository", "s3", "--dry-run")
        assert dry.code == 0, dry.err
        assert "twine" not in dry.out  # twine cannot upload to a bucket: no command it can't run
        assert f"upload      {wheel}" in dry.out
        assert f"install:    pip install --index-url {cdn}/simple/ hwbdemo-greet" in dry.out

        result = hwb("publish", "--repository", "s3")  # the guide's command, verbatim

        assert result.code == 0, result.err
        keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
        assert f"packages/hwbdemo-greet/{wheel}" in keys
        assert {"simple/index.html", "simple/hwbdemo-greet/index.html"} <= keys
        assert not [k for k in keys if k.startswith(("packages/packages/", "packages/simple/"))]
        page = client.get_object(Bucket=bucket, Key="simple/hwbdemo-greet/index.html")
        assert f'href="{cdn}/packages/hwbdemo-greet/{wheel}#sha256=' in page["Body"].read().decode()
        assert f"install: pip install --index-url {cdn}/simple/ hwbdemo_greet" in result.err
        done = installer("pip", f"{cdn}/simple/", tmp_path / "site", "hwbdemo-greet")
        assert done.returncode == 0, done.stderr
        assert list((tmp_path / "site").glob("hwbdemo_greet-1.0.0.dist-info"))

        # An index in the old layout (everything under the prefix) is never migrated silently.
        old = "old-packages"
        client.create_bucket(Bucket=old)
        client.put_object(Bucket=old, Key="packages/simple/index.json", Body=b"{}")
        (src / "pyproject.toml").write_text(
            (src / "pyproject.toml").read_text().replace(f'"{bucket}"', f'"{old}"')
        )
        result = hwb("publish", "--repository", "s3")
        assert result.code == 14
        assert "holds an index in the layout of earlier hwb versions" in result.err
        assert 'prefix = "packages/packages/" and index-prefix = "packages/"' in result.err
        assert [o["Key"] for o in client.list_objects_v2(Bucket=old)["Contents"]] == [
            "packages/simple/index.json"
        ]


#: The guide's "Google Artifact Registry / Configure HWB" block, verbatim.
GUIDE_GAR = """\
# pyproject.toml
[tool.hwb.registries.gar]
url = "https://us-central1-python.pkg.dev/my-project/python-packages/"
# Uses gcloud credentials automatically
"""


def test_artifact_registry_without_google_credentials_says_how_to_get_them(
    tmp_path: Path, hwb: Callable[..., Run], built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("google.auth")
    src = guide_project(tmp_path, GUIDE_GAR)
    shutil.copytree(built, src / "dist")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no gcloud login here
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # not on Google Cloud: no metadata server
    monkeypatch.chdir(src)
    result = hwb("publish", "--repository", "gar")  # the guide's command, verbatim
    assert result.code == 15, result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    assert "no Google credentials for https://us-central1-python.pkg.dev/" in result.err
    assert "gcloud auth application-default login" in result.err
    assert "google-github-actions/auth" in result.err


def test_matrix_wheels_go_to_dist_where_the_guides_upload_step_looks(tmp_path: Path) -> None:
    from hwb.matrix.plan import GitlabOptions
    from hwb.settings.model import MatrixSettings

    cfg = resolver.resolve(tmp_path, environ={})
    assert MatrixSettings.from_config(cfg).output_dir == "dist"  # path: dist/*.whl
    assert GitlabOptions().output_dir == "dist"


def test_the_validate_job_inspects_a_fresh_checkout(
    tmp_path: Path, hwb: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guide's validate job runs `hwb inspect --check-all` before anything is built."""
    src = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "pure-hatch", src)
    monkeypatch.chdir(src)
    result = hwb("inspect", "--check-all")  # the guide's command, verbatim
    assert result.code == 0, result.err
    assert "building a wheel and an sdist to inspect (not kept)" in result.err
    assert "hwbdemo_greet-1.0.0-py3-none-any.whl" in result.out + result.err
    assert "hwbdemo_greet-1.0.0.tar.gz" in result.out + result.err
    assert not (src / "dist").exists()


def test_short_secrets_are_masked_as_whole_tokens_with_a_warning(
    tmp_path: Path, hwb: Callable[..., Run], open_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = df.project_wheel(tmp_path, "guide-demo", "1.0")
    monkeypatch.setenv("PYPI_TOKEN", "x")
    result = hwb(
        "--json", "publish", "--url", open_server.url, "-u", "devuser", "-p", "dev",
        "--dry-run", str(wheel),
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    target = data["registries"][0]
    assert target["index_url"] == open_server.simple  # not "inde***_url"
    assert target["username"] == "devuser"  # not "***user", which would show the password
    assert "dev" not in result.out.replace("devuser", "")
    assert "a secret of 3 character(s) is too short to mask safely" in result.err
    assert "a secret of 1 character(s) is too short to mask safely" in result.err


def test_vv_shows_each_index_lookup(
    tmp_path: Path, hwb: Callable[..., Run], open_server: Server
) -> None:
    wheel = df.project_wheel(tmp_path, "guide-demo", "1.0")
    df.project_wheel(open_server.packages, "guide-demo", "0.9")  # a project the index knows
    quiet = hwb("publish", "--url", open_server.url, "--dry-run", str(wheel))
    assert quiet.code == 0, quiet.err
    assert "index lookup GET" not in quiet.err
    result = hwb("-vv", "publish", "--url", open_server.url, "--dry-run", str(wheel))
    assert result.code == 0, result.err
    assert f"index lookup GET {open_server.simple}guide-demo/: 200, 1 file(s)" in result.err


def test_the_guides_options_have_help(hwb: Callable[..., Run]) -> None:
    changelog = hwb("version", "changelog", "--help").out
    assert "--format [github|markdown|json]" in changelog and "GitHub release's body" in changelog
    inspect = " ".join(hwb("inspect", "--help").out.split())
    assert "the version check needs an index" in inspect
