"""``hwb matrix`` (plan | build); bare ``hwb matrix [OPTIONS]`` builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hwb.commands.options import (
    IntRange,
    Overrides,
    given,
    human_size,
    resolve_config,
    state_output,
)

if TYPE_CHECKING:
    from hwb.matrix.plan import Plan
    from hwb.output import Output

F = TypeVar("F", bound=Callable[..., Any])

_BUILD_SETTINGS: Overrides = {
    "isolation": "matrix.isolation",
    "jobs": "matrix.jobs",
    "outdir": ("matrix.output-dir", lambda outdir: str(Path.cwd() / outdir)),
}


def _build_options(fn: F) -> F:
    options = [
        click.option(
            "--only",
            multiple=True,
            metavar="ID",
            help="Build these identifiers (repeatable; space- or comma-separated).",
        ),
        click.option(
            "--platform",
            type=click.Choice(["linux", "macos", "windows"]),
            help="Build every identifier of this platform [this machine's].",
        ),
        click.option(
            "--isolation",
            type=click.Choice(["docker", "podman"]),
            help="Container engine for Linux builds [cibuildwheel's container-engine].",
        ),
        click.option(
            "--jobs", "-j", type=IntRange(min=1), help="Concurrent cibuildwheel runs [1]."
        ),
        click.option(
            "-o",
            "--output-dir",
            "outdir",
            type=click.Path(path_type=Path),
            help="Wheelhouse [wheelhouse/].",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run_build(ctx: click.Context, path: Path) -> None:
    from hwb.matrix.build import MatrixBuildOptions, build_matrix
    from hwb.settings.model import MatrixSettings

    out = state_output(ctx)
    project = path.resolve() if path.exists() else path
    cfg, data = resolve_config(project, given(ctx, _BUILD_SETTINGS), out)
    settings = MatrixSettings.from_config(cfg)
    options = MatrixBuildOptions(
        project=project,
        only=tuple(ctx.params.get("only") or ()),
        platform=ctx.params.get("platform"),
        isolation=settings.isolation,
        jobs=settings.jobs,
        # -o is relative to the current directory, output-dir in the project to the project.
        outdir=project / settings.output_dir,
    )
    result = build_matrix(options, data)

    width = max(len(w.identifier) for w in result.wheels)
    lines = [
        f"Built {len(result.wheels)} wheel(s) in {result.seconds:.1f}s ({result.runs} run(s)):"
    ]
    for w in result.wheels:
        lines.append(
            f"  {w.identifier:<{width}}  {w.path.name}  {human_size(w.size):>9}  "
            f"{w.seconds:5.1f}s  sha256:{w.sha256}"
        )
    out.result(result.to_dict(), "\n".join(lines))
    rows = "\n".join(
        f"| `{w.identifier}` | `{w.path.name}` | {w.size} | {w.seconds:.1f} | `{w.sha256}` |"
        for w in result.wheels
    )
    out.summary(
        "### hwb matrix build\n\n| Identifier | Wheel | Size (bytes) | Seconds | SHA256 |\n"
        f"|---|---|---|---|---|\n{rows}"
    )
    out.set_outputs(
        {
            "wheelhouse": str(result.outdir),
            "wheels": "\n".join(sorted({str(w.path) for w in result.wheels})),
        }
    )


@click.group(invoke_without_command=True)
@_build_options
@click.pass_context
def matrix(ctx: click.Context, /, **_: object) -> None:
    """Plan the OS x Python x arch matrix with cibuildwheel, or build part of it.

    Without a subcommand, builds (like 'hwb matrix build') the project in the current directory.
    """
    if ctx.invoked_subcommand is None:
        _run_build(ctx, Path())
        return
    passed = [
        name
        for name in ctx.params
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]
    if passed:
        from hwb.errors import UsageError

        raise UsageError(
            f"options before '{ctx.invoked_subcommand}' would be ignored: {', '.join(passed)}",
            hint=f"Put them after it: hwb matrix {ctx.invoked_subcommand} --only ...",
        )


@matrix.command("build")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@_build_options
@click.pass_context
def build(ctx: click.Context, /, path: Path, **_: object) -> None:
    """Build wheels with cibuildwheel for PATH (default: the current directory)."""
    _run_build(ctx, path)


@matrix.command("plan")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--platform",
    type=click.Choice(["linux", "macos", "windows", "all"]),
    help="Platforms to plan [all].",
)
@click.option(
    "--archs", metavar="ARCHS", help="cibuildwheel --archs (e.g. 'auto64', 'x86_64 arm64')."
)
@click.option(
    "--group-by",
    type=click.Choice(["identifier", "python", "platform-arch"]),
    help="One job per runner (platform-arch), per Python on a runner, or per identifier "
    "[platform-arch].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "github", "gitlab"]),
    default="json",
    show_default=True,
    help="The plan, a GitHub matrix, or a GitLab child pipeline.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout."
)
@click.pass_context
def plan(ctx: click.Context, /, path: Path, **_: object) -> None:
    """Plan the build matrix of PATH (default: the current directory) with cibuildwheel."""
    import json

    from hwb.matrix import plan as planning
    from hwb.settings.model import MatrixSettings

    out = state_output(ctx)
    overrides = given(
        ctx, {"platform": "matrix.platform", "archs": "matrix.archs", "group_by": "matrix.group-by"}
    )
    project = path.resolve() if path.exists() else path
    cfg, data = resolve_config(project, overrides, out)
    settings = MatrixSettings.from_config(cfg)
    platforms = list(planning.PLATFORMS) if settings.platform == "all" else [settings.platform]
    fmt: str = ctx.params["fmt"]
    the_plan = planning.make_plan(
        project,
        platforms=platforms,
        archs=settings.archs or None,
        group_by=settings.group_by,
        runner_overrides=settings.runners,
        sdist=settings.expect_sdist,
        max_jobs=settings.max_jobs,
        fmt=fmt,
        pyproject_data=data,
    )
    if fmt == "github":
        text = planning.render_github(the_plan)
    elif fmt == "gitlab":
        text = planning.render_gitlab(
            the_plan,
            planning.GitlabOptions(
                image=settings.gitlab_image,
                install=settings.gitlab_install,
                linux_setup=settings.gitlab_linux_setup,
                dind_image=settings.gitlab_dind_image,
                tags=settings.gitlab_tags,
                output_dir=settings.output_dir,
            ),
        )
    else:
        text = planning.render_json(the_plan)
    output: Path | None = ctx.params["output"]
    if output is not None:
        from hwb.fs import write_atomic

        write_atomic(output, text)
    what = "1 pure wheel" if the_plan.pure else f"{len(the_plan.identifiers)} identifier(s)"
    out.info(
        f"Planned {what} in {len(the_plan.jobs)} job(s)"
        + ("" if the_plan.pure else f" for {', '.join(platforms)}")
        + f" ({the_plan.seconds:.2f}s)"
        + (f"; wrote {output}" if output is not None else "")
    )
    for line in planning.describe(the_plan):
        out.info(line)
    for warning in the_plan.warnings:
        out.warning(warning)
    if output is None:
        out.result(json.loads(text) if fmt != "gitlab" else {"gitlab-ci": text}, text)
    _plan_outputs(out, the_plan)


def _plan_outputs(out: Output, the_plan: Plan) -> None:
    """The step outputs (the GitHub matrix, the plan) and the step summary's runner table."""
    import json

    from hwb.matrix import plan as planning

    out.set_outputs(
        {
            "matrix": planning.render_github(the_plan).strip(),
            "plan": json.dumps(the_plan.to_dict(), separators=(",", ":")),
        }
    )
    counts: dict[str, int] = {}
    for job in the_plan.jobs:
        counts[job.runner] = counts.get(job.runner, 0) + 1
    rows = "\n".join(f"| `{runner}` | {n} |" for runner, n in counts.items())
    out.summary(
        f"### hwb matrix plan\n\n{len(the_plan.identifiers)} identifier(s) in "
        f"{len(the_plan.jobs)} job(s).\n\n| Runner | Jobs |\n|---|---|\n{rows}"
    )
