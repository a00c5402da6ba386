"""A small client for the simple repository API (PEP 503 HTML and PEP 691 JSON).

Written on urllib rather than a client library: it makes one GET per project, and hwb's other
commands should not pay for importing an HTTP stack at start-up. Used by `hwb inspect
--check-version` and by publish's lookups. Credentials go only to their own origin, and a
redirect to another origin is never followed.

A page is an answer only when it is whole: the lookup's ``timeout`` bounds the whole exchange
and the page is capped (:mod:`hwb.exchange`), and a page cut short (fewer bytes than its
Content-Length, a chunked stream cut, JSON that does not parse, HTML that stops inside a tag or
an anchor, or opens ``<html>`` and never closes it) is an :class:`IndexLookupError` like any
unreachable index: asked again, never read as a listing with files missing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from packaging.utils import canonicalize_name

from hwb import log
from hwb.errors import (
    IndexLookupError,
    IndexProxyError,
    IndexRefusedError,
    IndexTLSError,
)

if TYPE_CHECKING:
    from hwb.exchange import Exchange

_log = log.get("index")

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
PUBLIC_INDEXES = {
    "pypi": "https://pypi.org/simple/",
    "testpypi": "https://test.pypi.org/simple/",
}


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None
    url: str


def redact_url(url: str) -> str:
    """The URL fit for messages (userinfo hidden): :func:`hwb.redaction.display_url`."""
    from hwb.redaction import display_url

    return display_url(url)


def is_public(index_url: str) -> bool:
    host = urlsplit(index_url).hostname or ""
    return host in {"pypi.org", "test.pypi.org"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None

    def cut_short(self) -> bool:
        """Whether the page stopped mid-way: inside an anchor or a tag (a whole page never
        does; PEP 503 anchors are always closed)."""
        return self._href is not None or "<" in self.rawdata


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: where a credential
    belongs."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


class _CrossOrigin(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


_PROXY_VARIABLES = tuple(
    name
    for base in ("http", "https", "all", "no")
    for name in (f"{base}_proxy", f"{base.upper()}_PROXY")
)


def _opener(start: str, environ: Mapping[str, str] | None = None) -> Any:
    """An opener that follows redirects only within ``start``'s origin: a lookup never goes to
    another host (pypiserver's default fallback sends unknown projects to PyPI), so neither the
    credentials nor the round trip leave the registry. ``environ`` (the process's by default)
    holds the proxy and CA variables."""
    from hwb import ci, tls

    # Building one makes urllib scan the whole environment for proxies: once per origin and
    # proxy setting, not once per lookup (60 projects: 60 scans). The variables are urllib's
    # to interpret; hwb only notices when they change.
    home = origin(start)
    environ = ci.environ() if environ is None else environ
    ca = tls.ca_location(environ) if home[0] == "https" else ""  # the CAs the uploads trust too
    return _opener_for(home, tuple(environ.get(v) for v in _PROXY_VARIABLES), ca)


@functools.lru_cache(maxsize=32)
def _opener_for(home: tuple[str, str, int | None], proxies: tuple[str | None, ...], ca: str) -> Any:
    import urllib.request

    from hwb import tls

    class SameOrigin(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> Any:
            if origin(newurl) != home:
                fp.close()  # the redirect's own answer is never read
                raise _CrossOrigin(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    from hwb.exchange import watched_handlers

    # Connections that register their sockets with the lookup's deadline (hwb.exchange).
    handlers = watched_handlers(tls.context(ca) if ca else None)
    return urllib.request.build_opener(SameOrigin, *handlers)


def project_files(
    index_url: str,
    project: str,
    timeout: float = 20.0,
    auth: tuple[str, str] | None = None,
    auth_origin: str | None = None,
) -> list[IndexFile]:
    """Files the index lists for ``project`` ([] when the project does not exist, or when the
    index redirects the lookup to another origin, which is not followed).

    ``auth`` is sent only when the lookup URL has the origin (scheme, host, port) of the URL
    ``auth_origin`` (the upload URL the credential belongs to). ``timeout`` bounds the whole
    lookup, the page read and parsed (:mod:`hwb.exchange`)."""
    import http.client
    import urllib.error

    from hwb.exchange import PAGE_CAP, Exchange, ExchangeError, TooLarge

    if urlsplit(index_url).scheme not in {"http", "https"}:
        raise IndexLookupError(f"{redact_url(index_url)} is not an http(s) URL")
    base = index_url if index_url.endswith("/") else index_url + "/"
    url = urljoin(base, canonicalize_name(project) + "/")
    # max-age=0, as pip asks: a cache in between must not answer with an older listing.
    headers = {"Accept": ACCEPT, "User-Agent": "hwb", "Cache-Control": "max-age=0"}
    if auth is not None and auth_origin is not None and origin(url) == origin(auth_origin):
        import base64

        pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    import urllib.request  # imported here: it pulls in ssl and http.client (~60 ms)

    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s), checked above
    try:
        with Exchange(url, timeout, PAGE_CAP) as exchange:
            opener = _opener(url)
            with opener.open(request, timeout=exchange.remaining()) as response:
                body = exchange.read(response)
                content_type = response.headers.get("Content-Type", "")
                final_url = response.geturl()
            try:
                return _parse(body, content_type, final_url, exchange)
            except ExchangeError:
                raise
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                raise IndexLookupError(
                    f"{redact_url(url)} answered a malformed or incomplete page "
                    f"({type(exc).__name__})"
                ) from None
    except TooLarge as exc:  # asking again brings the same page
        raise IndexRefusedError(
            exc.message, hint="Is index-url the registry's simple index (one page per project)?"
        ) from None
    except ExchangeError as exc:  # the deadline, a page cut short: asked again
        raise IndexLookupError(exc.message) from None
    except _CrossOrigin as exc:
        _log.debug(
            "%s redirects to another origin (%s): not followed, %s counts as absent",
            redact_url(url),
            redact_url(exc.location),
            project,
        )
        return []
    except urllib.error.HTTPError as exc:
        exc.close()  # its body is not read: a refusal's status is the answer
        if exc.code == 404:
            return []
        said = f"{redact_url(url)} answered {exc.code} {exc.reason}"
        if 400 <= exc.code < 500 and exc.code not in {408, 429}:
            raise IndexRefusedError(said) from None
        raise IndexLookupError(said) from None
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as exc:
        raise _unreachable(url, exc) from None


def _unreachable(url: str, exc: Exception) -> IndexLookupError:
    """What a lookup that got no answer failed on: not worth asking again (TLS, a proxy's
    refusal) or worth it."""
    import ssl

    from hwb import tls

    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, ssl.SSLCertVerificationError):  # not fixed by asking again
        why = reason.verify_message or reason.reason or "certificate verify failed"
        return IndexTLSError(
            f"TLS failure talking to {redact_url(url)}: certificate verify failed: {why}",
            hint=tls.hint(),
        )
    if isinstance(reason, ssl.SSLError) and not isinstance(reason, ssl.SSLEOFError):
        # e.g. WRONG_VERSION_NUMBER: https:// to a plain-HTTP port. A cut connection
        # (EOF) may be the server's load, and is asked again.
        why = tls.failure(reason)
        return IndexTLSError(f"TLS failure talking to {redact_url(url)}: {why}", hint=tls.hint(why))
    refused = tunnel_refused(str(reason))
    if refused:  # the proxy said no (wrong password, forbidden host): asking again won't do
        return IndexProxyError(f"the proxy refused the tunnel to {redact_url(url)}: {refused}")
    if isinstance(reason, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(reason, (TimeoutError, OSError)) and not str(reason):
        reason = type(reason).__name__
    return IndexLookupError(f"{redact_url(url)} is unreachable: {reason}")


PROXY_HINT: str = IndexProxyError.default_hint or ""
_TUNNEL = re.compile(r"Tunnel connection failed: (\d{3}[^'\")]*)")


def tunnel_answer(text: str) -> str | None:
    """The proxy's answer to a refused CONNECT (``407 Proxy Authentication Required``), found
    in an error message of urllib or requests; None when the failure was not that."""
    found = _TUNNEL.search(text)
    return found.group(1).strip() if found else None


def tunnel_refused(text: str) -> str | None:
    """:func:`tunnel_answer` when asking again cannot change it: a 4xx other than 408 and 429
    (a wrong proxy password, a host the proxy forbids)."""
    answer = tunnel_answer(text)
    if answer is None or not answer.startswith("4") or answer[:3] in {"408", "429"}:
        return None
    return answer


_FEED = 1024 * 1024  # HTML is parsed in slices, the deadline checked between them


def _parse(body: bytes, content_type: str, final_url: str, exchange: Exchange) -> list[IndexFile]:
    if "json" in content_type:
        data = json.loads(body)  # a page cut short does not parse
        return [
            IndexFile(
                str(f["filename"]),
                (f.get("hashes") or {}).get("sha256"),
                urljoin(final_url, str(f["url"])),
            )
            for f in data.get("files", [])
        ]
    parser = _Links()
    text = body.decode("utf-8", "replace")
    for start in range(0, len(text), _FEED):
        parser.feed(text[start : start + _FEED])
        exchange.remaining()
    lowered = text.lower()
    if parser.cut_short() or ("<html" in lowered and "</html>" not in lowered):
        raise exchange.incomplete(len(body), page=True)
    files = []
    for href, text in parser.links:
        match = re.search(r"#sha256=([0-9a-fA-F]{64})", href)
        name = text or href.split("#")[0].rsplit("/", 1)[-1]
        files.append(
            IndexFile(name, match.group(1).lower() if match else None, urljoin(final_url, href))
        )
    return files
