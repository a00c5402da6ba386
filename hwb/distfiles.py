"""Which files are distributions, and what their names say: one answer for every command.

A wheel is ``.whl``; an sdist is ``.tar.gz`` (PEP 625, what backends write) or ``.zip``: PyPI
still accepts a ``.zip`` sdist (Warehouse's upload form maps ``sdist`` to ``.tar.gz`` and
``.zip``), so inspect, gather, publish, the Action and the static index all see one as an
sdist, and ``hwb inspect`` reports it (HWB301) rather than passing over it. Names are read with
packaging's parsers, the same ones pip and Warehouse use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hwb.errors import DistributionError

if TYPE_CHECKING:
    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version

Kind = Literal["wheel", "sdist"]

WHEEL_SUFFIX = ".whl"
#: The sdist format PEP 625 standardises, and the only one a PEP 517 backend writes.
SDIST_SUFFIX = ".tar.gz"
SDIST_SUFFIXES = (SDIST_SUFFIX, ".zip")
SUFFIXES = (WHEEL_SUFFIX, *SDIST_SUFFIXES)


def kind_of(path: str | Path) -> Kind | None:
    """``wheel`` or ``sdist`` by the file name's suffix; None when it is neither."""
    name = path.name if isinstance(path, Path) else path
    if name.endswith(WHEEL_SUFFIX):
        return "wheel"
    if name.endswith(SDIST_SUFFIXES):
        return "sdist"
    return None


def is_distribution(path: str | Path) -> bool:
    return kind_of(path) is not None


@dataclass(frozen=True)
class DistName:
    """What a distribution's file name says (normalized by packaging)."""

    filename: str
    kind: Kind
    name: NormalizedName
    version: Version
    tags: frozenset[Tag] = frozenset()  # a wheel's; empty for an sdist


def parse_name(path: str | Path) -> DistName:
    """Kind, project, version and (for a wheel) tags from the file name; DistributionError when
    it is not a distribution or its name does not parse."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    filename = path.name if isinstance(path, Path) else path
    kind = kind_of(filename)
    if kind is None:
        raise DistributionError(
            f"{filename}: not a distribution (expected .whl, .tar.gz or .zip)",
        )
    try:
        if kind == "wheel":
            name, version, _, tags = parse_wheel_filename(filename)
            return DistName(filename, kind, name, version, tags)
        name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise DistributionError(
            f"{filename}: {exc}",
            hint="Keep the name the build backend gave it ({name}-{version}-{tags}.whl, "
            "{name}-{version}.tar.gz); hwb inspect checks it.",
        ) from None
    return DistName(filename, kind, name, version)


def version_of(path: str | Path) -> Version | None:
    """The version a distribution's file name carries; None when the name does not parse."""
    try:
        return parse_name(path).version
    except DistributionError:
        return None


def in_folder(folder: Path) -> list[Path]:
    """The distributions directly inside ``folder`` (regular files only), sorted by name."""
    return sorted(p for p in folder.iterdir() if is_distribution(p) and p.is_file())
