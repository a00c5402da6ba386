"""Builds wheels and sdists member by member, good or broken on purpose, for `hwb inspect`'s
tests: the corpus is generated, not committed as opaque binaries."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

NAME, VERSION = "demo_pkg", "1.0"
README = "# Demo\n\nA demo package.\n"
GOOD_METADATA = (
    "Metadata-Version: 2.4\n"
    "Name: demo-pkg\n"
    "Version: {version}\n"
    "Summary: A demo package.\n"
    "License-Expression: MIT\n"
    "License-File: LICENSE\n"
    "Requires-Python: >=3.9\n"
    "Project-URL: Source, https://example.invalid/demo\n"
    "Description-Content-Type: text/markdown\n"
    "\n" + README
)
WHEEL_META = "Wheel-Version: 1.0\nGenerator: hwb-tests\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def wheel(
    directory: Path,
    *,
    files: dict[str, bytes] | None = None,
    metadata: str | None = None,
    wheel_meta: str | None = None,
    tag: str = "py3-none-any",
    pure: bool = True,
    version: str = VERSION,
    filename: str | None = None,
    dist_info: str | None = None,
    record: bool = True,
    skip_in_record: tuple[str, ...] = (),
    bad_hash_for: str | None = None,
    extra: list[tuple[str, bytes]] | None = None,
) -> Path:
    """A wheel: ``files`` (default one module) + .dist-info, RECORD computed unless told not."""
    info = dist_info or f"{NAME}-{version}.dist-info"
    members: dict[str, bytes] = dict(
        files if files is not None else {f"{NAME}/__init__.py": b'"""Demo."""\n'}
    )
    if metadata is not False:  # type: ignore[comparison-overlap]
        members[f"{info}/METADATA"] = (metadata or GOOD_METADATA.format(version=version)).encode()
    members[f"{info}/WHEEL"] = (
        wheel_meta or WHEEL_META.format(pure=str(pure).lower(), tag=tag)
    ).encode()
    members.setdefault(f"{info}/licenses/LICENSE", b"MIT License\n")
    path = directory / (filename or f"{NAME}-{version}-{tag}.whl")
    rec = ""
    for name, data in members.items():
        if name in skip_in_record:
            continue
        rec += record_line(name, b"tampered" if name == bad_hash_for else data)
    rec += f"{info}/RECORD,,\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are wanted in one corpus entry
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            for name, data in extra or []:
                zf.writestr(name, data)
            if record:
                zf.writestr(f"{info}/RECORD", rec)
    return path


def without_metadata(directory: Path) -> Path:
    return wheel(directory, metadata=False)  # type: ignore[arg-type]


def zip_bomb(directory: Path) -> Path:
    """A small valid wheel whose central directory declares a 4 GB member."""
    path = wheel(directory)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # first central directory header
    struct.pack_into("<I", data, at + 24, 0xF0000000)  # uncompressed size
    path.write_bytes(bytes(data))
    return path


def sdist(
    directory: Path,
    *,
    files: dict[str, bytes] | None = None,
    pkg_info: str | None = None,
    version: str = VERSION,
    top: str | None = None,
    filename: str | None = None,
    links: list[tuple[str, str, bool]] | None = None,
    pyproject: bool = True,
    extra_top: bool = False,
) -> Path:
    """An sdist: ``{top}/`` with PKG-INFO, pyproject.toml and ``files``."""
    top = top or f"{NAME}-{version}"
    members: dict[str, bytes] = {
        f"{top}/{k}": v for k, v in (files or {f"src/{NAME}/__init__.py": b""}).items()
    }
    if pkg_info is not False:  # type: ignore[comparison-overlap]
        members[f"{top}/PKG-INFO"] = (pkg_info or GOOD_METADATA.format(version=version)).encode()
    members.setdefault(f"{top}/LICENSE", b"MIT License\n")
    if pyproject:
        members[f"{top}/pyproject.toml"] = b'[project]\nname = "demo-pkg"\n'
    if extra_top:
        members["stray.txt"] = b"outside\n"
    path = directory / (filename or f"{NAME}-{version}.tar.gz")
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
        for name, target, symbolic in links or []:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if symbolic else tarfile.LNKTYPE
            info.linkname = target
            tf.addfile(info)
    return path


def project_wheel(
    directory: Path, name: str, version: str, requires_python: str = ">=3.9", body: str = ""
) -> Path:
    """A good wheel of project ``name`` (module ``name`` normalized), e.g. for index tests."""
    module = name.replace("-", "_").lower()
    metadata = (
        GOOD_METADATA.format(version=version)
        .replace("Name: demo-pkg", f"Name: {name}")
        .replace("Requires-Python: >=3.9", f"Requires-Python: {requires_python}")
    )
    return wheel(
        directory,
        files={f"{module}/__init__.py": (body or f"VERSION = {version!r}\n").encode()},
        metadata=metadata,
        version=version,
        filename=f"{module}-{version}-py3-none-any.whl",
        dist_info=f"{module}-{version}.dist-info",
    )


def pem_key(kind: str = "PRIVATE KEY", lines: int = 6) -> bytes:
    """A whole PEM block of ``kind`` with a random (not a real key's) base64 body."""
    import os

    body = base64.encodebytes(os.urandom(48 * lines)).decode()
    return f"-----BEGIN {kind}-----\n{body}-----END {kind}-----\n".encode()
