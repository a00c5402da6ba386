"""What a configuration value is, and how one is checked against the shipped schema
(``resources/schema.json``): types, ranges, enums, ``${VAR}`` expansion, "did you mean"."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from hwb.errors import ConfigError

SECRET_KEY = re.compile(r"(password|token|secret|credential)", re.IGNORECASE)
_EXPANSION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
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
    #: A registry table's keys whose ``${VAR}`` is unset: their value is the configuration's
    #: own text (no secret), shown as written.
    unexpanded: frozenset[str] = frozenset()


def as_value(raw: object, where: str) -> Value:
    """Narrow parsed TOML/JSON to :data:`Value` (a date, which no key takes, is an error)."""
    if isinstance(raw, (str, bool, int, float)):
        return raw
    if isinstance(raw, list):
        return [as_value(v, f"{where}[{i}]") for i, v in enumerate(raw)]
    if isinstance(raw, dict):
        return {str(k): as_value(v, f"{where}.{k}") for k, v in raw.items()}
    raise ConfigError(f"{where} must not be {_article(_type_name(raw))} ({raw!r})")


def as_table(raw: object, where: str) -> dict[str, Value]:
    value = as_value(raw, where)
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def sub_spec(spec: Spec, key: str) -> Spec:
    """A sub-schema (``properties``, ``items``...): a JSON object, or empty."""
    sub = spec.get(key)
    return sub if isinstance(sub, dict) else {}


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(choices))}"


def _type_name(value: object) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def check_type(where: str, value: object, spec: Spec, file: str | None = None) -> Value:
    kind = spec.get("type")
    fits = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }
    kinds = [str(k) for k in kind] if isinstance(kind, list) else [str(kind)]
    if not any(fits.get(k, True) for k in kinds):
        expected = " or ".join("table" if k == "object" else k for k in kinds)
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
            check_type(
                f"{where}.{sub_key}", sub_value, sub_spec(spec, "additionalProperties"), file
            )
    if isinstance(value, list) and isinstance(spec.get("items"), dict):
        for i, item in enumerate(value):
            check_type(f"{where}[{i}]", item, sub_spec(spec, "items"), file)
    return as_value(value, where)


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


def referenced_variables(raw: object) -> set[str]:
    """The variables ``${VAR}`` names anywhere in a parsed TOML value (tables, arrays)."""
    if isinstance(raw, str):
        return {m.group("name") for m in _EXPANSION.finditer(raw)}
    if isinstance(raw, list):
        return set().union(*(referenced_variables(v) for v in raw))
    if isinstance(raw, dict):
        return set().union(*(referenced_variables(v) for v in raw.values()))
    return set()


def only_references(text: str) -> bool:
    """``text`` is nothing but ``${VAR}`` references (no default, no literal part that could
    be a secret written in the file), so it can be shown as written."""
    return bool(text) and not _EXPANSION.sub(lambda m: "" if m["default"] is None else "x", text)


def unset_variables(raw: object, environ: Mapping[str, str]) -> set[str]:
    """The ``${VAR}`` (without a default) in ``raw`` that ``environ`` does not set."""
    if isinstance(raw, str):
        return {
            m.group("name")
            for m in _EXPANSION.finditer(raw)
            if m.group("default") is None and m.group("name") not in environ
        }
    if isinstance(raw, list):
        return set().union(*(unset_variables(v, environ) for v in raw))
    if isinstance(raw, dict):
        return set().union(*(unset_variables(v, environ) for v in raw.values()))
    return set()


def checked_raw(
    raw: object, where: str, spec: Spec, environ: Mapping[str, str], file: str
) -> Value:
    """A value read from pyproject.toml, ``${VAR}``-expanded, then checked against the schema."""
    try:
        value = as_value(raw, where)
    except ConfigError as exc:  # a TOML date: say what the key expects, where it can
        check_type(where, raw, spec, file)
        raise ConfigError(exc.message, file=file) from None
    return check_type(where, expand(value, where, environ), spec, file)


def kebab(key: str, props: Spec) -> str:
    """Accept ``cdn_url`` for ``cdn-url``: TOML users write both, and s3pypi/the seed use _."""
    alt = key.replace("_", "-")
    return alt if key not in props and alt in props else key


def merge(lower: Value, higher: Value) -> Value:
    """Tables merge key by key (a higher layer adds to -C settings from pyproject);
    every other value is replaced."""
    if isinstance(lower, dict) and isinstance(higher, dict):
        return {**lower, **higher}
    return higher


def check_http_url(url: str, where: str, from_command_line: bool) -> None:
    """An upload or index URL must parse and be http(s) with a host."""
    from urllib.parse import urlsplit

    from hwb.errors import ConfigError, UsageError
    from hwb.redaction import ENCODE_HINT, strip_userinfo, url_error

    error = UsageError if from_command_line else ConfigError
    hint = (
        "Give an http(s) URL with a host on the command line, e.g. https://host/path/."
        if from_command_line
        else "Fix the URL in [tool.hwb.registries] (an http(s) URL with a host)."
    )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as exc:  # never print it whole: the password may be what broke it
        raise error(
            f"{where} {strip_userinfo(url)!r} is not a valid URL: {url_error(exc)}",
            hint=f"{hint} {ENCODE_HINT}",
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise error(f"{where} {strip_userinfo(url)!r} is not an http(s) URL", hint=hint)
