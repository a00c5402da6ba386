"""Wheel structure: filename, .dist-info, WHEEL tags, RECORD, and the library layout
(the checks check-wheel-contents makes, so users need only one tool)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from email.parser import HeaderParser

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)

from hwb.inspect.archive import Digest, record_hash, unsafe_path
from hwb.inspect.catalogue import Severity
from hwb.inspect.context import Context
from hwb.inspect.platforms import pypi_accepts

_EXTENSION = re.compile(r"\.(?:[A-Za-z0-9_-]+\.)?(?:so|pyd|dylib)$")
# Native code of any kind: extension modules, shared libraries (auditwheel's libfoo.so.1.2),
# and executables (checked by magic number: ruff's or ninja's binary in .data/scripts/).
_NATIVE_NAME = re.compile(r"\.(?:so(?:\.\d+)*|pyd|dylib|dll|exe)$", re.IGNORECASE)
_NATIVE_MAGIC: tuple[bytes, ...] = (
    b"\x7fELF",  # ELF
    b"MZ",  # PE (Windows)
    b"\xfe\xed\xfa",  # Mach-O, big-endian
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit
    b"\xca\xfe\xba\xbe",  # universal Mach-O
)
# Modules nobody imports by name: mypyc's hashed runtime, pip's runner, PyInstaller hooks,
# dunder scripts.
_NOT_IMPORTED = re.compile(r"(?:^|/)(?:[0-9a-f]{8,}__mypyc\.|hook-[^/]+\.py$|__[^/]+__\.py$)")
# Top-level entries that do not count as the project's packages.
_AUXILIARY_TOP = re.compile(r"(?:-stubs|\.libs|\.pth)$|^_|^[0-9a-f]{8,}__mypyc\.")
# Distribution names whose import name shares nothing with them (the well-known ones).
_IMPORT_NAMES = {
    "pillow": "pil",
    "beautifulsoup4": "bs4",
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "protobuf": "google",
    "pycryptodome": "crypto",
    "pycryptodomex": "cryptodome",
    "mysqlclient": "mysqldb",
    "pymupdf": "fitz",
    "pygobject": "gi",
    "pywin32": "win32",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "opencv-contrib-python": "cv2",
    "python-dateutil": "dateutil",
    "msgpack-python": "msgpack",
    "pyzmq": "zmq",
    "pyyaml": "yaml",
}
_MODULE_EXT = re.compile(r"(\.pyi?|\.(?:[A-Za-z0-9_-]+\.)?(?:so|pyd))$")
_BYTECODE = (".pyc", ".pyo")
# The names check-wheel-contents documents for its W005.
_COMMON_TOPLEVEL = frozenset(
    {".eggs", ".nox", ".tox", ".venv", "app", "build", "cli", "data", "dist", "doc", "docs"}
    | {"example", "examples", "lib", "scripts", "src", "test", "tests", "venv"}
)
# Contents check-wheel-contents allows to repeat (empty files and encoding cookies).
_TRIVIAL = {b"", b"\n", b"\r\n", b"# -*- coding: utf-8 -*-", b"# -*- coding: utf-8 -*-\n"}


def dist_info_dir(names: list[str]) -> str | None:
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    found = sorted(t for t in tops if t.endswith(".dist-info"))
    return found[0] if len(found) == 1 else None


def check_structure(ctx: Context) -> str | None:
    """Filename, paths, .dist-info, WHEEL. Returns the .dist-info directory if found."""
    archive = ctx.archive
    filename = archive.path.name
    names = archive.names
    seen: set[str] = set()
    for name in names:
        if name in seen:
            ctx.add("HWB201", f"{name} appears more than once", name)
        seen.add(name)
        if unsafe_path(name):
            ctx.add("HWB202", f"member path {name!r} escapes the install directory", name)
    try:
        fname, fversion, _, ftags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        ctx.add("HWB203", str(exc))
        fname, fversion, ftags = None, None, frozenset()
    else:
        _check_pypi_filename(ctx, filename, str(fname), ftags)
    info = dist_info_dir(names)
    if info is None:
        ctx.add("HWB204", "no single top-level .dist-info directory")
        return None
    info_name, _, info_version = info[: -len(".dist-info")].rpartition("-")
    if fname is not None and (
        canonicalize_name(info_name) != fname or str(fversion) != _normal_version(info_version)
    ):
        ctx.add("HWB204", f"{info} does not match {filename}", info)
    if f"{info}/WHEEL" not in names:
        ctx.add("HWB204", f"{info}/WHEEL is missing", info)
        return info
    wheel_text = archive.read(f"{info}/WHEEL").decode("utf-8", "replace")
    wheel_meta = HeaderParser().parsestr(wheel_text)
    # Tag lines wherever they are: some backends (scikit-build 0.17) leave a blank line before
    # them, which ends the headers; installers read WHEEL just as leniently.
    declared = frozenset(
        t
        for line in wheel_text.splitlines()
        if line.startswith("Tag:")
        for t in parse_tag(line[4:].strip())
    )
    if ftags and declared != ftags:
        ctx.add(
            "HWB205",
            f"WHEEL declares {', '.join(sorted(map(str, declared))) or 'no tags'}; "
            f"the filename says {', '.join(sorted(map(str, ftags)))}",
            f"{info}/WHEEL",
        )
    pure = (wheel_meta.get("Root-Is-Purelib") or "").strip().lower() == "true"
    compiled = [n for n in names if _EXTENSION.search(n)]
    if pure and compiled:
        ctx.add("HWB206", f"Root-Is-Purelib is true but it contains {compiled[0]}", compiled[0])
    ctx.platform_specific = any(t.platform != "any" for t in ftags)
    return info


def _check_pypi_filename(ctx: Context, filename: str, name: str, tags: frozenset[Tag]) -> None:
    """What PyPI refuses in a wheel's name that parses (messages are PyPI's own), errors when
    the target is PyPI/TestPyPI. Elsewhere other registries and installers accept both: a name
    part other than the normalized name (``Brotli-1.1.0-...``, PEP 427/503; only old backends
    write it) is a warning, a platform tag with no portable ABI (``linux_x86_64``, what any
    local build of a C extension gets) is info, so ``--strict`` does not fail a local build."""
    public = ctx.public_index
    where = "." if public else ". PyPI and TestPyPI refuse it; other indexes accept it."
    dist_part = filename.split("-", 1)[0]
    expected = name.replace("-", "_")
    if dist_part != expected:
        ctx.add(
            "HWB203",
            f"Filename {filename!r} should contain the normalized project name {expected!r}, "
            f"not {dist_part!r}{where}",
            severity=None if public else Severity.WARNING,
        )
    refused = sorted({t.platform for t in tags if not pypi_accepts(t.platform)})
    if refused:
        ctx.add(
            "HWB222",
            f"Binary wheel {filename!r} has an unsupported platform tag {refused[0]!r}{where}",
            severity=None if public else Severity.INFO,
        )


def check_metadata_matches(ctx: Context, info: str) -> None:
    """METADATA's Name and Version against the filename (PyPI rejects a disagreement)."""
    if not (ctx.name and ctx.version):
        return
    try:
        fname, fversion, _, _ = parse_wheel_filename(ctx.archive.path.name)
    except InvalidWheelFilename:
        return  # HWB203 says why
    from packaging.version import Version

    try:
        same_version = Version(ctx.version) == fversion
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        same_version = False  # HWB102 says why
    if canonicalize_name(ctx.name) != fname or not same_version:
        ctx.add(
            "HWB221",
            f"METADATA says {ctx.name} {ctx.version}; the filename and {info} say "
            f"{fname} {fversion}",
            f"{info}/METADATA",
        )


def _normal_version(text: str) -> str:
    from packaging.version import Version

    try:
        return str(Version(text))
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        return text


def check_record(ctx: Context, info: str, digests: dict[str, Digest]) -> None:
    record_name = f"{info}/RECORD"
    files = {m.name for m in ctx.archive.files()}
    if record_name not in files:
        ctx.add("HWB208", f"{record_name} is missing")
        return
    text = ctx.archive.read(record_name).decode("utf-8", "replace")
    listed: dict[str, tuple[str, str]] = {}
    try:
        # splitlines(): a RECORD written with \r\n or stray \r is still read line by line.
        for row in csv.reader(text.splitlines()):
            if not row:
                continue
            path, digest, size = ([*row, "", ""])[:3]
            listed[path] = (digest, size)
    except csv.Error as exc:
        ctx.add("HWB209", f"{record_name} is not valid CSV: {exc}", record_name)
        return
    unsigned = {record_name, f"{info}/RECORD.jws", f"{info}/RECORD.p7s"}
    missing = sorted(files - listed.keys() - unsigned)
    for name in missing[:20]:
        ctx.add("HWB209", f"{name} is not listed in RECORD", name)
    for name in sorted(listed.keys() - files)[:20]:
        ctx.add("HWB209", f"RECORD lists {name}, which the wheel does not contain", record_name)
    for name, (digest, size) in listed.items():
        if name in unsigned or name not in digests:
            continue
        actual = digests[name]
        if not digest:
            ctx.add("HWB210", f"RECORD has no hash for {name}", name)
        elif digest.startswith("sha256=") and digest != record_hash(actual.sha256):
            ctx.add("HWB210", f"sha256 of {name} does not match RECORD", name)
        # ASCII digits, bounded: int() refuses "²" and numbers of 4300+ digits
        if size and re.fullmatch(r"[0-9]{1,20}", size) and int(size) != actual.size:
            ctx.add("HWB210", f"{name} is {actual.size} bytes; RECORD says {size}", name)


def _library_paths(names: list[str], info: str) -> list[str]:
    """Members installed into site-packages, relative to it (root, or .data/purelib|platlib)."""
    data = info[: -len(".dist-info")] + ".data/"
    paths = []
    for name in names:
        if name.endswith("/") or name.startswith(info + "/"):
            continue
        if name.startswith(data):
            rest = name[len(data) :]
            scheme, _, inner = rest.partition("/")
            if scheme in {"purelib", "platlib"} and inner:
                paths.append(inner)
            continue
        paths.append(name)
    return paths


def _native(name: str, digest: Digest | None) -> bool:
    return bool(_NATIVE_NAME.search(name)) or (
        digest is not None and digest.magic.startswith(_NATIVE_MAGIC)
    )


def _import_stems(project: str) -> set[str]:
    """What the project's import name may start with: its normalized name, without a py/python
    prefix or suffix, or the well-known name it is imported as."""
    canonical = canonicalize_name(project)
    stems = {canonical.replace("-", "_")}
    bare = re.sub(r"^(?:python|py)-?|-?(?:python|py)$", "", canonical)
    bare = re.sub(r"^types-", "", bare)
    if bare:
        stems.add(bare.replace("-", "_"))
    if canonical in _IMPORT_NAMES:
        stems.add(_IMPORT_NAMES[canonical])
    return stems


def check_layout(ctx: Context, info: str, digests: dict[str, Digest]) -> None:
    names = [m.name for m in ctx.archive.files()]
    if ctx.platform_specific and not any(_native(n, digests.get(n)) for n in names):
        ctx.add("HWB207", "the filename has a platform tag but the wheel holds no compiled code")
    for name in names:
        if name.endswith(_BYTECODE):
            ctx.add("HWB211", f"{name} is compiled bytecode", name)
    lib = _library_paths(names, info)
    if not [n for n in names if not n.startswith(info + "/")]:
        ctx.add("HWB213", "the wheel holds nothing but its .dist-info")
        return
    if not lib:
        ctx.add("HWB213", "the wheel installs no library files (only data or scripts)")
        return
    tops: dict[str, list[str]] = defaultdict(list)
    for path in lib:
        tops[path.split("/", 1)[0]].append(path)
    for top, paths in sorted(tops.items()):
        is_dir = any("/" in p for p in paths)
        if top in _COMMON_TOPLEVEL:
            ctx.add("HWB212", f"top-level {top!r} in the library", top)
        if not is_dir and not top.endswith(".pth") and not _MODULE_EXT.search(top):
            ctx.add("HWB215", f"non-module {top!r} at the library top level", top)
        if top == "__init__.py":
            ctx.add("HWB215", "__init__.py at the library top level", top)
        if (
            is_dir
            and not top.endswith(("-stubs", ".libs"))
            and not any(_MODULE_EXT.search(p) for p in paths)
        ):
            ctx.add("HWB220", f"top-level directory {top!r} holds no Python module", top)
    packages = {p.rsplit("/", 1)[0] for p in lib if p.endswith("/__init__.py")}
    for path in lib:
        if _MODULE_EXT.search(path) and not _NOT_IMPORTED.search(path):
            bad = _unimportable_part(path, packages)
            if bad:
                ctx.add("HWB218", f"{path} cannot be imported ({bad!r} is not an identifier)", path)
    entries = [t for t in tops if not _AUXILIARY_TOP.search(t)]
    if len(entries) > 1:
        ctx.add("HWB219", f"several top-level entries: {', '.join(sorted(entries))}")
    if ctx.name and entries:
        stems = _import_stems(ctx.name)
        modules = {re.split(r"[./-]", e)[0].lower() for e in entries}
        if not any(s.startswith(m) or m.startswith(s) for s in stems for m in modules):
            ctx.add("HWB214", f"project {ctx.name} installs {', '.join(sorted(modules))}")
    _check_copies(ctx, info, names, digests)


def _check_copies(ctx: Context, info: str, names: list[str], digests: dict[str, Digest]) -> None:
    """Identical files where one path is a nested copy of the other (pkg/mod.py and
    build/lib/pkg/mod.py): the mark of a stale build directory swept into the wheel.
    Deliberate duplicates (zone aliases, vendored copies, license texts, identical small
    __init__.py files) have unrelated paths and are not reported."""
    by_content: dict[bytes, list[str]] = defaultdict(list)
    for name in names:
        d = digests.get(name)
        if (
            d is None
            or name.startswith(info + "/")
            or (d.size <= 64 and d.head.strip() in _TRIVIAL)
        ):
            continue
        by_content[d.sha256].append(name)
    for same in by_content.values():
        if len(same) < 2:
            continue
        ordered = sorted(same, key=len)
        pairs = [
            (short, long)
            for i, short in enumerate(ordered)
            for long in ordered[i + 1 :]
            if long.endswith("/" + short)
        ]
        if pairs:
            short, long = pairs[0]
            ctx.add("HWB217", f"{long} is a copy of {short}", long)


def _unimportable_part(path: str, packages: set[str]) -> str | None:
    """The name that makes a module meant for import unimportable, or None. Meant for import:
    a top-level module, or one whose directories are packages (have an __init__.py); files in
    plain data directories (test-data/, lib-rt/) or with a dash inside a package (scripts run
    by path) are not imported by name."""
    parts = path.split("/")
    dirs, module = parts[:-1], parts[-1].split(".", 1)[0]
    if not dirs:
        return None if module.isidentifier() else parts[-1]
    for i, part in enumerate(dirs):
        if part.isidentifier() or (i == 0 and part.endswith(("-stubs", ".libs"))):
            continue
        if i == 0 or "/".join(dirs[: i + 1]) in packages:
            return part
        return None  # inside a data directory
    return None
