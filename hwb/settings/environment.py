"""The environment layer of the resolver: ``HWB_<SECTION>_<KEY>`` (typos are errors) and a
registry's ``HWB_REGISTRY_<NAME>_<FIELD>`` variables."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hwb.errors import ConfigError
from hwb.settings.values import (
    SECRET_KEY,
    Setting,
    Spec,
    Value,
    check_type,
    merge,
    sub_spec,
    suggest,
)

ENV_PREFIX = "HWB_"
#: HWB_ variables that are not configuration keys: --debug, and the variables hwb's own action
#: (action.yml, hwb.action) and CI templates (hwb init-ci, hwb matrix plan) set in the job.
OTHER_ENV = frozenset(
    {
        "HWB_DEBUG",
        "HWB_PYTHON",
        "HWB_SOURCE",
        "HWB_INSTALL",
        "HWB_IMAGE",
        "HWB_PACKAGE_DIR",
        "HWB_DIST_DIR",
        "HWB_REPOSITORY",
        "HWB_TESTPYPI",
        "HWB_ENVIRONMENT",
        "HWB_EXPIRE_IN",
        "HWB_ONLY",
        "HWB_PLAN",
    }
)
REGISTRY_ENV_PREFIX = "HWB_REGISTRY_"
OTHER_ENV_PREFIXES = (REGISTRY_ENV_PREFIX, "HWB_ACTION_")
#: ``HWB_REGISTRY_<NAME>_<FIELD>``: what a registry takes from the environment, longest first
#: (``INDEX_URL`` before ``URL``), with the registry key each replaces or ranks beside.
REGISTRY_ENV_FIELDS = (
    ("INDEX_URL", "index-url"), ("URL", "url"), ("USERNAME", "username"), ("PASSWORD", "password"),
)  # fmt: skip
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_name(section: str, key: str) -> str:
    """``build``, ``config-settings`` -> ``HWB_BUILD_CONFIG_SETTINGS``."""
    return f"{ENV_PREFIX}{section}_{key}".upper().replace("-", "_")


def registry_env_prefix(name: str) -> str:
    """``corp-eu`` -> ``HWB_REGISTRY_CORP_EU_``: a registry's variables."""
    return REGISTRY_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def registry_env_owners(variable: str, names: list[str]) -> list[tuple[str, str]]:
    """(registry name, key) pairs ``HWB_REGISTRY_<NAME>_<FIELD>`` stands for, for display: the
    configured names it matches, else the name read off the variable (``pypi``, a ``--url``
    host as ``127_0_0_1_8080``)."""
    owners = [
        (name, key)
        for name in names
        for suffix, key in REGISTRY_ENV_FIELDS
        if registry_env_prefix(name) + suffix == variable
    ]
    if owners:
        return owners
    for suffix, key in REGISTRY_ENV_FIELDS:
        middle = variable[len(REGISTRY_ENV_PREFIX) : -len(suffix) - 1]
        if variable.endswith("_" + suffix) and middle:
            return [(middle.lower(), key)]
    return []


def read_registry_env(environ: Mapping[str, str], secrets: list[str]) -> dict[str, Setting]:
    """Every set ``HWB_REGISTRY_<NAME>_<FIELD>`` (an empty one counts as unset, as before);
    passwords, and passwords in a URL's userinfo, are secrets."""
    from hwb.redaction import split_userinfo

    found: dict[str, Setting] = {}
    for variable, value in environ.items():
        if not (variable.startswith(REGISTRY_ENV_PREFIX) and value):
            continue
        suffix = next((f for f, _ in REGISTRY_ENV_FIELDS if variable.endswith("_" + f)), None)
        if suffix is None or len(variable) <= len(REGISTRY_ENV_PREFIX) + len(suffix) + 1:
            continue  # another HWB_REGISTRY_ variable: hwb reads none (as before)
        secret = suffix == "PASSWORD"
        if secret:
            secrets.append(value)
        elif suffix.endswith("URL") and "@" in value:
            password = split_userinfo(value)[2]
            if password:
                secrets.append(password)
        found[variable] = Setting(value, f"env:{variable}", secret)
    return found


def from_env(name: str, raw: str, spec: Spec) -> Value:
    """Convert an environment variable's text to the schema's type."""
    kind = spec.get("type")
    if kind == "boolean":
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean", hint="Use 1/0, true/false, yes/no.")
    if kind == "integer":
        # ASCII digits only: int() also takes "٣", fullwidth digits and "1_0".
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", raw.strip()):
            raise ConfigError(
                f"{name}={raw!r} is not an integer",
                hint="Write it with the digits 0-9 only (no '_', no other scripts' digits).",
            )
        return int(raw)
    if kind == "array":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "object":
        table: dict[str, Value] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            key, sep, val = part.partition("=")
            if not sep:
                raise ConfigError(f"{name}: {part!r} is not KEY=VALUE", hint="Use K1=V1,K2=V2.")
            table[key.strip()] = val.strip()
        return table
    return raw


def apply_env(
    settings: dict[str, dict[str, Setting]],
    secrets: list[str],
    spec: Spec,
    environ: Mapping[str, str],
) -> None:
    """The environment layer. Every ``HWB_`` variable must name a key: one under a known
    section's prefix that names no key, or under no known prefix at all (a misspelt section),
    is a typo, and an error. (``HWB_REGISTRY_<NAME>_*``: :func:`_registry_env`.)"""
    sections = {sec: sub_spec(spec, sec) for sec in spec}
    known = [
        env_name(sec, key) for sec, sp in sections.items() for key in sub_spec(sp, "properties")
    ]
    prefixes = tuple(f"{ENV_PREFIX}{sec.upper().replace('-', '_')}_" for sec in spec)
    for name in environ:
        if (
            name.startswith(ENV_PREFIX)
            and name not in OTHER_ENV
            and not name.startswith((*prefixes, *OTHER_ENV_PREFIXES))
        ):
            raise ConfigError(
                f"unknown environment variable {name}{suggest(name, known)}",
                hint=f"Unset {name} or correct its name (HWB_<SECTION>_<KEY>, see "
                "'hwb config show').",
            )
    for section, sec_spec in sections.items():
        if "properties" not in sec_spec:
            continue  # the map section (registries) has its own variables: _registry_env
        props = sub_spec(sec_spec, "properties")
        by_env = {env_name(section, key): key for key in props}
        prefix = f"{ENV_PREFIX}{section.upper().replace('-', '_')}_"
        for name, raw in environ.items():
            if not name.startswith(prefix):
                continue
            if name not in by_env:
                raise ConfigError(
                    f"unknown environment variable {name}{suggest(name, list(by_env))}",
                    hint=f"Unset {name} or correct its name.",
                )
            key = by_env[name]
            value = check_type(
                name, from_env(name, raw, sub_spec(props, key)), sub_spec(props, key)
            )
            secret = bool(SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(
                merge(settings[section][key].value, value), f"env:{name}", secret
            )
