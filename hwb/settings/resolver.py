"""The one configuration resolver.

Layers, highest first: command line > environment (``HWB_<SECTION>_<KEY>``) > ``[tool.hwb]`` in
pyproject.toml > built-in defaults (``resources/defaults.toml``). Each resolved value remembers
where it came from, for ``hwb config show``.

Types and allowed keys come from ``resources/schema.json``, the schema shipped for IDEs and
validate-pyproject. It is checked here by hand rather than with ``jsonschema``: importing that
costs more than the rest of hwb's start-up together, and its messages cannot say "did you mean".
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeAlias

from hwb.errors import ConfigError

# Re-exported: the documents as parsed (see hwb.settings.documents).
from hwb.settings.documents import load_toml as load_toml  # noqa: PLC0414
from hwb.settings.documents import schema as schema  # noqa: PLC0414

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

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


def debug_requested(environ: Mapping[str, str]) -> bool:
    """``HWB_DEBUG`` (``--debug``'s variable) asks for tracebacks: read before (or without) the
    command line parsing that would otherwise give it."""
    return environ.get("HWB_DEBUG", "") not in {"", "0", "false"}


REGISTRY_ENV_PREFIX = "HWB_REGISTRY_"
OTHER_ENV_PREFIXES = (REGISTRY_ENV_PREFIX, "HWB_ACTION_")
#: ``HWB_REGISTRY_<NAME>_<FIELD>``: what a registry takes from the environment, longest first
#: (``INDEX_URL`` before ``URL``), with the registry key each replaces or ranks beside.
REGISTRY_ENV_FIELDS = (
    ("INDEX_URL", "index-url"), ("URL", "url"), ("USERNAME", "username"), ("PASSWORD", "password"),
)  # fmt: skip
_SECRET_KEY = re.compile(r"(password|token|secret|credential)", re.IGNORECASE)
_EXPANSION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

#: A configuration value once checked against the schema: what TOML and JSON hold (TOML's
#: dates excepted: no key takes one).
Value: TypeAlias = "str | int | float | bool | list[Value] | dict[str, Value]"
#: A part of the JSON schema (a JSON object).
Spec: TypeAlias = Mapping[str, object]


@dataclass(frozen=True)
class Setting:
    """One resolved value and where it came from: ``default``, ``pyproject``,
    ``env:NAME`` or ``cli``."""

    value: Value
    origin: str
    secret: bool = False


@dataclass
class Config:
    """The resolved ``[tool.hwb]`` configuration."""

    settings: dict[str, dict[str, Setting]]
    pyproject: Path | None = None
    #: Secret values learned while resolving (from ``${VAR}`` expansion in secret keys).
    secrets: list[str] = field(default_factory=list)
    #: ``HWB_REGISTRY_<NAME>_<FIELD>`` variables by name. A registry name becomes NAME
    #: upper-cased with other characters as ``_``, which cannot be undone, so publish matches
    #: them to the registry it resolves by name (``hwb.settings.model.Registries``).
    registry_env: dict[str, Setting] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Value:
        return self.settings[section][key].value

    def section(self, name: str) -> dict[str, Value]:
        return {key: s.value for key, s in self.settings[name].items()}

    # Typed reads for the settings dataclasses. The schema checked every value, so a wrong
    # type here is a bug in schema.json/defaults.toml, not the user's.
    def text(self, section: str, key: str) -> str:
        value = self.get(section, key)
        if not isinstance(value, str):
            raise TypeError(f"{section}.{key} is not a string: {value!r}")
        return value

    def flag(self, section: str, key: str) -> bool:
        value = self.get(section, key)
        if not isinstance(value, bool):
            raise TypeError(f"{section}.{key} is not a boolean: {value!r}")
        return value

    def integer(self, section: str, key: str) -> int:
        value = self.get(section, key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{section}.{key} is not an integer: {value!r}")
        return value

    def number(self, section: str, key: str) -> float:
        value = self.get(section, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"{section}.{key} is not a number: {value!r}")
        return float(value)

    def texts(self, section: str, key: str) -> tuple[str, ...]:
        value = self.get(section, key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{section}.{key} is not an array of strings: {value!r}")
        return tuple(str(v) for v in value)

    def table(self, section: str, key: str) -> dict[str, str]:
        value = self.get(section, key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise TypeError(f"{section}.{key} is not a table of strings: {value!r}")
        return {k: str(v) for k, v in value.items()}

    def tables(self, section: str) -> dict[str, dict[str, Value]]:
        """A map section (``[tool.hwb.registries.NAME]``): each name's checked table."""
        found: dict[str, dict[str, Value]] = {}
        for name, s in self.settings.get(section, {}).items():
            if not isinstance(s.value, dict):
                raise TypeError(f"{section}.{name} is not a table: {s.value!r}")
            found[name] = s.value
        return found

    def redacted(self) -> dict[str, dict[str, dict[str, Value]]]:
        """A JSON-ready view with secret values replaced, for display. A registry's
        ``HWB_REGISTRY_<NAME>_*`` variables show as ``NAME.key`` beside its table."""
        view: dict[str, dict[str, dict[str, Value]]] = {
            sec: {
                key: {"value": _redact_value(s.value, s.secret), "origin": s.origin}
                for key, s in keys.items()
            }
            for sec, keys in self.settings.items()
        }
        names = list(self.settings.get("registries", {}))
        for variable, s in sorted(self.registry_env.items()):
            for name, key in registry_env_owners(variable, names):
                view.setdefault("registries", {})[f"{name}.{key}"] = {
                    "value": _redact_value(s.value, s.secret),
                    "origin": s.origin,
                }
        return view


def _redact_value(value: Value, secret: bool) -> Value:
    if secret and value:
        return "***"
    if isinstance(value, dict):
        return {k: _redact_value(v, bool(_SECRET_KEY.search(k))) for k, v in value.items()}
    return value


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


def _registry_env(environ: Mapping[str, str], secrets: list[str]) -> dict[str, Setting]:
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


@cache
def defaults() -> dict[str, dict[str, Value]]:
    """The built-in defaults (``resources/defaults.toml``)."""
    text = resources.files("hwb.resources").joinpath("defaults.toml").read_text("utf-8")
    return {
        section: _as_table(keys, f"defaults.toml [{section}]")
        for section, keys in tomllib.loads(text).items()
    }


def _as_value(raw: object, where: str) -> Value:
    """Narrow parsed TOML/JSON to :data:`Value` (a date, which no key takes, is an error)."""
    if isinstance(raw, (str, bool, int, float)):
        return raw
    if isinstance(raw, list):
        return [_as_value(v, f"{where}[{i}]") for i, v in enumerate(raw)]
    if isinstance(raw, dict):
        return {str(k): _as_value(v, f"{where}.{k}") for k, v in raw.items()}
    raise ConfigError(f"{where} must not be {_article(_type_name(raw))} ({raw!r})")


def _as_table(raw: object, where: str) -> dict[str, Value]:
    value = _as_value(raw, where)
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def _spec(spec: Spec, key: str) -> Spec:
    """A sub-schema (``properties``, ``items``...): a JSON object, or empty."""
    sub = spec.get(key)
    return sub if isinstance(sub, dict) else {}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(choices))}"


def _type_name(value: object) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _check_type(where: str, value: object, spec: Spec, file: str | None = None) -> Value:
    kind = spec.get("type")
    ok = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(str(kind), True)
    if not ok:
        expected = "table" if kind == "object" else str(kind)
        raise ConfigError(
            f"{where} must be {_article(expected)}, not {_article(_type_name(value))} ({value!r})",
            file=file,
        )
    low, high = spec.get("minimum"), spec.get("maximum")
    if (
        isinstance(value, int)
        and kind == "integer"
        and ((isinstance(low, int) and value < low) or (isinstance(high, int) and value > high))
    ):
        allowed = (
            f"{low}..{high}" if low is not None and high is not None
            else f">= {low}" if low is not None else f"<= {high}"
        )  # fmt: skip
        raise ConfigError(
            f"{where} = {value} is out of range (allowed: {allowed})",
            hint=f"Set {where} to a whole number in {allowed}.",
            file=file,
        )
    enum = spec.get("enum")
    if isinstance(enum, list) and value not in enum:
        choices = ", ".join(repr(c) for c in enum)
        raise ConfigError(f"{where} must be one of {choices}, not {value!r}", file=file)
    if isinstance(value, dict) and isinstance(spec.get("additionalProperties"), dict):
        for sub_key, sub_value in value.items():
            _check_type(f"{where}.{sub_key}", sub_value, _spec(spec, "additionalProperties"), file)
    if isinstance(value, list) and isinstance(spec.get("items"), dict):
        for i, item in enumerate(value):
            _check_type(f"{where}[{i}]", item, _spec(spec, "items"), file)
    return _as_value(value, where)


def expand(value: Value, where: str, environ: Mapping[str, str]) -> Value:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in strings (recursively in arrays and tables).

    An unset variable without a default is an error: an empty password must never be sent.
    """
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group("name"), match.group("default")
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{where} uses ${{{name}}}, but the environment variable {name} is not set",
                hint=f"Set {name}, or write ${{{name}:-default}} to give a default.",
            )

        return _EXPANSION.sub(replace, value)
    if isinstance(value, list):
        return [expand(v, f"{where}[{i}]", environ) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: expand(v, f"{where}.{k}", environ) for k, v in value.items()}
    return value


def _checked_raw(
    raw: object, where: str, spec: Spec, environ: Mapping[str, str], file: str
) -> Value:
    """A value read from pyproject.toml, ``${VAR}``-expanded, then checked against the schema."""
    try:
        value = _as_value(raw, where)
    except ConfigError as exc:  # a TOML date: say what the key expects, where it can
        _check_type(where, raw, spec, file)
        raise ConfigError(exc.message, file=file) from None
    return _check_type(where, expand(value, where, environ), spec, file)


def _from_env(name: str, raw: str, spec: Spec) -> Value:
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
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
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


def _kebab(key: str, props: Spec) -> str:
    """Accept ``cdn_url`` for ``cdn-url``: TOML users write both, and s3pypi/the seed use _."""
    alt = key.replace("_", "-")
    return alt if key not in props and alt in props else key


def _check_entry(
    where: str,
    entry: object,
    entry_spec: Spec,
    environ: Mapping[str, str],
    pyproject: Path | None,
) -> dict[str, Value]:
    """Validate one table of a map section (unknown keys, types, ${VAR} expansion)."""
    if not isinstance(entry, dict):
        raise ConfigError(f"[tool.hwb.{where}] must be a table", file=str(pyproject))
    props = _spec(entry_spec, "properties")
    checked: dict[str, Value] = {}
    for given, raw in entry.items():
        key = _kebab(str(given), props)
        if key not in props:
            raise ConfigError(
                f"unknown key '{key}' in [tool.hwb.{where}]{_suggest(key, list(props))}",
                file=str(pyproject),
            )
        label = f"[tool.hwb.{where}] {key}"
        checked[key] = _checked_raw(raw, label, _spec(props, key), environ, str(pyproject))
    return checked


def _userinfo_secrets(entry: Mapping[str, Value]) -> list[str]:
    """Passwords in the userinfo of a registry's URLs are secrets like ``password``."""
    from hwb.redaction import split_userinfo

    found = []
    for value in entry.values():
        if isinstance(value, str) and "@" in value:
            password = split_userinfo(value)[2]
            if password:
                found.append(password)
    return found


def _merge(lower: Value, higher: Value) -> Value:
    """Tables merge key by key (a higher layer adds to -C settings from pyproject);
    every other value is replaced."""
    if isinstance(lower, dict) and isinstance(higher, dict):
        return {**lower, **higher}
    return higher


def env_name(section: str, key: str) -> str:
    """``build``, ``config-settings`` -> ``HWB_BUILD_CONFIG_SETTINGS``."""
    return f"{ENV_PREFIX}{section}_{key}".upper().replace("-", "_")


def find_pyproject(project_dir: Path) -> Path | None:
    candidate = project_dir / "pyproject.toml"
    return candidate if candidate.is_file() else None


def _apply_env(
    settings: dict[str, dict[str, Setting]],
    secrets: list[str],
    spec: Spec,
    environ: Mapping[str, str],
) -> None:
    """The environment layer. Every ``HWB_`` variable must name a key: one under a known
    section's prefix that names no key, or under no known prefix at all (a misspelt section),
    is a typo, and an error. (``HWB_REGISTRY_<NAME>_*``: :func:`_registry_env`.)"""
    sections = {sec: _spec(spec, sec) for sec in spec}
    known = [env_name(sec, key) for sec, sp in sections.items() for key in _spec(sp, "properties")]
    prefixes = tuple(f"{ENV_PREFIX}{sec.upper().replace('-', '_')}_" for sec in spec)
    for name in environ:
        if (
            name.startswith(ENV_PREFIX)
            and name not in OTHER_ENV
            and not name.startswith((*prefixes, *OTHER_ENV_PREFIXES))
        ):
            raise ConfigError(
                f"unknown environment variable {name}{_suggest(name, known)}",
                hint=f"Unset {name} or correct its name (HWB_<SECTION>_<KEY>, see "
                "'hwb config show').",
            )
    for section, sec_spec in sections.items():
        if "properties" not in sec_spec:
            continue  # the map section (registries) has its own variables: _registry_env
        props = _spec(sec_spec, "properties")
        by_env = {env_name(section, key): key for key in props}
        prefix = f"{ENV_PREFIX}{section.upper().replace('-', '_')}_"
        for name, raw in environ.items():
            if not name.startswith(prefix):
                continue
            if name not in by_env:
                raise ConfigError(
                    f"unknown environment variable {name}{_suggest(name, list(by_env))}",
                    hint=f"Unset {name} or correct its name.",
                )
            key = by_env[name]
            value = _check_type(name, _from_env(name, raw, _spec(props, key)), _spec(props, key))
            secret = bool(_SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(
                _merge(settings[section][key].value, value), f"env:{name}", secret
            )


def resolve(
    project_dir: Path | None = None,
    cli: Mapping[str, Value] | None = None,
    environ: Mapping[str, str] | None = None,
    pyproject_data: Mapping[str, object] | None = None,
) -> Config:
    """Resolve the configuration of the project in ``project_dir``.

    ``cli`` maps ``"section.key"`` to values the user gave on the command line (only those
    given: an option left at its default must not be passed, or it would hide lower layers).
    ``pyproject_data`` may be passed when the caller already parsed the file.
    """
    environ = os.environ if environ is None else environ
    cli = cli or {}
    spec = _spec(_as_table(schema(), "schema.json"), "properties")
    pyproject = find_pyproject(project_dir) if project_dir is not None else None
    if pyproject_data is None:
        pyproject_data = load_toml(pyproject) if pyproject else {}
    tool = pyproject_data.get("tool", {})
    table = tool.get("hwb", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError("[tool.hwb] must be a table", file=str(pyproject))

    settings: dict[str, dict[str, Setting]] = {}
    secrets: list[str] = []
    for section, keys in defaults().items():
        settings[section] = {
            key: Setting(value, "default", bool(_SECRET_KEY.search(key)))
            for key, value in keys.items()
        }

    # pyproject layer: reject unknown sections and keys before anything else.
    for section, values in table.items():
        if section not in spec:
            raise ConfigError(
                f"unknown section [tool.hwb.{section}]{_suggest(str(section), list(spec))}",
                file=str(pyproject),
            )
        if not isinstance(values, dict):
            raise ConfigError(f"[tool.hwb.{section}] must be a table", file=str(pyproject))
        sec_spec = _spec(spec, section)
        if "properties" not in sec_spec:
            # A map section ([tool.hwb.registries.NAME]): one table per name, same schema each.
            entry_spec = _spec(sec_spec, "additionalProperties")
            for name, entry in values.items():
                checked = _check_entry(f"{section}.{name}", entry, entry_spec, environ, pyproject)
                secrets += [
                    v
                    for k, v in checked.items()
                    if _SECRET_KEY.search(k) and isinstance(v, str) and v
                ]
                secrets += _userinfo_secrets(checked)
                settings[section][str(name)] = Setting(checked, "pyproject")
            continue
        props = _spec(sec_spec, "properties")
        for given, raw in values.items():
            key = _kebab(str(given), props)
            where = f"[tool.hwb.{section}] {key}"
            if key not in props:
                raise ConfigError(
                    f"unknown key '{key}' in [tool.hwb.{section}]{_suggest(key, list(props))}",
                    file=str(pyproject),
                )
            value = _checked_raw(raw, where, _spec(props, key), environ, str(pyproject))
            secret = bool(_SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(value, "pyproject", secret)

    _apply_env(settings, secrets, spec, environ)
    registry_env = _registry_env(environ, secrets)

    # Command-line layer.
    for dotted, value in cli.items():
        section, _, key = dotted.partition(".")
        props = _spec(_spec(spec, section), "properties")
        _check_type(f"--{key}", value, _spec(props, key))
        merged = _merge(settings[section][key].value, value)
        settings[section][key] = Setting(merged, "cli", bool(_SECRET_KEY.search(key)))

    return Config(settings, pyproject, secrets, registry_env)
