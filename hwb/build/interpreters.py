"""Finding the Python interpreter a build should use (``--python X.Y`` or a path).

Looks on PATH, in pyenv's versions and among uv-managed Pythons, and checks each candidate by
running it: a pyenv shim or a stale link answers to its name but may not run.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hwb import ci, proc
from hwb.errors import HwbError, InterpreterNotFoundError

_VERSION_SPEC = re.compile(r"^(\d+)\.(\d+)$")
#: A candidate that has not answered by then (a shim waiting on a prompt, a hung network mount)
#: is not a working Python.
PROBE_TIMEOUT = 30.0
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: str  # X.Y.Z

    @property
    def short_version(self) -> str:
        return ".".join(self.version.split(".")[:2])


def current() -> Interpreter:
    return Interpreter(sys.executable, "{}.{}.{}".format(*sys.version_info[:3]))


def probe(executable: str | Path, environ: Mapping[str, str] | None = None) -> Interpreter | None:
    """Run ``executable`` and read its version; None if it is not a working Python (or does
    not answer within :data:`PROBE_TIMEOUT`)."""
    try:
        out = proc.run(
            [str(executable), "-c", _PROBE],
            env=environ,
            stream_level=logging.DEBUG,
            timeout=PROBE_TIMEOUT,
        )
    except (OSError, HwbError):
        return None
    # The last two lines: whatever the interpreter printed first (a shim's warning on stderr,
    # merged in) is ignored.
    lines = [line.strip() for line in out.lines if line.strip()][-2:]
    if out.returncode != 0 or len(lines) < 2:
        return None
    return Interpreter(lines[1], lines[0])


def _pyenv_root(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _candidates(major: int, minor: int, environ: Mapping[str, str]) -> list[Path]:
    found: list[Path] = []
    shims = str(_pyenv_root(environ) / "shims")
    for directory in environ.get("PATH", "").split(os.pathsep):
        if not directory or directory == shims:
            continue
        candidate = Path(directory) / f"python{major}.{minor}"
        if candidate.is_file():
            found.append(candidate)
    versions = _pyenv_root(environ) / "versions"
    if versions.is_dir():
        # Newest patch release first.
        for entry in sorted(versions.glob(f"{major}.{minor}.*"), reverse=True):
            if re.fullmatch(rf"{major}\.{minor}\.\d+", entry.name):
                found.append(entry / "bin" / "python")
    uv_found = _uv_find(f"{major}.{minor}", environ)
    if uv_found:
        found.append(Path(uv_found))
    return found


def _uv_find(request: str, environ: Mapping[str, str]) -> str | None:
    uv = uv_binary(environ)
    if uv is None:
        return None
    result = proc.run([uv, "python", "find", "--no-project", request], env=environ, stream_level=0)
    return result.lines[-1].strip() if result.returncode == 0 and result.lines else None


def uv_binary(environ: Mapping[str, str] | None = None) -> str | None:
    """The uv executable: the ``uv`` package's, else ``$UV`` or ``uv`` on PATH."""
    try:
        import uv

        path: str = uv.find_uv_bin()
        return path
    except (ImportError, FileNotFoundError):
        environ = ci.environ() if environ is None else environ
        return proc.which(environ.get("UV") or "uv", environ)


def available(environ: Mapping[str, str] | None = None) -> list[Interpreter]:
    """Every interpreter found, one per X.Y, for error messages."""
    environ = ci.environ() if environ is None else environ
    seen: dict[str, Interpreter] = {}
    for minor in range(8, 16):
        for candidate in _candidates(3, minor, environ):
            interp = probe(candidate, environ)
            if interp is not None and interp.short_version == f"3.{minor}":
                seen.setdefault(interp.short_version, interp)
                break
    return sorted(seen.values(), key=lambda i: tuple(int(p) for p in i.version.split(".")))


#: The oldest Python a PEP 517 build can run under (pyproject_hooks' in-process runner).
OLDEST = (3, 8)


def find(spec: str, environ: Mapping[str, str] | None = None) -> Interpreter:
    """Resolve ``spec``: empty for the running interpreter, ``X.Y``, or a path; one found
    that cannot run a PEP 517 build (too old) is an InterpreterNotFoundError too (exit 6),
    not a build failure later. ``environ`` (the process's by default) says where to look
    (``PATH``, ``PYENV_ROOT``, ``UV``)."""
    if not spec:
        return current()
    interp = _find(spec, ci.environ() if environ is None else environ)
    version = tuple(int(p) for p in interp.version.split(".")[:2])
    if version < OLDEST:
        raise InterpreterNotFoundError(
            f"--python {spec}: Python {interp.version} ({interp.executable}) cannot run a "
            f"PEP 517 build (hwb needs {OLDEST[0]}.{OLDEST[1]} or newer)",
            hint=f"Use Python {OLDEST[0]}.{OLDEST[1]}+ (e.g. --python 3.12).",
        )
    return interp


def _find(spec: str, environ: Mapping[str, str]) -> Interpreter:
    match = _VERSION_SPEC.match(spec)
    if match is None:
        path = Path(spec).expanduser()
        interp = probe(path, environ) if path.exists() else None
        if interp is None:
            raise InterpreterNotFoundError(
                f"--python {spec}: not a working Python interpreter",
                hint="Give X.Y (e.g. 3.12) or the path of a python executable.",
            )
        return interp
    major, minor = int(match.group(1)), int(match.group(2))
    for candidate in _candidates(major, minor, environ):
        interp = probe(candidate, environ)
        if interp is not None and interp.short_version == spec:
            return interp
    found = ", ".join(f"{i.short_version} ({i.executable})" for i in available(environ)) or "none"
    raise InterpreterNotFoundError(
        f"no Python {spec} interpreter found (looked on PATH, in pyenv and uv-managed Pythons)",
        hint=f"Install Python {spec} (e.g. 'uv python install {spec}'). Found: {found}.",
    )
