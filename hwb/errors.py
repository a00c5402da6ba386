"""The one error hierarchy of hwb.

Every failure a user can cause or fix is an :class:`HwbError` subclass with a stable exit code
(part of hwb's interface: CI scripts branch on it) and a hint saying what to do next. The CLI's
top-level handler turns them into one line plus the hint; anything else is a bug and gets exit 1.

Each family (a class that sets ``exit_code``) documents itself: ``label`` for ``hwb --help``,
its docstring for the README's exit-code table (:func:`exit_code_table`; a test keeps the README
in step). Domain errors subclass their family (a static-index failure *is* a publish failure)
and inherit its code.
"""

from __future__ import annotations


class HwbError(Exception):
    """Base of every error hwb reports to a user."""

    exit_code = 1
    #: A few words for ``hwb --help``'s exit-code list.
    label = "error"
    #: Default next step; an instance may carry a more specific one.
    default_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        #: The file at fault, if any (becomes ``file=`` on a GitHub annotation).
        self.file = file
        #: Extra lines shown below the message (e.g. a backend's last output lines).
        self.details: list[str] = list(details or [])

    def __str__(self) -> str:
        return self.message


class UsageError(HwbError):
    """bad command line: unknown option, conflicting flags, nothing to build, a `--url` that is
    empty or does not parse, an output file (`--report`, `-o`) that cannot be written (checked
    before anything is done)
    """

    label = "usage"
    exit_code = 2
    default_hint = "Run the command with --help to see its options."


class ConfigError(HwbError):
    """invalid TOML (file:line:column), unknown key or misspelt `HWB_` variable, wrong type, a
    value out of range (the error gives the range), unset `${VAR}`, a message template with
    fields other than `{version}`/`{previous}`, a CA variable (`SSL_CERT_FILE`...) naming a
    missing or unusable file
    """

    label = "configuration"
    exit_code = 3
    default_hint = "Fix the [tool.hwb] table in pyproject.toml (see 'hwb config show')."


class ProjectError(HwbError):
    """missing path, no pyproject.toml/setup.py, missing or broken `[build-system]`, unwritable
    output directory, build backend or requirements missing with `--no-isolation`, a changelog
    that is not a UTF-8 file
    """

    label = "project"
    exit_code = 4
    default_hint = "Check the path and its pyproject.toml [build-system] table."


class BuildError(HwbError):
    """the build backend failed, produced no file, returned a path outside its output folder or
    of the wrong kind, or its requirements could not be installed (`--outdir` is left as it was)
    """

    label = "build"
    exit_code = 5
    default_hint = "The backend's output is above; run with -v for all of it."


class InterpreterNotFoundError(HwbError):
    """no interpreter matches `--python` (the error lists those found), or the one found cannot
    run a build (not Python, or older than 3.8)
    """

    label = "interpreter not found"
    exit_code = 6
    default_hint = "Install that Python (or give a path to it with --python)."


class ReproducibilityError(HwbError):
    """`--verify-reproducible`: the two builds differ (the error names the files)"""

    label = "not reproducible"
    exit_code = 7
    default_hint = (
        "Make the build deterministic (SOURCE_DATE_EPOCH, sorted file lists), "
        "or drop --verify-reproducible."
    )


class ToolMissingError(HwbError):
    """a program hwb needs (git, uv, pip) or an optional extra (s3, gcp) is not installed"""

    label = "tool missing"
    exit_code = 8
    default_hint = "Install the program named above, then rerun."


class ToolTimeoutError(ToolMissingError):
    """A program hwb ran did not finish within its time limit (it and everything it started
    were stopped): as unusable as a missing one."""


class GitError(HwbError):
    """not a git repository, uncommitted changes, detached HEAD, no upstream, tag exists, push
    rejected (all rolled back)
    """

    label = "git"
    exit_code = 9
    default_hint = "Fix the repository state named above, then rerun (nothing was changed)."


class NothingToReleaseError(HwbError):
    """`hwb version bump auto` found no feat/fix/perf/breaking commit"""

    label = "nothing to release"
    exit_code = 10
    default_hint = "Nothing to release: commit a feat/fix/perf change, or bump a part explicitly."


class VersionError(HwbError):
    """a version that is not PEP 440, a bump that would go backwards, version files that disagree"""

    label = "version"
    exit_code = 11
    default_hint = "Use a PEP 440 version (e.g. 1.2.3) and keep the version files in step."


class InspectionFailedError(HwbError):
    """`hwb inspect` found errors (or warnings with `--strict`)"""

    label = "inspection failed"
    exit_code = 12
    default_hint = "Fix what the findings above say, or --ignore a check ID you accept."

    def __init__(
        self,
        message: str,
        *,
        report: object | None = None,
        hint: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, details=details)
        #: The inspection report whose findings failed (rendered by the output layer).
        self.report = report


class DistributionError(HwbError):
    """a path given to `hwb inspect`/`hwb publish` is missing, not a regular file, or not a
    wheel/sdist
    """

    label = "not a distribution"
    exit_code = 13
    default_hint = "Give paths to wheels (.whl) or sdists (.tar.gz, .zip), or a folder of them."


class ArchiveError(DistributionError):
    """A distribution's archive is corrupt (``hwb inspect`` reports it as a finding)."""


class PublishFailedError(HwbError):
    """one or more uploads failed (the ledger says which and why; rerun to finish), including a
    registry asking to retry after more than 300 s
    """

    label = "publish failed"
    exit_code = 14
    default_hint = "Fix the cause shown for each failed file, then run the same command again."


class UploadFailedError(PublishFailedError):
    """One file could not be uploaded to one registry (recorded in the ledger as its reason)."""

    @property
    def reason(self) -> str:
        return self.message


class IndexLookupError(PublishFailedError):
    """A registry's simple index could not be queried."""


class IndexRefusedError(IndexLookupError):
    """The simple index answered the lookup with a 4xx refusal: asking again will not help."""


class IndexTLSError(IndexRefusedError):
    """The TLS handshake with the simple index failed in a way asking again will not change: a
    certificate hwb does not trust, https:// to a plain-HTTP port."""

    default_hint = (
        "Check the server's certificate; if its CA is a private one, point SSL_CERT_FILE "
        "(or REQUESTS_CA_BUNDLE) at a PEM file that holds it."
    )


class IndexProxyError(IndexRefusedError):
    """The proxy refused the tunnel to the simple index (wrong proxy password, forbidden
    host): asking again will not help."""

    default_hint = (
        "Check the proxy's user and password in HTTPS_PROXY (or HTTP_PROXY), or exempt the "
        "registry in NO_PROXY."
    )


class StaticIndexError(PublishFailedError):
    """A static index (folder or bucket) cannot be used or updated: missing bucket, refused
    credentials, unwritable folder, a page that kept changing under concurrent publishers."""


class CorruptPageError(StaticIndexError):
    """An existing static index page cannot be parsed; nothing is written over it."""

    default_hint = "Nothing was written over it; run hwb index rebuild REGISTRY."


class CredentialsError(HwbError):
    """no credential for a registry that requires one (PyPI, TestPyPI, Artifact Registry)"""

    label = "credentials"
    exit_code = 15
    default_hint = (
        "Set the registry's token variable (e.g. PYPI_TOKEN), or use trusted publishing from CI."
    )


class TrustedPublishingError(HwbError):
    """trusted publishing: no OIDC identity in this CI (the error shows the YAML to add), or the
    index refused the exchange (each code explained, with the token's claims)
    """

    label = "trusted publishing"
    exit_code = 16
    default_hint = (
        "Fix the CI's OIDC settings or the index's trusted publisher, as explained above."
    )


class AttestationError(HwbError):
    """`hwb verify`: a file's attestation is missing or not from the expected publisher or not for
    this file; `--attestations`/`attest --sign`: signing failed or no CI identity to sign with
    """

    label = "attestation"
    exit_code = 17
    default_hint = "Check the expected publisher, or publish without --attestations."


class MatrixBuildError(HwbError):
    """`hwb matrix build`: no container engine, an image that cannot be pulled, a failing test
    command, or another cibuildwheel failure (no wheel moved to the wheelhouse)
    """

    label = "matrix build failed"
    exit_code = 18
    default_hint = "The build output above shows the cause; rerun with -v for every line."


class IncompleteReleaseError(HwbError):
    """`hwb gather`: a planned wheel or the sdist is missing (named with its job), a stray file,
    or two different files under one name (nothing written)
    """

    label = "incomplete release"
    exit_code = 19
    default_hint = "Re-run the failed matrix jobs (or remove the stray files), then gather again."


class InitCiRefusedError(HwbError):
    """`hwb init-ci`: a file it would write exists (named; nothing written; `--force` overwrites),
    or the project's CI already publishes (named; `--replace` or `--keep-both`)"""

    label = "init-ci refused"
    exit_code = 20
    default_hint = "Pass --force to overwrite it, or --dry-run to compare first."


class OutputWriteError(HwbError):
    """an output file could not be written at the end of a command that otherwise did its work
    (`--report` on a full disk or a folder removed meanwhile: the ledger is still printed)
    """

    label = "output not written"
    exit_code = 21
    default_hint = "Free some space (or fix the folder), then write the report again."


def missing_extra(extra: str, module: str, purpose: str) -> ToolMissingError:
    """The error for an optional dependency that is not installed: exit 8 and the exact install
    command (the cloud SDKs stay extras so the core install stays small)."""
    from hwb import DISTRIBUTION

    return ToolMissingError(
        f"{purpose} needs {module}, which is not installed",
        hint=f"pip install '{DISTRIBUTION}[{extra}]'",
    )


#: Exit codes that are not an HwbError subclass: 128 + the signal's number (hwb.cancel).
INTERRUPTED_EXIT_CODE = 130
TERMINATED_EXIT_CODE = 143
INTERNAL_ERROR_EXIT_CODE = 1


def all_error_classes() -> list[type[HwbError]]:
    """Every error family (a class that sets its own exit code), ordered by exit code."""
    return sorted(
        (c for c in _subclasses(HwbError) if "exit_code" in c.__dict__), key=lambda c: c.exit_code
    )


def all_errors() -> list[type[HwbError]]:
    """Every error class a user can meet: the families and their domain errors."""
    return _subclasses(HwbError)


def _subclasses(cls: type[HwbError]) -> list[type[HwbError]]:
    seen: list[type[HwbError]] = []
    stack = list(cls.__subclasses__())
    while stack:
        sub = stack.pop()
        seen.append(sub)
        stack.extend(sub.__subclasses__())
    return seen


def exit_code_summary() -> str:
    """The exit codes in one paragraph (``hwb --help``)."""
    codes = ", ".join(f"{c.exit_code} {c.label}" for c in all_error_classes())
    return (
        f"Exit codes: 0 success, 1 internal error, {codes}, "
        f"{INTERRUPTED_EXIT_CODE} interrupted (SIGINT), {TERMINATED_EXIT_CODE} terminated "
        "(SIGTERM)."
    )


def exit_code_table() -> str:
    """The README's exit-code table."""
    rows = [
        "| code | error | meaning |",
        "|---|---|---|",
        "| 0 | Success | everything asked for was done |",
        "| 1 | InternalError | a bug in hwb (rerun with `--debug` and report the traceback) |",
    ]
    for cls in all_error_classes():
        rows.append(
            f"| {cls.exit_code} | {cls.__name__} | {' '.join((cls.__doc__ or '').split())} |"
        )
    rows.append(
        f"| {INTERRUPTED_EXIT_CODE} | Interrupted | Ctrl-C (SIGINT): child processes stopped, "
        "temporary files removed, version changes rolled back; a publish starts no new request "
        "and writes its ledger (see Cancelling a publish); a second signal ends at once |"
    )
    rows.append(
        f"| {TERMINATED_EXIT_CODE} | Terminated | SIGTERM (a CI cancelling the job): "
        f"as {INTERRUPTED_EXIT_CODE} |"
    )
    return "\n".join(rows)
