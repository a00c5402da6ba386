"""Which certificate authorities hwb trusts for HTTPS: one answer for the requests hwb makes.

hwb speaks HTTPS through two stacks: requests (uploads, the registries' OIDC exchanges) and
urllib (index lookups, so that `hwb inspect --check-version` need not import requests). Left to
themselves they disagree. requests reads ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` and
otherwise trusts certifi; urllib reads only OpenSSL's ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and
otherwise the system store. A registry with a private CA, set up the way twine's users set it
up, then passed the upload and failed the lookup (and ``SSL_CERT_FILE`` failed the other way
round), so no publish to it could succeed. Both stacks now take their trust from here. (Libraries
that make their own requests keep their own trust: GitHub's OIDC token fetch in ``id``,
Sigstore, google-auth, boto3.)
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from hwb import ci
from hwb.errors import ConfigError, IndexTLSError

if TYPE_CHECKING:
    import ssl

#: Read in this order; the first one set wins. requests' own two come first, as twine's users
#: set them, then OpenSSL's, as curl, pip and uv users set them.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")

#: What to do about a certificate hwb does not trust, when no variable is set.
HINT: str = IndexTLSError.default_hint or ""


def source(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, CA file or folder) of the first of :data:`CA_VARIABLES` set in ``environ``
    (the process's by default); None when none is. ``SSL_CERT_DIR`` may list folders (``a:b``,
    as OpenSSL reads it): the first that exists is used, as requests takes a single folder."""
    environ = ci.environ() if environ is None else environ
    for name in CA_VARIABLES:
        value = environ.get(name)
        if not value:
            continue
        candidates = value.split(os.pathsep) if name == "SSL_CERT_DIR" else [value]
        for candidate in candidates:
            if candidate and Path(candidate).exists():
                return name, candidate
        raise ConfigError(
            f"{name} names {value}, which does not exist",
            hint="Point it at a PEM file of CA certificates (or a folder of them), or unset it.",
        )
    return None


def ca_location(environ: Mapping[str, str] | None = None) -> str:
    """The CA file or folder to trust: :func:`source`'s, else certifi's bundle (what requests,
    and so twine, trust by default)."""
    found = source(environ)
    if found is not None:
        return found[1]
    import certifi

    return str(certifi.where())


def hint(
    reason: str = "certificate verify failed", environ: Mapping[str, str] | None = None
) -> str:
    """What to do about a TLS failure: for a certificate hwb does not trust, where to add its
    CA (naming the variable in effect, which may not be the one a user would guess); for any
    other TLS failure, the usual cause."""
    if "certificate verify failed" not in reason:
        return (
            "Check the URL's scheme and port: an https:// URL to a plain-HTTP port fails this way."
        )
    found = source(environ)
    if found is None:
        return HINT
    name, value = found
    return (
        f"hwb trusts the CAs in {name} ({value}), the first of {', '.join(CA_VARIABLES)} that "
        "is set: add the registry's CA there, or point it at a bundle that holds it."
    )


_CERT_FAILURE = re.compile(r"certificate verify failed: [^(]+")
_SSL_REASON = re.compile(r"\[SSL: [A-Z0-9_]+\][^(]*")


def failure(exc: BaseException) -> str:
    """OpenSSL's reason in a TLS error from requests or urllib3 (whose messages also repeat the
    connection pool and URL), e.g. "certificate verify failed: self-signed certificate", or
    "[SSL: WRONG_VERSION_NUMBER] wrong version number"."""
    text = str(exc)
    found = _CERT_FAILURE.search(text) or _SSL_REASON.search(text)
    return found.group(0).rstrip(" ,") if found else "TLS handshake failed"


def context(location: str | None = None) -> ssl.SSLContext:
    """An SSL context for urllib that trusts exactly what requests is told to trust
    (``location``, default :func:`ca_location`)."""
    return _context(location or ca_location())


@functools.lru_cache(maxsize=8)
def _context(location: str) -> ssl.SSLContext:
    import ssl

    if Path(location).is_dir():
        return ssl.create_default_context(capath=location)
    try:
        return ssl.create_default_context(cafile=location)
    except ssl.SSLError as exc:
        found = source()
        named = f"{found[0]} names {location}, which" if found else location
        raise ConfigError(
            f"{named} holds no usable CA certificate ({exc.reason or exc})",
            hint="Point it at a PEM file of CA certificates, or unset it.",
        ) from None
