"""The configuration resolver: layers, expansion, validation and `hwb config show`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.errors import ConfigError
from hwb.settings import resolver as config
from hwb.settings import values
from hwb.settings.model import Registries
from tests.conftest import Run


def write_pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(body)
    return tmp_path


def test_defaults_apply_without_pyproject(tmp_path: Path) -> None:
    cfg = config.resolve(tmp_path, environ={})
    assert cfg.pyproject is None
    assert cfg.get("build", "outdir") == "dist"
    assert cfg.settings["build"]["outdir"].origin == "default"


def test_precedence_cli_over_env_over_pyproject_over_default(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path, '[tool.hwb.build]\noutdir = "from-pyproject"\nsdist = true\ninstaller = "pip"\n'
    )
    env = {"HWB_BUILD_OUTDIR": "from-env", "HWB_BUILD_INSTALLER": "uv"}
    cfg = config.resolve(tmp_path, {"build.outdir": "from-cli"}, environ=env)
    assert cfg.settings["build"]["outdir"] == config.Setting("from-cli", "cli")
    assert cfg.settings["build"]["installer"] == config.Setting("uv", "env:HWB_BUILD_INSTALLER")
    assert cfg.settings["build"]["sdist"] == config.Setting(True, "pyproject")
    assert cfg.settings["build"]["checksum"] == config.Setting(False, "default")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("off", False)],
)
def test_env_booleans(tmp_path: Path, raw: str, expected: bool) -> None:
    cfg = config.resolve(tmp_path, environ={"HWB_BUILD_CHECKSUM": raw})
    assert cfg.get("build", "checksum") is expected


def test_env_table_value_and_bad_boolean(tmp_path: Path) -> None:
    cfg = config.resolve(tmp_path, environ={"HWB_BUILD_CONFIG_SETTINGS": "a=1, b=two"})
    assert cfg.get("build", "config-settings") == {"a": "1", "b": "two"}
    with pytest.raises(ConfigError, match="HWB_BUILD_CHECKSUM='maybe' is not a boolean"):
        config.resolve(tmp_path, environ={"HWB_BUILD_CHECKSUM": "maybe"})


def test_tables_merge_key_by_key_across_layers(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.hwb.build.config-settings]\nkeep = "1"\nover = "pyproject"\n')
    cfg = config.resolve(tmp_path, {"build.config-settings": {"over": "cli"}}, environ={})
    assert cfg.get("build", "config-settings") == {"keep": "1", "over": "cli"}


def test_expansion_with_and_without_default(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.hwb.build]\noutdir = "${OUT_BASE}/${OUT_SUB:-wheels}"\n')
    cfg = config.resolve(tmp_path, environ={"OUT_BASE": "/tmp/x"})
    assert cfg.get("build", "outdir") == "/tmp/x/wheels"


def test_unset_variable_names_key_and_variable(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.hwb.build]\noutdir = "${NOT_SET_ANYWHERE}"\n')
    with pytest.raises(ConfigError) as info:
        config.resolve(tmp_path, environ={})
    assert "[tool.hwb.build] outdir" in info.value.message
    assert "NOT_SET_ANYWHERE" in info.value.message
    assert info.value.hint is not None and "${NOT_SET_ANYWHERE:-default}" in info.value.hint


def test_secret_keys_are_flagged_and_expanded_secrets_collected() -> None:
    # Secrets live in sections later issues add (registries); the rule is generic.
    assert values.SECRET_KEY.search("password")
    assert values.SECRET_KEY.search("api-token")
    assert not values.SECRET_KEY.search("outdir")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[tool.hwb.bild]\noutdir = "x"\n',
            "unknown section [tool.hwb.bild]; did you mean 'build'?",
        ),
        (
            '[tool.hwb.build]\noutdri = "x"\n',
            "unknown key 'outdri' in [tool.hwb.build]; did you mean 'outdir'?",
        ),
        (
            '[tool.hwb.build]\nsdist = "yes"\n',
            "[tool.hwb.build] sdist must be a boolean, not a string",
        ),
        (
            '[tool.hwb.build]\ninstaller = "conda"\n',
            "must be one of 'auto', 'uv', 'pip', not 'conda'",
        ),
        ("[tool.hwb.build.config-settings]\nx = 1\n", "config-settings.x must be a string"),
        ('[tool.hwb]\nbuild = "x"\n', "[tool.hwb.build] must be a table"),
    ],
)
def test_invalid_pyproject_config(tmp_path: Path, body: str, message: str) -> None:
    write_pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        config.resolve(tmp_path, environ={})
    assert message in info.value.message
    assert info.value.file == str(tmp_path / "pyproject.toml")


def test_unknown_env_variable_in_a_known_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HWB_BUILD_OUTDR; did you mean 'HWB_BUILD_OUTDIR'"):
        config.resolve(tmp_path, environ={"HWB_BUILD_OUTDR": "x"})
    # Variables outside every section's prefix (HWB_DEBUG, ...) are not the resolver's to judge.
    assert config.resolve(tmp_path, environ={"HWB_DEBUG": "1"}).get("build", "outdir") == "dist"


def test_invalid_toml_reports_file_line_and_column(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[project]\nname = "x"\nversion = 0.0.1\n')
    with pytest.raises(ConfigError) as info:
        config.resolve(tmp_path, environ={})
    assert f"{tmp_path / 'pyproject.toml'}:3:" in info.value.message


def test_config_show_cli(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(tmp_path, "[tool.hwb.build]\nsdist = true\n")
    monkeypatch.setenv("HWB_BUILD_CHECKSUM", "1")
    result = hwb("config", "show", str(tmp_path))
    assert result.code == 0, result.err
    lines = {line.split("=")[0].strip(): line for line in result.out.splitlines() if "=" in line}
    assert lines["sdist"].endswith("# pyproject")
    assert lines["checksum"].endswith("# env:HWB_BUILD_CHECKSUM")
    assert lines["outdir"].endswith("# default")

    data = json.loads(hwb("--json", "config", "show", str(tmp_path)).out)
    assert data["config"]["build"]["sdist"] == {"value": True, "origin": "pyproject"}


def test_config_show_redacts_secret_values() -> None:
    cfg = config.Config(
        settings={"registries.x": {"password": config.Setting("hunter2-secret", "pyproject", True)}}
    )
    assert cfg.redacted() == {"registries.x": {"password": {"value": "***", "origin": "pyproject"}}}


def test_config_errors_are_one_line_with_exit_code_3(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    write_pyproject(tmp_path, "[tool.hwb.build]\nchecksm = true\n")
    result = hwb("config", "show", str(tmp_path))
    assert result.code == 3
    assert "Traceback" not in result.err
    assert (
        "error: unknown key 'checksm' in [tool.hwb.build]; did you mean 'checksum'?" in result.err
    )


def test_registries_map_section(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.hwb.registries.internal]\nurl = "https://pkgs.example.invalid/upload/"\n'
        'password = "${INTERNAL_PW}"\n',
    )
    cfg = config.resolve(tmp_path, environ={"INTERNAL_PW": "s3cr3t-pw"})
    entry = cfg.get("registries", "internal")
    assert entry == {"url": "https://pkgs.example.invalid/upload/", "password": "s3cr3t-pw"}
    assert cfg.secrets == ["s3cr3t-pw"]
    shown = cfg.redacted()["registries"]["internal"]["value"]
    assert isinstance(shown, dict) and shown["password"] == "***"
    write_pyproject(tmp_path, '[tool.hwb.registries.internal]\nurll = "x"\n')
    with pytest.raises(
        ConfigError,
        match=r"unknown key 'urll' in \[tool\.hwb\.registries\.internal\]; did you mean 'url'",
    ):
        config.resolve(tmp_path, environ={})
    write_pyproject(tmp_path, '[tool.hwb.registries.internal]\nurl = "x"\npassword = "${NOPE}"\n')
    cfg = config.resolve(tmp_path, environ={})  # the error waits for a run using the registry
    with pytest.raises(ConfigError, match=r"registries\.internal\] password uses \$\{NOPE\}"):
        Registries.from_config(cfg).table("internal")


def test_literal_secrets_are_masked_too(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    write_pyproject(
        tmp_path, '[tool.hwb.registries.x]\nurl = "http://h/"\npassword = "literal-pw-123"\n'
    )
    result = hwb("config", "show", str(tmp_path))
    assert result.code == 0, result.err
    assert "literal-pw-123" not in result.out + result.err
    assert '"password": "***"' in result.out


def test_config_show_writes_an_unset_reference_as_written(
    tmp_path: Path, hwb: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: with the guide's `${DEVPI_PASSWORD}` unset (a job without the secret), `config
    show` printed `***` as though a password were set. The reference is the file's text, no
    secret; a literal part beside it could be one, so that stays masked."""
    write_pyproject(
        tmp_path,
        '[tool.hwb.registries.devpi]\nurl = "http://h/"\nusername = "${DEVPI_USER}"\n'
        'password = "${DEVPI_PASSWORD}"\n'
        '[tool.hwb.registries.other]\nurl = "http://o/"\n'
        'password = "pre-literal-${DEVPI_SUFFIX}"\n',
    )
    for name in "DEVPI_USER", "DEVPI_PASSWORD", "DEVPI_SUFFIX":
        monkeypatch.delenv(name, raising=False)
    result = hwb("config", "show", str(tmp_path))
    assert result.code == 0, result.err
    assert '"password": "${DEVPI_PASSWORD}"' in result.out
    assert '"username": "${DEVPI_USER}"' in result.out
    assert '"password": "***"' in result.out and "pre-literal" not in result.out
    monkeypatch.setenv("DEVPI_PASSWORD", "hunter2-devpi")
    result = hwb("config", "show", str(tmp_path))
    assert "${DEVPI_PASSWORD}" not in result.out and "hunter2" not in result.out + result.err


def test_config_show_lists_registry_variables_with_their_origin(
    tmp_path: Path, hwb: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """HWB_REGISTRY_<NAME>_* go through the resolver: `hwb config show` names each under the
    registry it belongs to, with its variable as origin; passwords (also a URL's) redacted."""
    write_pyproject(tmp_path, '[tool.hwb.registries.corp-eu]\nurl = "https://corp.invalid/up/"\n')
    monkeypatch.setenv("HWB_REGISTRY_CORP_EU_PASSWORD", "corp-pw-secret-1")
    monkeypatch.setenv("HWB_REGISTRY_STAGING_URL", "https://ci:url-pw-secret-2@stage.invalid/")
    monkeypatch.setenv("HWB_REGISTRY_STAGING_INDEX_URL", "https://stage.invalid/simple/")
    monkeypatch.setenv("HWB_REGISTRY_STAGING_USERNAME", "ci")
    result = hwb("config", "show", str(tmp_path))
    assert result.code == 0, result.err
    lines = {line.split("=")[0].strip(): line for line in result.out.splitlines() if "=" in line}
    assert lines["corp-eu"].endswith("# pyproject")
    assert '"***"' in lines["corp-eu.password"]
    assert lines["corp-eu.password"].endswith("# env:HWB_REGISTRY_CORP_EU_PASSWORD")
    assert '"https://stage.invalid/simple/"' in lines["staging.index-url"]
    assert lines["staging.index-url"].endswith("# env:HWB_REGISTRY_STAGING_INDEX_URL")
    assert lines["staging.username"].endswith("# env:HWB_REGISTRY_STAGING_USERNAME")
    assert lines["staging.url"].endswith("# env:HWB_REGISTRY_STAGING_URL")
    assert "corp-pw-secret-1" not in result.out + result.err
    assert "url-pw-secret-2" not in result.out + result.err

    data = json.loads(hwb("--json", "config", "show", str(tmp_path)).out)["config"]["registries"]
    assert data["corp-eu.password"] == {
        "value": "***",
        "origin": "env:HWB_REGISTRY_CORP_EU_PASSWORD",
    }
    assert data["staging.username"] == {
        "value": "ci",
        "origin": "env:HWB_REGISTRY_STAGING_USERNAME",
    }
    assert data["staging.url"]["origin"] == "env:HWB_REGISTRY_STAGING_URL"
    assert "url-pw-secret-2" not in json.dumps(data)
    assert data["corp-eu"]["value"] == {"url": "https://corp.invalid/up/"}


def test_registry_variables_reach_publish_through_the_resolver() -> None:
    """The typed registries hold what the resolver read; publish matches them by name and
    reads no HWB_REGISTRY_ variable itself."""
    from hwb.publish.targets import resolve_target

    environ = {
        "HWB_REGISTRY_CORP_EU_URL": "https://mirror.invalid/up/",
        "HWB_REGISTRY_CORP_EU_PASSWORD": "pw",
        "HWB_REGISTRY_CORP_EU_TOKEN": "not-a-field",  # allowed, and read by nothing (as before)
        "HWB_REGISTRY_EMPTY_PASSWORD": "",  # empty: unset
    }
    cfg = config.resolve(
        None,
        environ=environ,
        pyproject_data={"tool": {"hwb": {"registries": {"corp-eu": {"url": "https://c/"}}}}},
    )
    assert sorted(cfg.registry_env) == ["HWB_REGISTRY_CORP_EU_PASSWORD", "HWB_REGISTRY_CORP_EU_URL"]
    assert "pw" in cfg.secrets
    registries = Registries.from_config(cfg)
    env = registries.env("corp-eu")
    assert (env.url, env.password, env.prefix) == (
        "https://mirror.invalid/up/",
        "pw",
        "HWB_REGISTRY_CORP_EU_",
    )
    # A replaced URL drops the configured index (it belongs to the replaced URL).
    table = registries.tables["corp-eu"].with_env(env)
    assert (table.url, table.index_url) == ("https://mirror.invalid/up/", "")
    assert registries.env("other").password == ""
    target = resolve_target("corp-eu", registries, {"HWB_REGISTRY_CORP_EU_PASSWORD": "ignored"})
    assert (target.url, target.password) == ("https://mirror.invalid/up/", "pw")
    assert target.credential_source == "$HWB_REGISTRY_CORP_EU_PASSWORD"


def test_each_section_has_one_typed_dataclass_built_from_the_resolved_config(
    tmp_path: Path,
) -> None:
    from hwb.settings.model import BuildSettings, MatrixSettings, VersionSettings

    write_pyproject(
        tmp_path,
        '[tool.hwb.build]\noutdir = "out"\ninstaller = "uv"\n'
        '[tool.hwb.version]\ntag-format = "release-{version}"\nfiles = ["src/x.py:V"]\n'
        '[tool.hwb.matrix]\nplatform = "linux"\nrunners = {linux-aarch64 = "arm"}\n',
    )
    cfg = config.resolve(tmp_path, {"matrix.jobs": 3}, environ={"HWB_MATRIX_ISOLATION": "podman"})
    build = BuildSettings.from_config(cfg, tmp_path)
    assert (build.outdir, build.installer) == ((tmp_path / "out").resolve(), "uv")
    version = VersionSettings.from_config(cfg)
    assert version.files == ("src/x.py:V",)
    assert version.tag_for("1.0") == "release-1.0"
    assert version.version_of_tag("release-1.0") is not None
    assert version.version_of_tag("v1.0") is None
    matrix = MatrixSettings.from_config(cfg)
    assert (matrix.platform, matrix.jobs, matrix.isolation) == ("linux", 3, "podman")
    assert matrix.runners == {"linux-aarch64": "arm"}


def test_version_templates_are_checked_when_the_settings_are_built(tmp_path: Path) -> None:
    from hwb.settings.model import VersionSettings

    write_pyproject(tmp_path, '[tool.hwb.version]\ncommit-message = "Release {version.x}"\n')
    with pytest.raises(ConfigError, match="is not allowed"):
        VersionSettings.from_config(config.resolve(tmp_path, environ={}))


def test_flags_reach_the_resolver_as_cli_overrides_converted_where_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only flags the user passed become overrides (origin ``cli``), converted to the
    setting's value where the option is not yet one (-o relative to the cwd, --no-isolation)."""
    import click
    from click.testing import CliRunner

    from hwb.commands.options import given

    seen: dict[str, object] = {}

    @click.command()
    @click.option("-o", "outdir", type=click.Path(path_type=Path))
    @click.option("--no-isolation", "no_isolation", is_flag=True, default=None)
    @click.option("--installer")
    @click.pass_context
    def cmd(ctx: click.Context, /, **_: object) -> None:
        overrides = given(
            ctx,
            {
                "outdir": ("build.outdir", lambda o: str(Path.cwd() / o)),
                "no_isolation": ("build.isolation", lambda _: False),
                "installer": "build.installer",
            },
        )
        seen.update(overrides)
        cfg = config.resolve(None, overrides, environ={})
        seen["origin"] = cfg.settings["build"]["isolation"].origin

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cmd, ["-o", "out", "--no-isolation"])
    assert result.exit_code == 0, result.output
    assert seen == {
        "build.outdir": str(tmp_path / "out"),
        "build.isolation": False,
        "origin": "cli",
    }
