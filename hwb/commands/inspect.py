"""``hwb inspect``."""

from __future__ import annotations

from pathlib import Path

import click

from hwb.commands import project_option, resolve_config, state_output

_GROUP_FLAGS = {
    "check_metadata": "metadata",
    "check_wheel": "wheel",
    "check_sdist": "sdist",
    "check_sensitive": "sensitive",
    "check_version": "version",
}


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check-all", is_flag=True, help="Every check (the default).")
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
def inspect(ctx: click.Context, /, paths: tuple[Path, ...], **params: object) -> None:
    """Check wheels and sdists before publishing: metadata, README, license files, structure,
    RECORD, sensitive files, and whether the version is already on the index.

    PATHS are distributions or directories (default: the project's dist/)."""
    from hwb.commands.reports import render_findings
    from hwb.errors import InspectionFailedError
    from hwb.inspect.catalogue import Severity
    from hwb.inspect.runner import CATALOGUE, GROUPS, InspectOptions, inspect_paths
    from hwb.settings.model import InspectSettings

    out = state_output(ctx)
    project = Path(str(params["project"])).resolve()
    cfg, _ = resolve_config(project, {}, out)
    section = InspectSettings.from_config(cfg)
    chosen = {group for flag, group in _GROUP_FLAGS.items() if params[flag]}
    groups = frozenset(GROUPS) if params["check_all"] or not chosen else frozenset(chosen)
    given = params["ignore"]
    assert isinstance(given, tuple)  # noqa: S101 - click's multiple=True
    ignore = frozenset(str(i).upper() for i in (*section.ignore, *given))
    unknown = sorted(i for i in ignore if i not in CATALOGUE)
    if unknown:
        from hwb.errors import UsageError

        raise UsageError(
            f"unknown check ID(s): {', '.join(unknown)}", hint="See the catalogue in the README."
        )
    index_url = str(params["index_url"] or "") or section.index_url or None
    if params["repository"]:
        from hwb.simple_api import PUBLIC_INDEXES

        if params["index_url"]:
            from hwb.errors import UsageError

            raise UsageError("give --index-url or --repository, not both")

        index_url = PUBLIC_INDEXES[str(params["repository"])]
    strict = bool(params["strict"]) if params["strict"] is not None else section.strict
    options = InspectOptions(
        groups, ignore, strict, index_url, allow_sensitive=section.allow_sensitive
    )
    if index_url:
        from hwb.publish.targets import check_http_url
        from hwb.redaction import split_userinfo

        check_http_url(index_url, "--index-url", from_command_line=bool(params["index_url"]))
        _, user, password = split_userinfo(index_url)
        if password:  # credentials in the URL are a secret
            out.mask(password, user)
    targets = list(paths) or [project]
    with out.progress("inspecting", total=0) as bar:

        def tick(done: int, total: int, path: Path) -> None:
            bar.set_total(total)
            bar.advance(1, f"inspecting {path.name}")

        report = inspect_paths(targets, options, on_file=tick)

    render_findings(out, report)
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if not report.passed:
        what = f"{errors} error(s)" + (
            f" and {warnings} warning(s) (--strict)" if strict and warnings else ""
        )
        raise InspectionFailedError(f"inspection failed: {what} in {len(report.files)} file(s)")
