"""PEP 740 attestations: sign distributions with the CI's identity (Sigstore) before they are
published, and verify attestations offline against an expected publisher (``hwb verify``).

Both go through pypi-attestations (the library PyPI's own tooling uses): hwb adds the choice of
files, the identity, and the per-file pass/fail report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from hwb import fs, log
from hwb.errors import AttestationError, HwbError

_log = log.get("attest")
PUBLISH_SUFFIX = ".publish.attestation"


class Signer(Protocol):
    """Signs one distribution; returns the attestation's JSON (pypi-attestations' model)."""

    def __call__(self, dist: Path) -> str: ...


def sigstore_signer(identity_token: str) -> Signer:
    """Sign with Sigstore's public-good instance (Fulcio certificate, Rekor entry) using the
    CI's OIDC token for the ``sigstore`` audience."""
    from pypi_attestations import Attestation, Distribution
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    context = SigningContext.from_trust_config(ClientTrustConfig.production())
    identity = IdentityToken(identity_token)

    def sign(dist: Path) -> str:
        with context.signer(identity, cache=True) as signer:
            attestation = Attestation.sign(signer, Distribution.from_file(dist))
        return str(attestation.model_dump_json())

    return sign


def make_signer(on_secret: Callable[[str], None]) -> Signer:
    """The signer ``hwb publish --attestations`` uses: Sigstore with the CI's identity for the
    ``sigstore`` audience (GitHub id-token, GitLab SIGSTORE_ID_TOKEN, Google metadata)."""
    from hwb.trust.identity import sigstore_token

    return sigstore_signer(sigstore_token(on_secret))


def sign_missing(dists: list[Path], signer_factory: Callable[[], Signer]) -> list[Path]:
    """Write ``<dist>.publish.attestation`` for every distribution that has none (existing ones
    are kept as they are: never re-signed). All signatures are made before any file is
    written, so a failure leaves no partial set. Returns the files written."""
    todo = [d for d in dists if not d.with_name(d.name + PUBLISH_SUFFIX).exists()]
    if not todo:
        return []
    try:
        signer = signer_factory()
    except HwbError:
        raise
    except Exception as exc:  # Sigstore's trust root (TUF) could not be refreshed, network
        raise AttestationError(
            f"Sigstore could not be reached to sign: {type(exc).__name__}: {exc}",
            hint="Check the job's network access to Sigstore (tuf-repo-cdn.sigstore.dev, "
            "fulcio.sigstore.dev, rekor.sigstore.dev) and rerun; or publish without "
            "attestations (--no-attestations, or attestations = false in [tool.hwb.publish]).",
        ) from None
    signed: list[tuple[Path, str]] = []
    for dist in todo:
        try:
            signed.append((dist.with_name(dist.name + PUBLISH_SUFFIX), signer(dist)))
        except HwbError:
            raise
        except Exception as exc:  # sigstore/pypi-attestations errors, network
            raise AttestationError(
                f"could not sign {dist.name}: {type(exc).__name__}: {exc}",
                hint="Signing needs the CI's OIDC identity (id-token: write / SIGSTORE_ID_TOKEN) "
                "and Sigstore's servers; pass --no-attestations to publish without.",
            ) from None
    for path, text in signed:
        fs.write_atomic(path, text)
        _log.log(log.VERBOSE, "signed %s", path.name)
    return [path for path, _ in signed]


# -- verification --------------------------------------------------------------------------------
PublisherKind = Literal["github", "gitlab", "google"]


@dataclass(frozen=True)
class Identity:
    """The publisher an attestation must come from."""

    kind: PublisherKind
    name: str  # owner/repo, namespace/project, or a service account email
    workflow: str | None = None
    environment: str | None = None

    def publisher(self) -> Any:
        from pypi_attestations import GitHubPublisher, GitLabPublisher, GooglePublisher

        if self.kind == "github":
            return GitHubPublisher(
                repository=self.name, workflow=self.workflow or "", environment=self.environment
            )
        if self.kind == "gitlab":
            return GitLabPublisher(
                repository=self.name,
                workflow_filepath=self.workflow or ".gitlab-ci.yml",
                environment=self.environment,
            )
        return GooglePublisher(email=self.name)

    def __str__(self) -> str:
        workflow = f" ({self.workflow})" if self.workflow else ""
        return f"{self.kind}:{self.name}{workflow}"

    def expected(self) -> str:
        """The expected publisher in the words of :func:`signed_by`."""
        if self.kind == "google":
            return f"`{self.name}` (Google)"
        workflow = self.workflow or (".gitlab-ci.yml" if self.kind == "gitlab" else "")
        return f"`{workflow}` in `{self.name}` ({_CI_NAMES[self.kind]})"


_CI_NAMES = {"github": "GitHub", "gitlab": "GitLab", "google": "Google"}
#: Fulcio certificate extensions (github.com/sigstore/fulcio docs/oid-info.md).
_OID_ISSUER = "1.3.6.1.4.1.57264.1.8"
_OID_SOURCE_REPOSITORY = "1.3.6.1.4.1.57264.1.12"
_OID_BUILD_CONFIG = "1.3.6.1.4.1.57264.1.18"
_ISSUERS = {
    "https://token.actions.githubusercontent.com": "GitHub",
    "https://gitlab.com": "GitLab",
    "https://accounts.google.com": "Google",
}


def _der_utf8(raw: bytes) -> str:
    """The text of a DER UTF8String (how Fulcio encodes its v2 extensions)."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return raw.decode("utf-8", "replace")
    length, start = raw[1], 2
    if length & 0x80:  # long form: the next (length & 0x7f) bytes hold the length
        count = length & 0x7F
        length, start = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    return raw[start : start + length].decode("utf-8", "replace")


def signed_by(attestation: Any) -> str:
    """Who signed an attestation, from its Fulcio certificate: "built by `release.yml@refs/tags/v1`
    in `owner/repo` (GitHub)", or "signed by `account@…` (Google)" for a service account."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(attestation.verification_material.certificate)
    except (ValueError, AttributeError):
        return "signed by an unreadable certificate"
    values: dict[str, str] = {}
    for ext in cert.extensions:
        if isinstance(ext.value, x509.UnrecognizedExtension):
            values[ext.oid.dotted_string] = _der_utf8(ext.value.value)
    issuer = values.get(_OID_ISSUER, "")
    ci = _ISSUERS.get(issuer, issuer or "unknown issuer")
    config, repository = values.get(_OID_BUILD_CONFIG), values.get(_OID_SOURCE_REPOSITORY)
    if config and repository:
        # https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1 -> release.yml@refs/...
        # https://gitlab.com/ns/p//.gitlab-ci.yml@refs/heads/main -> .gitlab-ci.yml@refs/heads/main
        path, _, ref = config.partition("@")
        prefix = repository.rstrip("/") + "/"
        workflow = path[len(prefix) :].lstrip("/") if path.startswith(prefix) else path
        workflow = workflow.removeprefix(".github/workflows/")
        where = repository.split("://", 1)[-1].split("/", 1)[-1]
        return f"built by `{workflow}@{ref}` in `{where}` ({ci})"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.RFC822Name)]
        names += [str(v) for v in san.get_values_for_type(x509.UniformResourceIdentifier)]
    except x509.ExtensionNotFound:
        names = []
    return f"signed by `{', '.join(names) or 'no identity'}` ({ci})"


@dataclass(frozen=True)
class Verdict:
    file: str
    ok: bool
    detail: str  # what verified, or why not
    attestations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "detail": self.detail,
            "attestations": self.attestations,
        }


def _attestations_for(dist: Path) -> list[tuple[str, Any]]:
    """(source file, Attestation) for a dist: ``<dist>.publish.attestation``,
    ``<dist>.slsa.attestation`` and PyPI's provenance (``<dist>.provenance``)."""
    from pypi_attestations import Attestation, Provenance

    found: list[tuple[str, Any]] = []
    for suffix in (".publish.attestation", ".slsa.attestation"):
        path = dist.with_name(dist.name + suffix)
        if path.is_file():
            found.append((path.name, Attestation.model_validate_json(path.read_bytes())))
    provenance = dist.with_name(dist.name + ".provenance")
    if provenance.is_file():
        model = Provenance.model_validate_json(provenance.read_bytes())
        for bundle in model.attestation_bundles:
            found += [(provenance.name, a) for a in bundle.attestations]
    return found


def verify_file(dist: Path, identity: Identity) -> Verdict:
    """Offline verification (Sigstore's bundled trust root): every attestation next to the
    file must be signed by ``identity`` and name this file's exact sha256."""
    import logging

    from pydantic import ValidationError
    from pypi_attestations import AttestationError as LibraryError
    from pypi_attestations import Distribution

    # Offline is what we ask for; sigstore's notice about it would only be noise.
    logging.getLogger("sigstore").setLevel(logging.ERROR)

    try:
        found = _attestations_for(dist)
    except (ValidationError, ValueError) as exc:
        return Verdict(dist.name, False, f"unreadable attestation: {str(exc).splitlines()[0]}")
    if not found:
        return Verdict(
            dist.name, False, f"no attestation ({dist.name}.publish.attestation or .provenance)"
        )
    try:
        distribution = Distribution.from_file(dist)
    except (LibraryError, ValueError) as exc:
        return Verdict(dist.name, False, f"not a distribution: {exc}")
    kinds = []
    for source, attestation in found:
        try:
            predicate_type, _ = attestation.verify(identity.publisher(), distribution, offline=True)
        except LibraryError as exc:
            why = str(exc)
            if "Certificate's" in why:  # an identity mismatch: say who signed, in words
                why = f"{signed_by(attestation)}, expected {identity.expected()}"
            return Verdict(dist.name, False, f"{source}: {why}", len(found))
        kinds.append("SLSA provenance" if "slsa.dev" in predicate_type else "publish")
    return Verdict(dist.name, True, f"{', '.join(kinds)} attestation(s) by {identity}", len(found))
