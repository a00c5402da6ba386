"""Where to publish and with which credentials.

Targets: ``--repository NAME`` (repeatable; ``pypi`` and ``testpypi`` built in, others from
``[tool.hwb.registries.NAME]``), ``--url URL``, ``--all`` (every name in
``[tool.hwb.publish] registries``), ``--test`` (``test-repository``); by default
``[tool.hwb.publish] registries``, else ``pypi``.

Credential order for a registry NAME, first found wins (each resolved value is a secret):

1. ``--token`` (user ``__token__``; works, but is visible in the process list);
2. ``-p/--password`` (user ``-u/--username``, else ``__token__``);
3. ``HWB_REGISTRY_<NAME>_PASSWORD`` (and ``HWB_REGISTRY_<NAME>_USERNAME``);
4. ``PYPI_TOKEN`` for pypi, ``TESTPYPI_TOKEN`` for testpypi; ``TWINE_PASSWORD`` (as twine reads it);
5. userinfo in the URL (``https://user:password@host/``, ``--url`` or the registry's ``url``):
   parsed out once here, never sent as part of the URL nor displayed;
6. ``password`` (and ``username``) in ``[tool.hwb.registries.NAME]``, usually ``${ENV_VAR}``;
7. Google Artifact Registry (``*-python.pkg.dev``): application-default credentials through
   google-auth (``pip install 'headless-wheel-builder[gcp]'``), user ``oauth2accesstoken``;
8. none: anonymous (fine for an open pypiserver or devpi; PyPI and TestPyPI refuse it).

The index URL's own userinfo, if any, is the credential of the index lookups only.

The registry tables and the ``HWB_REGISTRY_<NAME>_*`` variables arrive typed from the settings
resolver (:class:`~hwb.settings.model.Registries`, also what ``hwb config show`` lists);
``environ`` is read for the other tools' variables only (``PYPI_TOKEN``, ``TWINE_*``, the CI's).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hwb import ci
from hwb.errors import ConfigError, CredentialsError, UsageError, missing_extra
from hwb.redaction import ENCODE_HINT, split_userinfo, strip_userinfo, url_error
from hwb.settings.model import PublishSettings, Registries, RegistryEnv, RegistrySettings
from hwb.settings.values import check_http_url

BUILTIN: dict[str, RegistrySettings] = {
    "pypi": RegistrySettings(
        url="https://upload.pypi.org/legacy/", index_url="https://pypi.org/simple/"
    ),
    "testpypi": RegistrySettings(
        url="https://test.pypi.org/legacy/", index_url="https://test.pypi.org/simple/"
    ),
}
TOKEN_ENV = {"pypi": "PYPI_TOKEN", "testpypi": "TESTPYPI_TOKEN"}


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    index_url: str | None
    username: str | None
    password: str | None
    credential_source: str  # where the credential came from (never the value)
    kind: str = "upload-api"  # upload-api | dir | s3
    #: The registry's settings (its store for dir/s3, its OIDC exchange), env URLs applied.
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    trusted: bool = False  # trusted publishing: the password is minted from the CI's identity
    #: Supplies the password on every request when it changes over time (trusted publishing).
    credential: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    #: (user, password) from the index URL's userinfo, for the index lookups only.
    index_auth: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def public(self) -> bool:
        return self.name in BUILTIN or (urlsplit(self.url).hostname or "").endswith("pypi.org")

    def to_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "type": self.kind,
            "url": self.url,
            "index_url": self.index_url,
            "username": self.username,
            "credential": self.credential_source,
        }


_TRUSTED_SOURCE = "trusted publishing (the CI's OIDC identity)"


def local_index_path(environ: Mapping[str, str]) -> Path:
    """The built-in ``local`` registry: a folder index in the user's data directory, for
    testing a release end to end with no server (override with [tool.hwb.registries.local])."""
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "hwb" / "index"


def url_target_name(url: str) -> str:
    """The registry name ``--url URL`` gets (its credentials: ``HWB_REGISTRY_<NAME>_*``): its
    host[:port], never its userinfo; a URL that is empty or does not parse is a UsageError."""

    hint = "Give --url as https://host/path/ (file:///absolute/path or s3://bucket/prefix)."
    if not url.strip():
        raise UsageError("--url is empty", hint=hint)
    clean, _, _ = split_userinfo(url)
    try:
        parts = urlsplit(clean)
        port = parts.port
    except ValueError as exc:  # never print it whole: the password may be what broke it
        shown = strip_userinfo(url)
        raise UsageError(
            f"--url {shown!r} is not a valid URL: {url_error(exc)}", hint=f"{hint} {ENCODE_HINT}"
        ) from None
    if parts.scheme in {"http", "https"}:
        if not parts.hostname:
            raise UsageError(f"--url {strip_userinfo(url)!r} has no host", hint=hint)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return host + (f":{port}" if port else "")
    if parts.scheme in {"file", "s3"}:
        return f"{parts.scheme}:{parts.netloc or parts.path}"
    raise UsageError(
        f"--url {strip_userinfo(url)!r}: unsupported scheme {parts.scheme or '(none)'!r}",
        hint=hint,
    )


def gitlab_registry(environ: Mapping[str, str]) -> RegistrySettings | None:
    """The project's own GitLab package registry, inside GitLab CI (registry name ``gitlab``)."""
    api, project = environ.get("CI_API_V4_URL"), environ.get("CI_PROJECT_ID")
    if not (api and project):
        return None
    url = f"{api.rstrip('/')}/projects/{project}/packages/pypi"
    return RegistrySettings(url=url, index_url=f"{url}/simple/")


def _builtin(name: str, environ: Mapping[str, str]) -> RegistrySettings | None:
    """pypi, testpypi, ``local`` (the user's folder index), ``gitlab`` (inside GitLab CI)."""
    if name in BUILTIN:
        return BUILTIN[name]
    if name == "local":
        return RegistrySettings(type="dir", path=str(local_index_path(environ)))
    return gitlab_registry(environ) if name == "gitlab" else None


def _gitlab_job_token(environ: Mapping[str, str], env: RegistryEnv) -> bool:
    """GitLab's own registry in its CI takes the job token (as user gitlab-ci-token), unless a
    password is set for it explicitly."""
    return bool(environ.get("CI_JOB_TOKEN")) and not env.password


def guess_index_url(url: str) -> str | None:
    """The simple index of an upload URL, where the layout is well known."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in {"upload.pypi.org", "pypi.org"}:
        return BUILTIN["pypi"].index_url
    if host == "test.pypi.org":
        return BUILTIN["testpypi"].index_url
    path = parts.path.rstrip("/")
    segments = [s for s in path.split("/") if s]
    base = url if url.endswith("/") else url + "/"
    if len(segments) == 2:  # devpi: /USER/INDEX/ uploads, /USER/INDEX/+simple/ serves
        return base + "+simple/"
    if not segments:  # pypiserver: / uploads, /simple/ serves
        return base + "simple/"
    return None


def _google_password(url: str) -> str | None:
    if not (urlsplit(url).hostname or "").endswith("-python.pkg.dev"):
        return None
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError:
        error = missing_extra("gcp", "google-auth", f"{url} (Artifact Registry, no password)")
        error.hint = f"{error.hint} to use application-default credentials, or set a password."
        raise error from None
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())
    token: str = credentials.token
    return token


def resolve_target(
    name: str,
    registries: Registries | Mapping[str, Mapping[str, object]],
    environ: Mapping[str, str],
    token: str | None = None,
    url: str | None = None,
    trusted: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> Target:
    """The registry ``name`` with its credential, first found wins (README "Credentials"):
    ``--token``; ``-p/--password`` (user ``-u`` or ``__token__``); ``HWB_REGISTRY_<NAME>_PASSWORD``;
    ``PYPI_TOKEN``/``TESTPYPI_TOKEN``; ``TWINE_PASSWORD`` (as twine reads it); the registry
    table's ``password``; Google application-default credentials. The user name: ``-u``, then
    ``HWB_REGISTRY_<NAME>_USERNAME``, ``TWINE_USERNAME``, the table's ``username``.

    ``registries`` comes from the settings resolver (``Registries.from_config``); raw tables
    (as ``[tool.hwb.registries]`` holds them) go through it here, with ``environ``'s
    ``HWB_REGISTRY_<NAME>_*``. ``environ`` is read for ``PYPI_TOKEN``, ``TWINE_*``, the CI."""
    if not isinstance(registries, Registries):
        registries = Registries.from_tables(registries, environ)
    env = registries.env(name)
    if url is not None:
        table = _table_for_url(url)
    elif name in registries.tables:
        table = registries.tables[name]
    elif (builtin := _builtin(name, environ)) is not None:
        table = builtin
    else:
        known = sorted({*BUILTIN, "local", *registries.tables})
        close = difflib.get_close_matches(name, known, n=1)
        suggestion = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known)}"
        raise ConfigError(
            f"unknown registry '{name}'{suggestion}",
            hint=f"Declare it in [tool.hwb.registries.{name}] with url = '...'.",
        )
    table = table.with_env(env)
    if table.type in {"dir", "s3"}:
        return _static_target(name, table)
    upload_url, url_user, url_password, index_url, index_auth = _urls(name, table, url)
    if table.oidc is not None:
        return _registry_oidc_target(name, upload_url, index_url or None, table)
    if trusted or table.trusted_publisher:
        return Target(
            name, upload_url, index_url or None, "__token__", None, _TRUSTED_SOURCE,
            trusted=True, index_auth=index_auth,
        )  # fmt: skip
    password, username, source = _credential(
        name, upload_url, table, env, environ, token, username, password,
        builtin_gitlab=name == "gitlab" and name not in registries.tables,
        url_credential=(url_user, url_password),
    )  # fmt: skip
    if password is not None and not username:
        username = "__token__"
    target = Target(
        name, upload_url, index_url or None, username, password, source, index_auth=index_auth
    )
    if target.public and password is None:
        if ci.has_identity(environ):  # no other credential, in a CI with an identity
            return Target(
                name, upload_url, index_url or None, "__token__", None, _TRUSTED_SOURCE,
                trusted=True, index_auth=index_auth,
            )  # fmt: skip
        raise CredentialsError(
            f"no credential for {name}: PyPI and TestPyPI refuse anonymous uploads",
            hint=f"Set {TOKEN_ENV.get(name, env.prefix + 'PASSWORD')} (an API token), or use "
            "trusted publishing from CI (--trusted-publisher).",
        )
    return target


def _urls(
    name: str, table: RegistrySettings, url: str | None
) -> tuple[str, str | None, str | None, str, tuple[str, str] | None]:
    """Upload URL, its userinfo (user, password), the index URL and the index's own
    (user, password): userinfo parsed out once, here."""
    builtin = BUILTIN.get(name)
    upload_url, url_user, url_password = split_userinfo(
        table.url or (builtin.url if builtin else "")
    )
    check_http_url(upload_url, f"registry '{name}': url", url is not None)
    index_url, index_user, index_password = split_userinfo(
        table.index_url or guess_index_url(upload_url) or ""
    )
    if index_url:
        check_http_url(index_url, f"registry '{name}': index-url", False)
    index_auth = (index_user or "__token__", index_password) if index_password else None
    return upload_url, url_user, url_password, index_url, index_auth


def _credential(
    name: str,
    upload_url: str,
    table: RegistrySettings,
    env: RegistryEnv,
    environ: Mapping[str, str],
    token: str | None,
    cli_username: str | None,
    cli_password: str | None,
    builtin_gitlab: bool = False,
    url_credential: tuple[str | None, str | None] = (None, None),
) -> tuple[str | None, str | None, str]:
    """(password, username, where the password came from), in the order resolve_target says.
    ``env`` holds ``HWB_REGISTRY_<NAME>_*`` (from the resolver), ``environ`` everything else."""
    username: str | None = table.username or None
    password: str | None = None
    source = "none (anonymous)"
    if token:
        password, username, source = token, "__token__", "--token"
    elif cli_password:
        password, source = cli_password, "--password"
    elif builtin_gitlab and _gitlab_job_token(environ, env):
        password, username, source = environ["CI_JOB_TOKEN"], "gitlab-ci-token", "$CI_JOB_TOKEN"
    elif env.password:
        password, source = env.password, f"${env.prefix}PASSWORD"
    elif name in TOKEN_ENV and environ.get(TOKEN_ENV[name]):
        password, username, source = environ[TOKEN_ENV[name]], "__token__", f"${TOKEN_ENV[name]}"
    elif environ.get("TWINE_PASSWORD"):
        password, source = environ["TWINE_PASSWORD"], "$TWINE_PASSWORD"
    elif url_credential[1] is not None:
        password, username, source = url_credential[1], url_credential[0], "userinfo in the url"
    elif table.password:
        password, source = table.password, f"[tool.hwb.registries.{name}] password"
    else:
        google = _google_password(upload_url)
        if google:
            password, username, source = (
                google,
                "oauth2accesstoken",
                "Google application-default credentials",
            )
    # The user is part of these credentials (tokens, a URL's user:password pair).
    fixed_user = {"--token", f"${TOKEN_ENV.get(name)}", "$CI_JOB_TOKEN", "userinfo in the url"}
    if source not in fixed_user and username != "oauth2accesstoken":
        username = cli_username or env.username or environ.get("TWINE_USERNAME") or username
    return password, username, source


def _registry_oidc_target(
    name: str, upload_url: str, index_url: str | None, table: RegistrySettings
) -> Target:
    exchange = table.oidc
    assert exchange is not None  # noqa: S101 - the caller checked
    kind = exchange.kind
    needed = {"oidc-audience": exchange.audience} | (
        {"oidc-provider": exchange.provider}
        if kind == "artifactory"
        else {"oidc-org": exchange.org, "oidc-service": exchange.service}
    )
    missing = [key for key, value in needed.items() if not value]
    if missing:
        raise ConfigError(
            f"registry '{name}' (oidc = \"{kind}\") needs {', '.join(missing)}",
            hint="See the README's section on private registries' OIDC exchanges.",
        )
    source = f"{kind} OIDC exchange (the CI's identity)"
    return Target(
        name, upload_url, index_url, table.username or None, None, source, registry=table,
        trusted=True,
    )  # fmt: skip


def _table_for_url(url: str) -> RegistrySettings:
    """--url: file:///path (a folder index), s3://bucket/prefix, or an upload URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in {"", "localhost"} or not parts.path.startswith("/"):
            raise UsageError(
                f"--url {strip_userinfo(url)!r}: a file URL must be absolute "
                "(file:///path/to/index)",
                hint="Write file:// followed by an absolute path, e.g. file:///srv/index.",
            )
        return RegistrySettings(type="dir", path=parts.path)
    if parts.scheme == "s3":
        return RegistrySettings(type="s3", bucket=parts.netloc, prefix=parts.path.strip("/"))
    return RegistrySettings(url=url)


def _static_target(name: str, table: RegistrySettings) -> Target:
    if table.type == "dir":
        if not table.path:
            raise ConfigError(f"registry '{name}' (type dir) needs path = '...'")
        path = Path(table.path).expanduser().resolve()
        location = str(path)
        index = (
            (table.cdn_url.rstrip("/") + "/simple/")
            if table.cdn_url
            else (path.as_uri() + "/simple/")
        )
        registry = dataclasses.replace(table, path=location)
        return Target(name, location, index, None, None, "none (local folder)", "dir", registry)
    if not table.bucket:
        raise ConfigError(f"registry '{name}' (type s3) needs bucket = '...'")
    prefix = table.prefix.strip("/")
    under = prefix + "/" if prefix else ""
    location = f"s3://{table.bucket}/{under}"
    if table.cdn_url:
        index = table.cdn_url.rstrip("/") + "/simple/"
    elif table.endpoint_url:
        index = f"{table.endpoint_url.rstrip('/')}/{table.bucket}/{under}simple/"
    else:
        index = f"https://{table.bucket}.s3.amazonaws.com/{under}simple/"
    return Target(name, location, index, None, None, "AWS credential chain", "s3", table)


def choose_names(
    repositories: tuple[str, ...], use_all: bool, test: bool, publish: PublishSettings
) -> list[str]:
    configured = list(publish.registries)
    if test:
        return [publish.test_repository]
    if use_all:
        if not configured:
            raise ConfigError(
                "--all publishes to [tool.hwb.publish] registries, which is empty",
                hint='Set registries = ["name", ...] in [tool.hwb.publish].',
            )
        return configured
    if repositories:
        return list(dict.fromkeys(repositories))
    return configured or ["pypi"]
