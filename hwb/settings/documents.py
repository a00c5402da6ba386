"""Whole documents as parsed: the JSON schema shipped in ``hwb/resources`` and a project's
pyproject.toml.

They are free-form by nature (a JSON Schema; every tool's tables in pyproject.toml) and are
read by several layers (``hwb config schema``, jsonschema in the tests, ``hwb init-ci``, the
matrix planner), so they stay as the parsers return them. The resolver (held to
``disallow_any_explicit``) narrows what it takes from them with ``isinstance``; everything
downstream of it reads typed settings.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hwb.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@cache
def schema() -> dict[str, Any]:
    """The JSON schema of ``[tool.hwb]`` shipped in the package."""
    text = resources.files("hwb.resources").joinpath("schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
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
