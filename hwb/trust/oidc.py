"""Trusted publishing: exchange the CI's OIDC identity for a short-lived upload token.

Flow (PyPI's protocol, also TestPyPI's): ``GET {index}/_/oidc/audience`` → an OIDC token for
that audience from the CI (:mod:`hwb.trust.identity`) → ``POST {index}/_/oidc/mint-token`` →
upload as ``__token__``. Minted tokens last 15 minutes and each OIDC token (its ``jti``) can be
used once, so :class:`TrustedCredential` fetches a fresh OIDC token and mints again when the
current token is about to expire. :class:`RegistryOidcCredential` does the same through
Artifactory's and Cloudsmith's own exchanges; a new registry exchange goes beside it.

A refused exchange says why and what to change: each error code explained, then the token's
claims (:mod:`hwb.trust.claims`, decoded locally and never trusted) and the publisher form.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hwb import log
from hwb.errors import TrustedPublishingError
from hwb.trust.claims import decode_claims, publisher_form, render_claims, reusable_workflow_warning
from hwb.trust.identity import TIMEOUT, ambient_token, no_answer

if TYPE_CHECKING:
    import requests

    from hwb.settings.model import OidcExchange

_log = log.get("oidc")
RENEW_BEFORE = 300.0  # seconds before expiry when a new token is minted (as twine does)
DEFAULT_LIFETIME = 900.0  # PyPI's tokens last 15 minutes when "expires" is missing

#: What each of Warehouse's 422 error codes means and what to change.
ERROR_CODES = {
    "invalid-publisher": (
        "the token is valid, but no trusted publisher on the index matches its claims",
        "Compare the claims below with the project's Publishing settings: owner, repository, "
        "workflow file name and environment must match exactly (a renamed workflow or repository, "
        "or a missing/extra environment, are the usual causes).",
    ),
    "invalid-pending-publisher": (
        "a pending publisher matches, but the project already exists",
        "Add the publisher on the existing project's Publishing page instead of as pending.",
    ),
    "invalid-token": (
        "the index could not verify the OIDC token (signature, issuer, audience or expiry)",
        "Make sure the audience is the index's (hwb asks the index for it) and the runner's "
        "clock is right.",
    ),
    "invalid-payload": (
        "the index could not read the token (malformed, or from an issuer it does not know)",
        "Self-managed GitLab and other issuers must be registered with the index first.",
    ),
    "invalid-reuse-token": (
        "this OIDC token was already used (each token's jti is single-use)",
        "Run again: hwb fetches a new OIDC token for every exchange.",
    ),
    "not-enabled": (
        "the index has trusted publishing from this CI switched off",
        "Use an API token (PYPI_TOKEN) until the index enables it again.",
    ),
}


# -- the exchange --------------------------------------------------------------------------------
def _base(upload_url: str) -> str:
    parts = urlsplit(upload_url)
    return f"{parts.scheme}://{parts.netloc}"


def _verify(url: str) -> str | bool:
    """The CAs to trust for ``url``: the ones uploads and lookups trust (:mod:`hwb.tls`)."""
    if not url.lower().startswith("https:"):
        return True
    from hwb import tls

    return tls.ca_location()


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One exchange with a token endpoint: TIMEOUT for the whole of it, the answer capped
    (:mod:`hwb.exchange`)."""
    from hwb import exchange

    with exchange.session() as session:
        return exchange.send(session, method, url, TIMEOUT, verify=_verify(url), **kwargs)


def audience(upload_url: str) -> str:
    import requests

    url = _base(upload_url) + "/_/oidc/audience"
    host = urlsplit(upload_url).netloc
    try:
        response = _send("GET", url)
    except (requests.RequestException, OSError) as exc:
        raise no_answer(
            exc,
            f"{host} did not answer the trusted-publishing audience request",
            "Check the registry URL and the network.",
        ) from None
    if response.status_code == 403:
        raise TrustedPublishingError(
            f"{host} has trusted publishing disabled",
            hint="Use an API token until the index enables it again.",
        )
    if response.status_code == 404:
        raise TrustedPublishingError(
            f"{host} does not support trusted publishing (no /_/oidc/audience)",
            hint="Use the registry's own credentials; see the README for Artifactory and "
            "Cloudsmith OIDC.",
        )
    try:
        value = response.json()["audience"]
    except (ValueError, KeyError, TypeError):
        raise TrustedPublishingError(
            f"{host} answered the audience request with {response.status_code} and no audience",
        ) from None
    return str(value)


@dataclass(frozen=True)
class Minted:
    token: str
    expires: float  # unix time


def mint(upload_url: str, oidc_token: str) -> Minted:
    import requests

    host = urlsplit(upload_url).netloc
    url = _base(upload_url) + "/_/oidc/mint-token"
    try:
        response = _send("POST", url, json={"token": oidc_token})
    except (requests.RequestException, OSError) as exc:
        raise no_answer(
            exc,
            f"{host} did not answer the token exchange",
            "Retry; if it persists, check https://status.python.org/.",
        ) from None
    try:
        body = response.json()
    except ValueError:
        raise TrustedPublishingError(
            f"{host} answered the token exchange with {response.status_code} and no JSON",
            hint="The index may be having trouble; retry later (https://status.python.org/).",
        ) from None
    if response.status_code == 200 and isinstance(body, dict) and body.get("token"):
        expires = body.get("expires")
        when = (
            float(expires) if isinstance(expires, int | float) else time.time() + DEFAULT_LIFETIME
        )
        return Minted(str(body["token"]), when)
    claims = decode_claims(oidc_token)
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [e.get("code", "?") for e in errors or [] if isinstance(e, dict)]
    said = ", ".join(codes) or (body.get("message") if isinstance(body, dict) else None)
    details: list[str] = []
    for item in errors or []:
        if not isinstance(item, dict):
            continue
        code = str(item.get("code", "?"))
        meaning, change = ERROR_CODES.get(code, ("", ""))
        details.append(f"* {code}: {item.get('description', '')}")
        if meaning:
            details += [f"    means: {meaning}", f"    change: {change}"]
    warning = reusable_workflow_warning(claims)
    if warning:
        details.append(f"Note: {warning}")
    details += render_claims(claims)
    details.append(
        "To register this workflow as the publisher, enter on the index's Publishing page:"
    )
    details += publisher_form(claims)
    details.append("See https://docs.pypi.org/trusted-publishers/troubleshooting/")
    raise TrustedPublishingError(
        f"{host} refused the trusted-publishing exchange ({response.status_code}: "
        f"{said or 'no reason given'})",
        hint="Fix the publisher settings as explained above, then rerun.",
        details=details,
    )


class RenewingCredential:
    """An upload password minted from the CI's OIDC identity on first use, and minted again
    (with a fresh OIDC token) when it is within RENEW_BEFORE seconds of expiring. Thread-safe.
    Subclasses say which audience to ask the CI for and how the index exchanges the token."""

    username = "__token__"

    def __init__(
        self,
        upload_url: str,
        on_secret: Callable[[str], None],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.upload_url = upload_url
        self.on_secret = on_secret  # masks every token before anything could print it
        self.environ = environ
        self.mints = 0
        self._lock = threading.Lock()
        self._current: Minted | None = None

    def _audience(self) -> str:
        raise NotImplementedError

    def _exchange(self, oidc_token: str) -> Minted:
        raise NotImplementedError

    def _oidc_token(self) -> str:
        token = ambient_token(self._audience(), self.environ)
        self.on_secret(token)
        return token

    def claims(self) -> dict[str, Any]:
        """The claims of a fresh OIDC token (for --dry-run's publisher form)."""
        return decode_claims(self._oidc_token())

    def password(self) -> str:
        with self._lock:
            current = self._current
            if current is None or current.expires - time.time() < RENEW_BEFORE:
                current = self._exchange(self._oidc_token())
                self.on_secret(current.token)
                self._current = current
                self.mints += 1
                _log.log(
                    log.VERBOSE,
                    "trusted publishing: token minted for %s (expires in %.0f s)",
                    urlsplit(self.upload_url).netloc,
                    current.expires - time.time(),
                )
            return current.token


class TrustedCredential(RenewingCredential):
    """PyPI-style trusted publishing (PyPI, TestPyPI, any Warehouse): the audience comes from
    the index's ``/_/oidc/audience`` and the token is minted at its ``/_/oidc/mint-token``."""

    _aud: str | None = None

    def _audience(self) -> str:
        if self._aud is None:
            self._aud = audience(self.upload_url)
        return self._aud

    def _exchange(self, oidc_token: str) -> Minted:
        warning = reusable_workflow_warning(decode_claims(oidc_token))
        if warning and self.mints == 0:
            _log.warning("%s", warning)
        return mint(self.upload_url, oidc_token)


# -- private registries' own OIDC exchanges --------------------------------------------------------
class RegistryOidcCredential(RenewingCredential):
    """JFrog Artifactory (``POST {oidc-url}/access/api/v1/oidc/token``, an RFC 8693 token
    exchange naming the ``oidc-provider`` configured in Artifactory) and Cloudsmith
    (``POST {oidc-url}/openid/{oidc-org}/`` with the ``oidc-service`` account's slug): the CI's
    OIDC token for ``oidc-audience`` becomes an upload password. Renewed like PyPI's."""

    def __init__(
        self,
        name: str,
        exchange: OidcExchange,
        username: str,
        upload_url: str,
        on_secret: Callable[[str], None],
    ) -> None:
        super().__init__(upload_url, on_secret)
        self.name = name
        self.kind = exchange.kind
        self.exchange = exchange
        #: the registry's ``username``; else read off the minted token (see ``_exchange``).
        self.username = username

    def _audience(self) -> str:
        return self.exchange.audience

    def _exchange(self, oidc_token: str) -> Minted:
        import requests

        if self.kind == "artifactory":
            base = self.exchange.url or _base(self.upload_url)
            url = base.rstrip("/") + "/access/api/v1/oidc/token"
            body: dict[str, str] = {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
                "subject_token": oidc_token,
                "provider_name": self.exchange.provider,
            }
            if self.exchange.project:
                body["project_key"] = self.exchange.project
        else:
            base = self.exchange.url or "https://api.cloudsmith.io"
            url = f"{base.rstrip('/')}/openid/{self.exchange.org}/"
            body = {"oidc_token": oidc_token, "service_slug": self.exchange.service}
        host = urlsplit(url).netloc
        try:
            response = _send("POST", url, json=body)
        except (requests.RequestException, OSError) as exc:
            raise no_answer(
                exc, f"{host} did not answer the {self.kind} OIDC exchange",
                "Check oidc-url and the network.",
            ) from None  # fmt: skip
        try:
            data = response.json()
        except ValueError:
            data = {}
        token = data.get("access_token") or data.get("token") if isinstance(data, dict) else None
        if response.status_code >= 300 or not token:
            said = _registry_reason(data) or response.reason or "no reason given"
            what = (
                f"oidc-provider '{body.get('provider_name')}'"
                if self.kind == "artifactory"
                else f"service account '{body.get('service_slug')}' of {self.exchange.org}"
            )
            raise TrustedPublishingError(
                f"{host} refused the {self.kind} OIDC exchange ({response.status_code}: {said})",
                hint=f"Check {what} and that its identity mappings match the claims above.",
                details=render_claims(decode_claims(oidc_token)),
            )
        lifetime = data.get("expires_in") if isinstance(data, dict) else None
        expires = time.time() + (float(lifetime) if isinstance(lifetime, int | float) else 3600.0)
        if not self.username:
            self.username = (
                _token_user(str(token))
                if self.kind == "artifactory"
                else self.exchange.service or "token"
            )
        return Minted(str(token), expires)


def _registry_reason(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("code") or "")
    return str(data.get("detail") or data.get("message") or "")


def _token_user(token: str) -> str:
    """Artifactory access tokens are JWTs whose subject ends with the user name."""
    subject = str(decode_claims(token).get("sub", ""))
    return subject.rsplit("/", 1)[-1] or "oidc"
