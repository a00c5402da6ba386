"""Renderers shared by commands: inspection findings and the publish ledger, each in one
format wherever it is shown (terminal lines, annotations, JSON, step summary, outputs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwb.commands.options import human_size

if TYPE_CHECKING:
    from hwb.inspect.runner import Report
    from hwb.output import Output
    from hwb.publish.ledger import Ledger


def render_findings(out: Output, report: Report) -> None:
    """Every finding as ``severity ID message`` + hint under its file, an annotation each, the
    JSON report and a step-summary table (``hwb inspect``)."""
    from hwb.inspect.catalogue import Severity

    lines = []
    for file_report in report.files:
        name = file_report.path.name
        if not file_report.findings:
            lines.append(f"{name}: ok")
            continue
        lines.append(f"{name}:")
        for f in file_report.findings:
            lines.append(f"  {f.severity.value:<7} {f.id}  {f.message}")
            lines.append(f"          hint: {f.hint}")
            out.annotate(
                f.severity.value, f"{f.id}: {f.message}", file=str(file_report.path), title=f.id
            )
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    verdict = "passed" if report.passed else "FAILED"
    lines.append(
        f"{len(report.files)} file(s): {errors} error(s), {warnings} warning(s) -> {verdict}"
        + (" (strict)" if report.strict else "")
    )
    out.result(report.to_dict(), "\n".join(lines))
    rows = "\n".join(
        f"| `{f.file}` | {f.id} | {f.severity.value} | {f.message} |"
        for r in report.files
        for f in r.findings
    )
    out.summary(
        f"### hwb inspect: {verdict}\n\n"
        + (
            f"| File | Check | Severity | Finding |\n|---|---|---|---|\n{rows}"
            if rows
            else "No findings."
        )
    )


def render_blocking_findings(out: Output, report: Report) -> None:
    """The errors that stopped a publish, as error lines (stderr, annotations): the run's
    result is the publish, not an inspection report."""
    from hwb.inspect.catalogue import Severity

    for file_report in report.files:
        for f in file_report.findings:
            if f.severity is Severity.ERROR:
                out.error(f"{f.file}: {f.id} {f.message}", hint=f.hint, file=str(file_report.path))


def render_ledger(out: Output, ledger: Ledger) -> None:
    from hwb.publish.ledger import CANCELLED, FAILED, SKIPPED, UNKNOWN, UPLOADED

    rows = ledger.sorted()
    width = max((len(e.file) for e in rows), default=4)
    reg = max((len(e.registry) for e in rows), default=8)
    lines = []
    for e in rows:
        lines.append(
            f"{e.registry:<{reg}} {e.file:<{width}}  {e.shown_status:<19} {human_size(e.size):>8} "
            f" {e.seconds:6.2f}s"
        )
        if e.reason:
            lines.append(f"{'':<{reg}} {'':<{width}}  {e.reason}")
        if e.hint and e.status == FAILED:
            lines.append(f"{'':<{reg}} {'':<{width}}  hint: {e.hint}")
    verified = sum(1 for e in rows if e.verified)
    lines.append(
        f"{ledger.count(UPLOADED)} uploaded"
        + (f" ({verified} verified on the index)" if verified else "")
        + f", {ledger.count(SKIPPED)} skipped "
        f"(identical), {len(ledger.failed)} failed"
        + (
            f", {ledger.count(CANCELLED)} cancelled (not sent), {ledger.count(UNKNOWN)} unknown "
            "(may have landed): the run was cancelled"
            if ledger.interrupted
            else ""
        )
    )
    out.result(ledger.to_dict(), "\n".join(lines))
    table = "\n".join(
        f"| {e.registry} | `{e.file}` | {e.shown_status} | {e.size} | `{e.sha256}` "
        f"| {e.reason or ''} |"
        for e in rows
    )
    out.summary(
        "### hwb publish\n\n| Registry | File | Status | Size | SHA256 | Note |\n"
        f"|---|---|---|---|---|---|\n{table}"
    )
    out.set_outputs(
        {
            "uploaded": str(ledger.count(UPLOADED)),
            "failed": str(len(ledger.failed)),
        }
    )
