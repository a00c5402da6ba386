"""The timestamp a build stamps into its archives (``SOURCE_DATE_EPOCH``): from the environment,
else the last commit touching the project, so the same commit builds the same bytes anywhere."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from hwb import ci, log, proc
from hwb.errors import UsageError

_log = log.get("build")

#: 1980-01-01: zip cannot store an earlier time.
_ZIP_EPOCH = 315532800


def source_date_epoch(
    srcdir: Path, environ: Mapping[str, str] | None = None, *, warn: bool = True
) -> str | None:
    """``SOURCE_DATE_EPOCH`` from the environment, else the last commit touching the project;
    when neither gives one, a warning (with ``warn``): the archives then carry the current
    time, and the same commit built elsewhere gives other bytes."""
    environ = ci.environ() if environ is None else environ
    value = environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        value, why = commit_time(srcdir)
        if value is None:
            if warn:
                _log.warning(
                    "SOURCE_DATE_EPOCH is not set and %s: the archives' timestamps are the "
                    "current time, so this build is not reproducible (set SOURCE_DATE_EPOCH, "
                    "e.g. to $(git log -1 --pretty=%%ct), or build from a git checkout)",
                    why,
                )
            return None
    if not re.fullmatch(r"[0-9]{1,12}", value.strip()):  # "٣".isdigit() is true
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds",
            hint="Set it to a Unix timestamp, e.g. $(git log -1 --pretty=%ct), or unset it.",
        )
    if int(value) < _ZIP_EPOCH:
        _log.warning(
            "SOURCE_DATE_EPOCH=%s is before 1980, which zip cannot store; using 1980", value
        )
        return str(_ZIP_EPOCH)
    return value.strip()


def commit_time(srcdir: Path) -> tuple[str | None, str]:
    """(the time of the last commit touching ``srcdir``, or None and why there is none)."""
    if proc.which("git") is None:
        return None, "git is not installed (to date the build from the last commit)"
    result = proc.run(
        ["git", "log", "-1", "--pretty=%ct", "--", "."], cwd=srcdir, stream_level=log.TRACE
    )
    last = result.lines[-1].strip() if result.lines else ""
    if result.returncode == 0 and re.fullmatch(r"[0-9]+", last):
        return last, ""
    if result.returncode == 0:
        return None, f"no commit touches {srcdir}"
    said = last.removeprefix("fatal: ")
    # On a mount point git adds a second line ("Stopping at filesystem boundary ...").
    if "not a git repository" in result.output:
        return None, f"{srcdir} is not in a git repository"
    return None, f"git cannot read the last commit ({said or 'no output'})"
