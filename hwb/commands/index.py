"""``hwb index``: maintain a static index (folder or S3)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hwb import ci
from hwb.commands.options import project_option, resolve_config, state_output

if TYPE_CHECKING:
    from hwb.static_index.index import StaticIndex

_project_option = project_option("Project whose [tool.hwb.registries] apply [.].")


def _open(ctx: click.Context, registry: str, project: Path) -> tuple[StaticIndex, str]:
    """REGISTRY is a registry name of type dir/s3, or a file:// or s3:// URL."""
    from hwb.errors import ConfigError
    from hwb.publish.targets import resolve_target
    from hwb.settings.model import Registries
    from hwb.static_index.index import StaticIndex, open_store

    out = state_output(ctx)
    cfg, _ = resolve_config(project.resolve(), {}, out)
    url = registry if "://" in registry else None
    registries = Registries.from_config(cfg)
    table = registries.tables.get(registry)
    known = table is not None or registry in {"pypi", "testpypi"}
    if url is None and known and (table is None or table.type not in {"dir", "s3"}):
        raise ConfigError(
            f"registry '{registry}' is not a static index (type dir or s3)",
            hint="hwb index works on folders and buckets that hwb indexes.",
        )
    target = resolve_target(registry, registries, ci.environ(), url=url)
    if target.kind not in {"dir", "s3"}:
        raise ConfigError(
            f"registry '{registry}' is not a static index (type dir or s3)",
            hint="hwb index works on folders and buckets that hwb indexes.",
        )
    if target.kind == "dir" and not Path(target.url).is_dir():
        from hwb.errors import StaticIndexError

        raise StaticIndexError(
            f"there is no index at {target.url}",
            hint="Check the registry's path; hwb publish creates the index on first use.",
        )
    store, slash = open_store(target.registry)
    store.check()
    return StaticIndex(store, pages_at_slash=slash), target.url


@click.group()
def index() -> None:
    """Maintain a static index (type dir or s3): rebuild pages, yank and unyank versions."""


@index.command()
@click.argument("registry")
@_project_option
@click.pass_context
def rebuild(ctx: click.Context, /, registry: str, project: Path) -> None:
    """Regenerate every page of REGISTRY from the files it holds."""
    idx, where = _open(ctx, registry, project)
    result = idx.rebuild()
    state_output(ctx).result(
        {"location": where, **result},
        f"rebuilt {where}: {result['projects']} project(s), {result['files']} file(s)",
    )


def _yank(
    ctx: click.Context, registry: str, name: str, version: str, reason: str | bool, project: Path
) -> None:
    from packaging.version import Version

    from hwb.errors import VersionError

    try:
        Version(version)
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        raise VersionError(
            f"{version!r} is not a PEP 440 version",
            hint="Give the version as it appears in the file names, e.g. 1.2.3.",
        ) from None
    idx, where = _open(ctx, registry, project)
    count = idx.set_yanked(name, version, reason)
    verb = "unyanked" if reason is False else "yanked"
    state_output(ctx).result(
        {"location": where, "project": name, "version": version, verb: count},
        f"{verb} {count} file(s) of {name} {version} in {where}",
    )


@index.command()
@click.argument("registry")
@click.argument("name")
@click.argument("version")
@click.option("--reason", default="", help="Why (shown by pip when it must use this version).")
@_project_option
@click.pass_context
def yank(
    ctx: click.Context, /, registry: str, name: str, version: str, reason: str, project: Path
) -> None:
    """Yank NAME VERSION (PEP 592): installers skip it unless pinned exactly."""
    _yank(ctx, registry, name, version, reason, project)


@index.command()
@click.argument("registry")
@click.argument("name")
@click.argument("version")
@_project_option
@click.pass_context
def unyank(ctx: click.Context, /, registry: str, name: str, version: str, project: Path) -> None:
    """Undo a yank."""
    _yank(ctx, registry, name, version, False, project)
