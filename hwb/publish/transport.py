"""The upload-API transport (PyPI's "legacy" API, spoken by PyPI, TestPyPI, devpi, pypiserver,
Artifactory, CodeArtifact, Artifact Registry, Azure Artifacts, Cloudsmith, Nexus, GitLab).

Each file: look it up on the index first (same name and sha256: skip; other content: refuse),
stream the multipart body (constant memory), retry connection errors, 429 and 5xx with
exponential backoff and jitter. Every request can fail, lookups included, so the run converges
by *knowing* before it sends:

- lookups are retried like uploads (twice as many times: they are cheap and idempotent), and
  a failed listing is never cached;
- a file is sent only when the index says it is absent (or the registry has no index to ask);
  when the index cannot be read, the file is given up without sending (a rerun resumes);
- before re-sending a file an earlier attempt may have delivered, look again: a file that
  landed is never sent twice; after the last attempt, look once more before calling it failed;
- duplicate answers from the registries (pypiserver 409, PyPI/GAR 400 "already exists",
  Artifactory 403 overwrite, Nexus 400, GitLab 400 "already been taken") are confirmed by hash.

The ledger is true: ``uploaded`` for a file this run delivered, ``skipped-identical`` for one
that was there before. Lookups of different projects run concurrently (:class:`Lookahead`
starts them before the uploads may begin, beside the pre-publish inspection, and keeps them
ahead of the uploads); files of one project share one listing.
"""

from __future__ import annotations

import functools
import logging
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from hwb import log
from hwb.errors import (
    IndexLookupError,
    IndexProxyError,
    IndexRefusedError,
    IndexTLSError,
    UploadFailedError,
)
from hwb.publish.dists import Dist
from hwb.publish.ledger import SKIPPED, UPLOADED, Entry, Status, attempt, log_entry
from hwb.publish.targets import Target
from hwb.settings.model import PublishSettings
from hwb.simple_api import (
    PROXY_HINT,
    IndexFile,
    origin,
    project_files,
    redact_url,
    tunnel_answer,
    tunnel_refused,
)

if TYPE_CHECKING:
    import requests

_log = log.get("publish")
BACKOFF_BASE = 0.5  # seconds; attempt n waits up to BACKOFF_BASE * 2**(n-1), capped
BACKOFF_CAP = 30.0
#: The longest Retry-After hwb honours (seconds); a server asking for more fails that file at
#: once with the reason (rerun later: publishing resumes), instead of waiting in silence.
RETRY_AFTER_CAP = 300.0
#: A lookup is cheap and idempotent, and a file is sent only once one answered: lookups get
#: twice the upload's retries, with shorter waits.
LOOKUP_BACKOFF_CAP = 5.0
_DUPLICATE_400 = re.compile(
    r"already exists?|updating asset|cannot be updated|already been taken|entity already exists",
    re.IGNORECASE,
)
_OVERWRITE_403 = re.compile(r"overwrite", re.IGNORECASE)
_IMMUTABLE = "Files on an index are immutable: bump the version (hwb version bump patch)."
_RERUN = "Run the same command again (it resumes: files already there are not re-sent)."
_KEPT_FAILING = "The registry kept failing; run the same command again later (it resumes)."

#: "unknown": no index to ask (index_url unset); "unreadable": the index did not answer.
Presence = Literal["same", "different", "absent", "unknown", "unreadable"]


class UploadApiTransport:
    def __init__(self, target: Target, options: PublishSettings) -> None:
        self.target = target
        self.options = options
        self._local = threading.local()
        # One listing per project answers the first lookup of all its files; fresh lookups are
        # made to confirm an ambiguous outcome (a retry, a duplicate answer). Only listings the
        # index answered are kept: a failure is asked again by the next file.
        self._listings: dict[str, list[IndexFile]] = {}
        self._guard = threading.Lock()
        self._project_locks: dict[str, threading.Lock] = {}
        self._fetched: dict[str, int] = {}  # listing fetches completed, per project
        self._last_lookup_error: dict[str, str] = {}
        self._lookup_hint: dict[str, str | None] = {}  # a lookup failure's own next step
        # An index that has not answered once in this run and already failed a whole series
        # of retries is down or misconfigured: later lookups ask once each, so it costs one
        # request per file, not a series. One that answered is only flaky: full series always.
        self._answered = False
        self._exhausted = False

    # -- HTTP plumbing -------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = _session_class()()
            session.headers["User-Agent"] = "hwb"
            if self.target.url.lower().startswith("https:"):
                from hwb import tls

                session.verify = tls.ca_location()  # the CAs the lookups trust too
            if self.target.credential is not None:
                session.auth = _MintedAuth(
                    self.target.username or "__token__", self.target.credential
                )
            elif self.target.password is not None:
                session.auth = (self.target.username or "__token__", self.target.password)
            self._local.session = session
        return session

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
            try:
                files = project_files(
                    index,
                    project,
                    self.options.timeout,
                    *self._index_auth(),  # credentials go to their own origin only
                )
                self._answered = True
                self._lookup_hint.pop(project, None)
                return files
            except IndexRefusedError as exc:
                self._answered = True
                self._last_lookup_error[project] = exc.message
                own = isinstance(exc, (IndexTLSError, IndexProxyError))
                self._lookup_hint[project] = exc.hint if own else None
                _log.debug("index lookup for %s refused: %s", project, exc.message)
                return None
            except IndexLookupError as exc:
                self._last_lookup_error[project] = exc.message
                self._lookup_hint[project] = None
                if number == attempts:
                    break
                _log.debug(
                    "index lookup for %s failed: %s; retrying (%d/%d)",
                    project,
                    exc.message,
                    number,
                    attempts,
                )
                time.sleep(_backoff(number, LOOKUP_BACKOFF_CAP))
        self._exhausted = True
        _log.log(
            log.VERBOSE,
            "index lookup for %s failed %d time(s): %s",
            project,
            attempts,
            self._last_lookup_error.get(project),
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

    def lookahead(self, projects: Iterable[str], workers: int) -> Lookahead:
        """Start reading the listings of ``projects`` in the background (see :class:`Lookahead`)."""
        return Lookahead(self, projects if self.target.index_url else (), workers)

    def lookup(self, dist: Dist, fresh: bool = True) -> Presence:
        """Is this file on the registry's simple index, and with which content?"""
        if not self.target.index_url:
            return "unknown"
        files = self._fetch(dist.name) if fresh else self._listing(dist.name)
        if files is None:
            return "unreadable"
        for f in files:
            if f.filename == dist.filename:
                if f.sha256 is None:
                    return "unknown"
                return "same" if f.sha256 == dist.sha256 else "different"
        return "absent"

    def _cannot_tell(self, dist: Dist, why: str) -> UploadFailedError:
        reason = self._last_lookup_error.get(dist.name, "no answer")
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
            hint=self._lookup_hint.get(dist.name) or hint,
        )

    def _post(self, dist: Dist) -> requests.Response:
        with dist.path.open("rb") as fh:
            body, content_type = _multipart(dist, fh)
            started = time.monotonic()
            response = self._session().post(
                self.target.url,
                data=body,
                headers={"Content-Type": content_type},
                allow_redirects=False,  # never to another origin with the credentials
                timeout=self.options.timeout,
            )
        _log.debug(
            "POST %s -> %s %s (%.2fs)",
            redact_url(self.target.url),
            response.status_code,
            response.reason,
            time.monotonic() - started,
        )
        _log.log(log.TRACE, "response body: %s", response.text[:4000])
        return response

    # -- one file ------------------------------------------------------------------------------
    def publish(self, dist: Dist) -> Entry:
        def work(entry: Entry) -> None:
            self._local.attempts = 0
            try:
                dist.ensure_loaded()
                entry.sha256 = dist.sha256
                entry.status, entry.reason, entry.attempts = self._publish(dist)
            finally:
                entry.attempts = entry.attempts or self._local.attempts

        entry = attempt(
            dist.filename, self.target.name, self.target.url, dist.sha256, dist.size, work
        )
        log_entry(entry)
        return entry

    def _publish(self, dist: Dist) -> tuple[Status, str | None, int]:
        known = self._before_first_send(dist)
        if known is not None:
            return known
        may_have_landed = False  # may an attempt of this run have delivered it?
        wait = 0.0
        last = "no attempt made"
        last_hint = _KEPT_FAILING
        attempts = self.options.retries + 1
        for number in range(1, attempts + 1):
            self._local.attempts = number
            if number > 1:
                time.sleep(wait)
                if may_have_landed:
                    landed = self._landed(dist, number - 1, last)
                    if landed is not None:
                        return landed
            try:
                response = self._post(dist)
            except Exception as exc:  # requests' exceptions, told apart below
                if not _is_network_error(exc):
                    raise  # a bug, reported as such by attempt(), never retried
                last = _describe_exception(exc, self.target, self.options.timeout)
                last_hint = _hint_for_exception(exc, self.target)
                retryable, reached = _classify_exception(exc)
                may_have_landed = may_have_landed or reached
                if not retryable:
                    if may_have_landed and (landed := self._landed(dist, number, last)):
                        return landed
                    raise UploadFailedError(last, hint=last_hint) from None
                wait = _backoff(number)
                _log.log(
                    log.VERBOSE, "%s: %s; retrying (%d/%d)", dist.filename, last, number, attempts
                )
                continue
            status = response.status_code
            if 200 <= status < 300:
                return UPLOADED, None, number
            if 300 <= status < 400:
                where = response.headers.get("Location", "?")
                raise UploadFailedError(
                    f"{status} redirect to {redact_url(where)}",
                    hint="Your upload URL is probably missing its trailing slash; use the URL the "
                    "redirect names if you trust it.",
                )
            if _is_duplicate_answer(response):
                return self._confirm_duplicate(dist, response, number, may_have_landed)
            if status == 429 or status >= 500:
                last = f"{status} {response.reason}"
                last_hint = _KEPT_FAILING
                may_have_landed = may_have_landed or status >= 500
                delay = _retry_wait(response, number)
                if delay is None:  # asked to wait longer than hwb does: say so, stop now
                    last, last_hint = f"{last}: {_too_long(response)}", _COME_BACK_LATER
                    break
                wait = delay
                _announce_wait(dist.filename, last, wait, number, attempts)
                continue
            raise _translate(response, self.target)
        if may_have_landed:  # the last attempt may have delivered it: look before failing
            landed = self._landed(dist, self._local.attempts, last)
            if landed is not None:
                return landed
        raise UploadFailedError(
            f"gave up after {self._local.attempts} attempt(s): {last}", hint=last_hint
        )

    def _before_first_send(self, dist: Dist) -> tuple[Status, str | None, int] | None:
        """The shared listing's verdict: a result when nothing is to be sent, else None."""
        presence = self.lookup(dist, fresh=False)
        if presence == "same":
            note = (
                None
                if self.options.skip_existing
                else "already on the index, identical: not re-sent"
            )
            return SKIPPED, note, 0
        if presence == "different":
            raise self._different(dist)
        if presence == "unreadable":  # it may be there already (an earlier run): do not guess
            raise self._cannot_tell(dist, "cannot tell whether it is already there")
        return None

    def _different(self, dist: Dist, said: str = "") -> UploadFailedError:
        """The index holds another file under this name: never overwritten, never re-sent."""
        return UploadFailedError(
            f"{dist.filename} exists on {self.target.name} with different content{said}",
            hint=_IMMUTABLE,
        )

    def _landed(self, dist: Dist, sent: int, last: str) -> tuple[Status, str | None, int] | None:
        """After an attempt that may have delivered the file: did it? A result when it did,
        None when it did not (sending again is safe), an error when nobody can tell."""
        presence = self.lookup(dist)
        if presence == "same":
            return UPLOADED, f"confirmed on the index after: {last}", sent
        if presence == "different":
            raise self._different(dist)
        if presence == "unreadable":
            raise self._cannot_tell(dist, f"an attempt may have landed ({last})")
        return None  # absent, or no index: the duplicate answer protects a re-send

    def _confirm_duplicate(
        self, dist: Dist, response: requests.Response, number: int, ours: bool
    ) -> tuple[Status, str | None, int]:
        """A duplicate answer: ours when an earlier attempt of this run may have landed (the
        file was absent before this run), someone else's otherwise."""
        said = f"{response.status_code} {_message(response)}"
        presence = self.lookup(dist)
        if presence == "same":
            if ours:
                return UPLOADED, f"delivered by an earlier attempt (then: {said})", number
            return SKIPPED, f"the registry answered {said}; identical file confirmed", number
        if presence == "different":
            raise self._different(dist, f" ({said})")
        if presence == "unreadable":
            raise self._cannot_tell(dist, f"the registry answered {said}")
        if ours:  # not there when this run began, and an attempt of ours may have landed
            return (
                UPLOADED,
                f"delivered by an earlier attempt (then: {said}; no hash to confirm)",
                number,
            )
        if self.options.skip_existing:
            return (
                SKIPPED,
                f"the registry answered {said} (not confirmed by hash: no index)",
                number,
            )
        raise UploadFailedError(
            f"{dist.filename} already exists on {self.target.name} ({said})",
            hint="Bump the version (hwb version bump patch), or pass --skip-existing.",
        )


# -- helpers --------------------------------------------------------------------------------------
class _MintedAuth:
    """Basic auth with a password asked for on every request, so a token minted from the CI's
    identity is renewed before it expires during a long run."""

    def __init__(self, username: str, password: Callable[[], str]) -> None:
        self.username, self.password = username, password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from requests.auth import HTTPBasicAuth

        return HTTPBasicAuth(self.username, self.password())(request)


def _backoff(attempt: int, cap: float | None = None) -> float:
    """Exponential backoff with full jitter."""
    ceiling = BACKOFF_CAP if cap is None else cap
    return random.uniform(0, min(ceiling, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311


def _retry_wait(response: requests.Response, attempt: int) -> float | None:
    """How long to wait before the next attempt: the server's Retry-After up to
    RETRY_AFTER_CAP, else the backoff; None when the server asks for longer than the cap."""
    asked = _retry_after(response)
    if asked is None:
        return _backoff(attempt)
    return None if asked > RETRY_AFTER_CAP else asked


_COME_BACK_LATER = "Run the same command again later (it resumes where it stopped)."


def _announce_wait(filename: str, last: str, wait: float, number: int, attempts: int) -> None:
    """Say what hwb waits for: at -v, or always when the wait is long enough to be noticed."""
    if number < attempts:
        level = logging.INFO if wait >= 10 else log.VERBOSE
        _log.log(level, "%s: %s; waiting %.0f s before retry %d/%d",
                 filename, last, wait, number, attempts - 1)  # fmt: skip


def _too_long(response: requests.Response) -> str:
    asked = _retry_after(response) or 0.0
    return (
        f"the registry asks to retry after {asked:.0f} s, longer than hwb waits "
        f"({RETRY_AFTER_CAP:.0f} s)"
    )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        delay = parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, delay)


def _message(response: requests.Response) -> str:
    """The server's reason: Warehouse puts it in the status line; others in the body."""
    reason = response.reason or ""
    body = response.text.strip() if "html" not in response.headers.get("Content-Type", "") else ""
    first = body.splitlines()[0][:300] if body else ""
    if first and first not in reason:
        return f"{reason}: {first}" if reason else first
    return reason or "(no reason given)"


def _is_duplicate_answer(response: requests.Response) -> bool:
    status = response.status_code
    text = f"{response.reason} {response.text[:4000]}"
    return (
        status == 409
        or (status == 400 and bool(_DUPLICATE_400.search(text)))
        or (status == 403 and bool(_OVERWRITE_403.search(text)))
    )


def _translate(response: requests.Response, target: Target) -> UploadFailedError:
    status = response.status_code
    said = f"{status} {_message(response)}"
    text = f"{response.reason} {response.text[:4000]}".lower()
    if status == 401:
        return UploadFailedError(
            f"authentication failed: {said}",
            hint=f"Check the credential for {target.name} (from {target.credential_source}).",
        )
    if status == 403:
        return UploadFailedError(
            f"forbidden: {said}",
            hint=f"The credential (from {target.credential_source}) may not upload this project: "
            "check the token's scope, or the trusted publisher's settings on the index.",
        )
    if status == 400 and "description failed to render" in text:
        return UploadFailedError(
            f"rejected: {said}", hint="Run hwb inspect --check-metadata and fix the README."
        )
    if status == 404:
        return UploadFailedError(
            f"not found: {said}",
            hint="Check the registry's url: it must be the upload URL, not the simple index.",
        )
    if status == 405:
        return UploadFailedError(
            f"method not allowed: {said}",
            hint="Is the url the simple index instead of the upload URL?",
        )
    if status == 413:
        return UploadFailedError(
            f"too large: {said}", hint="The registry limits file size; ask its admins."
        )
    return UploadFailedError(f"rejected: {said}", hint="The server's reason is above.")


def _is_network_error(exc: Exception) -> bool:
    import requests

    return isinstance(exc, (requests.exceptions.RequestException, OSError))


def _classify_exception(exc: Exception) -> tuple[bool, bool]:
    """(retry it?, may the request have reached the server?)"""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return False, False
    if isinstance(exc, requests.exceptions.ProxyError):  # never got past the proxy
        return tunnel_refused(str(exc)) is None, False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True, False
    if isinstance(exc, requests.exceptions.ConnectionError):
        refused = "refused" in str(exc).lower() or "NewConnectionError" in repr(exc)
        return True, not refused
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError)):
        return True, True
    return False, False


def _describe_exception(exc: Exception, target: Target, timeout: float) -> str:
    import requests

    where = redact_url(target.url)
    if isinstance(exc, requests.exceptions.SSLError):
        from hwb import tls

        return f"TLS failure talking to {where}: {tls.failure(exc)}"
    if isinstance(exc, requests.exceptions.ProxyError):
        answer = tunnel_answer(str(exc))
        if answer:
            return f"the proxy refused the tunnel to {where}: {answer}"
        if "refused" in str(exc).lower():
            return f"cannot connect to the proxy for {where}: connection refused"
        return f"the proxy for {where} failed"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer from {where} within {timeout:g}s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "refused" in str(exc).lower():
            return f"cannot connect to {where}: connection refused"
        return f"connection to {where} failed: {type(exc).__name__}"
    return f"{type(exc).__name__} talking to {where}"


def _hint_for_exception(exc: Exception, target: Target) -> str:
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        from hwb import tls

        return tls.hint(tls.failure(exc))
    if isinstance(exc, requests.exceptions.ProxyError):
        return PROXY_HINT
    return f"Is {target.name} up, and is its url ({redact_url(target.url)}) right?"


#: Bodies up to this size are built in memory (urllib3's encoder, a tenth of the CPU of the
#: streaming one for a small wheel); bigger files stream from disk, so memory stays flat.
IN_MEMORY_BODY = 1024 * 1024


def _multipart(dist: Dist, fh: BinaryIO) -> tuple[Any, str]:
    """The upload's multipart/form-data body and its content type."""
    fields = [*dist.form_fields()]
    if dist.size <= IN_MEMORY_BODY:
        from urllib3.filepost import encode_multipart_formdata

        return encode_multipart_formdata(
            [*fields, ("content", (dist.filename, fh.read(), "application/octet-stream"))]
        )
    from requests_toolbelt import MultipartEncoder

    body = MultipartEncoder([*fields, ("content", (dist.filename, fh, "application/octet-stream"))])
    return body, body.content_type


@functools.cache
def _session_class() -> type[requests.Session]:
    import requests

    class Session(requests.Session):
        """requests reads the environment (proxies, no_proxy, CA bundle) before *every*
        request; every upload of a run goes to the same URL with the same settings, so the
        answer is kept per session and arguments (the variables keep their meaning)."""

        def __init__(self) -> None:
            super().__init__()
            self._merged: dict[str, dict[str, Any]] = {}

        def merge_environment_settings(
            self,
            url: str,
            proxies: dict[str, str] | None,
            stream: bool | None,
            verify: bool | str | None,
            cert: str | tuple[str, str] | None,
        ) -> dict[str, Any]:
            key = repr((url, proxies, stream, verify, cert))
            merged = self._merged.get(key)
            if merged is None:
                merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
                self._merged[key] = merged
            return {**merged, "proxies": dict(merged["proxies"])}

    return Session


class Lookahead:
    """Index lookups read ahead of the uploads, on ``workers`` daemon threads.

    A lookup is a GET of a public index page, so it may start before the run has decided to
    send anything (beside the inspection): the uploads later find the listing ready, and a
    file whose lookup is still in flight waits for that answer instead of asking again.
    The threads are daemons and :meth:`close` only stops them taking more work, so a run that
    stops early (inspection failed, Ctrl-C) never waits for a slow or dead index.
    """

    def __init__(self, transport: UploadApiTransport, projects: Iterable[str], workers: int):
        self.transport = transport
        self._todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._closed = threading.Event()
        names = list(dict.fromkeys(projects))
        for name in names:
            self._todo.put(name)
        for _ in range(min(max(1, workers), len(names))):
            threading.Thread(target=self._work, name="hwb-lookahead", daemon=True).start()

    def _work(self) -> None:
        while not self._closed.is_set():
            try:
                project = self._todo.get_nowait()
            except queue.Empty:
                return
            try:
                self.transport.prefetch([project])
            except Exception:  # the file's own lookup asks again and reports
                _log.debug("lookahead for %s failed", project, exc_info=True)

    def close(self) -> None:
        self._closed.set()
