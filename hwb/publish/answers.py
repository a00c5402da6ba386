"""What a registry's answers mean, for the upload transport and the index lookups.

- a response: a duplicate (pypiserver 409, PyPI/GAR 400 "already exists", Artifactory 403
  overwrite, Nexus 400, GitLab 400 "already been taken"; confirmed by hash by the caller), a
  refusal (with what to change), or how long it asks to be left alone (Retry-After);
- an exception from requests: worth retrying? may the request have reached the server (so a
  retry must look first)? what to tell the user, and what to do;
- how long to wait before asking again (exponential backoff with full jitter, capped).

Pure functions of the answer: no requests are made here.
"""

from __future__ import annotations

import random
import re
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from hwb.errors import UploadFailedError
from hwb.publish.targets import Target
from hwb.simple_api import PROXY_HINT, redact_url, tunnel_answer, tunnel_refused

if TYPE_CHECKING:
    import requests

BACKOFF_BASE = 0.5  # seconds; attempt n waits up to BACKOFF_BASE * 2**(n-1), capped
BACKOFF_CAP = 30.0
#: The longest Retry-After hwb honours (seconds); a server asking for more fails that file at
#: once with the reason (rerun later: publishing resumes), instead of waiting in silence.
RETRY_AFTER_CAP = 300.0
#: A lookup is cheap and idempotent, and a file is sent only once one answered: lookups get
#: twice the upload's retries, with shorter waits.
LOOKUP_BACKOFF_CAP = 5.0
KEPT_FAILING = "The registry kept failing; run the same command again later (it resumes)."
COME_BACK_LATER = "Run the same command again later (it resumes where it stopped)."
_DUPLICATE_400 = re.compile(
    r"already exists?|updating asset|cannot be updated|already been taken|entity already exists",
    re.IGNORECASE,
)
_OVERWRITE_403 = re.compile(r"overwrite", re.IGNORECASE)


# -- when to ask again ----------------------------------------------------------------------------
def backoff(attempt: int, cap: float | None = None) -> float:
    """Exponential backoff with full jitter."""
    ceiling = BACKOFF_CAP if cap is None else cap
    return random.uniform(0, min(ceiling, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311


def retry_wait(response: requests.Response, attempt: int) -> float | None:
    """How long to wait before the next attempt: the server's Retry-After up to
    RETRY_AFTER_CAP, else the backoff; None when the server asks for longer than the cap."""
    asked = retry_after(response)
    if asked is None:
        return backoff(attempt)
    return None if asked > RETRY_AFTER_CAP else asked


def too_long(response: requests.Response) -> str:
    asked = retry_after(response) or 0.0
    return (
        f"the registry asks to retry after {asked:.0f} s, longer than hwb waits "
        f"({RETRY_AFTER_CAP:.0f} s)"
    )


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if re.fullmatch(r"[0-9]{1,12}", value.strip()):  # ASCII digits only: float("²") raises
        return float(value)
    try:
        delay = parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, delay)


# -- responses ------------------------------------------------------------------------------------
def message(response: requests.Response) -> str:
    """The server's reason: Warehouse puts it in the status line; others in the body."""
    reason = response.reason or ""
    body = response.text.strip() if "html" not in response.headers.get("Content-Type", "") else ""
    first = body.splitlines()[0][:300] if body else ""
    if first and first not in reason:
        return f"{reason}: {first}" if reason else first
    return reason or "(no reason given)"


def is_duplicate_answer(response: requests.Response) -> bool:
    status = response.status_code
    text = f"{response.reason} {response.text[:4000]}"
    return (
        status == 409
        or (status == 400 and bool(_DUPLICATE_400.search(text)))
        or (status == 403 and bool(_OVERWRITE_403.search(text)))
    )


def refusal(response: requests.Response, target: Target) -> UploadFailedError:
    """A response that refuses the file (not a success, a duplicate or worth retrying): what
    the server said and what to change."""
    status = response.status_code
    if 300 <= status < 400:  # never followed: the credentials must not go to another origin
        where = response.headers.get("Location", "?")
        return UploadFailedError(
            f"{status} redirect to {redact_url(where)}",
            hint="Your upload URL is probably missing its trailing slash; use the URL the "
            "redirect names if you trust it.",
        )
    said = f"{status} {message(response)}"
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


# -- exceptions (no response) ---------------------------------------------------------------------
def is_network_error(exc: Exception) -> bool:
    import requests

    return isinstance(exc, (requests.exceptions.RequestException, OSError))


def classify_exception(exc: Exception) -> tuple[bool, bool]:
    """(retry it?, may the request have reached the server?)"""
    import requests

    from hwb.exchange import ExchangeError, TooLarge

    if isinstance(exc, ExchangeError):  # sent, but no whole answer: it may have landed
        return not isinstance(exc, TooLarge), True

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


def describe_exception(exc: Exception, target: Target, timeout: float) -> str:
    import requests

    from hwb.exchange import ExchangeError

    if isinstance(exc, ExchangeError):
        return exc.message
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


def hint_for_exception(exc: Exception, target: Target) -> str:
    import requests

    from hwb.exchange import DeadlineExceeded

    if isinstance(exc, DeadlineExceeded):
        return (
            f"{target.name} answers too slowly: run again later (it resumes), or raise "
            "[tool.hwb.publish] timeout (HWB_PUBLISH_TIMEOUT)."
        )

    if isinstance(exc, requests.exceptions.SSLError):
        from hwb import tls

        return tls.hint(tls.failure(exc))
    if isinstance(exc, requests.exceptions.ProxyError):
        return PROXY_HINT
    return f"Is {target.name} up, and is its url ({redact_url(target.url)}) right?"
