"""``hwb publish``."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from hwb.commands import human_size, resolve_config, state_output

if TYPE_CHECKING:
    from hwb.output import Output
    from hwb.publish.dists import Dist
    from hwb.publish.ledger import Entry, Ledger
    from hwb.publish.targets import Target


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
    "--trusted-publisher",
    is_flag=True,
    help="Use trusted publishing (OIDC from GitHub Actions, GitLab CI, Google Cloud Build).",
)
@click.option(
    "--attestations/--no-attestations",
    default=None,
    help="Sign each file (PEP 740, Sigstore) and upload the attestations "
    "[on for trusted publishing to pypi/testpypi].",
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
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Parallel uploads per registry [4].")
@click.option("--no-inspect", is_flag=True, help="Do not run hwb inspect first.")
@click.option(
    "--project",
    default=".",
    type=click.Path(path_type=Path, file_okay=False),
    help="Project directory (configuration, default dist/) [.].",
)
@click.pass_context
def publish(ctx: click.Context, /, files: tuple[Path, ...], **params: Any) -> None:
    """Upload wheels and sdists (default: the project's dist/) to one or more registries."""
    from hwb.errors import PublishFailedError, UsageError
    from hwb.publish.dists import collect, lazy, load
    from hwb.publish.service import PublishOptions
    from hwb.publish.service import publish as run_publish
    from hwb.publish.targets import choose_names, resolve_target

    out = state_output(ctx)
    project = Path(params["project"]).resolve()
    cfg, _ = resolve_config(project, {}, out)
    section, registries = cfg.section("publish"), cfg.section("registries")
    if params["url"] and (params["repositories"] or params["use_all"] or params["test"]):
        raise UsageError(
            "--url names one registry: do not combine it with --repository/--all/--test"
        )
    if params["use_all"] and params["test"]:
        raise UsageError("--all and --test contradict each other")
    token = params["token"]
    _check_token(out, token, params["trusted_publisher"])
    for name in ("PYPI_TOKEN", "TESTPYPI_TOKEN"):
        out.mask(os.environ.get(name, ""))
    if params["url"]:
        parts = urlsplit(params["url"])
        host = (
            parts.netloc
            if parts.scheme in {"http", "https"}
            else f"{parts.scheme}:{parts.netloc or parts.path}"
        )
        targets = [
            resolve_target(
                host, registries, os.environ, token, url=params["url"],
                trusted=params["trusted_publisher"],
            )
        ]  # fmt: skip
    else:
        names = choose_names(params["repositories"], params["use_all"], params["test"], section)
        targets = [
            resolve_target(n, registries, os.environ, token, trusted=params["trusted_publisher"])
            for n in names
        ]
    for target in targets:
        out.mask(target.password or "")
        if target.kind == "s3":  # boto3 reads these itself; they must never show either
            for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                out.mask(os.environ.get(name, ""))

    paths = collect(list(files) or [project / "dist"])
    if any(t.kind in {"dir", "s3"} for t in targets):
        from hwb.publish.static import preflight

        preflight(targets)
    inspect_first = section["inspect"] and not params["no_inspect"]
    if inspect_first:
        _inspect(out, paths, public=any(t.public for t in targets))
    if _wants_attestations(params["attestations"], targets):
        _sign(out, paths, params["dry_run"])
    # Metadata and hashes are read in the upload workers (dry runs read them here).
    dists = [load(p) if params["dry_run"] else lazy(p) for p in paths]
    skip = section["skip-existing"] if params["skip_existing"] is None else params["skip_existing"]
    options = PublishOptions(
        skip_existing=bool(skip),
        jobs=int(params["jobs"] or section["jobs"]),
        retries=int(section["retries"]),
        timeout=float(section["timeout"]),
    )
    if params["dry_run"]:
        _dry_run(out, dists, targets, options, inspect_first)
        return
    # Trusted publishing: mint every token now, so a refused exchange stops the run before
    # any file is sent (exit 16); renewals happen in the uploads.
    targets = [_with_minted_credential(out, t) if t.trusted else t for t in targets]

    ledger = run_publish(
        dists, targets, options, on_entry=_progress(out, len(dists) * len(targets))
    )
    if params["report"]:
        ledger.write(params["report"])
    _render(out, ledger)
    if ledger.failed:
        n = len(ledger.failed)
        done, skipped = ledger.count("uploaded"), ledger.count("skipped-identical")
        raise PublishFailedError(f"{n} upload(s) failed, {done} uploaded, {skipped} skipped")


def _inspect(out: Output, paths: list[Path], public: bool) -> None:
    from hwb.errors import InspectionFailedError
    from hwb.inspect.catalogue import Severity
    from hwb.inspect.runner import InspectOptions, inspect_paths

    groups = frozenset({"metadata", "wheel", "sdist", "sensitive"})
    report = inspect_paths(paths, InspectOptions(groups=groups, public_index=public))
    for file_report in report.files:
        for f in file_report.findings:
            if f.severity is Severity.ERROR:
                out.error(f"{f.file}: {f.id} {f.message}", hint=f.hint, file=str(file_report.path))
    if not report.passed:
        raise InspectionFailedError(
            f"hwb inspect found {report.count(Severity.ERROR)} error(s): nothing was uploaded",
            hint="Fix them (hwb inspect shows details), or pass --no-inspect to publish anyway.",
        )


def _sign(out: Output, paths: list[Path], dry_run: bool) -> None:
    if dry_run:
        out.info("attestations: files without <file>.publish.attestation would be signed")
        return
    from hwb.trust import pep740 as attest

    written = attest.sign_missing(paths, lambda: attest.make_signer(out.mask))
    out.detail(f"signed {len(written)} distribution(s) (PEP 740)")


def _wants_attestations(flag: bool | None, targets: list[Target]) -> bool:
    """Explicit flag, else on when trusted-publishing to PyPI/TestPyPI (as PyPI's action)."""
    if flag is not None:
        return flag
    return any(t.trusted and t.public for t in targets)


def _check_token(out: Output, token: str | None, trusted: bool) -> None:
    from hwb.errors import UsageError

    if token and trusted:
        raise UsageError("--token and --trusted-publisher contradict each other: choose one")
    if token:
        out.mask(token)
        out.warning(
            "--token is visible in the process list and shell history; "
            "prefer PYPI_TOKEN or HWB_REGISTRY_<NAME>_PASSWORD"
        )


def _trusted(out: Output, target: Target) -> Any:
    from hwb.trust.oidc import RegistryOidcCredential, TrustedCredential

    if target.options.get("oidc"):
        return RegistryOidcCredential(target.name, target.options, target.url, out.mask)
    return TrustedCredential(target.url, out.mask)


def _with_minted_credential(out: Output, target: Target) -> Target:
    import dataclasses

    credential = _trusted(out, target)
    credential.password()
    username = getattr(credential, "username", "") or "__token__"
    return dataclasses.replace(target, username=username, credential=credential.password)


def _dry_run(
    out: Output, dists: list[Dist], targets: list[Target], options: Any, inspected: bool
) -> None:
    lines = ["dry run: nothing will be sent", ""]
    plan: dict[str, Any] = {"dry_run": True, "inspected": inspected, "registries": []}
    for t in targets:
        lines.append(f"{t.name}: {t.url}")
        lines.append(
            f"  index:      {t.index_url or '(unknown: duplicates are detected from the answers)'}"
        )
        lines.append(f"  user:       {t.username or '(anonymous)'}")
        lines.append(f"  credential: {t.credential_source}")
        if t.trusted:  # what to enter in the index's trusted-publisher form
            from hwb.trust.oidc import publisher_form

            claims = _trusted(out, t).claims()
            lines.append("  publisher:  enter on the index's Publishing page:")
            projects = sorted({d.name for d in dists})
            lines += ["  " + row for row in publisher_form(claims, ", ".join(projects) or None)]
        for d in dists:
            extra = f" + {len(d.attestations)} attestation(s)" if d.attestations else ""
            lines.append(f"  upload      {d.filename} ({d.kind}, {human_size(d.size)}){extra}")
        twine = ["twine", "upload", "--repository-url", t.url]
        if t.password is not None:
            twine += ["-u", t.username or "__token__", "-p", "***"]
        if options.skip_existing:
            twine.append("--skip-existing")
        twine += [str(d.path) for d in dists]
        lines.append(f"  as twine:   {shlex.join(twine).replace(chr(39) + '***' + chr(39), '***')}")
        lines.append("")
        plan["registries"].append({**t.to_dict(), "files": [d.filename for d in dists]})
    out.result(plan, "\n".join(lines).rstrip())


def _progress(out: Output, total: int) -> Any:
    """A callback per finished file: a line at -v (the transport logs it), nothing more."""
    done = [0]

    def tick(entry: Entry) -> None:
        done[0] += 1
        out.detail(f"[{done[0]}/{total}] {entry.registry}: {entry.file} {entry.status}", level=2)

    return tick


def _render(out: Output, ledger: Ledger) -> None:
    rows = ledger.sorted()
    width = max((len(e.file) for e in rows), default=4)
    reg = max((len(e.registry) for e in rows), default=8)
    lines = []
    for e in rows:
        lines.append(
            f"{e.registry:<{reg}} {e.file:<{width}}  {e.status:<17} {human_size(e.size):>8} "
            f" {e.seconds:6.2f}s"
        )
        if e.reason:
            lines.append(f"{'':<{reg}} {'':<{width}}  {e.reason}")
        if e.hint and e.status == "failed":
            lines.append(f"{'':<{reg}} {'':<{width}}  hint: {e.hint}")
    lines.append(
        f"{ledger.count('uploaded')} uploaded, {ledger.count('skipped-identical')} skipped "
        f"(identical), {len(ledger.failed)} failed"
    )
    out.result(ledger.to_dict(), "\n".join(lines))
    table = "\n".join(
        f"| {e.registry} | `{e.file}` | {e.status} | {e.size} | `{e.sha256}` | {e.reason or ''} |"
        for e in rows
    )
    out.summary(
        "### hwb publish\n\n| Registry | File | Status | Size | SHA256 | Note |\n"
        f"|---|---|---|---|---|---|\n{table}"
    )
    out.set_outputs(
        {
            "uploaded": str(ledger.count("uploaded")),
            "failed": str(len(ledger.failed)),
        }
    )
