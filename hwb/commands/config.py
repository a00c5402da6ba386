"""``hwb config``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hwb.commands.options import resolve_config, state_output
from hwb.settings import resolver


@click.group()
def config() -> None:
    """Inspect hwb's configuration."""


@config.command()
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.pass_context
def show(ctx: click.Context, path: Path) -> None:
    """Show the resolved configuration of the project in PATH, each value with its origin
    (default, pyproject, env:NAME, cli); secrets are redacted."""
    out = state_output(ctx)
    cfg, _ = resolve_config(path.resolve(), {}, out)
    view = cfg.redacted()
    lines = [f"# pyproject: {cfg.pyproject or '(none)'}"]
    for section, keys in view.items():
        lines.append(f"[{section}]")
        if not keys:
            lines.append("# (none)")
            continue
        width = max(len(k) for k in keys)
        for key, entry in keys.items():
            rendered = json.dumps(entry["value"])
            lines.append(f"{key:<{width}} = {rendered:<24} # {entry['origin']}")
    out.result(
        {"pyproject": str(cfg.pyproject) if cfg.pyproject else None, "config": view},
        "\n".join(lines),
    )


@config.command()
@click.pass_context
def schema(ctx: click.Context) -> None:
    """Print the JSON schema of [tool.hwb] (for IDEs and validate-pyproject)."""
    out = state_output(ctx)
    data = resolver.schema()
    out.result(data, json.dumps(data, indent=2))
