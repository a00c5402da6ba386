"""The option helpers every command shares: CLI overrides for the resolver, the resolved
configuration, `--project`, output files that must be writable, sizes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from hwb.output import Output
from hwb.settings import resolver

_F = TypeVar("_F", bound=Callable[..., Any])


class IntRange(click.IntRange):
    """click's IntRange taking the digits 0-9 only: ``int()`` also reads "٣", fullwidth
    digits and "1_0", which no one means as a count."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"[+-]?[0-9]{1,18}", value.strip()):
            self.fail(f"{value!r} is not a whole number (digits 0-9 only)", param, ctx)
        return super().convert(value, param, ctx)


def state_output(ctx: click.Context) -> Output:
    out: Output = ctx.find_root().obj.output
    return out


#: ``param name -> "section.key"``, or ``(section.key, convert)`` when the option's value is
#: not yet the setting's (``-C K=V`` pairs, ``--no-isolation``, a path relative to the cwd).
Overrides = Mapping[str, "str | tuple[str, Callable[[Any], Any]]"]


def given(ctx: click.Context, mapping: Overrides) -> dict[str, Any]:
    """CLI overrides for the resolver: only the options the user actually passed, so that
    unpassed options do not hide lower layers (and ``hwb config show`` says ``cli``)."""
    overrides: dict[str, Any] = {}
    for param, target in mapping.items():
        source = ctx.get_parameter_source(param)
        value = ctx.params.get(param)
        if source is click.core.ParameterSource.COMMANDLINE and value not in (None, (), {}):
            dotted, convert = (target, None) if isinstance(target, str) else target
            overrides[dotted] = value if convert is None else convert(value)
    return overrides


def resolve_config(
    project: Path, overrides: Mapping[str, Any], out: Output
) -> tuple[resolver.Config, dict[str, Any]]:
    """Resolve the configuration for ``project`` and register its secrets with the output."""
    pyproject = resolver.find_pyproject(project) if project.is_dir() else None
    data = resolver.load_toml(pyproject) if pyproject else {}
    cfg = resolver.resolve(project if project.is_dir() else None, overrides, pyproject_data=data)
    for secret in cfg.secrets:
        out.mask(secret)
    return cfg, data


def project_option(help_text: str, *, exists: bool = False) -> Callable[[_F], _F]:
    """``--project DIR`` (default ``.``): where the configuration (and default paths) come from."""
    return click.option(
        "--project",
        "project",
        default=".",
        type=click.Path(path_type=Path, exists=exists, file_okay=False),
        help=help_text,
    )


def human_size(size: int) -> str:
    """1234 -> '1.2 kB' (decimal units, as PyPI shows sizes)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def check_output_file(path: Path, option: str) -> None:
    """A file the command will write at the end: find out before doing anything that it
    could not be written (missing folder, a directory in the way, no write permission)."""
    import os

    from hwb import fs
    from hwb.errors import UsageError

    parent = path.absolute().parent
    problem = (
        None
        if fs.writes_through(path) and os.access(path, os.W_OK)  # a device or stream
        else "is a directory"
        if path.is_dir()
        else f"its folder {parent} does not exist"
        if not parent.is_dir()
        else f"its folder {parent} is not writable"
        if not os.access(parent, os.W_OK)
        else None
    )
    if problem:
        raise UsageError(
            f"{option} {path}: cannot write there ({problem}); nothing was done",
            hint="Give a writable file path in an existing folder.",
        )
