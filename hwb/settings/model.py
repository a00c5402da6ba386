"""Typed, frozen settings per ``[tool.hwb]`` section, built once from the resolved
:class:`~hwb.settings.resolver.Config`.

The resolver validates every value against ``schema.json`` (types, ranges, unknown keys), so
these constructors only convert: downstream code reads attributes, never ``section["key"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hwb.settings.environment import REGISTRY_ENV_FIELDS, registry_env_prefix

if TYPE_CHECKING:
    from packaging.version import Version

    from hwb.errors import ConfigError
    from hwb.settings.resolver import Config
    from hwb.settings.values import Value

RegistryType = Literal["upload-api", "s3", "dir"]
OidcKind = Literal["artifactory", "cloudsmith"]
Installer = Literal["auto", "uv", "pip"]
MatrixPlatform = Literal["all", "linux", "macos", "windows"]
GroupBy = Literal["identifier", "python", "platform-arch"]
ContainerEngine = Literal["", "docker", "podman"]


@dataclass(frozen=True)
class BuildSettings:
    """``[tool.hwb.build]``, the options of one ``hwb build`` run (``outdir`` resolved against
    the project directory)."""

    outdir: Path
    wheel: bool = True
    sdist: bool = False
    isolation: bool = True
    installer: Installer = "auto"
    checksum: bool = False
    #: "" for the interpreter running hwb, "X.Y", or a path.
    python: str = ""
    config_settings: Mapping[str, str] = field(default_factory=dict)
    verify_reproducible: bool = False

    @classmethod
    def from_config(cls, cfg: Config, project_dir: Path) -> BuildSettings:
        return cls(
            outdir=(project_dir / _path_text(cfg, "build", "outdir")).resolve(),
            wheel=cfg.flag("build", "wheel"),
            sdist=cfg.flag("build", "sdist"),
            isolation=cfg.flag("build", "isolation"),
            installer=_INSTALLERS[cfg.text("build", "installer")],
            checksum=cfg.flag("build", "checksum"),
            python=cfg.text("build", "python"),
            config_settings=cfg.table("build", "config-settings"),
            verify_reproducible=cfg.flag("build", "verify-reproducible"),
        )


@dataclass(frozen=True)
class VersionSettings:
    """``[tool.hwb.version]``; the message templates are checked when it is built."""

    files: tuple[str, ...] = ()
    #: "" until known: not configured, it is the format of the project's own version tags
    #: (``versioning.history.with_tag_format``), else ``v{version}``.
    tag_format: str = ""
    commit_message: str = "Release {version}"
    tag_message: str = "Release {version}"
    changelog_file: str = "CHANGELOG.md"
    allow_outside_project: tuple[str, ...] = ()
    major_on_zero: bool = True
    repository_url: str = ""
    #: The commit types the notes list (``changelog-types``).
    changelog_types: tuple[str, ...] = ("feat", "fix", "perf", "revert", "deprecate", "other")

    @classmethod
    def from_config(cls, cfg: Config) -> VersionSettings:
        from hwb.errors import VersionError

        settings = cls(
            files=cfg.texts("version", "files"),
            tag_format=cfg.text("version", "tag-format"),
            commit_message=cfg.text("version", "commit-message"),
            tag_message=cfg.text("version", "tag-message"),
            changelog_file=cfg.text("version", "changelog-file"),
            allow_outside_project=cfg.texts("version", "allow-outside-project"),
            major_on_zero=cfg.flag("version", "major-on-zero"),
            repository_url=cfg.text("version", "repository-url"),
            changelog_types=cfg.texts("version", "changelog-types"),
        )
        _check_template("tag-format", settings.tag_format, {"version"})
        _check_template("commit-message", settings.commit_message, {"version", "previous"})
        _check_template("tag-message", settings.tag_message, {"version", "previous"})
        if settings.tag_format and "{version}" not in settings.tag_format:
            raise VersionError(
                f"[tool.hwb.version] tag-format {settings.tag_format!r} lacks {{version}}",
                hint='e.g. tag-format = "v{version}"',
            )
        _check_tag_format(settings.effective_tag_format)
        return settings

    @property
    def effective_tag_format(self) -> str:
        return self.tag_format or DEFAULT_TAG_FORMAT

    def tag_for(self, version: str) -> str:
        return self.effective_tag_format.format(version=version)

    def version_of_tag(self, tag: str) -> Version | None:
        return version_of_tag(self.effective_tag_format, tag)


#: The tag format hwb uses when neither the configuration nor the project's tags say otherwise.
DEFAULT_TAG_FORMAT = "v{version}"


def version_of_tag(tag_format: str, tag: str) -> Version | None:
    """The version a tag names under ``tag_format`` (None when it does not follow it). The
    version must start with a digit: ``{version}`` does not match ``v1.0``, which PEP 440 would
    otherwise read as 1.0."""
    from packaging.version import Version

    prefix, _, suffix = tag_format.partition("{version}")
    if not (tag.startswith(prefix) and tag.endswith(suffix)) or len(tag) <= len(prefix + suffix):
        return None
    text = tag[len(prefix) : len(tag) - len(suffix) if suffix else None]
    if not text[:1].isdigit():
        return None
    try:
        return Version(text)
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        return None


#: Longer than any path the systems hwb runs on accept (Linux PATH_MAX, 255-byte names).
_MAX_PATH, _MAX_NAME = 4096, 255


def _path_text(cfg: Config, section: str, key: str) -> str:
    """A path setting's text, refused (naming where it came from) when no file system could
    hold it: the OS would fail later with a less helpful error."""
    from hwb.errors import ConfigError

    text = cfg.text(section, key)
    longest = max((len(part.encode()) for part in Path(text).parts), default=0)
    if len(text) > _MAX_PATH or longest > _MAX_NAME:
        origin = cfg.settings[section][key].origin
        raise ConfigError(
            f"{section}.{key} (from {origin}) is {len(text)} characters long, with a name of "
            f"{longest} bytes: no file system takes a path that long",
            hint=f"Set {section}.{key} to a path under {_MAX_PATH} characters whose names "
            f"are under {_MAX_NAME} bytes.",
            file=str(cfg.pyproject) if origin == "pyproject" else None,
        )
    return text


def _check_tag_format(tag_format: str) -> None:
    """The tags tag-format makes must be git tag names (``git tag`` would otherwise read one
    starting with ``-`` as an option, or refuse it after the files were written)."""
    from hwb.errors import ConfigError
    from hwb.refnames import ref_name_problem

    problem = ref_name_problem(tag_format.format(version="1.0.0"))
    if problem:
        raise ConfigError(
            f"[tool.hwb.version] tag-format {tag_format!r} does not make a git tag name: {problem}",
            hint='Use a prefix of letters, digits, "-", "_", "." or "/", e.g. "v{version}".',
        )


def _check_template(key: str, template: str, allowed: set[str]) -> None:
    """A message template may hold only ``{name}`` fields from ``allowed``: no attribute or
    index access (``{version.__class__}``), no stray braces (``Release {``)."""
    import string

    from hwb.errors import ConfigError

    fields = ", ".join("{" + name + "}" for name in sorted(allowed))
    hint = f"Use only {fields} in it; write {{{{ and }}}} for literal braces."
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(
            f"[tool.hwb.version] {key} {template!r} is not a valid template: {exc}", hint=hint
        ) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise ConfigError(
                f"[tool.hwb.version] {key} {template!r}: {{{name}}} is not allowed", hint=hint
            )


@dataclass(frozen=True)
class MatrixSettings:
    """``[tool.hwb.matrix]`` (``hwb matrix plan`` and ``hwb matrix build``)."""

    platform: MatrixPlatform = "all"
    archs: str = ""
    group_by: GroupBy = "platform-arch"
    #: 0: the CI's own limit.
    max_jobs: int = 0
    expect_sdist: bool = True
    #: platform-arch -> GitHub runner, over the defaults.
    runners: Mapping[str, str] = field(default_factory=dict)
    isolation: ContainerEngine = ""
    jobs: int = 1
    #: as configured: relative to the project (or, from ``-o``, to the current directory).
    output_dir: str = "dist"
    gitlab_image: str = (
        "python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea"
    )
    gitlab_install: str = (
        "python3 /tmp/hwb-uv-bootstrap.py /tmp/hwb-uv && "
        "/tmp/hwb-uv/uv pip install --quiet --system headless-wheel-builder"
    )
    gitlab_linux_setup: str = (
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io > /dev/null"
    )
    gitlab_dind_image: str = (
        "docker:29.8.0-dind@sha256:5efed980cba3fc126cf54e21a5a6ff8849d05b6e0623d6e7612f48e9cd6cd17e"
    )
    gitlab_tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, cfg: Config) -> MatrixSettings:
        return cls(
            platform=_MATRIX_PLATFORMS[cfg.text("matrix", "platform")],
            archs=cfg.text("matrix", "archs"),
            group_by=_GROUP_BYS[cfg.text("matrix", "group-by")],
            max_jobs=cfg.integer("matrix", "max-jobs"),
            expect_sdist=cfg.flag("matrix", "expect-sdist"),
            runners=cfg.table("matrix", "runners"),
            isolation=_CONTAINER_ENGINES[cfg.text("matrix", "isolation")],
            jobs=cfg.integer("matrix", "jobs"),
            output_dir=cfg.text("matrix", "output-dir"),
            gitlab_image=cfg.text("matrix", "gitlab-image"),
            gitlab_install=cfg.text("matrix", "gitlab-install"),
            gitlab_linux_setup=cfg.text("matrix", "gitlab-linux-setup"),
            gitlab_dind_image=cfg.text("matrix", "gitlab-dind-image"),
            gitlab_tags=cfg.table("matrix", "gitlab-tags"),
        )


@dataclass(frozen=True)
class PublishSettings:
    """``[tool.hwb.publish]``; with a run's flags applied (``dataclasses.replace``) it is also
    the options object the publish service hands to every transport."""

    registries: tuple[str, ...] = ()
    test_repository: str = "testpypi"
    skip_existing: bool = False
    #: files in flight at once per registry (and as many index lookups beside them).
    jobs: int = 16
    retries: int = 5
    #: seconds for the whole of each request (connect, send, the full answer; hwb.exchange)
    timeout: float = 120.0
    inspect: bool = True
    #: PEP 740 attestations: True, False, or None ("auto": see ``publish.service``).
    attestations: bool | None = None
    #: confirm every uploaded file on the index by sha256 afterwards (hwb.publish.verify)
    verify: bool = True

    @classmethod
    def from_config(cls, cfg: Config) -> PublishSettings:
        attestations = cfg.get("publish", "attestations")
        return cls(
            registries=cfg.texts("publish", "registries"),
            test_repository=cfg.text("publish", "test-repository"),
            skip_existing=cfg.flag("publish", "skip-existing"),
            jobs=cfg.integer("publish", "jobs"),
            retries=cfg.integer("publish", "retries"),
            timeout=cfg.number("publish", "timeout"),
            inspect=cfg.flag("publish", "inspect"),
            attestations=attestations if isinstance(attestations, bool) else None,
            verify=cfg.flag("publish", "verify"),
        )


@dataclass(frozen=True)
class InspectSettings:
    """``[tool.hwb.inspect]``."""

    ignore: tuple[str, ...] = ()
    strict: bool = False
    index_url: str = ""
    #: Globs of paths whose sensitive findings are info (test keys shipped on purpose).
    allow_sensitive: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: Config) -> InspectSettings:
        return cls(
            ignore=cfg.texts("inspect", "ignore"),
            strict=cfg.flag("inspect", "strict"),
            index_url=cfg.text("inspect", "index-url"),
            allow_sensitive=cfg.texts("inspect", "allow-sensitive"),
        )


@dataclass(frozen=True)
class OidcExchange:
    """``oidc = "artifactory" | "cloudsmith"``: the registry's own exchange of the CI's OIDC
    token for an upload credential (``oidc-*`` keys; which are needed: ``publish.targets``)."""

    kind: OidcKind
    audience: str = ""
    #: artifactory: the OIDC integration's provider name, and an optional project key.
    provider: str = ""
    project: str = ""
    #: the exchange's base URL ("": the upload URL's host, or https://api.cloudsmith.io).
    url: str = ""
    #: cloudsmith: the organization and service account slugs.
    org: str = ""
    service: str = ""


@dataclass(frozen=True)
class RegistrySettings:
    """One ``[tool.hwb.registries.NAME]`` table (or a built-in registry, or ``--url``'s).
    Which keys a type needs is checked where the target is resolved (``publish.targets``);
    "" means not set."""

    type: RegistryType = "upload-api"
    # upload-api
    url: str = ""
    index_url: str = ""
    username: str = ""
    password: str = ""
    trusted_publisher: bool = False
    oidc: OidcExchange | None = None
    # dir
    path: str = ""
    # s3
    bucket: str = ""
    #: where distributions go (``<prefix><name>/<file>``); the pages go to
    #: ``<index_prefix>simple/`` (the bucket's root by default, as the guide shows).
    prefix: str = ""
    index_prefix: str = ""
    region: str = ""
    endpoint_url: str = ""
    acl: str = ""
    # dir and s3
    cdn_url: str = ""
    generate_index: bool = True

    @classmethod
    def from_table(cls, table: Mapping[str, Value]) -> RegistrySettings:
        """From a table the resolver checked against the schema (kebab-case keys)."""

        def text(key: str) -> str:
            value = table.get(key, "")
            return value if isinstance(value, str) else ""

        kind = text("type") or "upload-api"
        oidc = text("oidc")
        return cls(
            type=_REGISTRY_TYPES[kind],
            url=text("url"),
            index_url=text("index-url"),
            username=text("username"),
            password=text("password"),
            trusted_publisher=table.get("trusted-publisher") is True,
            oidc=OidcExchange(
                kind=_OIDC_KINDS[oidc],
                audience=text("oidc-audience"),
                provider=text("oidc-provider"),
                project=text("oidc-project"),
                url=text("oidc-url"),
                org=text("oidc-org"),
                service=text("oidc-service"),
            )
            if oidc
            else None,
            path=text("path"),
            bucket=text("bucket"),
            prefix=text("prefix"),
            index_prefix=text("index-prefix"),
            region=text("region"),
            endpoint_url=text("endpoint-url"),
            acl=text("acl"),
            cdn_url=text("cdn-url"),
            generate_index=table.get("generate-index") is not False,
        )

    def with_env(self, env: RegistryEnv) -> RegistrySettings:
        """``HWB_REGISTRY_<NAME>_URL`` / ``_INDEX_URL`` replace the URLs for one run (a mirror,
        a proxy, a staging index); a replaced URL drops the configured index, which belongs to
        it. (The variables' user name and password rank apart: ``publish.targets``.)"""
        if env.url:
            return replace(self, url=env.url, index_url=env.index_url)
        if env.index_url:
            return replace(self, index_url=env.index_url)
        return self


#: The schema's enums as the Literal types (the resolver already refused anything else).
_REGISTRY_TYPES: dict[str, RegistryType] = {"upload-api": "upload-api", "s3": "s3", "dir": "dir"}
_OIDC_KINDS: dict[str, OidcKind] = {"artifactory": "artifactory", "cloudsmith": "cloudsmith"}
_INSTALLERS: dict[str, Installer] = {"auto": "auto", "uv": "uv", "pip": "pip"}
_MATRIX_PLATFORMS: dict[str, MatrixPlatform] = {
    "all": "all", "linux": "linux", "macos": "macos", "windows": "windows",
}  # fmt: skip
_GROUP_BYS: dict[str, GroupBy] = {
    "identifier": "identifier", "python": "python", "platform-arch": "platform-arch",
}  # fmt: skip
_CONTAINER_ENGINES: dict[str, ContainerEngine] = {"": "", "docker": "docker", "podman": "podman"}


@dataclass(frozen=True)
class RegistryEnv:
    """A registry's ``HWB_REGISTRY_<NAME>_*`` variables, as the resolver read them ("": unset)."""

    #: ``HWB_REGISTRY_<NAME>_``, for messages ("credential: $HWB_REGISTRY_CORP_PASSWORD").
    prefix: str
    url: str = ""
    index_url: str = ""
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class Registries:
    """``[tool.hwb.registries]`` and the ``HWB_REGISTRY_<NAME>_*`` variables, built once from
    the resolved configuration."""

    tables: Mapping[str, RegistrySettings] = field(default_factory=dict)
    #: ``HWB_REGISTRY_<NAME>_<FIELD>`` -> value (see ``Config.registry_env``).
    variables: Mapping[str, str] = field(default_factory=dict)
    #: Declared registries whose ``${VAR}`` is unset: the error a run using one raises
    #: (``Config.unresolved``); they are not in ``tables``.
    unresolved: Mapping[str, ConfigError] = field(default_factory=dict)

    @classmethod
    def from_config(cls, cfg: Config) -> Registries:
        variables: dict[str, str] = {}
        for name, setting in cfg.registry_env.items():
            if isinstance(setting.value, str):
                variables[name] = setting.value
        tables = {
            name: RegistrySettings.from_table(table)
            for name, table in cfg.tables("registries").items()
            if name not in cfg.unresolved
        }
        return cls(tables, variables, dict(cfg.unresolved))

    def declared(self, name: str) -> bool:
        return name in self.tables or name in self.unresolved

    def table(self, name: str) -> RegistrySettings:
        """Registry ``name``'s table, for a run that uses it: the moment an unset ``${VAR}`` in
        it becomes an error."""
        if name in self.unresolved:
            raise self.unresolved[name]
        return self.tables[name]

    @classmethod
    def from_tables(
        cls, tables: Mapping[str, Mapping[str, object]], environ: Mapping[str, str]
    ) -> Registries:
        """For a library caller holding ``[tool.hwb.registries]`` as TOML gives it: checked and
        layered by the resolver like a pyproject.toml's (``environ`` gives the variables)."""
        from hwb.settings.resolver import resolve

        data = {"tool": {"hwb": {"registries": dict(tables)}}}
        return cls.from_config(resolve(None, environ=environ, pyproject_data=data))

    def env(self, name: str) -> RegistryEnv:
        """The variables of registry ``name`` (NAME upper-cased, other characters as ``_``)."""
        prefix = registry_env_prefix(name)
        found = {
            key: self.variables.get(prefix + suffix, "") for suffix, key in REGISTRY_ENV_FIELDS
        }
        return RegistryEnv(
            prefix,
            url=found["url"],
            index_url=found["index-url"],
            username=found["username"],
            password=found["password"],
        )
