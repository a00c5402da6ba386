"""The one error hierarchy of hwb.

Every failure a user can cause or fix is an :class:`HwbError` subclass with a stable exit code
(part of hwb's interface: CI scripts branch on it) and a hint saying what to do next. The CLI's
top-level handler turns them into one line plus the hint; anything else is a bug and gets exit 1.

The exit-code table in the README is generated from :data:`EXIT_CODES`' docs; a test keeps them
in step.
"""

from __future__ import annotations


class HwbError(Exception):
    """Base of every error hwb reports to a user."""

    exit_code = 1
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
    """The command line is wrong (bad option value, conflicting flags)."""

    exit_code = 2
    default_hint = "Run the command with --help to see its options."


class ConfigError(HwbError):
    """Configuration is invalid: TOML syntax, unknown key, wrong type, unset ${VAR}."""

    exit_code = 3
    default_hint = "Fix the [tool.hwb] table in pyproject.toml (see 'hwb config show')."


class ProjectError(HwbError):
    """The project cannot be built as given: missing path, no pyproject.toml/setup.py,
    a missing or broken [build-system] table."""

    exit_code = 4


class BuildError(HwbError):
    """The build backend failed, or reported a file it did not produce."""

    exit_code = 5


class InterpreterNotFoundError(HwbError):
    """No Python interpreter matches --python."""

    exit_code = 6


class ReproducibilityError(HwbError):
    """Two builds of the same source gave different artifacts (--verify-reproducible)."""

    exit_code = 7


class ToolMissingError(HwbError):
    """An external program hwb needs (git, uv, pip) is not installed."""

    exit_code = 8


class GitError(HwbError):
    """A git precondition or operation failed: not a repository, dirty tree, detached HEAD,
    no upstream, tag exists, push rejected."""

    exit_code = 9


class NothingToReleaseError(HwbError):
    """``hwb version bump auto`` found no releasable commit (feat, fix, perf, breaking)."""

    exit_code = 10
    default_hint = "Nothing to release: commit a feat/fix/perf change, or bump a part explicitly."


class VersionError(HwbError):
    """The version cannot be read, parsed or bumped as asked."""

    exit_code = 11


class InspectionFailedError(HwbError):
    """``hwb inspect`` found errors (or warnings, with --strict)."""

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
    """A path given to ``hwb inspect`` is missing, unreadable, or not a wheel or sdist."""

    exit_code = 13


class PublishFailedError(HwbError):
    """One or more uploads failed; the ledger says which and why. Rerunning finishes only
    what is missing."""

    exit_code = 14
    default_hint = "Fix the cause shown for each failed file, then run the same command again."


class CredentialsError(HwbError):
    """No usable credential for a registry that requires one."""

    exit_code = 15


class TrustedPublishingError(HwbError):
    """Trusted publishing failed: no OIDC identity in this CI, or the index refused to exchange
    it for an upload token. Nothing was uploaded with it."""

    exit_code = 16


class AttestationError(HwbError):
    """An attestation could not be made, or did not verify against the expected publisher."""

    exit_code = 17


#: Exit codes that are not an HwbError subclass.
INTERRUPTED_EXIT_CODE = 130
INTERNAL_ERROR_EXIT_CODE = 1


def all_error_classes() -> list[type[HwbError]]:
    """Every concrete error class, ordered by exit code (for docs and tests)."""
    seen: list[type[HwbError]] = []
    stack: list[type[HwbError]] = list(HwbError.__subclasses__())
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: c.exit_code)
