"""Sdist structure (PEP 625 name, one top directory, PKG-INFO, no escaping paths)."""

from __future__ import annotations

import posixpath

from packaging.utils import InvalidSdistFilename, canonicalize_name, parse_sdist_filename

from hwb.inspect.archive import unsafe_path
from hwb.inspect.catalogue import Severity
from hwb.inspect.context import Context


def check_sdist(ctx: Context) -> str | None:
    """Returns the top directory when there is exactly one."""
    archive = ctx.archive
    filename = archive.path.name
    expected_top = None
    if not filename.endswith(".tar.gz"):
        ctx.add("HWB301", f"{filename} is not a .tar.gz (PEP 625 requires .tar.gz)")
    else:
        try:
            name, version = parse_sdist_filename(filename)
        except InvalidSdistFilename as exc:
            ctx.add("HWB301", str(exc))
        else:
            stem = filename[: -len(".tar.gz")]
            normalized = f"{canonicalize_name(name).replace('-', '_')}-{version}"
            if stem != normalized:  # as HWB203 for wheels: only PyPI refuses it
                public = ctx.public_index
                where = "" if public else " (PyPI and TestPyPI refuse it; other indexes accept it)"
                ctx.add(
                    "HWB301",
                    f"{filename} should be named {normalized}.tar.gz{where}",
                    severity=None if public else Severity.WARNING,
                )
            expected_top = stem
    tops = set()
    for m in archive.members:
        if unsafe_path(m.name):
            ctx.add("HWB305", f"member path {m.name!r} escapes the sdist directory", m.name)
        if m.kind in {"symlink", "hardlink"} and m.link is not None:
            base = posixpath.dirname(m.name) if m.kind == "symlink" else ""
            target = posixpath.normpath(posixpath.join(base, m.link))
            if m.link.startswith("/") or target.startswith("..") or not target.split("/")[0]:
                ctx.add("HWB305", f"link {m.name} points outside the sdist ({m.link})", m.name)
        if m.kind == "other":
            ctx.add("HWB305", f"{m.name} is a device or other special file", m.name)
        tops.add(m.name.split("/", 1)[0])
    if len(tops) != 1:
        ctx.add("HWB306", f"top-level entries: {', '.join(sorted(tops)[:5]) or 'none'}")
        return None
    top = tops.pop()
    if expected_top is not None and top != expected_top:
        ctx.add("HWB306", f"top directory is {top!r}, expected {expected_top!r}", top)
    names = set(archive.names)
    if f"{top}/PKG-INFO" not in names:
        ctx.add("HWB302", f"{top}/PKG-INFO is missing")
    if f"{top}/pyproject.toml" not in names:
        ctx.add("HWB304", f"{top}/pyproject.toml is missing")
    return top


def check_pkg_info_matches(ctx: Context) -> None:
    """PKG-INFO name/version against the filename (after the metadata was read)."""
    filename = ctx.archive.path.name
    if not (ctx.name and ctx.version and filename.endswith(".tar.gz")):
        return
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return
    from packaging.version import Version

    try:
        same_version = Version(ctx.version) == version
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        same_version = False
    if canonicalize_name(ctx.name) != name or not same_version:
        ctx.add(
            "HWB303", f"PKG-INFO says {ctx.name} {ctx.version}; the filename says {name} {version}"
        )
