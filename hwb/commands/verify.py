"""``hwb verify``: check PEP 740 attestations offline against an expected publisher."""

from __future__ import annotations

from pathlib import Path

import click

from hwb.commands.options import state_output


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--github", "github", metavar="OWNER/REPO", help="Expect a GitHub Actions publisher.")
@click.option(
    "--gitlab", "gitlab", metavar="NAMESPACE/PROJECT", help="Expect a GitLab CI publisher."
)
@click.option("--google", "google", metavar="EMAIL", help="Expect a Google service account.")
@click.option(
    "--workflow",
    metavar="FILE",
    help="GitHub workflow file name (required with --github) or GitLab CI file path "
    "[.gitlab-ci.yml].",
)
@click.option("--environment", metavar="NAME", help="Expect this deployment environment.")
@click.pass_context
def verify(
    ctx: click.Context,
    /,
    files: tuple[Path, ...],
    github: str | None,
    gitlab: str | None,
    google: str | None,
    workflow: str | None,
    environment: str | None,
) -> None:
    """Verify the attestations of FILES (``<file>.publish.attestation``, ``.slsa.attestation``
    or PyPI's ``<file>.provenance`` beside each) offline: signed by the expected publisher,
    and naming each file's exact sha256."""
    from hwb.errors import AttestationError, DistributionError, UsageError
    from hwb.trust.pep740 import Identity, PublisherKind, verify_file

    given: tuple[tuple[PublisherKind, str | None], ...] = (
        ("github", github), ("gitlab", gitlab), ("google", google),
    )  # fmt: skip
    chosen = [(k, v) for k, v in given if v]
    if len(chosen) != 1:
        raise UsageError("name the expected publisher: one of --github, --gitlab or --google")
    kind, name = chosen[0]
    if kind == "github" and not workflow:
        raise UsageError("--github needs --workflow (the workflow file name, e.g. release.yml)")
    identity = Identity(kind, name, workflow, environment)
    for path in files:
        if not path.is_file():
            raise DistributionError(f"{path}: no such file")
    out = state_output(ctx)
    verdicts = [verify_file(path, identity) for path in files]
    lines = [f"{'ok    ' if v.ok else 'FAILED'} {v.file}: {v.detail}" for v in verdicts]
    out.result(
        {"identity": str(identity), "files": [v.to_dict() for v in verdicts]}, "\n".join(lines)
    )
    failed = [v for v in verdicts if not v.ok]
    if failed:
        raise AttestationError(
            f"{len(failed)} of {len(verdicts)} file(s) failed verification against {identity}",
            hint="Do not install or republish them; check where they came from.",
        )
