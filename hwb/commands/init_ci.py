"""``hwb init-ci``: write a project's release pipeline for GitHub Actions or GitLab CI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hwb.commands.options import state_output

if TYPE_CHECKING:
    from hwb.output import Output


@click.command("init-ci")
@click.argument("ci", type=click.Choice(["github", "gitlab", "gitlab-child"]))
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--templates",
    type=click.Choice(["remote", "project", "vendor"]),
    default="remote",
    show_default=True,
    help="GitLab: include hwb's templates by URL, from its GitLab project, or copy them into "
    ".gitlab/hwb/ (instances that cannot reach outside).",
)
@click.option("--testpypi/--no-testpypi", default=False, help="Publish to TestPyPI before PyPI.")
@click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="NAME",
    help="Publish also to [tool.hwb.registries.NAME] (repeatable; 'gitlab': GitLab's registry).",
)
@click.option(
    "--attestations/--no-attestations",
    default=True,
    help="GitHub: sign PEP 740 attestations when publishing (off for registries without them).",
)
@click.option("--environment", default="pypi", show_default=True, help="Deployment environment.")
@click.option("--ref", metavar="REF", help="hwb version/tag the pipeline pins [v<this version>].")
@click.option(
    "--replace",
    is_flag=True,
    help="The project already publishes (e.g. pypa/gh-action-pypi-publish): remove that "
    "workflow, hwb publishes instead.",
)
@click.option(
    "--keep-both",
    is_flag=True,
    help="The project already publishes: keep its workflow beside hwb's (hwb skips files "
    "already uploaded).",
)
@click.option(
    "--write-tag-format",
    is_flag=True,
    help="Record the tag format of the project's existing tags (e.g. '{version}') in "
    "[tool.hwb.version] of pyproject.toml.",
)
@click.option("--dry-run", is_flag=True, help="Print the files it would write; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option(
    "--matrix",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="gitlab-child: the pipeline 'hwb matrix plan --format gitlab' wrote.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="gitlab-child: where the child pipeline goes.",
)
@click.pass_context
def init_ci(
    ctx: click.Context,
    /,
    ci: str,
    path: Path,
    templates: str,
    testpypi: bool,
    registries: tuple[str, ...],
    attestations: bool,
    environment: str,
    ref: str | None,
    replace: bool,
    keep_both: bool,
    write_tag_format: bool,
    dry_run: bool,
    force: bool,
    matrix: Path | None,
    output: Path | None,
) -> None:
    """Write the release pipeline of the project at PATH: .github/workflows/release.yml (github)
    or .gitlab-ci.yml (gitlab), matched to its backend and to whether it compiles extensions.

    'gitlab-child' is what hwb's GitLab matrix pipeline runs to make its child pipeline."""
    from hwb.errors import UsageError
    from hwb.scaffold import init_ci as scaffold
    from hwb.scaffold.options import CIS, TEMPLATES, Options

    out = state_output(ctx)
    if ci == "gitlab-child":
        _child_pipeline(out, matrix, output)
        return
    if matrix is not None or output is not None:
        raise UsageError("--matrix and -o are options of gitlab-child only")
    options = Options(
        ci=CIS[ci],
        templates=TEMPLATES[templates],
        testpypi=testpypi,
        registries=list(registries),
        environment=environment,
        attestations=attestations,
        replace=replace,
        keep_both=keep_both,
        write_tag_format=write_tag_format,
    )
    if ref:
        options.ref = ref
    result = scaffold.plan(path, options)
    for warning in result.warnings:
        out.warning(warning)
    facts = result.facts
    kind = "compiled (" + ", ".join(facts.why_compiled) + ")" if facts.compiled else "pure Python"
    out.info(f"project {facts.name or '?'}: {facts.backend}, {kind}")
    if dry_run:
        data = {str(p): text for p, text in result.files.items()}
        human = "".join(f"--- {p}\n{text}" for p, text in data.items())
        out.result({"files": data, "next_steps": result.next_steps}, human.rstrip("\n"))
        out.info("Next steps, once written:\n" + "\n".join(result.next_steps))
        return
    written = scaffold.write(result, force)
    for written_path in written:
        out.success(f"wrote {written_path}")
    for removed in result.remove:
        out.success(f"removed {removed}")
    out.result(
        {"files": [str(p) for p in written], "next_steps": result.next_steps},
        "Next steps:\n" + "\n".join(result.next_steps),
    )


def _child_pipeline(out: Output, matrix: Path | None, output: Path | None) -> None:
    """``gitlab-child``: the GitLab child pipeline of a matrix plan (``hwb matrix plan``)."""
    from hwb.errors import UsageError
    from hwb.fs import write_atomic
    from hwb.scaffold.gitlab import child_pipeline

    if matrix is None or output is None:
        raise UsageError("gitlab-child needs --matrix FILE and -o FILE")
    write_atomic(output, child_pipeline(matrix.read_text(encoding="utf-8")))
    out.info(f"wrote {output}")
