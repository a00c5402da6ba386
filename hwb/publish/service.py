"""`hwb publish`: the service a command or a library user calls.

:func:`publish` runs the whole safe sequence, so calling it from Python gets the same protection
as the CLI. It reads as its phases, each a function below, in this order:

1. ``mask_environment``, ``resolve_targets``, ``mask_targets``: where to, with which credential
   (every secret handed to ``mask`` before anything could print it);
2. ``require_ci_identity``, ``preflight``: what can be known wrong before anything is read or
   sent (no CI identity for trusted publishing, untrusted CA files, unwritable static stores);
3. ``run_options``: the settings with this request's flags applied, one object to the transports;
4. ``dry_run`` returns the plan; otherwise ``send``: inspect (errors stop the run; the index
   lookups start beside it), sign missing PEP 740 attestations, mint trusted-publishing tokens
   (a refused exchange stops the run), then :func:`upload`.

A new check that must stop a run before anything is sent is a phase here, raising the right
``HwbError``; a check of one file or one request belongs to its transport.

:func:`upload` is the engine: registries are served concurrently (a thread each); within a
registry up to ``jobs`` files go up at once, every wheel of the run before any sdist (as twine
orders them). Cancelling the run (:mod:`hwb.cancel`) stops every phase: before the uploads
every file is ``cancelled``; during them no new request starts and the ledger is sealed after
the grace. The transport is chosen per target so static indexes (S3, folders) plug in
beside the upload API.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from hwb.inspect.runner import InspectOptions, Report
    from hwb.trust.oidc import RenewingCredential

from hwb import cancel, log
from hwb.errors import HwbError, InspectionFailedError, PublishFailedError, UsageError
from hwb.publish.dists import Dist, collect, lazy, load, ordered
from hwb.publish.ledger import (
    CANCELLED,
    IN_FLIGHT,
    NOT_SENT,
    UNKNOWN,
    Entry,
    Ledger,
    log_entry,
)
from hwb.publish.targets import Target, choose_names, resolve_target, url_target_name
from hwb.publish.transport import UploadApiTransport
from hwb.redaction import Mask
from hwb.settings.model import InspectSettings, PublishSettings, Registries

__all__ = ["PublishRequest", "publish", "upload"]

_log = log.get("publish")
_T = TypeVar("_T")
#: Variables whose values are secrets even when hwb does not use them itself (boto3 reads
#: the AWS ones for S3 targets).
_SECRET_ENV = ("PYPI_TOKEN", "TESTPYPI_TOKEN", "TWINE_PASSWORD")
_AWS_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_STATIC = frozenset({"dir", "s3"})  # target kinds served by the static-index transport
_IMMUTABLE_HINT = (
    "Files on an index are immutable: bump the version (hwb version bump patch); "
    "identical files are skipped."
)
#: The guide's pre-release checklist after "version not already published": each item and the
#: inspect checks it stands for (empty: every other error, the file's structure).
_README_IDS = frozenset({"HWB105", "HWB106", "HWB107"})
_LICENSE_IDS = frozenset({"HWB108", "HWB109", "HWB114", "HWB115"})
_SENSITIVE_IDS = frozenset({"HWB401", "HWB402"})
_METADATA_IDS = frozenset(f"HWB1{n:02d}" for n in range(100)) - _README_IDS - _LICENSE_IDS
_LISTED = _README_IDS | _LICENSE_IDS | _SENSITIVE_IDS | _METADATA_IDS
_CHECKLIST: tuple[tuple[str, frozenset[str]], ...] = (
    ("all required metadata present", _METADATA_IDS),
    ("README renders", _README_IDS),
    ("license file exists", _LICENSE_IDS),
    ("wheel structure valid", frozenset()),
    ("no sensitive files included", _SENSITIVE_IDS),
)


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
    verify: bool | None = None
    dry_run: bool = False


#: A dry run's verdict on one file for one registry: sent, skipped as identical, refused
#: (another file under that name), or unknowable (the index did not answer).
Verdict = Literal["upload", "skip", "conflict", "unreadable"]


@dataclass(frozen=True)
class Planned:
    """One file × registry of a dry run."""

    verdict: Verdict
    note: str = ""


@dataclass
class DryRun:
    """What a run would do: every read-only step done (inspection, index lookups, credential
    resolution, OIDC claims), nothing sent, signed or minted."""

    dists: list[Dist]
    targets: list[Target]
    options: PublishSettings
    inspected: bool
    sign: bool
    #: target name -> the OIDC token's claims (what to enter in the trusted-publisher form).
    claims: dict[str, dict[str, object]] = field(default_factory=dict)
    #: the inspection's report (an ``inspect.runner.Report``; None with --no-inspect).
    report: Report | None = None
    #: target name -> file name -> what the real run would do with it.
    plan: dict[str, dict[str, Planned]] = field(default_factory=dict)

    def count(self, verdict: Verdict) -> int:
        return sum(
            1 for files in self.plan.values() for p in files.values() if p.verdict == verdict
        )

    def checklist(self) -> list[tuple[bool, str, str]]:
        """The guide's pre-release checklist: (passed, item, why not)."""
        taken = self.count("conflict") + self.count("unreadable")
        looked = bool(self.plan) or not self.targets
        why = (
            f"{self.count('conflict')} conflict(s), {self.count('unreadable')} not checked"
            if looked
            else "not checked: the inspection failed first"
        )
        items = [(looked and taken == 0, "version not already published", why)]
        if self.report is None:
            return items
        errors = {
            f.id for r in self.report.files for f in r.findings if f.severity.value == "error"
        }
        for label, ids in _CHECKLIST:
            failed = sorted(errors & ids) if ids else sorted(e for e in errors if e not in _LISTED)
            items.append((not failed, label, ", ".join(failed)))
        return items

    def problem(self) -> HwbError | None:
        """Why the real run would fail, or None: inspection errors, then index conflicts."""
        if self.report is not None and not self.report.passed:
            return _inspection_failed(self.report)
        if self.count("conflict") or self.count("unreadable"):
            return PublishFailedError(
                f"{self.count('conflict')} file(s) already on the index with other content, "
                f"{self.count('unreadable')} the index could not tell: the real run would fail",
                hint=_IMMUTABLE_HINT,
            )
        return None


@dataclass
class Published:
    ledger: Ledger
    signed: list[Path] = field(default_factory=list)
    #: static targets' index URLs (``cdn-url``'s when set), for the install command shown.
    indexes: dict[str, str] = field(default_factory=dict)


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


def wants_attestations(
    flag: bool | None,
    targets: list[Target],
    environ: Mapping[str, str],
    setting: bool | None = None,
) -> bool:
    """The flag, else ``[tool.hwb.publish] attestations``, else ("auto") on when
    trusted-publishing to PyPI/TestPyPI (as PyPI's action) in a job that has a Sigstore
    identity. Without one (the guide's GitLab job declares only PYPI_ID_TOKEN) the files are
    published unsigned, with one warning showing the YAML that would enable signing."""
    if flag is not None:
        return flag
    if setting is not None:
        return setting
    if not any(t.trusted and t.public for t in targets):
        return False
    from hwb import ci

    if ci.sigstore_identity(environ):
        return True
    if environ.get("GITLAB_CI"):
        from hwb.trust.identity import GITLAB_YAML

        yaml = GITLAB_YAML.format(var="SIGSTORE_ID_TOKEN", aud="sigstore")
        missing = "a SIGSTORE_ID_TOKEN id_token (aud: sigstore)"
    else:
        from hwb.trust.identity import GITHUB_YAML

        yaml, missing = GITHUB_YAML, "the id-token: write permission"
    _log.warning(
        "publishing without PEP 740 attestations: this job has no Sigstore identity "
        "(%s). To sign, add to the job:\n%s\n(or set attestations = false in "
        "[tool.hwb.publish] to silence this)",
        missing,
        yaml,
    )
    return False


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
    rules: InspectSettings | None = None,
) -> Published | DryRun:
    """Publish safely (see the module docstring); a dry run returns the plan instead.
    ``on_plan(files, bytes)`` is told what the uploads will send (for a progress display),
    ``on_entry`` each file's outcome; ``rules`` are ``[tool.hwb.inspect]``'s (ignored IDs,
    allowed sensitive paths, strict), which the inspection before the upload follows as
    ``hwb inspect`` does.

    Raises :class:`InspectionFailedError` (with ``.report``) when inspection finds errors."""
    mask_environment(environ, mask)
    targets = resolve_targets(request, settings, registries, environ)
    mask_targets(targets, environ, mask)
    require_ci_identity(targets, environ)
    paths = collect(list(request.files) or [request.project / "dist"])
    preflight(targets)
    options = run_options(request, settings)
    sign = wants_attestations(request.attestations, targets, environ, settings.attestations)
    public = any(t.public for t in targets)
    checks = _checks(rules or InspectSettings(), public) if options.inspect else None
    if request.dry_run:
        return dry_run(paths, targets, options, sign, mask, checks)
    return send(paths, targets, options, sign, mask, on_entry, on_plan, checks)


# -- the phases, in the order publish() runs them -------------------------------------------------
def mask_environment(environ: Mapping[str, str], mask: Mask) -> None:
    """Other tools' secrets, masked before anything (resolving the targets included) runs."""
    for name in _SECRET_ENV:
        mask(environ.get(name, ""))


def mask_targets(targets: list[Target], environ: Mapping[str, str], mask: Mask) -> None:
    """Every credential a target carries, and those boto3 reads itself for S3 targets."""
    for target in targets:
        mask(target.password or "", target.username)
        if target.index_auth:
            mask(target.index_auth[1], target.index_auth[0])
        if target.kind == "s3":  # boto3 reads these itself; they must never show either
            for name in _AWS_SECRET_ENV:
                mask(environ.get(name, ""))


def require_ci_identity(targets: list[Target], environ: Mapping[str, str]) -> None:
    """Trusted publishing without a CI identity stops here: before signing or inspecting,
    since nothing could be sent."""
    if not any(t.trusted for t in targets):
        return
    from hwb import ci

    if not ci.has_identity(environ):
        from hwb.errors import TrustedPublishingError
        from hwb.publish.targets import token_variable

        names = " / ".join(dict.fromkeys(token_variable(t.name) for t in targets if t.trusted))
        raise TrustedPublishingError(
            "trusted publishing needs a CI identity (GitHub Actions, GitLab CI, Google Cloud "
            "Build) and none was found here",
            hint=f"Run in one of those CIs, or set {names} (an API token) instead.",
        )


def preflight(targets: list[Target]) -> None:
    """What can be known wrong before anything is read or sent: a CA variable naming a missing
    or empty file (exit 3), a static store that cannot be written."""
    if any(u.lower().startswith("https:") for t in targets for u in (t.url, t.index_url or "")):
        from hwb import tls

        tls.context()
    if any(t.kind in _STATIC for t in targets):
        from hwb.publish import static

        static.preflight(targets)


def run_options(request: PublishRequest, settings: PublishSettings) -> PublishSettings:
    """One options object from the settings to the transports: the settings, with this
    request's flags applied."""
    skip = settings.skip_existing if request.skip_existing is None else request.skip_existing
    inspect = settings.inspect if request.inspect is None else request.inspect
    verify = settings.verify if request.verify is None else request.verify
    return dataclasses.replace(
        settings,
        skip_existing=skip,
        jobs=request.jobs or settings.jobs,
        inspect=inspect,
        verify=verify,
    )


def dry_run(
    paths: list[Path],
    targets: list[Target],
    options: PublishSettings,
    sign: bool,
    mask: Mask,
    checks: InspectOptions | None,
) -> DryRun:
    """What the run would do: inspected as for real (the report kept, not raised: the caller
    shows the checklist first, then ``DryRun.problem()``), the OIDC claims of trusted targets
    (what to enter in the publisher form) and each file's fate from the index lookups;
    nothing is signed, minted or sent."""
    report = None
    if checks is not None:
        report = inspection(paths, checks)
    claims = {t.name: trusted_credential(t, mask).claims() for t in targets if t.trusted}
    dists = [load(p) for p in paths]
    plan: dict[str, dict[str, Planned]] = {}
    if report is None or report.passed:  # the real run stops at failed inspection: so here
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
            plans = list(pool.map(lambda t: _plan(t, dists, options), targets))
        plan = {t.name: p for t, p in zip(targets, plans, strict=True)}
    return DryRun(dists, targets, options, options.inspect, sign, claims, report, plan)


def _plan(target: Target, dists: list[Dist], options: PublishSettings) -> dict[str, Planned]:
    """Each file's fate on ``target``, from the same reads the real run makes first."""
    if target.kind in _STATIC:
        from hwb.static_index.index import StaticIndex, open_store

        store, slash = open_store(target.registry)
        index = StaticIndex(store, pages_at_slash=slash)
        presence = {d.filename: index.presence(d.name, d.filename, d.sha256) for d in dists}
    else:
        from hwb.publish.lookups import Listings

        listings = Listings(target, options)  # anonymous for a trusted target: nothing minted
        listings.prefetch(_projects(dists))
        presence = {d.filename: listings.lookup(d, fresh=False) for d in dists}
    verdicts: dict[str, Planned] = {
        "same": Planned("skip", "already there, identical"),
        "different": Planned("conflict", f"exists on {target.name} with different content"),
        "unreadable": Planned("unreadable", "the index could not be read: the real run stops"),
        "unconfirmed": Planned("upload", "no index to check against, or it lists no hash"),
        "absent": Planned("upload"),
    }
    return {name: verdicts[p] for name, p in presence.items()}


def send(
    paths: list[Path],
    targets: list[Target],
    options: PublishSettings,
    sign: bool,
    mask: Mask,
    on_entry: Callable[[Entry], None] | None,
    on_plan: Callable[[int, int], None] | None,
    checks: InspectOptions | None,
) -> Published:
    """Inspect (the index lookups start beside it), sign, mint, then upload: no file is sent
    before all of those passed."""
    dists = [lazy(p) for p in paths]  # metadata and hashes are read in the upload workers
    early: dict[str, UploadApiTransport] = {}
    try:
        cancel.check()  # each phase starts only if the run was not cancelled meanwhile
        _inspect_looking_ahead(paths, targets, options, checks, dists, early)
        cancel.check()
        signed = _sign(paths, mask) if sign else []
        cancel.check()
        targets = _mint(targets, mask)
        cancel.check()
        if on_plan is not None:
            on_plan(len(dists) * len(targets), sum(d.size for d in dists) * len(targets))
        ledger = upload(dists, targets, options, on_entry, early)
        indexes = {t.name: t.index_url for t in targets if t.kind in _STATIC and t.index_url}
        return Published(ledger, signed, indexes)
    except (KeyboardInterrupt, cancel.Cancelled):
        if not cancel.requested():
            raise
        return Published(cancelled_before_upload(dists, targets))  # nothing was sent
    finally:
        for transport in early.values():
            transport.close()


def _inspect_looking_ahead(
    paths: list[Path],
    targets: list[Target],
    options: PublishSettings,
    checks: InspectOptions | None,
    dists: list[Dist],
    early: dict[str, UploadApiTransport],
) -> None:
    """The inspection (errors stop the run), with the index lookups (reads) started beside it
    once its workers are forked, into ``early``. Trusted targets look up once their token is
    minted."""

    def look_ahead() -> None:
        workers = _lookup_workers(options)
        for t in targets:
            if t.kind not in _STATIC and not t.trusted:
                early[t.name] = UploadApiTransport(t, options).look_ahead(_projects(dists), workers)

    if checks is not None:
        inspect_before_upload(paths, checks, on_started=look_ahead)
    else:
        look_ahead()


def _sign(paths: list[Path], mask: Mask) -> list[Path]:
    """PEP 740 attestations for the files that have none; the ones signed."""
    from hwb.trust import pep740

    signed = pep740.sign_missing(paths, lambda: pep740.make_signer(mask))
    _log.log(log.VERBOSE, "signed %d distribution(s) (PEP 740)", len(signed))
    return signed


def _mint(targets: list[Target], mask: Mask) -> list[Target]:
    """Every trusted target's token minted now, so a refused exchange stops the run before any
    file is sent (exit 16); renewals happen in the uploads."""
    return [_with_minted_credential(t, mask) if t.trusted else t for t in targets]


def _projects(dists: list[Dist]) -> list[str]:
    """Project names in the order their files go up (wheels first)."""
    wheels, sdists = ordered(dists)
    return list(dict.fromkeys(d.name for d in [*wheels, *sdists]))


def _lookup_workers(options: PublishSettings) -> int:
    """As many lookups in flight as uploads: started during the inspection they keep ahead of
    the uploads (twice as many measured no faster, and small registries queue connections)."""
    return max(1, options.jobs)


def _checks(rules: InspectSettings, public: bool) -> InspectOptions:
    """The inspection's options: every group but the version check (the uploads' own lookups
    do that), with the project's ignored IDs, allowed sensitive paths and strictness."""
    from hwb.inspect.runner import inspect_options

    groups = frozenset({"metadata", "wheel", "sdist", "sensitive"})
    options = inspect_options(dataclasses.replace(rules, index_url=""), groups=groups)
    return dataclasses.replace(options, public_index=public)


def inspection(
    paths: list[Path], checks: InspectOptions, on_started: Callable[[], None] | None = None
) -> Report:
    from hwb.inspect.runner import inspect_paths

    return inspect_paths(paths, checks, on_started=on_started)


def inspect_before_upload(
    paths: list[Path], checks: InspectOptions, on_started: Callable[[], None] | None = None
) -> None:
    report = inspection(paths, checks, on_started)
    if not report.passed:
        raise _inspection_failed(report)


def _inspection_failed(report: Report) -> InspectionFailedError:
    from hwb.inspect.catalogue import Severity

    return InspectionFailedError(
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
    started: Mapping[str, UploadApiTransport] | None = None,
) -> Ledger:
    """Upload to every target, exactly once per file (no safety checks: see :func:`publish`).
    ``started`` are upload-API transports whose lookups are already under way, per target
    name (see :func:`publish`); each transport is closed when its target is done.

    Cancellable (:mod:`hwb.cancel`): once the run is cancelled no worker takes another file and
    no transport starts another request; requests in flight get ``cancel.GRACE`` seconds, then
    the ledger is sealed with every other file ``cancelled`` (never sent) or ``unknown`` (a
    request that may have delivered it was still in flight). The workers are daemon threads,
    so an abandoned request holds up neither this function nor the exit."""
    ledger = Ledger()
    flights: dict[str, Callable[[], set[str]]] = {}  # target -> files with a write started

    def record(entry: Entry) -> None:
        if ledger.add(entry) and on_entry is not None:
            on_entry(entry)

    def serve(target: Target) -> None:
        if target.kind in _STATIC:
            _serve_static(target, dists, options, record, flights)
            return
        api = (started or {}).get(target.name)
        if api is None or api.target is not target:  # e.g. a minted credential
            api = UploadApiTransport(target, options).look_ahead(
                _projects(dists), _lookup_workers(options)
            )
        flights[target.name] = lambda: set(api.posted)
        try:
            _serve_upload_api(api, dists, options, record)
        finally:
            api.close()

    with cancel.deferred():  # a signal now only sets the flag: the loop below polls it
        threads = [_daemon(serve, t) for t in targets]
        _wait_cancellable(threads)
        if cancel.requested():
            _seal_cancelled(ledger, dists, targets, flights, record)
    return ledger


def _daemon(fn: Callable[[_T], object], arg: _T) -> threading.Thread:
    thread = threading.Thread(target=fn, args=(arg,), name="hwb-publish", daemon=True)
    thread.start()
    return thread


def _wait_cancellable(threads: list[threading.Thread]) -> None:
    """Until every thread ended, or the run was cancelled and the grace is over."""
    while any(t.is_alive() for t in threads):
        if cancel.requested() and cancel.since() >= cancel.GRACE:
            return
        for thread in threads:
            thread.join(0.05)


def _seal_cancelled(
    ledger: Ledger,
    dists: list[Dist],
    targets: list[Target],
    flights: Mapping[str, Callable[[], set[str]]],
    record: Callable[[Entry], None],
) -> None:
    """A cancelled run's ledger: every file not recorded yet is ``unknown`` when a write of it
    had started, else ``cancelled``; then nothing more is added (late workers are abandoned)."""
    ledger.interrupted = True
    done = ledger.recorded()
    for target in targets:
        flying = flights[target.name]() if target.name in flights else set()
        for dist in dists:
            if (target.name, dist.filename) in done:
                continue
            landing = dist.filename in flying
            entry = Entry(dist.filename, target.name, UNKNOWN if landing else CANCELLED,
                          dist.sha256, dist.size, url=target.url,
                          reason=IN_FLIGHT if landing else NOT_SENT)  # fmt: skip
            log_entry(entry)
            record(entry)
    ledger.seal()


def cancelled_before_upload(dists: list[Dist], targets: list[Target]) -> Ledger:
    """The ledger of a run cancelled before its first upload: every file ``cancelled``."""
    ledger = Ledger(interrupted=True)
    for target in targets:
        for dist in dists:
            ledger.add(Entry(dist.filename, target.name, CANCELLED, dist.sha256, dist.size,
                             url=target.url, reason=NOT_SENT))  # fmt: skip
    ledger.seal()
    return ledger


def _each(items: list[Dist], fn: Callable[[Dist], Entry], workers: int) -> list[Entry]:
    """``fn`` over ``items`` on up to ``workers`` daemon threads; once the run is cancelled no
    worker takes another item. The entries of the items done (in no set order)."""
    todo: queue.SimpleQueue[Dist] = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    results: list[Entry] = []

    def work(_: int) -> None:
        while not cancel.requested():
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            results.append(fn(item))  # list.append is atomic

    for thread in [_daemon(work, i) for i in range(max(1, min(workers, len(items))))]:
        thread.join()
    return results


def _serve_upload_api(
    api: UploadApiTransport,
    dists: list[Dist],
    options: PublishSettings,
    record: Callable[[Entry], None],
) -> None:
    """Every wheel, then every sdist, up to ``jobs`` files at once, each recorded as it ends;
    unless ``verify`` is off, each project's uploads confirmed on the index once its last file
    is done (:mod:`hwb.publish.verify`; the entries recorded already are updated in place). A
    cancelled run verifies nothing more (it starts no new request)."""
    from hwb.publish.verify import Verifier

    verifier = Verifier(api, dists if options.verify else [])  # [] : nothing to verify

    def one(dist: Dist) -> Entry:
        entry = api.publish(dist)
        record(entry)
        if not cancel.requested():
            verifier.done(dist, entry)
        return entry

    try:
        for phase in ordered(dists):
            if phase and not cancel.requested():
                _each(phase, one, options.jobs)
    finally:
        verifier.finish()


def _serve_static(
    target: Target,
    dists: list[Dist],
    options: PublishSettings,
    record: Callable[[Entry], None],
    flights: dict[str, Callable[[], set[str]]],
) -> None:
    """Every wheel, then every sdist, stored up to ``jobs`` at once; then the pages, once per
    project."""
    from hwb.publish.static import StaticIndexTransport

    static = StaticIndexTransport(target, options)
    flights[target.name] = lambda: set(static.started)
    for phase in ordered(dists):
        if phase and not cancel.requested():
            for entry in static.finish(_each(phase, static.publish, options.jobs)):
                record(entry)
