"""Files: atomic writes and streaming hashes, written once.

An atomic write goes to a uniquely named temporary file in the target's folder and is renamed
over the target, so readers see the old or the new content, never half of it, and two
processes writing the same target never share a temporary name.

One rule for every path hwb writes (:func:`write_atomic`): a regular file or a new path is
replaced atomically; a symlink is followed and its resolved target written (the link stays);
a device, FIFO, socket or an inherited stream (``/dev/stdout``, ``/dev/fd/N``,
``/proc/self/fd/N``) is written through, never renamed over, so ``-o /dev/stdout`` in a root
container cannot turn the device into a file. A failed write through (``ENOSPC`` on
``/dev/full``) is a :class:`~hwb.errors.UsageError` naming the path, never a silent success.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20

#: Paths naming a stream the process already holds: a rename over them would replace the
#: device (or, when the stream is a redirected file, the file behind it), so they are written
#: through. Linux resolves them to the file they are open on, hence the test on the path given.
_INHERITED = re.compile(r"^/(dev/(stdout|stderr|stdin|fd/\d+)|proc/(self|\d+)/fd/\d+)$")


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


def _link_chain(target: Path) -> list[str]:
    """``target`` and each path its symlinks lead to, unresolved beyond that (a link to
    ``/dev/stdout`` is a stream even when stdout is redirected to a file)."""
    hops = [os.path.abspath(target)]  # noqa: PTH100 - no symlink resolved here
    for _ in range(40):  # the kernel's own limit on a chain
        if not os.path.islink(hops[-1]):  # noqa: PTH114 - a str path
            break
        hop = os.path.join(os.path.dirname(hops[-1]), os.readlink(hops[-1]))  # noqa: PTH118, PTH120, PTH115
        hops.append(os.path.normpath(hop))
    return hops


def writes_through(target: Path) -> bool:
    """``target`` is written in place (an inherited stream, a device, a FIFO, a socket), not
    replaced by a rename."""
    if any(_INHERITED.match(hop) for hop in _link_chain(target)):
        return True
    try:
        st = target.stat()  # follows symlinks: a link to a device is the device
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return False  # the atomic write reports it
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def _write_through(target: Path, raw: bytes) -> None:
    from hwb.errors import UsageError

    try:
        # No O_TRUNC and no O_CREAT: a stream keeps what was written before (a redirected
        # stdout is a file hwb also prints to), and a vanished device is not recreated.
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        reason = errno.errorcode.get(exc.errno or 0, "") if exc.errno else ""
        raise UsageError(
            f"{target}: write failed ({exc.strerror or exc}{f', {reason}' if reason else ''})",
            hint="Write to a file or a stream with room (the device refused the data).",
        ) from None


def write_atomic(target: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` by the module's rule: replace a regular file or create a
    new one atomically, follow a symlink, write a device/FIFO/inherited stream through (text
    is written as UTF-8, newlines untouched)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if writes_through(target):
        _write_through(target, raw)
        return
    if target.is_symlink():  # write where it points (creating a dangling link's target)
        target = Path(os.path.realpath(target))
    tmp = write_temp(target, raw, mode=mode)
    try:
        tmp.replace(target)
    except BaseException:  # e.g. the target is a directory: leave no temporary file behind
        tmp.unlink(missing_ok=True)
        raise
