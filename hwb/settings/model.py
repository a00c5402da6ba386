"""Typed, frozen settings per ``[tool.hwb]`` section, built once from the resolved
:class:`~hwb.settings.resolver.Config`.

The resolver validates every value against ``schema.json`` (types, ranges, unknown keys), so
these constructors only convert: downstream code reads attributes, never ``section["key"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from hwb.settings.resolver import REGISTRY_ENV_FIELDS, registry_env_prefix

if TYPE_CHECKING:
    from hwb.settings.resolver import Config, Value

RegistryType = Literal["upload-api", "s3", "dir"]
OidcKind = Literal["artifactory", "cloudsmith"]


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
    timeout: float = 120.0
    inspect: bool = True

    @classmethod
    def from_config(cls, cfg: Config) -> PublishSettings:
        return cls(
            registries=cfg.texts("publish", "registries"),
            test_repository=cfg.text("publish", "test-repository"),
            skip_existing=cfg.flag("publish", "skip-existing"),
            jobs=cfg.integer("publish", "jobs"),
            retries=cfg.integer("publish", "retries"),
            timeout=cfg.number("publish", "timeout"),
            inspect=cfg.flag("publish", "inspect"),
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
    prefix: str = ""
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

    @classmethod
    def from_config(cls, cfg: Config) -> Registries:
        variables: dict[str, str] = {}
        for name, setting in cfg.registry_env.items():
            if isinstance(setting.value, str):
                variables[name] = setting.value
        tables = {
            name: RegistrySettings.from_table(table)
            for name, table in cfg.tables("registries").items()
        }
        return cls(tables, variables)

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
