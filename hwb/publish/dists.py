"""The files to publish: wheels and sdists, their attestations, their upload form."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwb import distfiles
from hwb.distfiles import Kind
from hwb.errors import DistributionError

if TYPE_CHECKING:
    from twine.package import PackageFile


@dataclass
class Dist:
    path: Path
    kind: Kind
    name: str
    version: str
    size: int
    sha256: str
    attestations: list[Path] = field(default_factory=list)
    package: PackageFile | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def filename(self) -> str:
        return self.path.name

    def ensure_loaded(self) -> None:
        with self._lock:  # registries served in parallel share the same Dist
            if self.package is None:
                loaded = load(self.path)
                self.package, self.sha256 = loaded.package, loaded.sha256
                self.attestations = loaded.attestations

    def form_fields(self) -> list[tuple[str, Any]]:
        """The upload form's metadata fields (the legacy upload API: Warehouse's
        ``parse_form_metadata`` in reverse). twine's public ``metadata_dictionary`` gives the
        fields, named in lower_snake case with multi-use fields pluralised; how they become form
        parts is written here rather than borrowed from a private twine method."""
        assert self.package is not None  # noqa: S101 - set by load()
        return [
            *metadata_form_fields(dict(self.package.metadata_dictionary())),
            (":action", "file_upload"),
            ("protocol_version", "1"),
        ]


def metadata_form_fields(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Form parts for metadata fields: a list is one part per item, ``project_urls`` one
    ``"Label, URL"`` part per entry, ``keywords`` one comma-joined part, empty values omitted
    (some registries reject empty fields)."""
    parts: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        if key == "project_urls" and isinstance(value, dict):
            parts += [(key, f"{label}, {url}") for label, url in value.items()]
        elif key == "keywords" and isinstance(value, (list, tuple)):
            parts.append((key, ", ".join(value)))
        elif isinstance(value, (list, tuple)) and key != "gpg_signature":
            parts += [(key, item) for item in value]
        else:
            parts.append((key, value))
    return parts


def collect(paths: list[Path]) -> list[Path]:
    """Distribution files named by ``paths`` (directories stand for the dists inside them)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += distfiles.in_folder(path)
        elif path.name.endswith(".attestation"):
            continue  # attached to its distribution below
        elif not path.exists():
            raise DistributionError(
                f"{path}: no such file", hint="Build first (hwb build --sdist)."
            )
        elif not distfiles.is_distribution(path):
            raise DistributionError(
                f"{path}: not a distribution (expected .whl, .tar.gz or .zip)",
                hint="Pass wheels and sdists (default: dist/*).",
            )
        else:
            found.append(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        where = ", ".join(str(p) for p in paths)
        raise DistributionError(
            f"no wheels or sdists in {where}", hint="Build first: hwb build --sdist."
        )
    return unique


def lazy(path: Path) -> Dist:
    """A Dist known from its filename only; :meth:`Dist.ensure_loaded` reads it later, in the
    upload worker, where the parsing and hashing overlap with other files' network waits."""
    parsed = distfiles.parse_name(path)
    return Dist(path, parsed.kind, parsed.name, str(parsed.version), path.stat().st_size, sha256="")


def load(path: Path) -> Dist:
    """Read a distribution's metadata with twine's PackageFile (which also hashes it)."""
    from twine.exceptions import InvalidDistribution
    from twine.package import PackageFile

    try:
        package = PackageFile.from_filename(str(path), comment=None)
    except InvalidDistribution as exc:
        raise DistributionError(f"{path.name}: {exc}", hint="Run hwb inspect on it.") from None
    except (OSError, ValueError) as exc:
        raise DistributionError(f"{path.name}: cannot read ({exc})") from None
    attestation = path.with_name(path.name + ".publish.attestation")
    attestations = [attestation] if attestation.is_file() else []
    if attestations:
        try:
            package.add_attestations([str(a) for a in attestations])
        except InvalidDistribution as exc:
            raise DistributionError(f"{attestation.name}: {exc}") from None
    kind = distfiles.kind_of(path)
    assert kind is not None  # noqa: S101 - collect() let only distributions through
    meta = package.metadata
    return Dist(
        path=path,
        kind=kind,
        name=str(meta.get("name", "")),
        version=str(meta.get("version", "")),
        size=path.stat().st_size,
        sha256=str(package.sha2_digest),
        attestations=attestations,
        package=package,
    )


def ordered(dists: list[Dist]) -> tuple[list[Dist], list[Dist]]:
    """(wheels, sdists): every wheel of a release goes up before its sdist, as twine does."""
    return [d for d in dists if d.kind == "wheel"], [d for d in dists if d.kind != "wheel"]
