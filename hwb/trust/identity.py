"""The CI's OIDC identity: a token for an audience from GitHub Actions (its token endpoint),
GitLab CI (the job's ``<AUD>_ID_TOKEN`` variable) or Google's metadata server, read through the
``id`` package (Google's directly, for ``GCE_METADATA_HOST``). A new CI's identity source goes
here (its detection and variables in :mod:`hwb.ci`).

Failures say what to change, per CI: a missing permission (with the YAML to add), a pull
request from a fork, a job that declares no id_tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from hwb import ci
from hwb.errors import TrustedPublishingError

TIMEOUT = 10.0  # seconds, for the whole of every identity and exchange request (hwb.exchange)

GITHUB_YAML = """permissions:
  id-token: write   # in the publishing job (or the workflow), next to contents: read"""

GITLAB_YAML = """publish:
  id_tokens:
    {var}:
      aud: {aud}"""


def _gitlab_variable(audience: str) -> str:
    return re.sub(r"[^A-Z0-9_]|^[^A-Z_]", "_", audience.upper()) + "_ID_TOKEN"


def _google_metadata(audience: str, host: str) -> str:
    """Google's metadata server (Cloud Build, GCE, Cloud Run). ``GCE_METADATA_HOST`` is the
    override google-auth honours too; ``id`` only knows the fixed address."""
    import requests

    from hwb import exchange

    url = f"http://{host}/computeMetadata/v1/instance/service-accounts/default/identity"
    try:
        with exchange.session() as session:
            response = exchange.send(
                session,
                "GET",
                url,
                TIMEOUT,
                params={"audience": audience, "format": "full"},
                headers={"Metadata-Flavor": "Google"},
            )
    except (requests.RequestException, OSError) as exc:
        raise no_answer(
            exc,
            f"Google's metadata server at {host} did not answer",
            "Run in Cloud Build/GCE with a service account, or use an API token.",
        ) from None
    if response.status_code != 200:
        raise TrustedPublishingError(
            f"Google's metadata server refused an identity token ({response.status_code})",
            hint="The build's service account needs permission to create identity tokens.",
        )
    return response.text.strip()


def ambient_token(audience: str, environ: Mapping[str, str] | None = None) -> str:
    """An OIDC token for ``audience`` from this CI, or a TrustedPublishingError that says what
    to change."""
    environ = ci.environ() if environ is None else environ
    google = ci.google_metadata_host(environ)
    if google:
        return _google_metadata(audience, google)
    import id as oidc_id

    try:
        token = oidc_id.detect_credential(audience=audience)
    except oidc_id.GitHubOidcPermissionCredentialError:
        if ci.fork_pull_request(environ):
            raise TrustedPublishingError(
                "GitHub gives no OIDC token to workflows run for pull requests from forks",
                hint="Publish from a push, tag or release event in the upstream repository.",
            ) from None
        raise TrustedPublishingError(
            "GitHub Actions did not offer an OIDC token: the job lacks the id-token: write "
            "permission",
            hint="Add the permission to the publishing job (shown above), then rerun.",
            details=GITHUB_YAML.splitlines(),
        ) from None
    except oidc_id.AmbientCredentialError as exc:
        if environ.get("GITLAB_CI"):
            var = _gitlab_variable(audience)
            raise TrustedPublishingError(
                f"GitLab CI did not provide {var}: the job declares no id_tokens for {audience}",
                hint="Add the lines above to the publishing job in .gitlab-ci.yml, then rerun.",
                details=GITLAB_YAML.format(var=var, aud=audience).splitlines(),
            ) from None
        raise TrustedPublishingError(
            f"the CI's OIDC token could not be read: {exc}",
            hint="Check the CI's OIDC settings, or use an API token.",
        ) from None
    except oidc_id.IdentityError as exc:
        raise TrustedPublishingError(f"no OIDC token: {exc}") from None
    if not token:
        raise TrustedPublishingError(
            "trusted publishing needs a CI identity (GitHub Actions, GitLab CI, Google Cloud "
            "Build) and none was found here",
            hint="Run in one of those CIs, or set PYPI_TOKEN (an API token) instead.",
        )
    return str(token)


def sigstore_token(on_secret: Callable[[str], None]) -> str:
    """The CI's identity for Sigstore signing (GitHub id-token, GitLab SIGSTORE_ID_TOKEN,
    Google metadata), masked before anything could print it. Outside such a CI there is no
    identity to sign with: an AttestationError saying so (not the API-token advice that suits
    publishing)."""
    from hwb.errors import AttestationError

    if not ci.has_identity(ci.environ()):
        raise AttestationError(
            "signing needs the CI's OIDC identity (GitHub Actions, GitLab CI, Google Cloud "
            "Build) and none was found here",
            hint="Run it in CI with id-token: write (GitHub) or a SIGSTORE_ID_TOKEN id_token "
            "(GitLab); here, use --no-sign (hwb attest) or --no-attestations (hwb publish).",
        )
    token = ambient_token("sigstore")
    on_secret(token)
    return token


def no_answer(exc: Exception, said: str, hint: str) -> TrustedPublishingError:
    """A request that got no answer: why, in a few words. A TLS failure gets OpenSSL's reason
    and a proxy's refusal its answer, each with its own hint, instead of the exception's name."""
    import requests

    from hwb.exchange import ExchangeError

    if isinstance(exc, ExchangeError):  # the deadline passed, the answer too big or cut
        return TrustedPublishingError(f"{said}: {exc.message}", hint=hint)
    if isinstance(exc, requests.exceptions.SSLError):
        from hwb import tls

        reason = tls.failure(exc)
        return TrustedPublishingError(f"{said}: {reason}", hint=tls.hint(reason))
    if isinstance(exc, requests.exceptions.ProxyError):
        from hwb.simple_api import PROXY_HINT, tunnel_answer

        answer = tunnel_answer(str(exc))
        if answer:
            return TrustedPublishingError(f"{said}: the proxy answered {answer}", hint=PROXY_HINT)
    return TrustedPublishingError(f"{said}: {type(exc).__name__}", hint=hint)
