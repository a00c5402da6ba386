"""Logging vocabulary shared by the quiet library and the output layer.

Library modules log through the standard ``logging`` module under the ``hwb`` logger and never
print; the CLI installs :class:`hwb.output.OutputHandler`, which renders the records for a
terminal or a CI. Without it (hwb used as a library) nothing is printed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

#: -vvv: response bodies, every subprocess line in full.
TRACE = 5
#: -v: one line per file or step detail, the build backend's output.
VERBOSE = 15

logging.addLevelName(TRACE, "TRACE")
logging.addLevelName(VERBOSE, "VERBOSE")

logger = logging.getLogger("hwb")
logger.addHandler(logging.NullHandler())


def get(name: str) -> logging.Logger:
    return logging.getLogger(f"hwb.{name}")


def level_for(verbosity: int, quiet: bool) -> int:
    """-q, default, -v, -vv, -vvv -> logging level."""
    if quiet:
        return logging.WARNING
    return [logging.INFO, VERBOSE, logging.DEBUG, TRACE][max(0, min(verbosity, 3))]


@contextmanager
def step(log: logging.Logger, title: str) -> Iterator[None]:
    """Mark a long step: a ``::group::`` on GitHub, a collapsible section on GitLab,
    a header line elsewhere."""
    log.info(title, extra={"hwb_step": "start"})
    try:
        yield
    finally:
        log.info(title, extra={"hwb_step": "end"})
