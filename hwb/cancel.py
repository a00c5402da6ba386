"""Cancellation: what SIGINT (Ctrl-C) and SIGTERM (a CI cancelling the job) mean to a run.

A signal is process-wide, so this state is too (one flag every thread can read):

- The first signal sets the flag. Code that polls for it (the publish uploads, inside
  :func:`deferred`) then starts no new request: workers call :func:`check` before each one and
  :func:`pause` instead of ``time.sleep``; requests in flight get :data:`GRACE` seconds to end.
  Anywhere else the first signal also raises :class:`KeyboardInterrupt` in the main thread, so
  the command unwinds as before (child processes stopped, rollbacks run).
- A second signal ends the process at once (128 + the signal's number), after killing the
  process groups of the children ``proc.py`` started (:func:`at_second_signal`).

The exit code of a cancelled run is 130 for SIGINT and 143 for SIGTERM (:func:`exit_code`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

#: Seconds a request already in flight may take to finish once a run is cancelled, before it is
#: abandoned. A CI cancel sends SIGKILL some 10 s after SIGINT (GitHub: SIGTERM after 7.5 s),
#: so this plus writing the ledger must stay well inside that.
GRACE = 3.0

#: The exit code of a run interrupted by an unknown signal (SIGINT's).
INTERRUPTED = 130


class Cancelled(Exception):
    """Raised by :func:`check` in a worker: the run was cancelled, so no new request starts.
    ``may_have_landed``: an earlier request of this work may have done it (an upload whose
    answer was lost), so its outcome is unknown, not "not done"."""

    def __init__(self, message: str = "", may_have_landed: bool = False) -> None:
        super().__init__(message)
        self.may_have_landed = may_have_landed


_event = threading.Event()
_state: dict[str, float | int | None] = {"signum": None, "at": None, "deferred": 0}
_second: list[Callable[[], None]] = []


def requested() -> bool:
    """Whether the run has been cancelled (a signal, or :func:`request`)."""
    return _event.is_set()


def exit_code() -> int:
    """128 + the signal's number (130 SIGINT, 143 SIGTERM); 130 if none was recorded."""
    signum = _state["signum"]
    return 128 + int(signum) if signum else INTERRUPTED


def since() -> float:
    """Seconds since the run was cancelled (0 if it was not)."""
    at = _state["at"]
    return time.monotonic() - float(at) if at is not None else 0.0


def check() -> None:
    """Raise :class:`Cancelled` if the run was cancelled: call before starting a request."""
    if _event.is_set():
        raise Cancelled


def pause(seconds: float) -> None:
    """``time.sleep`` that ends early, raising :class:`Cancelled`, when the run is cancelled."""
    if _event.wait(max(0.0, seconds)):
        raise Cancelled


def request(signum: int | None = None) -> None:
    """Cancel the run (what the first signal does, minus the KeyboardInterrupt)."""
    if not _event.is_set():
        _state["signum"], _state["at"] = signum, time.monotonic()
        _event.set()


def reset() -> None:
    """Forget a cancellation (a new run in the same process: the test suite, a library)."""
    _event.clear()
    _state["signum"] = _state["at"] = None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """While inside (main thread), the first signal only sets the flag, for the code to poll:
    it raises no KeyboardInterrupt at an arbitrary line."""
    _state["deferred"] = int(_state["deferred"] or 0) + 1
    try:
        yield
    finally:
        _state["deferred"] = int(_state["deferred"] or 0) - 1


def at_second_signal(action: Callable[[], None]) -> None:
    """Run ``action`` (quick, signal-safe) before a second signal ends the process."""
    _second.append(action)


def _handler(signum: int, frame: object) -> None:
    if _event.is_set():  # the second signal: end now
        for action in _second:
            with contextlib.suppress(Exception):
                action()
        os._exit(128 + signum)
    request(signum)
    if not _state["deferred"]:
        raise KeyboardInterrupt


def install() -> Callable[[], None]:
    """Route SIGINT and SIGTERM here (main thread only); returns what restores the previous
    handlers. A SIGINT ignored by whoever started hwb (``nohup``, a background job) stays
    ignored."""
    reset()
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(signum)
        if signum == signal.SIGINT and current == signal.SIG_IGN:
            continue
        previous[signum] = current
        signal.signal(signum, _handler)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
