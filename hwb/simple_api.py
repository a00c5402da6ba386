"""A small client for the simple repository API (PEP 503 HTML and PEP 691 JSON).

Written on urllib rather than a client library: it makes one GET per project, and hwb's other
commands should not pay for importing an HTTP stack at start-up. Used by `hwb inspect
--check-version` and (later) by publish's skip-existing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from hwb.errors import IndexLookupError

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
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


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


def project_files(
    index_url: str, project: str, timeout: float = 20.0, auth: tuple[str, str] | None = None
) -> list[IndexFile]:
    """Files the index lists for ``project`` ([] when the project does not exist)."""
    import urllib.error
    import urllib.request  # imported here: it pulls in ssl and http.client (~60 ms)

    if urlsplit(index_url).scheme not in {"http", "https"}:
        raise IndexLookupError(f"{redact_url(index_url)} is not an http(s) URL")
    base = index_url if index_url.endswith("/") else index_url + "/"
    url = urljoin(base, canonicalize_name(project) + "/")
    headers = {"Accept": ACCEPT, "User-Agent": "hwb"}
    if auth is not None:
        import base64

        pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s), checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked above
            body = response.read()
            content_type = response.headers.get("Content-Type", "")
            final_url = response.geturl()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise IndexLookupError(f"{redact_url(url)} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IndexLookupError(f"{redact_url(url)} is unreachable: {reason}") from None
    if "json" in content_type:
        data = json.loads(body)
        return [
            IndexFile(
                f["filename"], f.get("hashes", {}).get("sha256"), urljoin(final_url, f["url"])
            )
            for f in data.get("files", [])
        ]
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    files = []
    for href, text in parser.links:
        match = re.search(r"#sha256=([0-9a-fA-F]{64})", href)
        name = text or href.split("#")[0].rsplit("/", 1)[-1]
        files.append(
            IndexFile(name, match.group(1).lower() if match else None, urljoin(final_url, href))
        )
    return files
