"""An sdist file as a build's source: ``hwb build some-1.0.tar.gz`` and the wheel built from a
fresh sdist both unpack one, every member checked first."""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path

from hwb.errors import BuildError, HwbError


def is_sdist_file(path: Path) -> bool:
    """``hwb build some-1.0.tar.gz``: build the wheel from that sdist (as uv build does)."""
    return path.is_file() and path.name.endswith(".tar.gz")


def extract_sdist(sdist: Path, into: Path, error: type[HwbError] = BuildError) -> Path:
    """Unpack an sdist for the wheel build; it must hold exactly one top-level directory.
    Every member is checked first (an sdist given to ``hwb build`` may come from anywhere):
    no absolute or ``..`` paths, no links out of the tree, no devices, no gzip bomb."""
    into.mkdir(parents=True)
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            members = tar.getmembers()
            problem = _unsafe_member(members)
            if problem:
                raise error(
                    f"the sdist {sdist.name} is not safe to unpack: {problem}",
                    hint="Rebuild the sdist from its project (hwb build --sdist); do not build "
                    "from a file that writes outside its own directory.",
                )
            if hasattr(tarfile, "data_filter"):
                tar.extractall(into, members, filter="data")
            else:  # pragma: no cover - Pythons without PEP 706 backports
                tar.extractall(into, members)  # noqa: S202 - every member checked above
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise error(f"cannot unpack the sdist {sdist.name}: {exc}") from None
    entries = list(into.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        raise BuildError(
            f"the sdist {sdist.name} does not expand to a single directory",
            hint="An sdist must unpack to one {name}-{version}/ directory (PEP 625).",
        )
    return entries[0]


#: Unpacked, an sdist may not exceed this (real ones are source text: tens of MB at most).
_MAX_UNPACKED = 4 << 30


def _unsafe_member(members: list[tarfile.TarInfo]) -> str | None:
    """Why unpacking these members would be unsafe, or None (the checks `hwb inspect` makes
    of an sdist, HWB305)."""
    from hwb.inspect.archive import unsafe_path

    total = 0
    for m in members:
        if unsafe_path(m.name):
            return f"member {m.name!r} is absolute or leaves the directory"
        if m.issym() or m.islnk():
            target = m.linkname if m.islnk() else f"{m.name.rsplit('/', 1)[0]}/{m.linkname}"
            if m.linkname.startswith(("/", "\\")) or unsafe_path(os.path.normpath(target)):
                return f"link {m.name!r} points outside the directory ({m.linkname})"
        elif not (m.isfile() or m.isdir()):
            return f"member {m.name!r} is a device or FIFO"
        total += m.size
        if total > _MAX_UNPACKED:
            return f"members declare more than {_MAX_UNPACKED >> 30} GiB"
    return None
