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


#: How deep arrays and tables may nest: far beyond any real pyproject.toml, far below what
#: would exhaust the recursion of the parsers and of every reader after them.
MAX_DEPTH = 64


def not_a_file(path: Path) -> str | None:
    """What ``path`` is when it is there but is no regular file ("a directory", "a FIFO",
    "a dangling symbolic link", ...); None for a regular file or nothing at all. Never opens it
    (a FIFO would block the reader)."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a dangling symbolic link" if path.is_symlink() else None
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device")]  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _depth(value: object) -> int:
    """How deep lists and tables nest in ``value`` (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a ConfigError naming file, line and column."""
    kind = not_a_file(path)
    if kind:
        raise ConfigError(
            f"{path} is {kind}, not a file",
            hint=f"Make {path.name} a regular TOML file.",
            file=str(path),
        )
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
    except RecursionError:
        raise ConfigError(
            f"{path} nests arrays or tables too deeply to read",
            hint=f"Nest at most {MAX_DEPTH} levels deep.",
            file=str(path),
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(
            f"{path} nests arrays or tables more than {MAX_DEPTH} levels deep",
            hint=f"Nest at most {MAX_DEPTH} levels deep.",
            file=str(path),
        )
    return data
