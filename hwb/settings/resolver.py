"""The one configuration resolver.

Layers, highest first: command line > environment (``HWB_<SECTION>_<KEY>``) > ``[tool.hwb]`` in
pyproject.toml > built-in defaults (``resources/defaults.toml``). Each resolved value remembers
where it came from, for ``hwb config show``.

Types and allowed keys come from ``resources/schema.json``, the schema shipped for IDEs and
validate-pyproject. It is checked by hand (``settings.values``) rather than with ``jsonschema``:
importing that costs more than the rest of hwb's start-up together, and its messages cannot say
"did you mean". The environment layer is ``settings.environment``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from hwb.errors import ConfigError

# Re-exported: the documents as parsed (see hwb.settings.documents).
from hwb.settings.documents import load_toml as load_toml  # noqa: PLC0414
from hwb.settings.documents import not_a_file
from hwb.settings.documents import schema as schema  # noqa: PLC0414
from hwb.settings.environment import apply_env, read_registry_env, registry_env_owners
from hwb.settings.values import (
    SECRET_KEY,
    Spec,
    as_table,
    check_type,
    checked_raw,
    kebab,
    merge,
    only_references,
    referenced_variables,
    sub_spec,
    suggest,
    unset_variables,
)

# Re-exported: what a Config holds.
from hwb.settings.values import Setting as Setting  # noqa: PLC0414
from hwb.settings.values import Value as Value  # noqa: PLC0414

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def debug_requested(environ: Mapping[str, str]) -> bool:
    """``HWB_DEBUG`` (``--debug``'s variable) asks for tracebacks: read before (or without) the
    command line parsing that would otherwise give it."""
    return environ.get("HWB_DEBUG", "") not in {"", "0", "false"}


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
    #: Registry tables that use a ``${VAR}`` the environment does not set, with the error to
    #: raise when that registry is used (``Registries.table``): in the guide's workflow only the
    #: publish job has the secret, and building must not need it. Their values stay unexpanded.
    unresolved: dict[str, ConfigError] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Value:
        return self.settings[section][key].value

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
                key: {"value": _redact_value(s.value, s.secret, s.unexpanded), "origin": s.origin}
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


def _redact_value(value: Value, secret: bool, unexpanded: frozenset[str] = frozenset()) -> Value:
    if secret and value:
        return "***"
    if isinstance(value, dict):
        return {
            k: _redact_value(v, bool(SECRET_KEY.search(k)) and k not in unexpanded)
            for k, v in value.items()
        }
    return value


@cache
def defaults() -> dict[str, dict[str, Value]]:
    """The built-in defaults (``resources/defaults.toml``)."""
    text = resources.files("hwb.resources").joinpath("defaults.toml").read_text("utf-8")
    return {
        section: as_table(keys, f"defaults.toml [{section}]")
        for section, keys in tomllib.loads(text).items()
    }


def _check_entry(
    where: str,
    entry: object,
    entry_spec: Spec,
    environ: Mapping[str, str],
    pyproject: Path | None,
) -> tuple[dict[str, Value], set[str], ConfigError | None]:
    """Validate one table of a map section (unknown keys, types, ${VAR} expansion). A key whose
    ``${VAR}`` is unset keeps its text; those keys and the first such error are returned, not
    raised: they matter only to a run that uses this registry."""
    if not isinstance(entry, dict):
        raise ConfigError(f"[tool.hwb.{where}] must be a table", file=str(pyproject))
    props = sub_spec(entry_spec, "properties")
    checked: dict[str, Value] = {}
    pending: set[str] = set()
    unset: ConfigError | None = None
    for given, raw in entry.items():
        key = kebab(str(given), props)
        if key not in props:
            raise ConfigError(
                f"unknown key '{key}' in [tool.hwb.{where}]{suggest(key, list(props))}",
                file=str(pyproject),
            )
        label = f"[tool.hwb.{where}] {key}"
        try:
            checked[key] = checked_raw(raw, label, sub_spec(props, key), environ, str(pyproject))
        except ConfigError as exc:
            if not unset_variables(raw, environ):
                raise
            checked[key] = check_type(label, raw, sub_spec(props, key), str(pyproject))
            pending.add(key)
            unset = unset or ConfigError(exc.message, hint=exc.hint, file=str(pyproject))
    return checked, pending, unset


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


def find_pyproject(project_dir: Path) -> Path | None:
    """The project's pyproject.toml; also when it is no regular file (a FIFO, a directory, a
    dangling link), so that reading it says what it is rather than "missing"."""
    candidate = project_dir / "pyproject.toml"
    return candidate if candidate.is_file() or not_a_file(candidate) else None


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
    spec = sub_spec(as_table(schema(), "schema.json"), "properties")
    pyproject = find_pyproject(project_dir) if project_dir is not None else None
    if pyproject_data is None:
        pyproject_data = load_toml(pyproject) if pyproject else {}
    tool = pyproject_data.get("tool", {})
    if not isinstance(tool, dict):  # tool = 5: every tool's tables, hwb's too, would be lost
        raise ConfigError(
            f"{pyproject}: tool must be a table, not {type(tool).__name__}",
            hint="Remove the key 'tool = ...'; tools' settings go in [tool.NAME] tables.",
            file=str(pyproject),
        )
    table = tool.get("hwb", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.hwb] must be a table", file=str(pyproject))

    settings: dict[str, dict[str, Setting]] = {}
    secrets: list[str] = []
    unresolved: dict[str, ConfigError] = {}
    for section, keys in defaults().items():
        settings[section] = {
            key: Setting(value, "default", bool(SECRET_KEY.search(key)))
            for key, value in keys.items()
        }

    # pyproject layer: reject unknown sections and keys before anything else.
    for section, values in table.items():
        if section not in spec:
            raise ConfigError(
                f"unknown section [tool.hwb.{section}]{suggest(str(section), list(spec))}",
                file=str(pyproject),
            )
        if not isinstance(values, dict):
            raise ConfigError(f"[tool.hwb.{section}] must be a table", file=str(pyproject))
        sec_spec = sub_spec(spec, section)
        if "properties" not in sec_spec:
            # A map section ([tool.hwb.registries.NAME]): one table per name, same schema each.
            entry_spec = sub_spec(sec_spec, "additionalProperties")
            for name, entry in values.items():
                checked, pending, unset = _check_entry(
                    f"{section}.{name}", entry, entry_spec, environ, pyproject
                )
                if unset is not None:
                    unresolved[str(name)] = unset
                # What an unset variable left unexpanded is the configuration's text, no secret.
                known = {k: v for k, v in checked.items() if k not in pending}
                secrets += [
                    v for k, v in known.items() if SECRET_KEY.search(k) and isinstance(v, str) and v
                ]
                secrets += _userinfo_secrets(known)
                shown = frozenset(
                    k for k in pending if isinstance(v := checked[k], str) and only_references(v)
                )
                settings[section][str(name)] = Setting(checked, "pyproject", False, shown)
            continue
        props = sub_spec(sec_spec, "properties")
        for given, raw in values.items():
            key = kebab(str(given), props)
            where = f"[tool.hwb.{section}] {key}"
            if key not in props:
                raise ConfigError(
                    f"unknown key '{key}' in [tool.hwb.{section}]{suggest(key, list(props))}",
                    file=str(pyproject),
                )
            value = checked_raw(raw, where, sub_spec(props, key), environ, str(pyproject))
            secret = bool(SECRET_KEY.search(key))
            if secret and isinstance(value, str) and value:
                secrets.append(value)
            settings[section][key] = Setting(value, "pyproject", secret)

    apply_env(settings, secrets, spec, environ, referenced_variables(table))
    registry_env = read_registry_env(environ, secrets)

    # Command-line layer.
    for dotted, value in cli.items():
        section, _, key = dotted.partition(".")
        props = sub_spec(sub_spec(spec, section), "properties")
        check_type(f"--{key}", value, sub_spec(props, key))
        merged = merge(settings[section][key].value, value)
        settings[section][key] = Setting(merged, "cli", bool(SECRET_KEY.search(key)))

    return Config(settings, pyproject, secrets, registry_env, unresolved)
