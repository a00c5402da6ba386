"""``hwb gather``."""

from __future__ import annotations

from pathlib import Path

import click

from hwb.commands.options import human_size, state_output


@click.command()
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The plan from 'hwb matrix plan --format json'.",
)
@click.option(
    "-o", "--outdir", type=click.Path(path_type=Path), help="Copy the complete release here."
)
@click.option("--checksum", is_flag=True, help="Write SHA256SUMS (sha256sum -c format).")
@click.option(
    "--allow-strays", is_flag=True, help="Leave files the plan does not expect out (warn only)."
)
@click.pass_context
def gather(
    ctx: click.Context,
    /,
    dirs: tuple[Path, ...],
    plan_file: Path,
    outdir: Path | None,
    checksum: bool,
    allow_strays: bool,
) -> None:
    """Check the matrix jobs' artifacts in DIR... against the plan; copy a complete release.

    Exits 19, writing nothing, when a planned wheel or the sdist is missing, a file is a
    stray, or two different files have one name.
    """
    from hwb.matrix.gather import gather as run_gather
    from hwb.matrix.plan import load_plan

    out = state_output(ctx)
    plan = load_plan(plan_file)
    result = run_gather(plan, list(dirs), outdir, checksum=checksum, allow_strays=allow_strays)
    wheels = [f for f in result.files if f.kind == "wheel"]
    sdists = [f for f in result.files if f.kind == "sdist"]
    lines = [
        (
            "Complete: the pure wheel"
            if plan.pure
            else f"Complete: {len(plan.identifiers)} identifier(s) served by {len(wheels)} wheel(s)"
        )
        + (f" and {len(sdists)} sdist" if sdists else "")
        + (f", gathered into {result.outdir}" if result.outdir else "")
        + ":"
    ]
    for f in result.files:
        lines.append(f"  {f.kind:<5}  {f.name}  {human_size(f.size):>9}  sha256:{f.sha256}")
    if result.checksum_file:
        lines.append(f"Checksums: {result.checksum_file}")
    out.result(result.to_dict(), "\n".join(lines))
    rows = "\n".join(f"| `{f.name}` | {f.kind} | {f.size} | `{f.sha256}` |" for f in result.files)
    out.summary(
        "### hwb gather\n\nComplete release.\n\n| File | Kind | Size (bytes) | SHA256 |\n"
        f"|---|---|---|---|\n{rows}"
    )
    outputs = {"complete": "true"}
    if result.outdir:
        outputs["dist-dir"] = str(result.outdir)
        outputs["artifacts"] = "\n".join(str(result.outdir / f.name) for f in result.files)
    if result.checksum_file:
        outputs["checksum-file"] = str(result.checksum_file)
    out.set_outputs(outputs)
