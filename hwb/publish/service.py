"""`hwb publish`: the service a command or a library user calls.

:func:`publish` does the whole safe sequence, so calling it from Python gets the same
protection as the CLI: resolve the targets and their credentials (every secret handed to
``mask`` before anything could print it), check every static store can be written, inspect
the files (errors stop the run before anything is sent), sign missing PEP 740 attestations,
mint trusted-publishing tokens (a refused exchange stops the run before any upload), then
upload with :func:`upload`.

:func:`upload` is the engine: registries are served concurrently (a thread each); within a
registry up to ``jobs`` files go up at once, every wheel of the run before any sdist (as twine
orders them). The transport is chosen per target so static indexes (S3, folders) plug in
beside the upload API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hwb.trust.oidc import RenewingCredential

from hwb import log
from hwb.errors import InspectionFailedError, UsageError
from hwb.publish.dists import Dist, collect, lazy, load, ordered
from hwb.publish.ledger import Entry, Ledger
from hwb.publish.targets import Target, choose_names, resolve_target, url_target_name
from hwb.publish.transport import Lookahead, UploadApiTransport
from hwb.redaction import Mask
from hwb.settings.model import PublishSettings, Registries

__all__ = ["PublishRequest", "publish", "upload"]

_log = log.get("publish")
#: Variables whose values are secrets even when hwb does not use them itself (boto3 reads
#: the AWS ones for S3 targets).
_SECRET_ENV = ("PYPI_TOKEN", "TESTPYPI_TOKEN", "TWINE_PASSWORD")
_AWS_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class PublishRequest:
    """What to publish where: the command line's options, ``None`` where not given."""

    files: tuple[Path, ...] = ()
    project: Path = Path()
    repositories: tuple[str, ...] = ()
    url: str | None = None
    use_all: bool = False
    test: bool = False
    token: str | None = None
    username: str | None = None
    password: str | None = None
    trusted_publisher: bool = False
    attestations: bool | None = None
    skip_existing: bool | None = None
    jobs: int | None = None
    inspect: bool | None = None
    dry_run: bool = False


@dataclass
class DryRun:
    """What a run would do; nothing was sent or signed."""

    dists: list[Dist]
    targets: list[Target]
    options: PublishSettings
    inspected: bool
    sign: bool
    #: target name -> the OIDC token's claims (what to enter in the trusted-publisher form).
    claims: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass
class Published:
    ledger: Ledger
    signed: list[Path] = field(default_factory=list)


def resolve_targets(
    request: PublishRequest, settings: PublishSettings, registries: Registries,
    environ: Mapping[str, str],
) -> list[Target]:  # fmt: skip
    if request.url is not None and (request.repositories or request.use_all or request.test):
        raise UsageError(
            "--url names one registry: do not combine it with --repository/--all/--test"
        )
    if request.use_all and request.test:
        raise UsageError("--all and --test contradict each other")
    if request.repositories and (request.use_all or request.test):
        flag = "--all" if request.use_all else "--test"
        raise UsageError(
            f"{flag} chooses the registries itself: do not combine it with --repository",
            hint=f"Use either {flag} or --repository NAME.",
        )
    if request.token and request.trusted_publisher:
        raise UsageError("--token and --trusted-publisher contradict each other: choose one")
    if request.token and request.password:
        raise UsageError("--token and --password contradict each other: choose one")
    if request.password and request.trusted_publisher:
        raise UsageError("--password and --trusted-publisher contradict each other: choose one")
    creds = {"username": request.username, "password": request.password}
    trusted = request.trusted_publisher
    if request.url is not None:
        host = url_target_name(request.url)
        return [
            resolve_target(host, registries, environ, request.token, url=request.url,
                           trusted=trusted, **creds)
        ]  # fmt: skip
    names = choose_names(request.repositories, request.use_all, request.test, settings)
    return [
        resolve_target(n, registries, environ, request.token, trusted=trusted, **creds)
        for n in names
    ]


def wants_attestations(flag: bool | None, targets: list[Target]) -> bool:
    """Explicit flag, else on when trusted-publishing to PyPI/TestPyPI (as PyPI's action)."""
    if flag is not None:
        return flag
    return any(t.trusted and t.public for t in targets)


def trusted_credential(target: Target, mask: Callable[[str], None]) -> RenewingCredential:
    """The renewing credential for a trusted-publishing target (PyPI-style or a registry's
    own OIDC exchange)."""
    from hwb.trust.oidc import RegistryOidcCredential, TrustedCredential

    if target.registry.oidc is not None:
        return RegistryOidcCredential(
            target.name, target.registry.oidc, target.username or "", target.url, mask
        )
    return TrustedCredential(target.url, mask)


def publish(
    request: PublishRequest,
    settings: PublishSettings,
    registries: Registries,
    environ: Mapping[str, str],
    mask: Mask,
    on_entry: Callable[[Entry], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> Published | DryRun:
    """Publish safely (see the module docstring); a dry run returns the plan instead.
    ``on_plan(files, bytes)`` is told what the uploads will send (for a progress display),
    ``on_entry`` each file's outcome.

    Raises :class:`InspectionFailedError` (with ``.report``) when inspection finds errors."""
    for name in _SECRET_ENV:
        mask(environ.get(name, ""))
    targets = resolve_targets(request, settings, registries, environ)
    for target in targets:
        mask(target.password or "", target.username)
        if target.index_auth:
            mask(target.index_auth[1], target.index_auth[0])
        if target.kind == "s3":  # boto3 reads these itself; they must never show either
            for name in _AWS_SECRET_ENV:
                mask(environ.get(name, ""))

    if any(t.trusted for t in targets):
        from hwb import ci

        if not ci.has_identity(environ):  # before signing or inspecting: nothing could be sent
            from hwb.errors import TrustedPublishingError

            raise TrustedPublishingError(
                "trusted publishing needs a CI identity (GitHub Actions, GitLab CI, Google Cloud "
                "Build) and none was found here",
                hint="Run in one of those CIs, or set PYPI_TOKEN (an API token) instead.",
            )
    paths = collect(list(request.files) or [request.project / "dist"])
    if any(u.lower().startswith("https:") for t in targets for u in (t.url, t.index_url or "")):
        from hwb import tls

        tls.context()  # a CA variable naming a missing or empty file: exit 3, nothing done
    if any(t.kind in {"dir", "s3"} for t in targets):
        from hwb.publish.static import preflight

        preflight(targets)
    inspect_first = settings.inspect if request.inspect is None else request.inspect
    sign = wants_attestations(request.attestations, targets)
    skip = settings.skip_existing if request.skip_existing is None else request.skip_existing
    # One options object from the settings to the transports: the settings, with this
    # request's flags applied.
    options = dataclasses.replace(
        settings, skip_existing=skip, jobs=request.jobs or settings.jobs, inspect=inspect_first
    )
    if request.dry_run:
        if inspect_first:
            inspect_before_upload(paths, public=any(t.public for t in targets))
        claims = {t.name: trusted_credential(t, mask).claims() for t in targets if t.trusted}
        return DryRun([load(p) for p in paths], targets, options, inspect_first, sign, claims)

    # Metadata and hashes are read in the upload workers.
    dists = [lazy(p) for p in paths]
    # The index lookups (reads) start beside the inspection (once its workers are forked),
    # signing and minting; no file is sent before those pass. Trusted targets look up once
    # their token is minted.
    early: dict[str, Lookahead] = {}

    def look_ahead() -> None:
        workers = _lookup_workers(options)
        for t in targets:
            if t.kind not in {"dir", "s3"} and not t.trusted:
                early[t.name] = UploadApiTransport(t, options).lookahead(_projects(dists), workers)

    try:
        if inspect_first:
            inspect_before_upload(
                paths, public=any(t.public for t in targets), on_started=look_ahead
            )
        else:
            look_ahead()
        signed: list[Path] = []
        if sign:
            from hwb.trust import pep740

            signed = pep740.sign_missing(paths, lambda: pep740.make_signer(mask))
            _log.log(log.VERBOSE, "signed %d distribution(s) (PEP 740)", len(signed))
        # Trusted publishing: mint every token now, so a refused exchange stops the run before
        # any file is sent (exit 16); renewals happen in the uploads.
        targets = [_with_minted_credential(t, mask) if t.trusted else t for t in targets]
        if on_plan is not None:
            on_plan(len(dists) * len(targets), sum(d.size for d in dists) * len(targets))
        return Published(upload(dists, targets, options, on_entry, early), signed)
    finally:
        for lookahead in early.values():
            lookahead.close()


def _projects(dists: list[Dist]) -> list[str]:
    """Project names in the order their files go up (wheels first)."""
    wheels, sdists = ordered(dists)
    return list(dict.fromkeys(d.name for d in [*wheels, *sdists]))


def _lookup_workers(options: PublishSettings) -> int:
    """As many lookups in flight as uploads: started during the inspection they keep ahead of
    the uploads (twice as many measured no faster, and small registries queue connections)."""
    return max(1, options.jobs)


def inspect_before_upload(
    paths: list[Path], public: bool, on_started: Callable[[], None] | None = None
) -> None:
    from hwb.inspect.catalogue import Severity
    from hwb.inspect.runner import InspectOptions, inspect_paths

    groups = frozenset({"metadata", "wheel", "sdist", "sensitive"})
    options = InspectOptions(groups=groups, public_index=public)
    report = inspect_paths(paths, options, on_started=on_started)
    if not report.passed:
        raise InspectionFailedError(
            f"hwb inspect found {report.count(Severity.ERROR)} error(s): nothing was uploaded",
            report=report,
            hint="Fix them (hwb inspect shows details), or pass --no-inspect to publish anyway.",
        )


def _with_minted_credential(target: Target, mask: Callable[[str], None]) -> Target:
    credential = trusted_credential(target, mask)
    credential.password()
    username = getattr(credential, "username", "") or "__token__"
    return dataclasses.replace(target, username=username, credential=credential.password)


def upload(
    dists: list[Dist],
    targets: list[Target],
    options: PublishSettings,
    on_entry: Callable[[Entry], None] | None = None,
    lookaheads: Mapping[str, Lookahead] | None = None,
) -> Ledger:
    """Upload to every target, exactly once per file (no safety checks: see :func:`publish`).
    ``lookaheads`` are lookups already under way, per target name (see :func:`publish`)."""
    ledger = Ledger()

    def record(entry: Entry) -> None:
        ledger.add(entry)
        if on_entry is not None:
            on_entry(entry)

    jobs = max(1, options.jobs)

    def serve(target: Target) -> None:
        if target.kind in {"dir", "s3"}:
            from hwb.publish.static import StaticIndexTransport

            static = StaticIndexTransport(target, options)
            for phase in ordered(dists):
                if phase:
                    with ThreadPoolExecutor(max_workers=jobs) as pool:
                        entries = list(pool.map(static.publish, phase))
                    for entry in static.finish(entries):  # pages, once per project
                        record(entry)
            return
        ahead = (lookaheads or {}).get(target.name)
        if ahead is None or ahead.transport.target is not target:  # e.g. a minted credential
            ahead = UploadApiTransport(target, options).lookahead(
                _projects(dists), _lookup_workers(options)
            )
        try:
            for phase in ordered(dists):
                if phase:
                    with ThreadPoolExecutor(max_workers=jobs) as pool:
                        for entry in pool.map(ahead.transport.publish, phase):
                            record(entry)
        finally:
            ahead.close()

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        list(pool.map(serve, targets))
    return ledger
