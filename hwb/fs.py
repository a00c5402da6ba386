"""Files: atomic writes and streaming hashes, written once.

An atomic write goes to a uniquely named temporary file in the target's folder and is renamed
over the target, so readers see the old or the new content, never half of it, and two
processes writing the same target never share a temporary name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hash a file in constant memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _temp(target: Path, fill: Callable[[BinaryIO], object], mode: int | None, sync: bool) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        if mode is not None:
            os.chmod(tmp, mode)  # noqa: PTH101 - a path from mkstemp
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_temp(target: Path, data: bytes, *, mode: int | None = None, sync: bool = False) -> Path:
    """Write ``data`` to a new uniquely named temporary file beside ``target``; the caller
    renames or links it into place (or removes it)."""
    return _temp(target, lambda out: out.write(data), mode, sync)


def copy_temp(target: Path, source: Path, *, mode: int | None = None) -> Path:
    """Like :func:`write_temp`, streaming ``source``'s bytes (any size), fsynced."""

    def fill(out: BinaryIO) -> None:
        with source.open("rb") as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)

    return _temp(target, fill, mode, True)


def write_atomic(target: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace ``target`` with ``data`` (text is written as UTF-8, newlines untouched)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = write_temp(target, raw, mode=mode)
    try:
        tmp.replace(target)
    except BaseException:  # e.g. the target is a directory: leave no temporary file behind
        tmp.unlink(missing_ok=True)
        raise
