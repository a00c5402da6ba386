"""PEP 740 attestations: sign distributions with the CI's identity (Sigstore) before they are
published, and verify attestations offline against an expected publisher (``hwb verify``).

Both go through pypi-attestations (the library PyPI's own tooling uses): hwb adds the choice of
files, the identity, and the per-file pass/fail report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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
    from hwb.trust.oidc import sigstore_token

    return sigstore_signer(sigstore_token(on_secret))


def sign_missing(dists: list[Path], signer_factory: Callable[[], Signer]) -> list[Path]:
    """Write ``<dist>.publish.attestation`` for every distribution that has none (existing ones
    are kept as they are: never re-signed). All signatures are made before any file is
    written, so a failure leaves no partial set. Returns the files written."""
    todo = [d for d in dists if not d.with_name(d.name + PUBLISH_SUFFIX).exists()]
    if not todo:
        return []
    signer = signer_factory()
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
@dataclass(frozen=True)
class Identity:
    """The publisher an attestation must come from."""

    kind: str  # github | gitlab | google
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
            return Verdict(dist.name, False, f"{source}: {exc}", len(found))
        kinds.append("SLSA provenance" if "slsa.dev" in predicate_type else "publish")
    return Verdict(dist.name, True, f"{', '.join(kinds)} attestation(s) by {identity}", len(found))
