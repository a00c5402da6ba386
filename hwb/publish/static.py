"""The static-index transport: publish into a folder or an S3 bucket with a generated index
(see :mod:`hwb.index`). Same ledger, skip-existing, dry-run and parallelism as the upload API."""

from __future__ import annotations

import threading
import time

from hwb import log
from hwb.errors import HwbError
from hwb.index import IndexError_, StaticIndex, StoreError, open_store
from hwb.index.pages import CorruptPage
from hwb.publish.dists import Dist
from hwb.publish.ledger import FAILED, Entry
from hwb.publish.targets import Target
from hwb.publish.transport import Settings

_log = log.get("publish")


def preflight(targets: list[Target]) -> None:
    """Check every folder/bucket before anything is sent: a missing bucket, refused credentials
    or an unwritable folder is one clear error, not a failure per file or a partial publish."""
    from hwb.errors import PublishFailedError

    for target in targets:
        if target.kind in {"dir", "s3"}:
            store, _ = open_store(dict(target.options))
            try:
                store.check()
            except StoreError as exc:
                raise PublishFailedError(f"{target.name}: {exc.message}", hint=exc.hint) from None


class StaticIndexTransport:
    def __init__(self, target: Target, settings: Settings) -> None:
        self.target = target
        self.settings = settings
        store, slash = open_store(dict(target.options))
        self.index = StaticIndex(store, pages_at_slash=slash)
        self._checked: StoreError | bool = False
        self._lock = threading.Lock()

    def _check(self) -> None:
        with self._lock:
            if self._checked is False:
                try:
                    self.index.store.check()
                    self._checked = True
                except StoreError as exc:
                    self._checked = exc
            if isinstance(self._checked, StoreError):
                raise self._checked

    def publish(self, dist: Dist) -> Entry:
        started = time.monotonic()
        entry = Entry(
            dist.filename, self.target.name, FAILED, dist.sha256, dist.size, url=self.target.url
        )
        try:
            self._check()
            dist.ensure_loaded()
            entry.sha256 = dist.sha256
            assert dist.package is not None  # noqa: S101 - ensure_loaded sets it
            requires = dist.package.metadata.get("requires_python")
            if self.target.options.get("generate-index", True) is False:
                added = self.index.add_file_only(dist.path, dist.name, dist.sha256)
            else:
                added = self.index.add(
                    dist.path, dist.name, dist.sha256, str(requires) if requires else None
                )
            entry.status, entry.reason = added.status, added.note
            entry.attempts = 1
        except (StoreError, IndexError_) as exc:
            entry.reason, entry.hint = exc.message, exc.hint
        except CorruptPage as exc:
            entry.reason = str(exc)
            entry.hint = "Nothing was written over it; run hwb index rebuild REGISTRY."
        except HwbError as exc:
            entry.reason, entry.hint = exc.message, exc.hint
        except OSError as exc:
            entry.reason = f"cannot write to {self.index.store.location}: {exc.strerror or exc}"
            entry.hint = "Check the folder's permissions and free space."
        except Exception as exc:  # a bug must fail one entry, not the whole run
            entry.reason = f"internal error: {type(exc).__name__}: {exc}"
            entry.hint = "This is a bug in hwb; rerun with -vv and report it."
        entry.seconds = round(time.monotonic() - started, 3)
        level = log.VERBOSE if entry.status != FAILED else 30
        _log.log(
            level,
            "%s %s -> %s%s",
            entry.status,
            dist.filename,
            self.target.name,
            f": {entry.reason}" if entry.reason else "",
        )
        return entry
