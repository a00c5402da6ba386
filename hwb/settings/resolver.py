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
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hwb.errors import ConfigError

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
OTHER_ENV_PREFIXES = ("HWB_REGISTRY_", "HWB_ACTION_")
_SECRET_KEY = re.compile(r"(password|token|secret|credential)", re.IGNORECASE)
_EXPANSION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Setting:
    """One resolved value and where it came from: ``default``, ``pyproject``,
    ``env:NAME`` or ``cli``."""

    value: Any
    origin: str
    secret: bool = False


@dataclass
class Config:
    """The resolved ``[tool.hwb]`` configuration."""

    settings: dict[str, dict[str, Setting]]
    pyproject: Path | None = None
    #: Secret values learned while resolving (from ``${VAR}`` expansion in secret keys).
    secrets: list[str] = field(default_factory=list)

    def get(self, section: str, key: str) -> Any:
        return self.settings[section][key].value

    def section(self, name: str) -> dict[str, Any]:
        return {key: s.value for key, s in self.settings[name].items()}

    def redacted(self) -> dict[str, dict[str, dict[str, Any]]]:
        """A JSON-ready view with secret values replaced, for display."""
        return {
            sec: {
                key: {"value": _redact_value(s.value, s.secret), "origin": s.origin}
                for key, s in keys.items()
            }
            for sec, keys in self.settings.items()
        }


def _redact_value(value: Any, secret: bool) -> Any:
    if secret and value:
        return "***"
    if isinstance(value, dict):
        return {k: _redact_value(v, bool(_SECRET_KEY.search(k))) for k, v in value.items()}
    return value


@cache
def schema() -> dict[str, Any]:
    """The JSON schema of ``[tool.hwb]`` shipped in the package."""
    text = resources.files("hwb.resources").joinpath("schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def defaults() -> dict[str, dict[str, Any]]:
    """The built-in defaults (``resources/defaults.toml``)."""
    text = resources.files("hwb.resources").joinpath("defaults.toml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = tomllib.loads(text)
    return data


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a ConfigError naming file, line and column."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not valid UTF-8", file=str(path)) from exc
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = _TOML_POSITION.search(msg)
        reason = _TOML_POSITION.sub("", msg).strip()
        loc = f"{path}:{where.group(1)}:{where.group(2)}" if where else str(path)
        raise ConfigError(
            f"invalid TOML at {loc}: {reason}",
            hint="Fix the syntax at that line and column.",
            file=str(path),
        ) from exc
    return data


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(choices))}"


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _check_type(where: str, value: Any, spec: Mapping[str, Any], file: str | None = None) -> Any:
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
    if kind == "integer" and (
        (low is not None and value < low) or (high is not None and value > high)
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
    if "enum" in spec and value not in spec["enum"]:
        choices = ", ".join(repr(c) for c in spec["enum"])
        raise ConfigError(f"{where} must be one of {choices}, not {value!r}", file=file)
    if kind == "object" and isinstance(spec.get("additionalProperties"), dict):
        for sub_key, sub_value in value.items():
            _check_type(f"{where}.{sub_key}", sub_value, spec["additionalProperties"], file)
    if kind == "array" and isinstance(spec.get("items"), dict):
        for i, item in enumerate(value):
            _check_type(f"{where}[{i}]", item, spec["items"], file)
    return value


def expand(value: Any, where: str, environ: Mapping[str, str]) -> Any:
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


def _from_env(name: str, raw: str, spec: Mapping[str, Any]) -> Any:
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
        table: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            key, sep, val = part.partition("=")
            if not sep:
                raise ConfigError(f"{name}: {part!r} is not KEY=VALUE", hint="Use K1=V1,K2=V2.")
            table[key.strip()] = val.strip()
        return table
    return raw


def _kebab(key: str, props: Mapping[str, Any]) -> str:
    """Accept ``cdn_url`` for ``cdn-url``: TOML users write both, and s3pypi/the seed use _."""
    alt = key.replace("_", "-")
    return alt if key not in props and alt in props else key


def _check_entry(
    where: str,
    entry: Any,
    entry_spec: Mapping[str, Any],
    environ: Mapping[str, str],
    pyproject: Path | None,
) -> dict[str, Any]:
    """Validate one table of a map section (unknown keys, types, ${VAR} expansion)."""
    if not isinstance(entry, dict):
        raise ConfigError(f"[tool.hwb.{where}] must be a table", file=str(pyproject))
    props = entry_spec["properties"]
    checked: dict[str, Any] = {}
    for given, raw in entry.items():
        key = _kebab(given, props)
        if key not in props:
            raise ConfigError(
                f"unknown key '{key}' in [tool.hwb.{where}]{_suggest(key, list(props))}",
                file=str(pyproject),
            )
        label = f"[tool.hwb.{where}] {key}"
        checked[key] = _check_type(label, expand(raw, label, environ), props[key], str(pyproject))
    return checked


def _userinfo_secrets(entry: Mapping[str, Any]) -> list[str]:
    """Passwords in the userinfo of a registry's URLs are secrets like ``password``."""
    from hwb.redaction import split_userinfo

    found = []
    for value in entry.values():
        if isinstance(value, str) and "@" in value:
            password = split_userinfo(value)[2]
            if password:
                found.append(password)
    return found


def _merge(lower: Any, higher: Any) -> Any:
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
    spec: Mapping[str, Any],
    environ: Mapping[str, str],
) -> None:
    """The environment layer. Every ``HWB_`` variable must name a key: one under a known
    section's prefix that names no key, or under no known prefix at all (a misspelt section),
    is a typo, and an error."""
    known = [env_name(sec, key) for sec, sp in spec.items() for key in sp.get("properties", {})]
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
    for section, sec_spec in spec.items():
        if "properties" not in sec_spec:
            continue  # map sections take their overrides from their own consumer (publish)
        props = sec_spec["properties"]
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
            value = _check_type(name, _from_env(name, raw, props[key]), props[key])
            secret = bool(_SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(
                _merge(settings[section][key].value, value), f"env:{name}", secret
            )


def resolve(
    project_dir: Path | None = None,
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    pyproject_data: Mapping[str, Any] | None = None,
) -> Config:
    """Resolve the configuration of the project in ``project_dir``.

    ``cli`` maps ``"section.key"`` to values the user gave on the command line (only those
    given: an option left at its default must not be passed, or it would hide lower layers).
    ``pyproject_data`` may be passed when the caller already parsed the file.
    """
    environ = os.environ if environ is None else environ
    cli = cli or {}
    spec = schema()["properties"]
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
                f"unknown section [tool.hwb.{section}]{_suggest(section, list(spec))}",
                file=str(pyproject),
            )
        if not isinstance(values, dict):
            raise ConfigError(f"[tool.hwb.{section}] must be a table", file=str(pyproject))
        if "properties" not in spec[section]:
            # A map section ([tool.hwb.registries.NAME]): one table per name, same schema each.
            entry_spec = spec[section]["additionalProperties"]
            for name, entry in values.items():
                checked = _check_entry(f"{section}.{name}", entry, entry_spec, environ, pyproject)
                secrets += [
                    v
                    for k, v in checked.items()
                    if _SECRET_KEY.search(k) and isinstance(v, str) and v
                ]
                secrets += _userinfo_secrets(checked)
                settings[section][name] = Setting(checked, "pyproject")
            continue
        props = spec[section]["properties"]
        for given, raw in values.items():
            key = _kebab(given, props)
            where = f"[tool.hwb.{section}] {key}"
            if key not in props:
                raise ConfigError(
                    f"unknown key '{key}' in [tool.hwb.{section}]{_suggest(key, list(props))}",
                    file=str(pyproject),
                )
            value = _check_type(where, expand(raw, where, environ), props[key], str(pyproject))
            secret = bool(_SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(value, "pyproject", secret)

    _apply_env(settings, secrets, spec, environ)

    # Command-line layer.
    for dotted, value in cli.items():
        section, _, key = dotted.partition(".")
        props = spec[section]["properties"]
        _check_type(f"--{key}", value, props[key])
        merged = _merge(settings[section][key].value, value)
        settings[section][key] = Setting(merged, "cli", bool(_SECRET_KEY.search(key)))

    return Config(settings=settings, pyproject=pyproject, secrets=secrets)
