"""The upload-API transport (PyPI's "legacy" API, spoken by PyPI, TestPyPI, devpi, pypiserver,
Artifactory, CodeArtifact, Artifact Registry, Azure Artifacts, Cloudsmith, Nexus, GitLab).

Each file: look it up on the index first (same name and sha256: skip; other content: refuse),
stream the multipart body (constant memory), retry connection errors, 429 and 5xx with
exponential backoff and jitter, and before re-sending a file an earlier attempt may have
delivered, look again: a file that landed is never sent twice. Duplicate answers from the
registries (pypiserver 409, PyPI/GAR 400 "already exists", Artifactory 403 overwrite, Nexus 400,
GitLab 400 "already been taken") are confirmed by hash.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal

from hwb import log
from hwb.errors import HwbError, IndexLookupError, UploadFailedError
from hwb.publish.dists import Dist
from hwb.publish.ledger import FAILED, SKIPPED, UPLOADED, Entry
from hwb.publish.targets import Target
from hwb.simple_api import IndexFile, project_files, redact_url

if TYPE_CHECKING:
    import requests

_log = log.get("publish")
BACKOFF_BASE = 0.5  # seconds; attempt n waits up to BACKOFF_BASE * 2**(n-1), capped
BACKOFF_CAP = 30.0
_DUPLICATE_400 = re.compile(
    r"already exists?|updating asset|cannot be updated|already been taken|entity already exists",
    re.IGNORECASE,
)
_OVERWRITE_403 = re.compile(r"overwrite", re.IGNORECASE)

Presence = Literal["same", "different", "absent", "unknown"]


@dataclass(frozen=True)
class Settings:
    skip_existing: bool = False
    retries: int = 5
    timeout: float = 120.0


class UploadApiTransport:
    def __init__(self, target: Target, settings: Settings) -> None:
        self.target = target
        self.settings = settings
        self._local = threading.local()
        # One listing per project answers the first lookup of all its files; fresh lookups are
        # made only to confirm an ambiguous outcome (a retry, a duplicate answer).
        self._listings: dict[str, list[IndexFile] | None] = {}
        self._listing_lock = threading.Lock()

    # -- HTTP plumbing -------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = "hwb"
            if self.target.credential is not None:
                session.auth = _MintedAuth(
                    self.target.username or "__token__", self.target.credential
                )
            elif self.target.password is not None:
                session.auth = (self.target.username or "__token__", self.target.password)
            self._local.session = session
        return session

    def _fetch(self, project: str) -> list[IndexFile] | None:
        assert self.target.index_url is not None  # noqa: S101 - callers check
        auth = (
            (self.target.username or "__token__", self.target.password)
            if self.target.password is not None
            else None
        )
        try:
            return project_files(self.target.index_url, project, self.settings.timeout, auth)
        except IndexLookupError as exc:
            _log.debug("index lookup failed: %s", exc)
            return None

    def lookup(self, dist: Dist, fresh: bool = True) -> Presence:
        """Is this file on the registry's simple index, and with which content?"""
        if not self.target.index_url:
            return "unknown"
        if fresh:
            files = self._fetch(dist.name)
        else:
            with self._listing_lock:
                if dist.name not in self._listings:
                    self._listings[dist.name] = self._fetch(dist.name)
                files = self._listings[dist.name]
        if files is None:
            return "unknown"
        for f in files:
            if f.filename == dist.filename:
                if f.sha256 is None:
                    return "unknown"
                return "same" if f.sha256 == dist.sha256 else "different"
        return "absent"

    def _post(self, dist: Dist) -> requests.Response:
        from requests_toolbelt import MultipartEncoder

        with dist.path.open("rb") as fh:
            fields = [
                *dist.form_fields(),
                ("content", (dist.filename, fh, "application/octet-stream")),
            ]
            body = MultipartEncoder(fields)  # streams the file: memory stays flat
            started = time.monotonic()
            response = self._session().post(
                self.target.url,
                data=body,
                headers={"Content-Type": body.content_type},
                allow_redirects=False,
                timeout=self.settings.timeout,
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
        started = time.monotonic()
        entry = Entry(
            dist.filename, self.target.name, FAILED, dist.sha256, dist.size, url=self.target.url
        )
        try:
            dist.ensure_loaded()
            entry.sha256 = dist.sha256
            entry.status, entry.reason, entry.attempts = self._publish(dist)
        except HwbError as exc:  # refused, gave up, or an unreadable distribution: this entry
            entry.reason, entry.hint = exc.message, exc.hint
        except Exception as exc:  # a bug must fail one entry, not the whole run
            entry.reason = f"internal error: {type(exc).__name__}: {exc}"
            entry.hint = "This is a bug in hwb; rerun with -vv and report it."
        entry.seconds = round(time.monotonic() - started, 3)
        if entry.status == FAILED and entry.attempts == 0:
            entry.attempts = getattr(self._local, "attempts", 0)
        level = log.VERBOSE if entry.status != FAILED else 30
        _log.log(
            level,
            "%s %s -> %s%s",
            entry.status,
            dist.filename,
            self.target.name,
            f": {entry.reason}" if entry.reason else "",
        )
        return entry

    def _publish(self, dist: Dist) -> tuple[str, str | None, int]:
        presence = self.lookup(dist, fresh=False)
        if presence == "same":
            note = (
                None
                if self.settings.skip_existing
                else "already on the index, identical: not re-sent"
            )
            return SKIPPED, note, 0
        if presence == "different":
            raise UploadFailedError(
                f"{dist.filename} exists on {self.target.name} with different content",
                hint="Files on an index are immutable: bump the version (hwb version bump patch).",
            )
        may_have_landed = False
        wait = 0.0
        last = "no attempt made"
        last_hint = "The registry kept failing; run the same command again later (it resumes)."
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            self._local.attempts = attempt
            if attempt > 1:
                if may_have_landed:
                    again = self.lookup(dist)
                    if again == "same":
                        return UPLOADED, f"confirmed on the index after: {last}", attempt - 1
                    if again == "different":
                        raise UploadFailedError(
                            f"{dist.filename} exists on {self.target.name} with different content"
                        )
                time.sleep(wait)
            try:
                response = self._post(dist)
            except Exception as exc:  # requests' exceptions, told apart below
                if not _is_network_error(exc):
                    raise  # a bug, reported as such by publish(), never retried
                last = _describe_exception(exc, self.target, self.settings.timeout)
                last_hint = _hint_for_exception(exc, self.target)
                retryable, may_have_landed = _classify_exception(exc)
                if not retryable:
                    raise UploadFailedError(last, hint=last_hint) from None
                wait = _backoff(attempt)
                _log.log(
                    log.VERBOSE, "%s: %s; retrying (%d/%d)", dist.filename, last, attempt, attempts
                )
                continue
            status = response.status_code
            if 200 <= status < 300:
                return UPLOADED, None, attempt
            if 300 <= status < 400:
                where = response.headers.get("Location", "?")
                raise UploadFailedError(
                    f"{status} redirect to {redact_url(where)}",
                    hint="Your upload URL is probably missing its trailing slash; use the URL the "
                    "redirect names if you trust it.",
                )
            if _is_duplicate_answer(response):
                return self._confirm_duplicate(dist, response, attempt)
            if status == 429 or status >= 500:
                last = f"{status} {response.reason}"
                last_hint = (
                    "The registry kept failing; run the same command again later (it resumes)."
                )
                may_have_landed = status >= 500
                wait = _retry_after(response) or _backoff(attempt)
                _log.log(
                    log.VERBOSE, "%s: %s; retrying (%d/%d)", dist.filename, last, attempt, attempts
                )
                continue
            raise _translate(response, self.target)
        raise UploadFailedError(f"gave up after {attempts} attempts: {last}", hint=last_hint)

    def _confirm_duplicate(
        self, dist: Dist, response: requests.Response, attempt: int
    ) -> tuple[str, str | None, int]:
        said = f"{response.status_code} {_message(response)}"
        presence = self.lookup(dist)
        if presence == "same":
            return (
                SKIPPED,
                f"the registry answered {said}; identical file confirmed by sha256",
                attempt,
            )
        if presence == "different":
            raise UploadFailedError(
                f"{dist.filename} exists on {self.target.name} with different content ({said})",
                hint="Files on an index are immutable: bump the version (hwb version bump patch).",
            )
        if self.settings.skip_existing:
            return (
                SKIPPED,
                f"the registry answered {said} (not confirmed by hash: no index)",
                attempt,
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


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), 300.0)
    try:
        delay = parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None
    return max(0.0, min(delay, 300.0))


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
        return f"TLS failure talking to {where}"
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
        return (
            "Check the URL's certificate; a private CA goes in REQUESTS_CA_BUNDLE or SSL_CERT_FILE."
        )
    return f"Is {target.name} up, and is its url ({redact_url(target.url)}) right?"
