"""``hwb publish``."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hwb import ci
from hwb.commands.options import (
    IntRange,
    Overrides,
    check_output_file,
    given,
    human_size,
    project_option,
    resolve_config,
    state_output,
)

if TYPE_CHECKING:
    from hwb.errors import HwbError
    from hwb.output import Output, Progress
    from hwb.publish.ledger import Entry, Ledger
    from hwb.publish.service import DryRun, Published, PublishRequest
    from hwb.publish.targets import Target
    from hwb.settings.resolver import Config


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-r",
    "--repository",
    "repositories",
    multiple=True,
    metavar="NAME",
    help="Registry name (repeatable): pypi, testpypi, or [tool.hwb.registries.NAME].",
)
@click.option("--url", metavar="URL", help="Upload URL of a registry not in the configuration.")
@click.option(
    "--all", "use_all", is_flag=True, help="Every registry in [tool.hwb.publish] registries."
)
@click.option(
    "--test", is_flag=True, help="Only the test repository ([tool.hwb.publish] test-repository)."
)
@click.option(
    "--token", metavar="TOKEN", help="API token (visible in the process list: prefer PYPI_TOKEN)."
)
@click.option(
    "-u",
    "--username",
    metavar="NAME",
    help="User name for the registry (devpi, Nexus, Artifactory...) [__token__].",
)
@click.option(
    "-p",
    "--password",
    metavar="PASSWORD",
    help="Password or token (visible in the process list: prefer HWB_REGISTRY_<NAME>_PASSWORD).",
)
@click.option(
    "--trusted-publisher",
    is_flag=True,
    help="Use trusted publishing (OIDC from GitHub Actions, GitLab CI, Google Cloud Build).",
)
@click.option(
    "--attestations/--no-attestations",
    default=None,
    help="Sign each file (PEP 740, Sigstore) and upload the attestations [on for trusted "
    "publishing to pypi/testpypi where the job has a Sigstore identity; attestations setting].",
)
@click.option(
    "--skip-existing/--no-skip-existing",
    default=None,
    help="Skip files already on the index with identical content.",
)
@click.option("--dry-run", is_flag=True, help="Check, resolve and show the plan; send nothing.")
@click.option(
    "--report", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON ledger here."
)
@click.option("-j", "--jobs", type=IntRange(1, 64), help="Parallel uploads per registry [16].")
@click.option("--no-inspect", is_flag=True, help="Do not run hwb inspect first.")
@click.option(
    "--verify/--no-verify",
    default=None,
    help="After the uploads, confirm each uploaded file on the index by sha256 [on].",
)
@project_option("Project directory (configuration, default dist/) [.].")
@click.pass_context
def publish(
    ctx: click.Context,
    /,
    files: tuple[Path, ...],
    repositories: tuple[str, ...],
    url: str | None,
    use_all: bool,
    test: bool,
    token: str | None,
    username: str | None,
    password: str | None,
    trusted_publisher: bool,
    attestations: bool | None,
    dry_run: bool,
    report: Path | None,
    project: Path,
    **_: object,
) -> None:
    """Upload wheels and sdists (default: the project's dist/) to one or more registries."""
    from hwb.cancel import Cancelled
    from hwb.commands.reports import render_ledger
    from hwb.errors import PublishFailedError
    from hwb.publish.service import DryRun, PublishRequest

    out = state_output(ctx)
    project = project.resolve()
    cfg, _ = resolve_config(project, given(ctx, _OVERRIDES), out)
    _mask_secret_flags(out, token, password, trusted_publisher)
    if report:  # written after the uploads: find out now that it could not be
        check_output_file(report, "--report")
    request = PublishRequest(
        files=files,
        project=project,
        repositories=repositories,
        url=url,
        use_all=use_all,
        test=test,
        token=token,
        username=username,
        password=password,
        trusted_publisher=trusted_publisher,
        attestations=attestations,
        dry_run=dry_run,
    )
    result = _run(out, request, cfg)
    if isinstance(result, DryRun):
        _dry_run(out, result)
        return
    if result.signed:
        out.detail(f"signed {len(result.signed)} distribution(s) (PEP 740)")
    ledger = result.ledger
    render_ledger(out, ledger)  # first: a report that cannot be written still shows what was sent
    unwritten = _write_report(ledger, report, out) if report else None
    projects = " ".join(sorted({e.file.split("-")[0] for e in ledger.entries}))
    for index in dict.fromkeys(result.indexes.values()):
        out.info(f"install: pip install --index-url {index} {projects}")
    from hwb.publish.ledger import CANCELLED, SKIPPED, UNKNOWN, UPLOADED

    done, skipped = ledger.count(UPLOADED), ledger.count(SKIPPED)
    if ledger.interrupted:
        if unwritten is not None:
            out.error(unwritten.message, hint=unwritten.hint)
        raise Cancelled(
            f"publish cancelled: {done} uploaded, {skipped} skipped, {len(ledger.failed)} "
            f"failed, {ledger.count(CANCELLED)} not sent, {ledger.count(UNKNOWN)} unknown "
            "(run the same command again to finish)"
        )
    if unwritten is not None:
        raise unwritten
    if ledger.failed:
        n = len(ledger.failed)
        raise PublishFailedError(f"{n} upload(s) failed, {done} uploaded, {skipped} skipped")


def _write_report(ledger: Ledger, report: Path, out: Output) -> HwbError | None:
    """The --report file; the error to raise when it cannot be written (a full disk after
    the uploads; a device refusing the data is fs.py's UsageError), for the caller to raise
    after the ledger is shown."""
    from hwb.errors import HwbError, OutputWriteError

    try:
        ledger.write(report, out.redact)
    except HwbError as exc:
        return exc
    except OSError as exc:
        return OutputWriteError(
            f"--report {report}: could not be written ({exc.strerror or exc}); "
            "the ledger above is the run's record",
            hint="Free some space or fix the folder; rerunning the same command only "
            "checks the files already sent and writes the report.",
        )
    return None


#: The flags that are settings ([tool.hwb.publish]), through the resolver like every layer.
_OVERRIDES: Overrides = {
    "skip_existing": "publish.skip-existing",
    "jobs": "publish.jobs",
    "no_inspect": ("publish.inspect", lambda _: False),
    "verify": "publish.verify",
}


def _mask_secret_flags(
    out: Output, token: str | None, password: str | None, trusted_publisher: bool
) -> None:
    """Secrets given as options are masked at once, with a warning: they are visible in the
    process list and the shell history."""
    for flag, secret in (("--token", token), ("--password", password)):
        if not secret:
            continue
        out.mask(secret)
        if not trusted_publisher:
            out.warning(
                f"{flag} is visible in the process list and shell history; "
                "prefer PYPI_TOKEN or HWB_REGISTRY_<NAME>_PASSWORD"
            )


def _run(out: Output, request: PublishRequest, cfg: Config) -> DryRun | Published:
    """The publish service with the live progress display; a failed inspection shows its
    blocking findings first."""
    from hwb.commands.reports import render_blocking_findings
    from hwb.errors import InspectionFailedError
    from hwb.publish.service import publish as run_publish
    from hwb.settings.model import InspectSettings, PublishSettings, Registries

    try:
        with out.progress("uploading", total=0, unit="bytes") as bar:
            return run_publish(
                request,
                PublishSettings.from_config(cfg),
                Registries.from_config(cfg),
                ci.environ(),
                out.mask,
                on_entry=_progress(out, bar),
                on_plan=lambda files, size: bar.set_total(size),
                rules=InspectSettings.from_config(cfg),
            )
    except InspectionFailedError as exc:
        from hwb.inspect.runner import Report

        if isinstance(exc.report, Report):
            render_blocking_findings(out, exc.report)
        raise


def _dry_run(out: Output, plan: DryRun) -> None:
    """The plan per registry and file (upload, skip or conflict, from the index lookups), the
    guide's checklist, then the error the real run would stop with, if any."""
    from hwb.trust.claims import publisher_form

    lines = ["dry run: nothing will be sent", ""]
    data: dict[str, Any] = {"dry_run": True, "inspected": plan.inspected, "registries": []}
    if plan.sign:
        lines.insert(1, "attestations: files without <file>.publish.attestation would be signed")
    for t in plan.targets:
        lines.append(f"{t.name}: {t.url}")
        index = t.index_url or (t.url if t.kind in {"dir", "s3"} else None)
        lines.append(f"  index:      {index or '(none: duplicates are detected from the answers)'}")
        lines.append(f"  user:       {t.username or '(anonymous)'}")
        lines.append(f"  credential: {t.credential_source}")
        if t.name in plan.claims:  # what to enter in the index's trusted-publisher form
            lines.append("  publisher:  enter on the index's Publishing page:")
            projects = sorted({d.name for d in plan.dists})
            form = publisher_form(plan.claims[t.name], ", ".join(projects) or None)
            lines += ["  " + row for row in form]
        files = plan.plan.get(t.name, {})
        for d in plan.dists:
            extra = f" + {len(d.attestations)} attestation(s)" if d.attestations else ""
            planned = files.get(d.filename)
            verdict, note = (
                (planned.verdict, planned.note) if planned else ("upload", "not checked")
            )
            note = f": {note}" if note else ""
            lines.append(
                f"  {verdict:<11} {d.filename} ({d.kind}, {human_size(d.size)}){extra}{note}"
            )
        if t.kind not in {"dir", "s3"}:  # twine uploads to an upload API only
            lines.append(f"  as twine:   {_twine(t, plan)}")
        elif index:
            names = " ".join(sorted({d.name for d in plan.dists}))
            lines.append(f"  install:    pip install --index-url {index} {names}")
        lines.append("")
        data["registries"].append(
            {
                **t.to_dict(),
                "files": [d.filename for d in plan.dists],
                "plan": {name: {"verdict": p.verdict, "note": p.note} for name, p in files.items()},
            }
        )
    checklist = plan.checklist()
    lines.append("checklist:")
    for passed, item, why in checklist:
        lines.append(f"  {'✓' if passed else '✗'} {item}" + ("" if passed else f" ({why})"))
    data["checklist"] = [{"item": i, "passed": ok, "why": w} for ok, i, w in checklist]
    out.result(data, "\n".join(lines).rstrip())
    problem = plan.problem()
    if problem is not None:
        from hwb.errors import InspectionFailedError
        from hwb.inspect.runner import Report

        if isinstance(problem, InspectionFailedError) and isinstance(problem.report, Report):
            from hwb.commands.reports import render_blocking_findings

            render_blocking_findings(out, problem.report)
        raise problem


def _twine(t: Target, plan: DryRun) -> str:
    """The twine command that would upload the same files to ``t`` (password masked)."""
    twine = ["twine", "upload", "--repository-url", t.url]
    if t.password is not None:
        twine += ["-u", t.username or "__token__", "-p", "***"]
    if plan.options.skip_existing:
        twine.append("--skip-existing")
    twine += [str(d.path) for d in plan.dists]
    return shlex.join(twine).replace(chr(39) + "***" + chr(39), "***")


def _progress(out: Output, bar: Progress) -> Callable[[Entry], None]:
    """A callback per finished file: the live display on a terminal, a line at -vv (the
    transport logs it at -v)."""
    done = [0]

    def tick(entry: Entry) -> None:
        done[0] += 1
        bar.advance(entry.size, f"uploading ({done[0]} done, last {entry.file} {entry.status})")
        out.detail(f"[{done[0]}] {entry.registry}: {entry.file} {entry.status}", level=2)

    return tick
