"""Is this version (this very file) already on the target index?"""

from __future__ import annotations

from packaging.version import Version

from hwb.distfiles import version_of
from hwb.errors import IndexLookupError
from hwb.inspect.context import Context
from hwb.simple_api import IndexFile, project_files, redact_url


def check_version(
    ctx: Context, index_url: str, sha256: str, cache: dict[str, list[IndexFile]]
) -> None:
    if not ctx.name or not ctx.version:
        return
    try:
        if ctx.name not in cache:
            cache[ctx.name] = project_files(index_url, ctx.name)
        listed = cache[ctx.name]
    except IndexLookupError as exc:
        ctx.add("HWB503", str(exc))
        return
    filename = ctx.archive.path.name
    same = [f for f in listed if f.filename == filename]
    where = redact_url(index_url)
    if same:
        if same[0].sha256 is None or same[0].sha256 == sha256:
            note = "" if same[0].sha256 else " (the index gives no hash to compare)"
            ctx.add("HWB502", f"{filename} is already on {where} with identical content{note}")
        else:
            ctx.add("HWB501", f"{filename} is already on {where} with different content")
        return
    try:
        version = Version(ctx.version)
    except ValueError:
        return
    others = [f.filename for f in listed if version_of(f.filename) == version]
    if others:
        ctx.add(
            "HWB504",
            f"version {version} already has {len(others)} other file(s) on {where} "
            f"({', '.join(others[:3])}); this file would be added to it",
        )
