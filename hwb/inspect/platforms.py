"""The wheel platform tags PyPI accepts on upload.

PyPI refuses a binary wheel whose platform tag names no portable ABI ("Binary wheel '...' has
an unsupported platform tag 'linux_x86_64'."): a wheel built outside a manylinux or musllinux
container links against the build machine's own libraries and would break elsewhere. The rule
below follows warehouse's upload code (``forklift/legacy.py``, read for this in 2026); other
registries (devpi, pypiserver, Artifactory, static indexes) accept any tag.
"""

from __future__ import annotations

import re

# Tags accepted as they are.
_FIXED = frozenset(
    {"any", "win32", "win_amd64", "win_arm64", "win_ia64", "linux_armv6l", "linux_armv7l"}
    | {f"manylinux1_{arch}" for arch in ("x86_64", "i686")}
    | {f"manylinux2010_{arch}" for arch in ("x86_64", "i686")}
    | {
        f"manylinux2014_{arch}"
        for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
    }
)
_MACOS_ARCHS = frozenset(
    {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64"}
    | {"universal", "universal2"}
)
# macOS 11 and later are tagged macosx_<major>_0 (macOS 26 followed 15).
_MACOS_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_MUSL_ARCHS = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_MANY_ARCHS = _MUSL_ARCHS | {"ppc64"}

_MACOS = re.compile(r"macosx_(\d+)_(\d+)_(.+)")
_PEP600 = re.compile(r"(many|musl)linux_\d+_\d+_(.+)")  # manylinux_2_17_x86_64, PEP 600/656
_IOS = re.compile(r"ios_\d+_\d+_(.+)_(?:iphoneos|iphonesimulator)")
_ANDROID = re.compile(r"android_\d+_(.+)")
_EMSCRIPTEN = re.compile(r"pyemscripten_\d+_\d+_wasm32")


def pypi_accepts(platform: str) -> bool:
    """Whether PyPI accepts a wheel with this platform tag."""
    if platform in _FIXED:
        return True
    if m := _MACOS.match(platform):
        major, minor, arch = m.groups()
        return arch in _MACOS_ARCHS and (major == "10" or (major in _MACOS_MAJORS and minor == "0"))
    if m := _PEP600.match(platform):
        libc, arch = m.groups()
        return arch in (_MANY_ARCHS if libc == "many" else _MUSL_ARCHS)
    if m := _IOS.match(platform):
        return m.group(1) in {"arm64", "x86_64"}
    if m := _ANDROID.match(platform):
        return m.group(1) in {"armeabi_v7a", "arm64_v8a", "x86", "x86_64"}
    return bool(_EMSCRIPTEN.match(platform))
