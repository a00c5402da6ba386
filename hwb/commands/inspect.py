"""``hwb inspect``."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hwb.commands.options import given, project_option, resolve_config, state_output

if TYPE_CHECKING:
    from hwb.output import Output
    from hwb.settings.resolver import Config

_GROUP_FLAGS = {
    "check_metadata": "metadata",
    "check_wheel": "wheel",
    "check_sdist": "sdist",
    "check_sensitive": "sensitive",
    "check_version": "version",
}
#: --ignore adds to the configured IDs (inspect_options), so it is not an override.
_OVERRIDES = {"strict": "inspect.strict", "index_url": "inspect.index-url"}


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check-all",
    is_flag=True,
    help="Every check (the default); the version check needs an index (--repository or "
    "--index-url, or [tool.hwb.inspect] index-url) and is skipped without one.",
)
@click.option("--check-metadata", is_flag=True, help="Metadata and README rendering.")
@click.option("--check-wheel", is_flag=True, help="Wheel structure and RECORD.")
@click.option("--check-sdist", is_flag=True, help="Sdist structure.")
@click.option("--check-sensitive", is_flag=True, help="Credentials, keys and secrets.")
@click.option("--check-version", is_flag=True, help="Version not already on the target index.")
@click.option(
    "--ignore", "ignore", multiple=True, metavar="ID", help="Skip a check ID (repeatable)."
)
@click.option("--strict", is_flag=True, default=None, help="Warnings fail too.")
@click.option("--index-url", metavar="URL", help="Simple index to check the version against.")
@click.option(
    "--repository", type=click.Choice(["pypi", "testpypi"]), help="Check against PyPI or TestPyPI."
)
@project_option("Project whose [tool.hwb.inspect] applies [.].")
@click.pass_context
def inspect(
    ctx: click.Context,
    /,
    paths: tuple[Path, ...],
    check_all: bool,
    ignore: tuple[str, ...],
    index_url: str | None,
    repository: str | None,
    project: Path,
    **checks: bool,
) -> None:
    """Check wheels and sdists before publishing: metadata, README, license files, structure,
    RECORD, sensitive files, and whether the version is already on the index.

    PATHS are distributions or directories (default: the project's dist/)."""
    from hwb.commands.reports import render_findings
    from hwb.errors import InspectionFailedError
    from hwb.inspect.catalogue import Severity
    from hwb.inspect.runner import inspect_options, inspect_paths
    from hwb.settings.model import InspectSettings

    out = state_output(ctx)
    project = project.resolve()
    cfg, _ = resolve_config(project, given(ctx, _OVERRIDES), out)
    chosen = () if check_all else (g for flag, g in _GROUP_FLAGS.items() if checks.get(flag))
    options = inspect_options(
        InspectSettings.from_config(cfg),
        groups=frozenset(chosen),
        ignore=ignore,
        repository=repository,
        index_url_given=bool(index_url),
        mask=out.mask,
    )
    with contextlib.ExitStack() as stack:
        targets = list(paths) or [_built_if_none(project, cfg, out, stack)]
        with out.progress("inspecting", total=0) as bar:

            def tick(done: int, total: int, path: Path) -> None:
                bar.set_total(total)
                bar.advance(1, f"inspecting {path.name}")

            report = inspect_paths(targets, options, on_file=tick)

    render_findings(out, report)
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if not report.passed:
        what = f"{errors} error(s)" + (
            f" and {warnings} warning(s) (--strict)" if options.strict and warnings else ""
        )
        raise InspectionFailedError(f"inspection failed: {what} in {len(report.files)} file(s)")


def _built_if_none(project: Path, cfg: Config, out: Output, stack: contextlib.ExitStack) -> Path:
    """The project's distributions: its dist/ when it holds any, else (a fresh checkout, the
    guide's validate job) a wheel and an sdist built into a temporary folder, said so."""
    from hwb import distfiles

    is_project = (project / "pyproject.toml").exists() or (project / "setup.py").exists()
    dist = project / "dist"
    if not is_project or (dist.is_dir() and distfiles.in_folder(dist)):
        return project
    import dataclasses

    from hwb.build.builder import build_project
    from hwb.settings.model import BuildSettings

    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hwb-inspect-")))
    out.info(f"no distributions in {dist}: building a wheel and an sdist to inspect (not kept)")
    settings = dataclasses.replace(
        BuildSettings.from_config(cfg, project),
        outdir=tmp,
        wheel=True,
        sdist=True,
        checksum=False,
        verify_reproducible=False,
    )
    with out.progress(f"building {project.name}"):
        build_project(project, settings)
    return tmp
