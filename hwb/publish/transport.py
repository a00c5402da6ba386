"""The upload-API transport (PyPI's "legacy" API, spoken by PyPI, TestPyPI, devpi, pypiserver,
Artifactory, CodeArtifact, Artifact Registry, Azure Artifacts, Cloudsmith, Nexus, GitLab).

Each file: look it up on the index first (same name and sha256: skip; other content: refuse;
:mod:`hwb.publish.lookups`), stream the multipart body (constant memory), retry connection
errors, 429 and 5xx with exponential backoff and jitter (what each answer means:
:mod:`hwb.publish.answers`). Every request can fail, lookups included, so the run converges by
*knowing* before it sends:

- a file is sent only when the index says it is absent (or the registry has no index to ask);
  when the index cannot be read, the file is given up without sending (a rerun resumes);
- before re-sending a file an earlier attempt may have delivered, look again: a file that
  landed is never sent twice; after the last attempt, look once more before calling it failed;
- duplicate answers from the registries are confirmed by hash.

The ledger is true: ``uploaded`` for a file this run delivered, ``skipped-identical`` for one
that was there before. A request's own limits (its timeout, the body it sends) are set here:
``timeout`` bounds each upload's whole exchange (:mod:`hwb.exchange`), plus a second per MiB
sent (:data:`UPLOAD_RATE`), and its reply is read up to :data:`hwb.exchange.ANSWER_CAP`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

from hwb import cancel, log
from hwb.errors import HwbError, UploadFailedError
from hwb.publish import answers
from hwb.publish.dists import Dist
from hwb.publish.ledger import FAILED, SKIPPED, UPLOADED, Entry, Status, attempt, log_entry
from hwb.publish.lookups import Listings, Lookahead
from hwb.publish.targets import Target
from hwb.settings.model import PublishSettings
from hwb.simple_api import redact_url

if TYPE_CHECKING:
    import requests

_log = log.get("publish")
_IMMUTABLE = "Files on an index are immutable: bump the version (hwb version bump patch)."


class UploadApiTransport:
    """One registry's upload API: :meth:`publish` sends one file (thread-safe; a session per
    thread); :meth:`look_ahead` starts the index lookups early and :meth:`close` stops them."""

    def __init__(self, target: Target, options: PublishSettings) -> None:
        self.target = target
        self.options = options
        self._local = threading.local()
        #: Whether each file is there already; also what the lookahead reads.
        self.listings = Listings(target, options)
        self._lookahead: Lookahead | None = None
        #: Files with a POST started in this run: one abandoned by a cancelled run may have
        #: landed (its ledger status is then ``unknown``, not ``cancelled``).
        self.posted: set[str] = set()

    def look_ahead(self, projects: Iterable[str], workers: int) -> UploadApiTransport:
        """Start reading the listings of ``projects`` in the background (see
        :class:`~hwb.publish.lookups.Lookahead`); :meth:`close` stops it."""
        self._lookahead = Lookahead(self.listings, projects, workers)
        return self

    def close(self) -> None:
        """Stop the lookahead taking more work (it never waits for lookups in flight)."""
        if self._lookahead is not None:
            self._lookahead.close()

    # -- HTTP plumbing -------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            from hwb import exchange

            session = exchange.mount(_session_class()())
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

    def _post(self, dist: Dist) -> requests.Response:
        from hwb import exchange

        cancel.check()  # a cancelled run starts no new request
        with dist.path.open("rb") as fh:
            body, content_type = _multipart(dist, fh)
            started = time.monotonic()
            self.posted.add(dist.filename)
            response = exchange.send(
                self._session(),
                "POST",
                self.target.url,
                upload_deadline(self.options.timeout, dist.size),
                data=body,
                headers={"Content-Type": content_type},
                allow_redirects=False,  # never to another origin with the credentials
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

    def resend(self, dist: Dist, entry: Entry) -> tuple[Status, str | None, int]:
        """Send again a file this run uploaded that the index, read afterwards, does not list
        (verified delivery, :mod:`hwb.publish.verify`): (status, reason, attempts). A failure
        fills in ``entry``'s reason and hint."""
        self._local.attempts = 0
        try:
            return self._send(dist, may_have_landed=True)  # accepted once: a duplicate is ours
        except HwbError as exc:
            entry.reason, entry.hint = exc.message, exc.hint
            return FAILED, exc.message, self._local.attempts

    def _publish(self, dist: Dist) -> tuple[Status, str | None, int]:
        """The file's outcome; a cancelled run raises :class:`~hwb.cancel.Cancelled`, saying
        whether an attempt of this run may have delivered it."""
        self._local.may_have_landed = False
        try:
            return self._publish_once(dist)
        except cancel.Cancelled as exc:
            if self._local.may_have_landed and not exc.may_have_landed:
                raise cancel.Cancelled(str(exc), may_have_landed=True) from None
            raise

    def _publish_once(self, dist: Dist) -> tuple[Status, str | None, int]:
        known = self._before_first_send(dist)
        if known is not None:
            return known
        return self._send(dist)

    def _send(self, dist: Dist, may_have_landed: bool = False) -> tuple[Status, str | None, int]:
        """The upload's attempts; ``may_have_landed``: may an attempt of this run have
        delivered it already?"""
        wait = 0.0
        last = "no attempt made"
        last_hint = answers.KEPT_FAILING
        attempts = self.options.retries + 1
        for number in range(1, attempts + 1):
            self._local.attempts = number
            if number > 1:
                cancel.pause(wait)
                if may_have_landed:
                    landed = self._landed(dist, number - 1, last)
                    if landed is not None:
                        return landed
            try:
                response = self._post(dist)
            except Exception as exc:  # requests' exceptions, told apart below
                if not answers.is_network_error(exc):
                    raise  # a bug, reported as such by attempt(), never retried
                last = answers.describe_exception(exc, self.target, self.options.timeout)
                last_hint = answers.hint_for_exception(exc, self.target)
                retryable, reached = answers.classify_exception(exc)
                may_have_landed = may_have_landed or reached
                self._local.may_have_landed = may_have_landed
                if not retryable:
                    if may_have_landed and (landed := self._landed(dist, number, last)):
                        return landed
                    raise UploadFailedError(last, hint=last_hint) from None
                wait = answers.backoff(number)
                _log.log(
                    log.VERBOSE, "%s: %s; retrying (%d/%d)", dist.filename, last, number, attempts
                )
                continue
            status = response.status_code
            if 200 <= status < 300:
                return UPLOADED, None, number
            if answers.is_duplicate_answer(response):
                return self._confirm_duplicate(dist, response, number, may_have_landed)
            if status == 429 or status >= 500:
                last = f"{status} {response.reason}"
                last_hint = answers.KEPT_FAILING
                may_have_landed = may_have_landed or status >= 500
                self._local.may_have_landed = may_have_landed
                delay = answers.retry_wait(response, number)
                if delay is None:  # asked to wait longer than hwb does: say so, stop now
                    last = f"{last}: {answers.too_long(response)}"
                    last_hint = answers.COME_BACK_LATER
                    break
                wait = delay
                _announce_wait(dist.filename, last, wait, number, attempts)
                continue
            raise answers.refusal(response, self.target)  # redirects included
        if may_have_landed:  # the last attempt may have delivered it: look before failing
            landed = self._landed(dist, self._local.attempts, last)
            if landed is not None:
                return landed
        raise UploadFailedError(
            f"gave up after {self._local.attempts} attempt(s): {last}", hint=last_hint
        )

    def _before_first_send(self, dist: Dist) -> tuple[Status, str | None, int] | None:
        """The shared listing's verdict: a result when nothing is to be sent, else None."""
        presence = self.listings.lookup(dist, fresh=False)
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
            raise self.listings.cannot_tell(dist, "cannot tell whether it is already there")
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
        presence = self.listings.lookup(dist)
        if presence == "same":
            return UPLOADED, f"confirmed on the index after: {last}", sent
        if presence == "different":
            raise self._different(dist)
        if presence == "unreadable":
            raise self.listings.cannot_tell(dist, f"an attempt may have landed ({last})")
        return None  # absent, or no index: the duplicate answer protects a re-send

    def _confirm_duplicate(
        self, dist: Dist, response: requests.Response, number: int, ours: bool
    ) -> tuple[Status, str | None, int]:
        """A duplicate answer: ours when an earlier attempt of this run may have landed (the
        file was absent before this run), someone else's otherwise."""
        said = f"{response.status_code} {answers.message(response)}"
        presence = self.listings.lookup(dist)
        if presence == "same":
            if ours:
                return UPLOADED, f"delivered by an earlier attempt (then: {said})", number
            return SKIPPED, f"the registry answered {said}; identical file confirmed", number
        if presence == "different":
            raise self._different(dist, f" ({said})")
        if presence == "unreadable":
            raise self.listings.cannot_tell(dist, f"the registry answered {said}")
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


def _announce_wait(filename: str, last: str, wait: float, number: int, attempts: int) -> None:
    """Say what hwb waits for: at -v, or always when the wait is long enough to be noticed."""
    if number < attempts:
        level = logging.INFO if wait >= 10 else log.VERBOSE
        _log.log(level, "%s: %s; waiting %.0f s before retry %d/%d",
                 filename, last, wait, number, attempts - 1)  # fmt: skip


#: Bytes a second an upload's deadline allows for sending the file, beyond ``timeout``: a slow
#: uplink still gets a big wheel through, a registry that stops reading does not hold a run.
UPLOAD_RATE = 1024 * 1024


def upload_deadline(timeout: float, size: int) -> float:
    """Seconds for one upload's whole exchange: ``timeout``, plus a second per MiB sent."""
    return timeout + size / UPLOAD_RATE


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
