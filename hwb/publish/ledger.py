"""The ledger: one entry per file x registry, printed as a table and written with --report."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from hwb import log
from hwb.fs import write_atomic

_log = log.get("publish")

#: A file's outcome on one registry: the one spelling of it, for the ledger table, --report,
#: --json and the static index. ``pending`` is a file stored in a static index but not yet
#: listed on its pages; it never reaches the ledger.
Status = Literal["uploaded", "skipped-identical", "failed", "cancelled", "unknown", "pending"]
UPLOADED: Final = "uploaded"  # delivered by this run
SKIPPED: Final = "skipped-identical"  # already there, same content
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"  # the run was cancelled before it was sent: not there
UNKNOWN: Final = "unknown"  # cancelled while (or after) a request that may have delivered it
PENDING: Final = "pending"
#: What the ledger says of a file the run never got to, and of one abandoned in flight.
NOT_SENT = "not sent: the run was cancelled"
IN_FLIGHT = "still in flight when the run was cancelled: it may have landed (a rerun finds out)"


@dataclass
class Entry:
    file: str
    registry: str
    status: Status
    sha256: str
    size: int
    seconds: float = 0.0
    url: str = ""
    attempts: int = 0
    reason: str | None = None
    hint: str | None = None
    #: uploaded, and then listed on the registry's index with this sha256 (verified delivery)
    verified: bool = False

    @property
    def shown_status(self) -> str:
        """The status as the table shows it: ``uploaded (verified)`` for a verified one."""
        return f"{self.status} (verified)" if self.verified else self.status


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    #: The run was cancelled (SIGINT/SIGTERM): the entries say how far each file got.
    interrupted: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sealed: bool = field(default=False, repr=False)

    def add(self, entry: Entry) -> bool:
        """Record ``entry``; False once the ledger is sealed (a worker abandoned by a
        cancelled run finishing late: its file is already recorded as in flight)."""
        with self._lock:
            if self._sealed:
                return False
            self.entries.append(entry)
            return True

    def recorded(self) -> set[tuple[str, str]]:
        """(registry, file) of every entry so far."""
        with self._lock:
            return {(e.registry, e.file) for e in self.entries}

    def seal(self) -> None:
        with self._lock:
            self._sealed = True

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if e.status == FAILED]

    def sorted(self) -> list[Entry]:
        return sorted(self.entries, key=lambda e: (e.registry, e.file))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "uploaded": self.count(UPLOADED),
            "skipped": self.count(SKIPPED),
            "failed": self.count(FAILED),
            "cancelled": self.count(CANCELLED),
            "unknown": self.count(UNKNOWN),
            "interrupted": self.interrupted,
            "verified": sum(1 for e in self.entries if e.verified),
            "entries": [asdict(e) for e in self.sorted()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: Path, redact: Callable[[str], str] = lambda text: text) -> None:
        """Atomically (a crash never leaves half a report), through ``redact`` (a server's
        reason may quote a credential)."""
        write_atomic(path, redact(self.to_json()))


def attempt(
    file: str, registry: str, url: str, sha256: str, size: int, work: Callable[[Entry], None]
) -> Entry:
    """One file x registry: an entry that ``work`` fills in; whatever ``work`` raises fails this
    entry only (an HwbError with its message and hint, anything else as a bug), never the run."""
    from hwb.cancel import Cancelled
    from hwb.errors import HwbError

    started = time.monotonic()
    entry = Entry(file, registry, FAILED, sha256, size, url=url)
    try:
        work(entry)
    except Cancelled as exc:  # the run was cancelled: no new request for this file
        entry.status = UNKNOWN if exc.may_have_landed else CANCELLED
        entry.reason = str(exc) or (IN_FLIGHT if exc.may_have_landed else NOT_SENT)
    except HwbError as exc:  # refused, gave up, or an unreadable distribution
        entry.status, entry.reason, entry.hint = FAILED, exc.message, exc.hint
    except Exception as exc:  # a bug must fail one entry, not the whole run
        entry.status = FAILED
        entry.reason = f"internal error: {type(exc).__name__}: {exc}"
        entry.hint = "This is a bug in hwb; rerun with -vv and report it."
    entry.seconds = round(time.monotonic() - started, 3)
    return entry


def log_entry(entry: Entry) -> None:
    """One line per file: at -v when it went well, always when it failed."""
    _log.log(
        logging.WARNING if entry.status in {FAILED, UNKNOWN} else log.VERBOSE,
        "%s %s -> %s%s",
        entry.status,
        entry.file,
        entry.registry,
        f": {entry.reason}" if entry.reason else "",
    )
