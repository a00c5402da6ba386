"""How a publish runs: the one options object the service, the upload API and the static
indexes share (resolved from CLI > env > [tool.hwb.publish] > defaults by the service)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishOptions:
    #: a file already on the registry, identical, is not an error (it never is re-sent either).
    skip_existing: bool = False
    #: files in flight at once per registry (and as many index lookups beside them).
    jobs: int = 8
    #: further attempts after a failed request, for uploads and index lookups alike.
    retries: int = 5
    #: seconds per request.
    timeout: float = 120.0
