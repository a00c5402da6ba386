"""`hwb publish`: upload distributions to one or more registries, in parallel, exactly once.

Registries are served concurrently (a thread each); within a registry up to ``jobs`` files go
up at once, every wheel of the run before any sdist (as twine orders them). The transport is
chosen per target so static indexes (S3, folders) plug in beside the upload API.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hwb.publish.dists import Dist, ordered
from hwb.publish.ledger import Entry, Ledger
from hwb.publish.static import StaticIndexTransport
from hwb.publish.targets import Target
from hwb.publish.transport import Settings, UploadApiTransport

__all__ = ["PublishOptions", "publish"]


@dataclass(frozen=True)
class PublishOptions:
    skip_existing: bool = False
    jobs: int = 4
    retries: int = 5
    timeout: float = 120.0


def publish(
    dists: list[Dist],
    targets: list[Target],
    options: PublishOptions,
    on_entry: Callable[[Entry], None] | None = None,
) -> Ledger:
    ledger = Ledger()
    settings = Settings(options.skip_existing, options.retries, options.timeout)

    def record(entry: Entry) -> None:
        ledger.add(entry)
        if on_entry is not None:
            on_entry(entry)

    def serve(target: Target) -> None:
        if target.kind in {"dir", "s3"}:
            static = StaticIndexTransport(target, settings, options.jobs)
            for phase in ordered(dists):
                if phase:
                    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
                        entries = list(pool.map(static.publish, phase))
                    for entry in static.finish(entries):  # pages, once per project
                        record(entry)
            return
        transport = UploadApiTransport(target, settings)
        for phase in ordered(dists):
            if not phase:
                continue
            with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
                for entry in pool.map(transport.publish, phase):
                    record(entry)

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        list(pool.map(serve, targets))
    return ledger
