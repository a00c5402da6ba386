"""``hwb attest``: SLSA v1 build provenance for release artifacts."""

from __future__ import annotations

from pathlib import Path

import click

from hwb.commands.options import check_output_file, state_output


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the bundle [DIR/provenance.intoto.jsonl, beside the files].",
)
@click.option(
    "--sign/--no-sign",
    default=None,
    help="Sign with Sigstore using the CI's identity [on in GitHub Actions, GitLab CI, GCB].",
)
@click.pass_context
def attest(
    ctx: click.Context, /, files: tuple[Path, ...], output: Path | None, sign: bool | None
) -> None:
    """Write an in-toto statement with a SLSA v1 provenance predicate for FILES (default:
    dist/*): each file's sha256, and the builder and source read from the CI."""
    from hwb import ci
    from hwb.publish.dists import collect
    from hwb.trust import slsa as provenance

    out = state_output(ctx)
    paths = collect(list(files) or [Path("dist")])
    target = output or paths[0].parent / "provenance.intoto.jsonl"
    check_output_file(target, "--output")
    signing = ci.has_identity(ci.environ()) if sign is None else sign
    signer = provenance.make_signer(out.mask) if signing else None
    stmt = provenance.write(paths, target, ci.environ(), signer)
    builder = stmt["predicate"]["runDetails"]["builder"]["id"]
    out.result(
        {"output": str(target), "signed": signing, "builder": builder,
         "subjects": stmt["subject"]},
        f"{'signed' if signing else 'unsigned'} SLSA provenance for {len(paths)} file(s) "
        f"(builder {builder}) -> {target}",
    )  # fmt: skip
