"""Which certificate authorities hwb trusts for HTTPS: one answer for every request it makes.

hwb speaks HTTPS through two stacks: requests (uploads, OIDC exchanges) and urllib (index
lookups, so that `hwb inspect --check-version` need not import requests). Left to themselves
they disagree. requests reads ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` and otherwise trusts
certifi; urllib reads only OpenSSL's ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and otherwise the system
store. A registry with a private CA, set up the way twine's users set it up, then passed the
upload and failed the lookup (and ``SSL_CERT_FILE`` failed the other way round), so no publish
to it could succeed. Both stacks now take their trust from here.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from hwb.errors import ConfigError, IndexCertificateError

if TYPE_CHECKING:
    import ssl

#: Read in this order; the first one set wins. requests' own two come first, as twine's users
#: set them, then OpenSSL's, as curl, pip and uv users set them.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")

#: What to do about a certificate hwb does not trust (uploads and lookups alike).
HINT: str = IndexCertificateError.default_hint or ""


def ca_location() -> str:
    """The CA file or folder to trust: the first of :data:`CA_VARIABLES` that is set, else
    certifi's bundle (what requests, and so twine, trust by default)."""
    for name in CA_VARIABLES:
        value = os.environ.get(name)
        if value:
            if not Path(value).exists():
                raise ConfigError(
                    f"{name} names {value}, which does not exist",
                    hint="Point it at a PEM file of CA certificates (or a folder of them), "
                    "or unset it.",
                )
            return value
    import certifi

    return str(certifi.where())


_CERT_FAILURE = re.compile(r"certificate verify failed: [^(]+")


def failure(exc: BaseException) -> str:
    """OpenSSL's reason in a TLS error from requests or urllib3 (whose messages also repeat the
    connection pool and URL), e.g. "certificate verify failed: self-signed certificate"."""
    found = _CERT_FAILURE.search(str(exc))
    return found.group(0).rstrip() if found else "TLS handshake failed"


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
        raise ConfigError(
            f"{location} holds no usable CA certificate ({exc.reason or exc})",
            hint="Point SSL_CERT_FILE (or REQUESTS_CA_BUNDLE) at a PEM file of CA certificates.",
        ) from None
