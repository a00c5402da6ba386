"""Index pages: PEP 691 JSON (the source of truth, kept beside each page) and the PEP 503 HTML
generated from it, with PEP 592 ``data-yanked``, PEP 629 repository version, PEP 658/714
``data-core-metadata``/``data-dist-info-metadata`` and ``data-requires-python``.

Links are relative (``../../packages/<name>/<file>``), so the index works from the bucket's own
URL, a CDN in front of it, a folder served over HTTP, or ``file://``.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

from hwb.distfiles import version_of
from hwb.errors import CorruptPageError

API_VERSION = "1.1"
_PLAIN = re.compile(r"[a-z0-9._-]+\Z")
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html; charset=utf-8"


def new_project(name: str) -> dict[str, Any]:
    return {"meta": {"api-version": API_VERSION}, "name": name, "files": [], "versions": []}


def parse_project(data: bytes, key: str) -> dict[str, Any]:
    try:
        page: dict[str, Any] = json.loads(data)
        if not isinstance(page.get("files"), list) or not isinstance(page.get("name"), str):
            raise ValueError("missing name or files")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptPageError(f"{key} is not a valid index page ({exc})") from None
    return page


def parse_root(data: bytes, key: str) -> dict[str, Any]:
    try:
        page: dict[str, Any] = json.loads(data)
        if not isinstance(page.get("projects"), list):
            raise ValueError("missing projects")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptPageError(f"{key} is not a valid index page ({exc})") from None
    return page


def file_url(name: str, filename: str) -> str:
    return f"../../packages/{name}/{quote(filename)}"


def dump(page: dict[str, Any]) -> bytes:
    # Compact: indent= would make json use its pure-Python encoder, 10x slower on big pages.
    return (json.dumps(page, separators=(",", ":")) + "\n").encode()


def version_key(filename: str) -> tuple[Any, str]:
    version = version_of(filename)
    if version is None:
        from packaging.version import Version

        version = Version("0")  # a name that does not parse sorts first
    return (version, filename)


def normalize(page: dict[str, Any]) -> dict[str, Any]:
    """Files sorted by version then name; ``versions`` recomputed (PEP 700)."""
    page["files"].sort(key=lambda f: version_key(f["filename"]))
    versions = []
    for f in page["files"]:
        v = str(version_key(f["filename"])[0])
        if v not in versions:
            versions.append(v)
    page["versions"] = versions
    return page


def project_html(page: dict[str, Any]) -> bytes:
    name = html.escape(page["name"])
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        f"    <title>Links for {name}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>Links for {name}</h1>",
    ]
    for f in page["files"]:
        attrs = [f'href="{html.escape(f["url"])}#sha256={f["hashes"]["sha256"]}"']
        if f.get("requires-python"):
            attrs.append(f'data-requires-python="{html.escape(f["requires-python"])}"')
        core = f.get("core-metadata")
        if isinstance(core, dict) and core.get("sha256"):
            attrs.append(f'data-core-metadata="sha256={core["sha256"]}"')
            attrs.append(f'data-dist-info-metadata="sha256={core["sha256"]}"')
        yanked = f.get("yanked")
        if yanked:
            reason = yanked if isinstance(yanked, str) else ""
            attrs.append(f'data-yanked="{html.escape(reason)}"')
        lines.append(f"    <a {' '.join(attrs)}>{html.escape(f['filename'])}</a><br>")
    lines += ["  </body>", "</html>", ""]
    return "\n".join(lines).encode()


def root_html(page: dict[str, Any]) -> bytes:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        "    <title>Simple index</title>",
        "  </head>",
        "  <body>",
    ]
    for p in page["projects"]:
        name = html.escape(p["name"])
        # Normalized names need no quoting (and quote() costs more than the rest of the page).
        href = name if _PLAIN.match(p["name"]) else html.escape(quote(p["name"]))
        lines.append(f'    <a href="{href}/">{name}</a><br>')
    lines += ["  </body>", "</html>", ""]
    return "\n".join(lines).encode()
