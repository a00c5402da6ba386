"""The static-index transport: publish into a folder or an S3 bucket with a generated index
(see :mod:`hwb.index`). Same ledger, skip-existing, dry-run and parallelism as the upload API."""

from __future__ import annotations

import threading
import time

from hwb import cancel
from hwb.errors import StaticIndexError
from hwb.publish.dists import Dist
from hwb.publish.ledger import CANCELLED, FAILED, PENDING, SKIPPED, Entry, attempt, log_entry
from hwb.publish.targets import Target
from hwb.settings.model import PublishSettings
from hwb.static_index.index import Staged, StaticIndex, open_store

_STORED_NOT_LISTED = "stored, but the run was cancelled before its page listed it: a rerun lists it"


def preflight(targets: list[Target]) -> None:
    """Check every folder/bucket before anything is sent: a missing bucket, refused credentials
    or an unwritable folder is one clear error, not a failure per file or a partial publish."""
    for target in targets:
        if target.kind in {"dir", "s3"}:
            store, _ = open_store(target.registry)
            try:
                store.check()
            except StaticIndexError as exc:  # say which registry: there may be several
                raise StaticIndexError(f"{target.name}: {exc.message}", hint=exc.hint) from None


class StaticIndexTransport:
    """``publish`` stores each file (in parallel, like uploads); ``finish`` then lists them all
    in the pages, once per project (so 200 files of 10 projects cost 10 page updates, not 200
    racing each other). A file counts as uploaded only once it is listed."""

    def __init__(self, target: Target, options: PublishSettings) -> None:
        self.target = target
        self.options = options
        store, slash = open_store(target.registry, connections=options.jobs)
        self.index = StaticIndex(store, pages_at_slash=slash)
        self._checked: StaticIndexError | bool = False
        self._lock = threading.Lock()
        self._staged: dict[str, tuple[Staged, float]] = {}
        #: Files with a write started (stored, maybe listed): if a cancelled run abandons one
        #: in flight, its ledger status is ``unknown``.
        self.started: set[str] = set()

    def _check(self) -> None:
        with self._lock:
            if self._checked is False:
                try:
                    self.index.store.check()
                    self._checked = True
                except StaticIndexError as exc:
                    self._checked = exc
            if isinstance(self._checked, StaticIndexError):
                raise self._checked

    def publish(self, dist: Dist) -> Entry:
        started = time.monotonic()

        def work(entry: Entry) -> None:
            cancel.check()  # a cancelled run starts no new write
            self._check()
            dist.ensure_loaded()
            entry.sha256 = dist.sha256
            assert dist.package is not None  # noqa: S101 - ensure_loaded sets it
            requires = dist.package.metadata.get("requires_python")
            self.started.add(dist.filename)
            try:
                if not self.target.registry.generate_index:
                    added = self.index.add_file_only(dist.path, dist.name, dist.sha256)
                    entry.status, entry.reason = added.status, added.note
                else:
                    staged = self.index.stage(
                        dist.path, dist.name, dist.sha256, str(requires) if requires else None
                    )
                    entry.status = PENDING
                    with self._lock:
                        self._staged[dist.filename] = (staged, started)
            except OSError as exc:
                raise StaticIndexError(
                    f"cannot write to {self.index.store.location}: {exc.strerror or exc}",
                    hint="Check the folder's permissions and free space.",
                ) from None
            entry.attempts = 1

        entry = attempt(
            dist.filename, self.target.name, self.target.url, dist.sha256, dist.size, work
        )
        if entry.status != PENDING:
            log_entry(entry)
        return entry

    def finish(self, entries: list[Entry]) -> list[Entry]:
        """Commit the pages for the files ``publish`` staged; final status for each entry."""
        pending = [e for e in entries if e.status == PENDING]
        with self._lock:
            staged = [self._staged.pop(e.file) for e in pending]
        try:
            self.index.commit([item for item, _ in staged], jobs=self.options.jobs)
        except Exception as exc:  # a bug must fail these entries, not the whole run
            for item, _ in staged:
                item.status = FAILED
                item.error = StaticIndexError(
                    f"internal error: {type(exc).__name__}: {exc}",
                    hint="This is a bug in hwb; rerun with -vv and report it.",
                )
        for entry, (item, started) in zip(pending, staged, strict=True):
            if item.status == PENDING:  # the run was cancelled before its page was written
                entry.status, entry.reason = CANCELLED, _STORED_NOT_LISTED
            elif item.error is not None:
                entry.status, entry.reason, entry.hint = FAILED, item.error.message, item.error.hint
            elif item.status == SKIPPED:
                entry.status, entry.reason = item.status, item.note or "already in the index"
            else:
                entry.status, entry.reason = item.status, item.note
            entry.seconds = round(time.monotonic() - started, 3)
            log_entry(entry)
        return entries
