"""Reading wheels (zip) and sdists (tar.gz) safely and in one streaming pass.

Nothing is extracted to disk and no member is loaded whole: members are hashed in 1 MiB chunks,
and only the first :data:`SCAN_BYTES` of a text member are kept for the secret scan. Declared
sizes are checked before anything is read, so a zip bomb is reported, not inflated.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Literal

from hwb import distfiles
from hwb.errors import ArchiveError, DistributionError


def _inflate_module() -> ModuleType:
    """ISA-L inflates zip members about twice as fast as zlib (same API, same results)."""
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - a platform without isal wheels
        return zlib
    return isal_zlib


inflate_zlib = _inflate_module()
_INFLATE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, inflate_zlib.error)

CHUNK = 1 << 20  # also the size of the head the secret scan sees (the first chunk)
#: Only this much of each member is scanned for secrets (they sit in small config files).
SCAN_BYTES = 1 << 20
#: Declared (uncompressed) sizes beyond these are treated as a zip bomb, not read.
MAX_MEMBER_SIZE = 2 << 30
MAX_TOTAL_SIZE = 8 << 30
MAX_RATIO = 1000  # uncompressed / compressed, for members over 10 MiB
#: A tar.gz is compressed as a whole: beyond 10 MiB declared, more than this many bytes per
#: byte of the archive is a gzip bomb (real sdists are source text, 3-10x).
MAX_TAR_RATIO = 200
#: More members than this and the archive is not read at all (the largest wheels on PyPI hold
#: tens of thousands): the work per archive stays bounded, as its bytes are by the limits above.
#: A zip's count is read from its end record, before the central directory is parsed.
MAX_MEMBERS = 100_000

Kind = Literal["file", "dir", "symlink", "hardlink", "other"]


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    kind: Kind
    link: str | None = None
    compressed: int | None = None


@dataclass
class Digest:
    """What one pass over a member's bytes learned."""

    sha256: bytes
    size: int
    head: bytes = b""  # the whole content of tiny members (<= 64 bytes)
    magic: bytes = b""  # the first 4 bytes (ELF, PE, Mach-O executables)


@dataclass
class Archive:
    path: Path
    kind: distfiles.Kind
    members: list[Member] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None
    _tar: tarfile.TarFile | None = None
    #: sdists: what the single streaming pass at open time learned of each regular file
    #: (no sha256: b"", size, head); the whole content when it fits in the head.
    _pre: dict[str, tuple[bytes, int, bytes]] = field(default_factory=dict)
    _tar_infos: dict[str, tarfile.TarInfo] = field(default_factory=dict)
    #: Members the archive holds when past MAX_MEMBERS (then ``members`` is left empty/short).
    too_many: int = 0

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def files(self) -> list[Member]:
        return [m for m in self.members if m.kind == "file"]

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            with self._zip.open(name) as fh:
                yield fh
            return
        pre = self._pre.get(name)
        if pre is not None and len(pre[2]) == pre[1]:
            yield io.BytesIO(pre[2])
            return
        if self._tar is None:  # random access, only for what the streaming pass did not keep
            self._tar = tarfile.open(self.path, "r:gz")  # noqa: SIM115 - closed by close()
            # name -> member, so opening a member is a lookup, not tarfile's linear search
            # (which made reading every member of a 200k-member sdist quadratic).
            self._tar_infos = {i.name: i for i in self._tar.getmembers()}
        extracted = self._tar.extractfile(self._tar_infos.get(name) or name)
        if extracted is None:
            raise ArchiveError(f"{name} is not a regular file")
        with extracted:
            yield extracted

    def read(self, name: str, limit: int = 16 << 20) -> bytes:
        with self.open(name) as fh:
            return fh.read(limit)

    def bomb(self) -> str | None:
        """Why the declared sizes (or the number of members) are implausible, or None."""
        if self.too_many:
            return f"it holds more than {MAX_MEMBERS} members"
        total = 0
        for m in self.members:
            total += m.size
            if m.size > MAX_MEMBER_SIZE:
                return f"member {m.name} declares {m.size} bytes"
            if m.compressed and m.size > 10 << 20 and m.size / max(m.compressed, 1) > MAX_RATIO:
                return f"member {m.name} expands {m.size // max(m.compressed, 1)}x"
        if total > MAX_TOTAL_SIZE:
            return f"members declare {total} bytes in all"
        if self._zip is None and total > 10 << 20:
            packed = max(self.path.stat().st_size, 1)
            if total / packed > MAX_TAR_RATIO:
                return f"members declare {total} bytes from a {packed}-byte archive"
        return None

    def digest_all(
        self,
        scan: Callable[[str, bytes], None] | None = None,
        wants: Callable[[str], bool] | None = None,
        *,
        crc: bool = True,
    ) -> dict[str, Digest]:
        """Hash every regular file in one streaming pass. ``scan`` sees the first SCAN_BYTES
        of each member ``wants`` accepts (by name: the secret scan skips binaries), which are
        not kept. ``crc=False`` skips zip's CRC-32 when the caller verifies every member's
        sha256 against RECORD anyway (CRC-32 costs as much as sha256 here)."""
        digests: dict[str, Digest] = {}

        def keep(name: str) -> bool:
            return scan is not None and (wants is None or wants(name))

        read = self._zip_pass(keep, crc) if self._zip is not None else {}
        for m in self.files():
            pre = self._pre.get(m.name)
            try:
                if m.name in read:
                    sha, size, head = read.pop(m.name)
                elif pre is not None and (
                    len(pre[2]) >= min(pre[1], SCAN_BYTES) or not keep(m.name)
                ):
                    sha, size, head = pre
                else:
                    sha, size, head = self._digest_stream(m.name, keep(m.name))
            except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
                raise ArchiveError(f"member {m.name} cannot be read: {exc}") from None
            if scan is not None and keep(m.name):
                scan(m.name, head)
            # Tiny heads tell trivial files (empty __init__.py) apart; magic tells executables.
            digests[m.name] = Digest(sha, size, head if size <= 64 else b"", head[:4])
        return digests

    def _zip_pass(
        self, keep: Callable[[str], bool], crc: bool
    ) -> dict[str, tuple[bytes, int, bytes]]:
        """sha256, size and head of every stored or deflated member, in one sequential pass
        over the file with zlib directly.

        zipfile.open() seeks back and re-parses every local header and builds a reader object
        per member, which dominates for wheels with thousands of small files. Output is bounded
        by the declared size (a member may not inflate past it) and must reach it exactly.
        Anything unusual (encryption, other methods, duplicate names) is left to zipfile.
        """
        assert self._zip is not None  # noqa: S101 - zip archives only
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            return {}
        out: dict[str, tuple[bytes, int, bytes]] = {}
        with self.path.open("rb") as fh:
            for info in sorted(infos, key=lambda i: i.header_offset):
                if info.flag_bits & 0x1 or info.compress_type not in (0, 8):
                    continue
                fh.seek(info.header_offset)
                header = fh.read(30)
                if len(header) < 30 or header[:4] != b"PK\x03\x04":
                    raise ArchiveError(f"member {info.filename}: bad local header")
                name_len, extra_len = struct.unpack("<HH", header[26:30])
                fh.seek(name_len + extra_len, 1)
                out[info.filename] = self._inflate(fh, info, keep(info.filename), crc)
        return out

    @staticmethod
    def _inflate(
        fh: IO[bytes], info: zipfile.ZipInfo, keep: bool, crc: bool
    ) -> tuple[bytes, int, bytes]:
        sha = hashlib.sha256()
        check = 0
        size = 0
        head = b""
        left = info.compress_size
        inflater = inflate_zlib.decompressobj(-15) if info.compress_type == 8 else None
        pending = b""
        try:
            while left or pending:
                if not pending:
                    pending = fh.read(min(CHUNK, left))
                    if not pending:
                        raise ArchiveError(f"member {info.filename}: truncated")
                    left -= len(pending)
                if inflater is None:
                    data, pending = pending, b""
                else:
                    # Bounded output: never more than one chunk per call, whatever the ratio.
                    data = inflater.decompress(pending, CHUNK)
                    pending = inflater.unconsumed_tail
                size += len(data)
                if size > info.file_size:
                    raise ArchiveError(f"member {info.filename} inflates past its declared size")
                sha.update(data)
                if crc:
                    check = inflate_zlib.crc32(data, check)
                if not head and data:
                    head = data[:SCAN_BYTES] if keep else data[:4]
        except _INFLATE_ERRORS as exc:
            raise ArchiveError(f"member {info.filename}: {exc}") from None
        if size != info.file_size or (crc and check != info.CRC):
            raise ArchiveError(f"member {info.filename}: size or CRC-32 does not match")
        return sha.digest(), size, head

    def _digest_stream(self, name: str, keep: bool) -> tuple[bytes, int, bytes]:
        sha = hashlib.sha256()
        size = 0
        head = b""
        with self.open(name) as fh:
            while chunk := fh.read(CHUNK):
                sha.update(chunk)
                if not head:
                    head = chunk[:SCAN_BYTES] if keep else chunk[:4]
                size += len(chunk)
        return sha.digest(), size, head

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()


def record_hash(digest: bytes) -> str:
    """The RECORD form of a sha256 digest (urlsafe base64, no padding)."""
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def open_archive(path: Path, *, contents: bool = True) -> Archive:
    """Open a distribution; DistributionError when the path is not one at all, ArchiveError
    when it is one but its archive is corrupt. ``contents=False``: only the metadata will be
    read (an sdist's members are listed, not hashed; only its PKG-INFO is kept)."""
    kind = distfiles.kind_of(path)
    if not path.exists():
        raise DistributionError(
            f"{path}: no such file", hint="Build first (hwb build) or fix the path."
        )
    if kind is None:
        raise DistributionError(
            f"{path}: not a distribution (expected a .whl, .tar.gz or .zip file)",
            hint="Pass wheels and sdists, or a project directory.",
        )
    if not path.is_file():
        raise DistributionError(f"{path}: not a regular file")
    try:
        if kind == "wheel" or path.name.endswith(".zip"):
            count = _zip_entries(path)
            if count > MAX_MEMBERS:
                return Archive(path, kind, too_many=count)
            zf = zipfile.ZipFile(path)
            members = [
                Member(
                    info.filename,
                    info.file_size,
                    "dir" if info.is_dir() else "file",
                    compressed=info.compress_size,
                )
                for info in zf.infolist()
            ]
            return Archive(path, kind, members, _zip=zf)
        members, pre = _stream_tar(path, contents)
        return Archive(path, kind, members, _pre=pre, too_many=_past_limit(len(members)))
    except PermissionError as exc:
        raise DistributionError(f"{path}: cannot read ({exc.strerror})") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveError(str(exc) or type(exc).__name__) from None


def _zip_entries(path: Path) -> int:
    """How many entries a zip's end record declares (0 when it cannot tell: ZipFile then
    reports the damage), without parsing the central directory (which alone takes seconds
    per 100k entries)."""
    end_record = getattr(zipfile, "_EndRecData", None)  # stdlib's own reader of that record
    if end_record is None:  # pragma: no cover - a Python without it: no early count
        return 0
    with path.open("rb") as fh:
        found = end_record(fh)
    return int(found[4]) if found else 0  # _ECD_ENTRIES_TOTAL


def _past_limit(count: int) -> int:
    return count if count > MAX_MEMBERS else 0


#: How much of an sdist's contents the streaming pass keeps in memory (heads for the scan).
KEEP_BYTES = 256 << 20


def _stream_tar(
    path: Path, contents: bool = True
) -> tuple[list[Member], dict[str, tuple[bytes, int, bytes]]]:
    """Members of a .tar.gz and the size and head of each regular file, in one sequential
    pass (a gzip stream cannot seek: reading members by name afterwards decompresses it again).
    Declared sizes are checked before a member is read: past the zip-bomb limits, contents
    are no longer read (Archive.bomb() reports them). ``contents=False``: no digests, only
    the top directory's PKG-INFO is kept (whole)."""
    members: list[Member] = []
    pre: dict[str, tuple[bytes, int, bytes]] = {}
    total = kept = 0
    packed = max(path.stat().st_size, 1)
    # Random-access mode read front to back: forward seeks cost nothing, and GzipFile (unlike
    # stream mode) reports a truncated file.
    with tarfile.open(path, "r:gz") as tf:
        for info in tf:
            member = _tar_member(info)
            members.append(member)
            if len(members) > MAX_MEMBERS:
                break  # bomb() reports it; nothing past this is read
            if member.kind != "file":
                continue
            total += info.size
            if (
                info.size > MAX_MEMBER_SIZE
                or total > MAX_TOTAL_SIZE
                or (total > 10 << 20 and total / packed > MAX_TAR_RATIO)
            ):
                # Stop here: reaching the next header would inflate this member (a gzip
                # bomb); bomb() reports the sizes declared so far.
                break
            if not contents:
                if info.name.count("/") == 1 and info.name.endswith("/PKG-INFO"):
                    fh = tf.extractfile(info)
                    data = fh.read(16 << 20) if fh is not None else b""
                    pre[info.name] = (b"", len(data), data)
                continue
            fh = tf.extractfile(info)
            if fh is None:
                continue
            # Only the head (for the secret scan): an sdist has no RECORD, so nothing would
            # use a member's sha256, and the rest is skipped by the next header's forward
            # seek (tarfile still reports a file cut short there).
            head = fh.read(SCAN_BYTES if kept < KEEP_BYTES else 4)
            kept += len(head)
            pre[info.name] = (b"", info.size, head)
    return members, pre


def _tar_member(info: tarfile.TarInfo) -> Member:
    if info.isfile():
        return Member(info.name, info.size, "file")
    if info.isdir():
        return Member(info.name, 0, "dir")
    if info.issym():
        return Member(info.name, 0, "symlink", info.linkname)
    if info.islnk():
        return Member(info.name, 0, "hardlink", info.linkname)
    return Member(info.name, 0, "other")


_UNSAFE_PART = re.compile(r"(^|/)\.\.(/|$)")


def unsafe_path(name: str) -> bool:
    """Absolute, drive-qualified or '..'-escaping member paths."""
    if ".." not in name and name[:1] not in "/\\" and name[1:2] != ":":
        return False  # the common case, without a regex
    return (
        name.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", name))
        or bool(_UNSAFE_PART.search(name.replace("\\", "/")))
    )
