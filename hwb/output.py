"""The one place that prints: a CI-aware output layer.

- Human output (progress, warnings, errors) goes to stderr; results go to stdout, as JSON
  with ``--json``, so ``hwb build --json | jq`` always works.
- GitHub Actions (``GITHUB_ACTIONS=true``): ``::group::``, ``::error::``/``::warning::``
  annotations (``file=`` when a file is at fault), ``::add-mask::`` for every secret learned,
  a markdown summary in ``$GITHUB_STEP_SUMMARY``, outputs in ``$GITHUB_OUTPUT``. The runner reads
  workflow commands from stderr as well as stdout, so stdout stays clean for results.
- GitLab CI (``GITLAB_CI=true``): collapsible sections.
- Elsewhere plain text, coloured when the stream is a terminal; ``NO_COLOR`` and ``--no-color``
  turn colour off, ``FORCE_COLOR`` turns it on.
- Every line passes through :meth:`Output.redact` (a :class:`hwb.redaction.Redactor`): a
  registered secret, in any of its encodings, and any URL userinfo never reach a stream or a
  file (report, summary, outputs, annotations, tracebacks), at any verbosity. The credential
  variables of the environment are registered when the Output is created; flags, config values,
  URL userinfo and minted tokens as they are learned.
- Every line that may carry text from outside (file and member names, server replies, child
  output, inputs) passes :func:`neutralise` on its way out, after redaction: control characters
  and terminal escapes are shown escaped (``\x1b``; colour codes are dropped), and nothing a
  CI reads as a command survives: a line starting ``::`` or holding ``##[`` (GitHub workflow
  commands) or GitLab's ``section_start:``/``section_end:`` markers. hwb's own commands
  (``::group::``, ``::error::``, ``::add-mask::``, GitLab sections) are written only by
  :meth:`Output._raw` and :meth:`Output._command`, with the outside text in them neutralised.
- On a terminal (not in CI, not piped, not ``-q``), :meth:`Output.progress` shows a live display
  (rich, imported only then) for builds, inspections and uploads; lines printed meanwhile
  appear above it. Elsewhere it shows nothing and the usual plain lines are the record.
"""

from __future__ import annotations

import json
import logging
import re
import secrets as _secrets
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click

from hwb import ci, log
from hwb.errors import HwbError
from hwb.redaction import REDACTED, Redactor, credential_values

__all__ = ["REDACTED", "Output", "OutputHandler", "neutralise"]


def _use_color(stream: IO[str], no_color: bool, environ: Mapping[str, str], ci: str | None) -> bool:
    if no_color or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if ci is not None:  # both CIs render ANSI colour in their logs
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


#: Characters that act on a terminal or a CI log rather than show: C0 (but tab and newline)
#: and C1 controls, DEL, and the invisible ones that split or reorder a line (line and
#: paragraph separators, bidi overrides and isolates).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
#: Colour and style codes (SGR) from child processes: dropped rather than shown, so build
#: logs stay readable; every other escape sequence is shown escaped.
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
#: A line the GitHub runner reads as a workflow command (it trims leading whitespace, any
#: Unicode blank included).
_WORKFLOW_LINE = re.compile(r"^([^\S\n]*):(?=:)", re.MULTILINE)
#: GitLab's collapsible-section markers.
_SECTION = re.compile(r"section_(?=(?:start|end):)")


def _show(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """Text from outside made inert in a terminal and a CI log: control characters shown
    escaped, colour codes dropped, no line a workflow command, no GitHub legacy command
    (``##[``, read anywhere in a line) and no GitLab section marker. Newlines stay."""
    text = _CONTROL.sub(lambda m: _show(m.group()), _SGR.sub("", text))
    text = _WORKFLOW_LINE.sub(lambda m: m.group(1) + "\\x3a", text)
    return _SECTION.sub(lambda _: "section\\x5f", text.replace("##[", "#\\x23["))


def _one_line(text: str) -> str:
    """Outside text for the one line of an hwb command (a group or section title)."""
    return neutralise(text).replace("\n", "\\n")


def _json_safe(text: str) -> str:
    """JSON (ASCII, controls already \\u-escaped by json.dumps) with the markers a runner
    reads anywhere in a line spelt as JSON escapes: the same document, nothing to act on."""
    text = text.replace("##[", "#\\u0023[")
    return _SECTION.sub(lambda _: "section\\u005f", text)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class Output:
    verbosity: int = 0
    quiet: bool = False
    json_mode: bool = False
    no_color: bool = False
    environ: Mapping[str, str] = field(default_factory=ci.environ)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    #: Share another Output's secrets (already masked in the CI log) instead of learning the
    #: environment's again.
    redactor: Redactor | None = None

    def __post_init__(self) -> None:
        self.ci = ci.which(self.environ)
        self.color = _use_color(self.stderr, self.no_color, self.environ, self.ci)
        inherited = self.redactor is not None
        self._redactor = self.redactor if self.redactor is not None else Redactor()
        self.redactor = self._redactor
        self._open_step: str | None = None
        self._section_ids: list[str] = []
        self._live: Any = None  # the rich Progress while a live display is shown
        if not inherited:
            for value in credential_values(self.environ):
                self.mask(value)

    # -- secrets -----------------------------------------------------------------------------
    def mask(self, secret: str, username: str | None = None, /) -> None:
        """Register a secret (and, for Basic auth, the user sending it): redacted everywhere
        from now on in every encoding, masked in the GitHub log."""
        if not self._redactor.add(secret, username):
            return
        if self.ci == "github":
            for line in secret.splitlines() or [secret]:
                if line.strip():
                    self._raw(f"::add-mask::{line}")

    def redact(self, text: str) -> str:
        return self._redactor(text)

    def _clean(self, text: str) -> str:
        """What every line from outside becomes before it is shown: redacted, neutralised."""
        return neutralise(self._redactor(text))

    def write_file(self, path: Path, text: str) -> None:
        """Write a report file atomically, redacted like everything else hwb shows."""
        from hwb.fs import write_atomic

        write_atomic(path, self.redact(text))

    def traceback(self, text: str) -> None:
        """A --debug traceback: redacted and neutralised (exception messages may quote a
        server)."""
        self.stderr.write(self._clean(text))
        self.stderr.flush()

    # -- low-level writes --------------------------------------------------------------------
    def _raw(self, line: str) -> None:
        # hwb's own CI commands, and only them: callers neutralise any outside text in them.
        # Workflow commands bypass redaction only for add-mask, whose purpose is the secret.
        self.stderr.write(line + "\n")
        self.stderr.flush()

    def _write(
        self, text: str, *, fg: str | None = None, bold: bool = False, dim: bool = False
    ) -> None:
        text = self._clean(text)
        if self.color and (fg or bold or dim):
            text = click.style(text, fg=fg, bold=bold, dim=dim)
        if self._live is not None:  # above the live display, which redraws below
            from rich.text import Text

            self._live.console.print(Text.from_ansi(text), soft_wrap=True)
            return
        self.stderr.write(text + "\n")
        self.stderr.flush()

    # -- live progress -----------------------------------------------------------------------
    @property
    def interactive(self) -> bool:
        """A person watching a terminal: live displays are for them, never for logs."""
        if self.quiet or ci.unattended(self.environ):
            return False
        if self.environ.get("TERM") == "dumb":
            return False
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    @contextmanager
    def progress(
        self, description: str, total: float | None = None, *, unit: str = "files"
    ) -> Iterator[Progress]:
        """A live display while the block runs: a spinner and elapsed time, plus a bar with
        ``total`` (counted in files, or in bytes with transfer speed for ``unit="bytes"``).
        Off a terminal it is silent: callers print their plain lines as always."""
        if not self.interactive or self._live is not None:
            yield Progress()
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(
            file=self.stderr, force_terminal=True, no_color=not self.color, highlight=False
        )
        columns: list[ProgressColumn | str] = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), DownloadColumn() if unit == "bytes" else MofNCompleteColumn()]
            if unit == "bytes":
                columns.append(TransferSpeedColumn())
        columns.append(TimeElapsedColumn())
        live = RichProgress(*columns, console=console, transient=True)
        task = live.add_task(self._clean(description), total=total)
        self._live = live
        try:
            with live:
                yield Progress(live, task, self._clean)
        finally:
            self._live = None

    def _command(self, name: str, message: str, **props: str | int | None) -> None:
        attrs = ",".join(
            f"{k}={_escape_property(self._clean(str(v)))}"
            for k, v in props.items()
            if v is not None
        )
        sep = " " if attrs else ""
        self._raw(f"::{name}{sep}{attrs}::{_escape_data(self._clean(message))}")

    # -- human messages ----------------------------------------------------------------------
    def info(self, message: str) -> None:
        if not self.quiet:
            self._write(message)

    def detail(self, message: str, level: int = 1) -> None:
        """A line shown only at ``-v`` (level 1), ``-vv`` (2) or ``-vvv`` (3)."""
        if not self.quiet and self.verbosity >= level:
            self._write(message, dim=True)

    def success(self, message: str) -> None:
        if not self.quiet:
            self._write(message, fg="green")

    def warning(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        if self.ci == "github":
            self._command("warning", message, file=file, line=line)
        else:
            self._write(f"warning: {message}", fg="yellow")

    def error(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        self.end_step()
        for extra in details or []:
            self._write(f"  {extra}", dim=True)
        if self.ci == "github":
            self._command("error", message + (f"\n{hint}" if hint else ""), file=file, title="hwb")
        self._write(f"error: {message}", fg="red", bold=True)
        if hint:
            self._write(f"hint: {hint}", fg="cyan")

    def annotate(
        self, severity: str, message: str, *, file: str | None = None, title: str | None = None
    ) -> None:
        """A GitHub annotation (error/warning/notice) only; human text is rendered elsewhere."""
        if self.ci == "github":
            kind = {"error": "error", "warning": "warning"}.get(severity, "notice")
            self._command(kind, message, file=file, title=title)

    def report_exception(self, exc: HwbError) -> None:
        self.error(exc.message, hint=exc.hint, file=exc.file, details=exc.details)

    # -- steps (groups and sections) ---------------------------------------------------------
    def start_step(self, title: str) -> None:
        self.end_step()
        self._open_step = title
        if self.quiet:
            return
        if self.ci == "github":
            self._raw(f"::group::{_escape_data(_one_line(self.redact(title)))}")
        elif self.ci == "gitlab":
            section = f"hwb_{len(self._section_ids)}_{int(time.time())}"
            self._section_ids.append(section)
            self._raw(
                f"\x1b[0Ksection_start:{int(time.time())}:{section}[collapsed=true]\r\x1b[0K"
                + _one_line(self.redact(title))
            )
        else:
            self._write(f"* {title}", bold=True)
            if self._live is not None:  # the live display says what runs now
                self._live.update(self._live.task_ids[0], description=self._clean(title))

    def end_step(self) -> None:
        if self._open_step is None:
            return
        self._open_step = None
        if self.quiet:
            return
        if self.ci == "github":
            self._raw("::endgroup::")
        elif self.ci == "gitlab" and self._section_ids:
            self._raw(f"\x1b[0Ksection_end:{int(time.time())}:{self._section_ids[-1]}\r\x1b[0K")

    # -- results -----------------------------------------------------------------------------
    def result(self, data: Any, human: str | None = None) -> None:
        """The command's result: JSON on stdout with ``--json``, else the human rendering."""
        self.end_step()
        if self.json_mode:
            text = json.dumps(data, indent=2, sort_keys=False)
            self.stdout.write(_json_safe(self.redact(text)) + "\n")
        elif human is not None:  # the runner reads stdout for commands too
            self.stdout.write(self._clean(human) + ("" if human.endswith("\n") else "\n"))
        self.stdout.flush()

    def summary(self, markdown: str) -> None:
        """Append to the GitHub step summary (no-op elsewhere)."""
        path = self.environ.get("GITHUB_STEP_SUMMARY")
        if self.ci != "github" or not path:
            return
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(self.redact(markdown).rstrip("\n") + "\n\n")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write step outputs to ``$GITHUB_OUTPUT``; a random heredoc delimiter per value, so
        a value containing any fixed delimiter line cannot end it early."""
        path = self.environ.get("GITHUB_OUTPUT")
        if self.ci != "github" or not path:
            return
        with Path(path).open("a", encoding="utf-8") as fh:
            for name, raw in outputs.items():
                value = self.redact(raw)
                if "\n" in value or "\r" in value:
                    delimiter = f"ghadelimiter_{_secrets.token_hex(16)}"
                    fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
                else:
                    fh.write(f"{name}={value}\n")

    # -- logging bridge ----------------------------------------------------------------------
    def handler(self) -> logging.Handler:
        return OutputHandler(self)

    def foreign_handler(self) -> logging.Handler:
        """For the root logger: other libraries' warnings (urllib3, boto3) go through the
        same redaction instead of logging's last-resort handler."""
        handler = OutputHandler(self)
        handler.setLevel(logging.WARNING)
        handler.addFilter(lambda record: not record.name.startswith("hwb"))
        return handler


class Progress:
    """The handle :meth:`Output.progress` yields (a no-op when nothing is displayed)."""

    def __init__(self, live: Any = None, task: Any = None, redact: Any = None) -> None:
        self._live, self._task, self._redact = live, task, redact

    def advance(self, amount: float = 1, description: str | None = None) -> None:
        if self._live is None:
            return
        extra = {"description": self._redact(description)} if description else {}
        self._live.update(self._task, advance=amount, **extra)

    def describe(self, description: str) -> None:
        if self._live is not None:
            self._live.update(self._task, description=self._redact(description))

    def set_total(self, total: float) -> None:
        if self._live is not None:
            self._live.update(self._task, total=total)


class OutputHandler(logging.Handler):
    """Renders the library's log records through an :class:`Output`."""

    def __init__(self, out: Output) -> None:
        super().__init__(log.level_for(out.verbosity, out.quiet))
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            step = getattr(record, "hwb_step", None)
            if step == "start":
                self.out.start_step(message)
            elif step == "end":
                self.out.end_step()
            elif record.levelno >= logging.ERROR:
                self.out.error(message, file=getattr(record, "hwb_file", None))
            elif record.levelno >= logging.WARNING:
                self.out.warning(message, file=getattr(record, "hwb_file", None))
            elif record.levelno >= logging.INFO:
                self.out.info(message)
            else:
                self.out.detail(message, level=0)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)
