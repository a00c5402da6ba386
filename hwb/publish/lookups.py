"""The index lookups of one upload-API registry: is a file already there, and with which content?

A file is sent only when the registry's simple index says it is absent (or the registry has no
index to ask), so every lookup must be known, not guessed:

- a project's listing is read once and shared by all its files (:class:`Listings`); fresh
  lookups confirm an ambiguous outcome (a retry, a duplicate answer);
- lookups are retried like uploads (twice as many times: they are cheap and idempotent), and a
  failed listing is never cached; when the index cannot be read the file is given up without
  sending (:meth:`Listings.cannot_tell`; a rerun resumes);
- listings of different projects are read concurrently, ahead of the uploads
  (:class:`Lookahead`, started beside the pre-publish inspection).

Reading one page is :mod:`hwb.simple_api`'s (below both inspect and publish).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Literal

from hwb import cancel, log
from hwb.errors import (
    IndexLookupError,
    IndexProxyError,
    IndexRefusedError,
    IndexTLSError,
    UploadFailedError,
)
from hwb.publish.answers import LOOKUP_BACKOFF_CAP, backoff
from hwb.publish.dists import Dist
from hwb.publish.targets import Target
from hwb.settings.model import PublishSettings
from hwb.simple_api import IndexFile, origin, project_files, redact_url

_log = log.get("publish")

#: "unconfirmed": no index to ask (index_url unset), or no hash listed; "unreadable": the index
#: did not answer.
Presence = Literal["same", "different", "absent", "unconfirmed", "unreadable"]


class Listings:
    """The listings of one registry's simple index, per project, as this run has read them."""

    def __init__(self, target: Target, options: PublishSettings) -> None:
        self.target = target
        self.options = options
        # One listing per project answers the first lookup of all its files. Only listings the
        # index answered are kept: a failure is asked again by the next file.
        self._listings: dict[str, list[IndexFile]] = {}
        self._guard = threading.Lock()
        self._project_locks: dict[str, threading.Lock] = {}
        self._fetched: dict[str, int] = {}  # listing fetches completed, per project
        self._last_error: dict[str, str] = {}
        self._hint: dict[str, str | None] = {}  # a lookup failure's own next step
        # An index that has not answered once in this run and already failed a whole series
        # of retries is down or misconfigured: later lookups ask once each, so it costs one
        # request per file, not a series. One that answered is only flaky: full series always.
        self._answered = False
        self._exhausted = False

    def _auth(self) -> tuple[str, str] | None:
        username = self.target.username or "__token__"
        if self.target.credential is not None:
            return username, self.target.credential()
        if self.target.password is not None:
            return username, self.target.password
        return None

    def _index_auth(self) -> tuple[tuple[str, str] | None, str]:
        """The lookups' credential and the origin it belongs to: the index URL's own userinfo
        for the index, else the upload credential for the upload URL's origin."""
        index = self.target.index_url
        if self.target.index_auth is not None and index is not None:
            return self.target.index_auth, index
        if index is None or origin(index) != origin(self.target.url):
            return None, self.target.url  # another origin: a minted token is not even asked for
        return self._auth(), self.target.url

    def _fetch(self, project: str) -> list[IndexFile] | None:
        """The index's listing for ``project``, retried like an upload; None if it never
        answered (the reason is kept for the message)."""
        index = self.target.index_url
        assert index is not None  # noqa: S101 - callers check
        attempts = 1 if self._exhausted and not self._answered else 2 * self.options.retries + 1
        for number in range(1, attempts + 1):
            cancel.check()  # a cancelled run starts no new lookup
            try:
                files = project_files(
                    index,
                    project,
                    self.options.timeout,
                    *self._index_auth(),  # credentials go to their own origin only
                )
                self._answered = True
                self._hint.pop(project, None)
                return files
            except IndexRefusedError as exc:
                self._answered = True
                self._last_error[project] = exc.message
                own = isinstance(exc, (IndexTLSError, IndexProxyError))
                self._hint[project] = exc.hint if own else None
                _log.debug("index lookup for %s refused: %s", project, exc.message)
                return None
            except IndexLookupError as exc:
                self._last_error[project] = exc.message
                self._hint[project] = None
                if number == attempts:
                    break
                _log.debug(
                    "index lookup for %s failed: %s; retrying (%d/%d)",
                    project,
                    exc.message,
                    number,
                    attempts,
                )
                cancel.pause(backoff(number, LOOKUP_BACKOFF_CAP))
        self._exhausted = True
        _log.log(
            log.VERBOSE,
            "index lookup for %s failed %d time(s): %s",
            project,
            attempts,
            self._last_error.get(project),
        )
        return None

    def _listing(self, project: str) -> list[IndexFile] | None:
        """The shared listing (fetched once per project; projects in parallel). Files that
        waited while another thread asked share its answer, even a failure; files that come
        later ask again."""
        with self._guard:
            lock = self._project_locks.setdefault(project, threading.Lock())
            seen = self._fetched.get(project, 0)
        with lock:
            cached = self._listings.get(project)
            if cached is None and self._fetched.get(project, 0) == seen:
                cached = self._fetch(project)
                if cached is not None:
                    self._listings[project] = cached
                with self._guard:
                    self._fetched[project] = seen + 1
            return cached

    def prefetch(self, projects: Iterable[str]) -> None:
        """Read the listings of ``projects`` (run beside the uploads, so the lookups of later
        projects overlap the uploads of earlier ones)."""
        if self.target.index_url:
            for project in projects:
                self._listing(project)

    def lookup(self, dist: Dist, fresh: bool = True) -> Presence:
        """Is this file on the registry's simple index, and with which content? ``fresh``
        asks the index again; otherwise the project's shared listing answers."""
        if not self.target.index_url:
            return "unconfirmed"
        files = self._fetch(dist.name) if fresh else self._listing(dist.name)
        if files is None:
            return "unreadable"
        for f in files:
            if f.filename == dist.filename:
                if f.sha256 is None:
                    return "unconfirmed"
                return "same" if f.sha256 == dist.sha256 else "different"
        return "absent"

    def fresh(self, project: str) -> list[IndexFile] | None:
        """The project's listing read again now (retried; None when the index never
        answered: :meth:`last_error` says why)."""
        return self._fetch(project) if self.target.index_url else None

    def last_error(self, project: str) -> str:
        return self._last_error.get(project, "no answer")

    def cannot_tell(self, dist: Dist, why: str) -> UploadFailedError:
        """The failure for a file whose presence the index would not tell: never sent."""
        reason = self._last_error.get(dist.name, "no answer")
        index = self.target.index_url or ""
        if origin(index) == origin(self.target.url):
            hint = (
                f"Is {self.target.name} up, and is its url ({redact_url(self.target.url)}) right? "
                "Then run the same command again: it resumes."
            )
        else:
            hint = (
                f"Check that {redact_url(index)} is {self.target.name}'s simple index "
                "(index-url); then run the same command again: it resumes."
            )
        return UploadFailedError(
            f"{why}: the index could not be read ({reason}); not sent, so never sent twice",
            hint=self._hint.get(dist.name) or hint,
        )


class Lookahead:
    """Index lookups read ahead of the uploads, on ``workers`` daemon threads.

    A lookup is a GET of a public index page, so it may start before the run has decided to
    send anything (beside the inspection): the uploads later find the listing ready, and a
    file whose lookup is still in flight waits for that answer instead of asking again.
    The threads are daemons and :meth:`close` only stops them taking more work, so a run that
    stops early (inspection failed, Ctrl-C) never waits for a slow or dead index.
    """

    def __init__(self, listings: Listings, projects: Iterable[str], workers: int) -> None:
        self.listings = listings
        self._todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._closed = threading.Event()
        names = list(dict.fromkeys(projects)) if listings.target.index_url else []
        for name in names:
            self._todo.put(name)
        for _ in range(min(max(1, workers), len(names))):
            threading.Thread(target=self._work, name="hwb-lookahead", daemon=True).start()

    def _work(self) -> None:
        while not self._closed.is_set() and not cancel.requested():
            try:
                project = self._todo.get_nowait()
            except queue.Empty:
                return
            try:
                self.listings.prefetch([project])
            except Exception:  # the file's own lookup asks again and reports
                _log.debug("lookahead for %s failed", project, exc_info=True)

    def close(self) -> None:
        self._closed.set()
