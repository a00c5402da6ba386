"""The thin CLI: global options, lazy subcommands, and the one top-level error handler.

Subcommands are imported only when invoked, so ``hwb --version`` and ``hwb --help`` load
neither pypa/build nor anything else heavy.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from hwb import __version__, log
from hwb.cancel import Cancelled, exit_code, requested
from hwb.errors import (
    INTERNAL_ERROR_EXIT_CODE,
    INTERRUPTED_EXIT_CODE,
    HwbError,
    exit_code_summary,
)
from hwb.output import Output

#: name -> (module, attribute, one-line help). Add a command here when it is implemented.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": (
        "hwb.commands.build",
        "build",
        "Build a wheel (and sdist) in an isolated environment.",
    ),
    "inspect": (
        "hwb.commands.inspect",
        "inspect",
        "Check distributions before publishing (the pre-release checklist).",
    ),
    "publish": (
        "hwb.commands.publish",
        "publish",
        "Upload distributions to PyPI and other registries.",
    ),
    "attest": (
        "hwb.commands.attest",
        "attest",
        "Write SLSA build provenance for release artifacts (signed in CI).",
    ),
    "verify": (
        "hwb.commands.verify",
        "verify",
        "Verify PEP 740 attestations offline against the expected publisher.",
    ),
    "matrix": (
        "hwb.commands.matrix",
        "matrix",
        "Plan the wheel matrix with cibuildwheel; build it in parallel.",
    ),
    "gather": (
        "hwb.commands.gather",
        "gather",
        "Check matrix artifacts against the plan; refuse partial releases.",
    ),
    "index": ("hwb.commands.index", "index", "Maintain a static index: rebuild, yank, unyank."),
    "init-ci": (
        "hwb.commands.init_ci",
        "init_ci",
        "Write a project's release pipeline (GitHub Actions or GitLab CI).",
    ),
    "config": ("hwb.commands.config", "config", "Show the resolved configuration and its schema."),
    "version": (
        "hwb.commands.version",
        "version",
        "Show or bump the version; changelogs and release notes.",
    ),
}


@dataclass
class State:
    """Per-invocation state handed to subcommands (no module-level mutable state)."""

    output: Output = field(default_factory=Output)
    debug: bool = False
    verbose: int = 0
    quiet: bool = False
    json_mode: bool = False
    no_color: bool = False
    handler: logging.Handler | None = None
    foreign: logging.Handler | None = None

    def configure(self) -> None:
        """(Re)build the output and the log handler from the global options seen so far."""
        root = logging.getLogger("hwb")
        if self.handler is not None:
            root.removeHandler(self.handler)
        if self.foreign is not None:
            logging.getLogger().removeHandler(self.foreign)
        # The secrets learned so far (environment, command line) were masked before parsing.
        self.output = Output(
            verbosity=self.verbose,
            quiet=self.quiet,
            json_mode=self.json_mode,
            no_color=self.no_color,
            redactor=self.output.redactor,
        )
        self.handler = self.output.handler()
        root.addHandler(self.handler)
        root.setLevel(log.level_for(self.verbose, self.quiet))
        # Other libraries' records and `warnings` go through the redaction too.
        self.foreign = self.output.foreign_handler()
        logging.getLogger().addHandler(self.foreign)
        logging.captureWarnings(True)

    def close(self) -> None:
        if self.handler is not None:
            logging.getLogger("hwb").removeHandler(self.handler)
            self.handler = None
        if self.foreign is not None:
            logging.getLogger().removeHandler(self.foreign)
            self.foreign = None
        logging.captureWarnings(False)


# The global options, defined once: on the group (`hwb -q build`) and, as copies, on every
# subcommand (`hwb build -q`, `hwb version bump --json`), as uv accepts them in either place.
_GLOBALS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("-v", "--verbose", "verbose"),
        {
            "count": True,
            "help": "More output: -v per file/step, -vv commands and HTTP, -vvv bodies.",
        },
    ),
    (
        ("-q", "--quiet", "quiet"),
        {"is_flag": True, "help": "Only warnings, errors and the result."},
    ),
    (
        ("--json", "json_mode"),
        {"is_flag": True, "help": "Machine-readable result on stdout (human output on stderr)."},
    ),
    (
        ("--no-color", "no_color"),
        {"is_flag": True, "help": "No colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)."},
    ),
    (("--debug", "debug"), {"is_flag": True, "help": "Show tracebacks (also HWB_DEBUG=1)."}),
]


def _late_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global option given after the subcommand: add it to the state and reconfigure."""
    if ctx.get_parameter_source(str(param.name)) is not click.core.ParameterSource.COMMANDLINE:
        return
    state: State = ctx.find_root().ensure_object(State)
    if param.name == "verbose":
        state.verbose += int(value)
    else:
        setattr(state, str(param.name), bool(value) or bool(getattr(state, str(param.name))))
    state.configure()


def _accept_globals(command: click.Command) -> None:
    if getattr(command, "_hwb_globals", False):
        return
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for decls, attrs in _GLOBALS:
        if not taken & set(decls[:-1]):
            command.params.append(
                click.Option(list(decls), expose_value=False, callback=_late_global, **attrs)
            )
    command._hwb_globals = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_globals(sub)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        _accept_globals(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text from the table above, so --help imports no subcommand module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _group_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for decls, attrs in reversed(_GLOBALS):
        extra: dict[str, Any] = {"envvar": "HWB_DEBUG"} if decls[0] == "--debug" else {}
        func = click.option(*decls, **attrs, **extra)(func)
    return func


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="hwb, the Headless Wheel Builder: from source to published release, from CI.\n\n"
    "Global options (-v, -q, --json, --no-color, --debug) go before or after the command.\n\n"
    + exit_code_summary(),
)
@click.version_option(
    __version__, "-V", "--version", prog_name="hwb", message="%(prog)s %(version)s"
)
@_group_options
@click.pass_context
def cli(
    ctx: click.Context, verbose: int, quiet: bool, json_mode: bool, no_color: bool, debug: bool
) -> None:
    state: State = ctx.ensure_object(State)
    state.debug, state.verbose, state.quiet = debug, verbose, quiet
    state.json_mode, state.no_color = json_mode, no_color
    state.configure()
    ctx.call_on_close(state.close)


def _mask_secret_options(out: Output, argv: Sequence[str]) -> None:
    """Secrets given on the command line, masked before click could echo one in a usage
    error."""
    from hwb.redaction import argv_secrets

    for secret, user in argv_secrets(argv):
        out.mask(secret, user)


def _debug_requested(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    from hwb.settings.resolver import debug_requested

    return "--debug" in argv or debug_requested(environ)


def run() -> None:
    """The ``hwb`` command (console script, ``python -m hwb``): :func:`main`, then exit with its
    code.

    The heap is frozen first, so the interpreter's last garbage collections skip every object
    the run made (publish alone imports some 400 modules): 20-40 ms off every command. atexit
    handlers and stream flushes still run; only cycles left at exit go unfreed, and the OS takes
    them back with the process."""
    import gc

    from hwb import cancel

    code = main()
    if cancel.requested():
        _end_cancelled(code)
    gc.freeze()
    sys.exit(code)


def _end_cancelled(code: int) -> None:
    """A cancelled run ends now: a request abandoned after the grace still holds a thread that
    the interpreter would wait for at exit (up to the request's timeout)."""
    import os
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:]):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map every outcome to an exit code.

    SIGTERM (a CI cancelling the job, ``timeout``) is handled like Ctrl-C (:mod:`hwb.cancel`):
    child processes are stopped, temporary directories removed, rollbacks run; a publish starts
    no new request and writes its ledger. Exit 130 (SIGINT) or 143 (SIGTERM)."""
    import threading

    from hwb import cancel

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    restore = cancel.install()
    try:
        return _main(argv)
    finally:
        restore()


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    state = State()
    _mask_secret_options(state.output, args)
    try:
        rv = cli.main(args, prog_name="hwb", standalone_mode=False, obj=state)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt, Cancelled) as exc:
        state.output.error(str(exc) if isinstance(exc, Cancelled) and str(exc) else "interrupted")
        return exit_code() if requested() else INTERRUPTED_EXIT_CODE
    except click.ClickException as exc:
        # Usage errors: click's own one-line message and exit code 2.
        state.output.error(exc.format_message(), hint="Run 'hwb --help' (or 'hwb COMMAND --help').")
        return exc.exit_code
    except HwbError as exc:
        if state.debug or _debug_requested(args, state.output.environ):
            state.output.traceback(traceback.format_exc())
        state.output.report_exception(exc)
        return exc.exit_code
    except Exception as exc:
        if state.debug or _debug_requested(args, state.output.environ):
            state.output.traceback(traceback.format_exc())
        state.output.error(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="This is a bug in hwb; rerun with --debug and report the traceback.",
        )
        return INTERNAL_ERROR_EXIT_CODE
    return rv if isinstance(rv, int) else 0
