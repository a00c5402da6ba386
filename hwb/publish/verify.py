"""Verified delivery: after a registry's uploads, read each project's listing again and confirm
every file this run uploaded by its sha256.

A 200 answer says the registry accepted the request, not that it stored the file: some answer
200 and store nothing, or store it cut short (pip then fails on the wheel, and a rerun can only
refuse it as "different content"). hwb already reads the index, so it looks:

- listed with the sha256 sent: ``verified`` (the ledger shows ``uploaded (verified)``);
- absent: known not to be there, so sent again (up to ``retries`` rounds), then looked for again;
- listed with another sha256: the registry corrupted it: a failure naming the registry;
- not readable, or listed without a hash: ``uploaded`` as before, the reason saying why it was
  not verified.

One fresh listing per project (the lookups' own retries apply), read as soon as the project's
last file is done, beside the uploads of the others; ``jobs`` projects at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from hwb import log
from hwb.publish.answers import LOOKUP_BACKOFF_CAP, backoff
from hwb.publish.dists import Dist
from hwb.publish.ledger import FAILED, UPLOADED, Entry
from hwb.publish.transport import UploadApiTransport

_log = log.get("publish")
_CORRUPTED_HINT = (
    "The registry stored other bytes than hwb sent (a proxy or storage fault). Ask its admins to "
    "delete the file; files on an index are immutable, so until then bump the version."
)
_NEVER_STORED_HINT = (
    "The registry answers uploads with success without storing them; ask its admins, then run "
    "the same command again (it resumes)."
)


class Verifier:
    """Verified delivery beside the uploads: each project is verified as soon as its last file
    is done (so its lookup overlaps the uploads of later projects), ``jobs`` at once;
    :meth:`finish` waits for the rest. Entries are updated in place. Nothing to do without an
    index."""

    def __init__(self, api: UploadApiTransport, dists: list[Dist]) -> None:
        self.api = api
        self._left = Counter(d.name for d in dists)  # files of each project not done yet
        self._done: dict[str, list[tuple[Dist, Entry]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        if api.target.index_url and dists:
            self._pool = ThreadPoolExecutor(
                max_workers=max(1, api.options.jobs), thread_name_prefix="hwb-verify"
            )

    def done(self, dist: Dist, entry: Entry) -> None:
        """One file's upload is over (whatever its outcome)."""
        if self._pool is None:
            return
        with self._lock:
            self._done[dist.name].append((dist, entry))
            self._left[dist.name] -= 1
            if self._left[dist.name]:
                return
            uploaded = [(d, e) for d, e in self._done.pop(dist.name) if e.status == UPLOADED]
        if uploaded:
            self._pool.submit(_verify_safely, self.api, uploaded)

    def finish(self) -> None:
        """Wait for every verification started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _verify_safely(api: UploadApiTransport, files: list[tuple[Dist, Entry]]) -> None:
    """A bug here must not fail the run: its files stay uploaded, not verified, and say why."""
    try:
        _verify_project(api, files)
    except Exception as exc:
        _log.debug("verification failed", exc_info=True)
        for _, entry in files:
            if not entry.verified:
                _note(entry, f"not verified: internal error {type(exc).__name__}: {exc}")


def _verify_project(api: UploadApiTransport, files: list[tuple[Dist, Entry]]) -> None:
    project = files[0][0].name
    unsure = list(files)
    for round_ in range(api.options.retries + 1):
        if round_:  # an index may list a file a moment after it was stored
            time.sleep(backoff(round_, LOOKUP_BACKOFF_CAP))
        listing = api.listings.fresh(project)
        if listing is None:
            why = api.listings.last_error(project)
            for _, entry in unsure:
                _note(entry, f"not verified: the index could not be read after the upload ({why})")
            return
        listed = {f.filename: f.sha256 for f in listing}
        missing: list[tuple[Dist, Entry]] = []
        for dist, entry in unsure:
            if dist.filename not in listed:
                missing.append((dist, entry))
                continue
            sha = listed[dist.filename]
            if sha is None:
                _note(entry, "not verified: the index lists it without a sha256")
            elif sha.lower() == dist.sha256:
                entry.verified = True
            else:
                entry.status = FAILED
                entry.reason = (
                    f"{dist.filename} on {api.target.name} is not the file sent: the registry "
                    f"lists sha256 {sha.lower()[:16]}…, hwb sent {dist.sha256[:16]}… "
                    "(it corrupted the file)"
                )
                entry.hint = _CORRUPTED_HINT
        if not missing:
            return
        if round_ == api.options.retries:
            break
        unsure = []
        for dist, entry in missing:  # known absent: sending again cannot make a duplicate
            _log.log(
                log.VERBOSE,
                "%s: accepted by %s but not on its index; sending it again",
                dist.filename,
                api.target.name,
            )
            status, reason, attempts = api.resend(dist, entry)
            entry.attempts += attempts
            if status == FAILED:
                continue
            entry.status = status
            entry.reason = "sent again: the registry had accepted it, then did not list it" + (
                f"; {reason}" if reason else ""
            )
            unsure.append((dist, entry))
        if not unsure:
            return
    for _, entry in missing:
        entry.status = FAILED
        entry.reason = (
            f"{api.target.name} accepted the upload {entry.attempts} time(s) but never listed "
            "the file on its index"
        )
        entry.hint = _NEVER_STORED_HINT


def _note(entry: Entry, why: str) -> None:
    entry.reason = f"{entry.reason}; {why}" if entry.reason else why
