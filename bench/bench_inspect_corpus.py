"""Benchmark + accuracy survey: `hwb inspect` on real distributions from PyPI, against
`twine check --strict` on the same files, same run.

Downloads a pinned list of real wheels and sdists (every major backend and era) once with
`pip download --no-deps` into a cache directory, then:
  - accuracy: runs hwb inspect (every check but the index lookup) and counts, per check ID, how
    many real files it fails (errors) or warns about. PyPI accepted all of them, so any error is
    a false error to explain;
  - speed: one `hwb inspect` process over all files (every check, and --check-metadata alone)
    against one `twine check --strict` process over the same files, and the floor for RECORD
    verification (inflating and hashing every member over all cores), medians of ROUNDS.

Writes bench/results/inspect-corpus.json.

Usage: python bench/bench_inspect_corpus.py [--rounds N] [--cache DIR] [--details]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_CACHE = Path(os.environ.get("HWB_CORPUS_DIR", Path.home() / ".cache" / "hwb-corpus"))

# (requirement, backend/era) -- wheels for this interpreter/platform (pip picks the tag).
WHEELS: list[tuple[str, str]] = [
    # setuptools, old and new (Metadata 2.1/2.2 with License-File, LICENSE at the .dist-info root)
    ("six==1.16.0", "setuptools (2021)"),
    ("pytz==2024.1", "setuptools"),
    ("jmespath==1.0.1", "setuptools"),
    ("isodate==0.6.1", "setuptools"),
    ("python-dateutil==2.9.0.post0", "setuptools-scm"),
    ("backports.tarfile==1.2.0", "setuptools-scm"),
    ("google-auth==2.29.0", "setuptools"),
    ("requests==2.31.0", "setuptools"),
    ("certifi==2024.2.2", "setuptools"),
    ("click==8.1.7", "setuptools"),
    ("setuptools==69.2.0", "setuptools"),
    ("pip==24.0", "setuptools"),
    ("pyasn1==0.6.0", "setuptools"),
    ("pyasn1_modules==0.4.0", "setuptools"),
    ("cachetools==5.3.3", "setuptools"),
    ("distlib==0.3.8", "setuptools"),
    ("future==1.0.0", "setuptools"),
    ("tzdata==2024.1", "setuptools (zone aliases)"),
    ("pyinstaller-hooks-contrib==2024.3", "setuptools (hook-*.py)"),
    ("types-requests==2.31.0.20240406", "setuptools (*-stubs)"),
    ("psutil==5.9.8", "setuptools C extension, abi3"),
    ("pyyaml==6.0.1", "setuptools C extension (import name yaml)"),
    ("markupsafe==2.1.5", "setuptools C extension"),
    ("simplejson==3.19.2", "setuptools C extension"),
    ("msgpack==1.0.8", "setuptools Cython"),
    ("greenlet==3.0.3", "setuptools C++"),
    ("sqlalchemy==2.0.29", "setuptools Cython"),
    ("aiohttp==3.9.3", "setuptools Cython"),
    ("frozenlist==1.4.1", "setuptools Cython"),
    ("multidict==6.0.5", "setuptools C"),
    ("yarl==1.9.4", "setuptools Cython"),
    ("lxml==5.2.1", "setuptools Cython, bundled libxml2"),
    ("pillow==10.3.0", "setuptools C, auditwheel pillow.libs"),
    ("charset-normalizer==3.3.2", "setuptools mypyc"),
    ("mypy==1.9.0", "setuptools mypyc"),
    ("protobuf==5.26.1", "bazel"),
    # flit
    ("idna==3.7", "flit"),
    ("packaging==24.0", "flit"),
    ("tomli==2.0.1", "flit"),
    ("typing_extensions==4.11.0", "flit"),
    ("docutils==0.20.1", "flit"),
    ("wheel==0.43.0", "flit"),
    ("flit_core==3.9.0", "flit"),
    ("pyproject_hooks==1.0.0", "flit"),
    ("jinja2==3.1.4", "flit"),
    # hatchling
    ("colorama==0.4.6", "hatchling (2022, Metadata 2.1)"),
    ("attrs==23.2.0", "hatchling"),
    ("urllib3==2.2.1", "hatchling"),
    ("httpx==0.27.0", "hatchling"),
    ("hatchling==1.22.5", "hatchling"),
    ("filelock==3.13.4", "hatchling"),
    ("platformdirs==4.2.0", "hatchling"),
    ("pydantic==2.6.4", "hatchling"),
    ("pygments==2.17.2", "hatchling"),
    ("iniconfig==2.0.0", "hatchling"),
    ("jsonschema==4.21.1", "hatchling"),
    ("virtualenv==20.25.1", "hatchling"),
    ("black==24.3.0", "hatchling mypyc (hashed module names)"),
    # poetry-core
    ("rsa==4.9", "poetry-core"),
    ("rich==13.7.1", "poetry-core"),
    ("poetry_core==1.9.0", "poetry-core"),
    ("tomlkit==0.12.4", "poetry-core"),
    # pdm-backend
    ("pdm==2.13.2", "pdm-backend"),
    ("pdm_backend==2.2.1", "pdm-backend"),
    ("unearth==0.15.1", "pdm-backend"),
    # maturin
    ("orjson==3.10.0", "maturin"),
    ("cryptography==42.0.5", "maturin (setuptools-rust era ended)"),
    ("ruff==0.4.1", "maturin (binary in .data/scripts)"),
    ("maturin==1.5.1", "maturin (binary in .data/scripts)"),
    ("pydantic_core==2.16.3", "maturin"),
    ("pendulum==3.0.0", "maturin + poetry"),
    # scikit-build(-core)
    ("pyzmq==26.0.0", "scikit-build-core (pyzmq.libs)"),
    ("ninja==1.11.1.1", "scikit-build (binary in .data/scripts)"),
    ("iminuit==2.25.2", "scikit-build-core"),
    # meson-python
    ("numpy==1.26.4", "meson-python"),
    ("pandas==2.2.1", "meson-python"),
    ("contourpy==1.2.1", "meson-python"),
    # issue 24: names PyPI refuses today, documentation examples, shipped test keys, UNKNOWN
    ("brotli==1.1.0", "setuptools C (Brotli-1.1.0-...: name not normalized)"),
    ("cython==3.0.11", "setuptools Cython (Cython-3.0.11-...)"),
    ("pynacl==1.5.0", "setuptools cffi (PyNaCl-1.5.0-...)"),
    ("awscli==1.33.0", "setuptools (AKIA...EXAMPLE keys in examples/)"),
    ("tornado==6.4.1", "setuptools C (tornado/test/test.key)"),
    ("pycryptodome==3.20.0", "setuptools C (Crypto/SelfTest keys)"),
    ("google-pasta==0.2.0", "setuptools (Description: UNKNOWN)"),
]

# sdists (pip prepares their metadata, so only ones that need no compiler for that).
SDISTS: list[tuple[str, str]] = [
    ("six==1.16.0", "setuptools (2021)"),
    ("colorama==0.4.6", "hatchling"),
    ("pytz==2024.1", "setuptools"),
    ("jmespath==1.0.1", "setuptools"),
    ("isodate==0.6.1", "setuptools"),
    ("rsa==4.9", "poetry-core"),
    ("backports.tarfile==1.2.0", "setuptools-scm"),
    ("requests==2.31.0", "setuptools (test fixtures)"),
    ("urllib3==2.2.1", "hatchling (test fixture keys)"),
    ("httpx==0.27.0", "hatchling"),
    ("future==1.0.0", "setuptools"),
    ("google-auth==2.29.0", "setuptools (test fixture keys)"),
    ("psutil==5.9.8", "setuptools C extension"),
    ("idna==3.7", "flit"),
    ("attrs==23.2.0", "hatchling"),
    ("packaging==24.0", "flit"),
    ("click==8.1.7", "setuptools"),
    ("tomli==2.0.1", "flit"),
    ("docopt==0.6.2", "distutils-era setuptools (2014)"),
    ("termcolor==1.1.0", "distutils-era setuptools (2015)"),
    ("jinja2==3.1.4", "flit"),
    ("markupsafe==2.1.5", "setuptools C extension"),
    ("certifi==2024.2.2", "setuptools"),
    ("pyasn1==0.6.0", "setuptools"),
    ("cachetools==5.3.3", "setuptools"),
    ("python-dateutil==2.9.0.post0", "setuptools-scm"),
    ("wheel==0.43.0", "flit"),
    ("flit_core==3.9.0", "flit"),
    ("hatchling==1.22.5", "hatchling"),
    ("poetry_core==1.9.0", "poetry-core"),
    ("pdm_backend==2.2.1", "pdm-backend"),
    ("tomlkit==0.12.4", "poetry-core"),
    ("iniconfig==2.0.0", "hatchling"),
    ("pluggy==1.4.0", "setuptools-scm"),
    ("distlib==0.3.8", "setuptools"),
    ("platformdirs==4.2.0", "hatchling"),
    ("filelock==3.13.4", "hatchling"),
    ("simplejson==3.19.2", "setuptools C extension"),
    ("pyyaml==6.0.1", "setuptools Cython"),
    ("rich==13.7.1", "poetry-core"),
    ("tornado==6.4.1", "setuptools (tornado/test/test.key)"),
    ("pycryptodome==3.20.0", "setuptools (lib/Crypto/SelfTest keys)"),
]


def _pip_env() -> dict[str, str]:
    # The machine-wide constraints file (if any) must not move the pins.
    return {**os.environ, "PIP_CONSTRAINT": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _have(folder: Path, requirement: str, sdist: bool) -> Path | None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
    from packaging.version import Version

    req = Requirement(requirement)
    want = Version(next(iter(req.specifier)).version)
    for path in folder.glob("*.tar.gz" if sdist else "*.whl"):
        try:
            if sdist:
                name, version = parse_sdist_filename(path.name)
            else:
                name, version, _, _ = parse_wheel_filename(path.name)
        except ValueError:
            # Pre-PEP 625 sdists (e.g. backports.tarfile-1.2.0.tar.gz) still parse; others not.
            continue
        if name == canonicalize_name(req.name) and version == want:
            return path
    return None


def download(
    cache: Path, wheels: list[str], sdists: list[str], *, quiet: bool = False
) -> list[Path]:
    """The pinned files, downloaded with pip on first use. Returns them in list order."""
    out: list[Path] = []
    for kind, reqs in (("wheels", wheels), ("sdists", sdists)):
        folder = cache / kind
        folder.mkdir(parents=True, exist_ok=True)
        sdist = kind == "sdists"
        missing = [r for r in reqs if _have(folder, r, sdist) is None]
        flags = ["--no-binary=:all:"] if sdist else ["--only-binary=:all:"]
        base = [sys.executable, "-m", "pip", "download", "--no-deps", *flags, "-d", str(folder)]
        if missing:
            done = subprocess.run(
                [*base, *missing], env=_pip_env(), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:  # one bad pin must not lose the rest: retry one by one
                for req in missing:
                    one = subprocess.run(
                        [*base, req], env=_pip_env(), capture_output=True, text=True, check=False
                    )
                    if one.returncode != 0 and not quiet:
                        print(f"warning: {req} ({kind}) not downloaded", file=sys.stderr)
        for req in reqs:
            found = _have(folder, req, sdist)
            if found is not None:
                out.append(found)
    return out


def hwb_findings(paths: list[Path]) -> dict[str, object]:
    """Run hwb inspect (no index lookup) and summarise per check ID."""
    cmd = [str(BIN / "hwb"), "--json", "inspect", *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    data = json.loads(done.stdout)
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    infos: Counter[str] = Counter()
    details: dict[str, list[str]] = {}
    for report in data["files"]:
        name = Path(report["path"]).name
        seen: set[tuple[str, str]] = set()
        for f in report["findings"]:
            key = (f["id"], f["severity"])
            if key not in seen:
                seen.add(key)
                {"error": errors, "warning": warnings}.get(f["severity"], infos)[f["id"]] += 1
            details.setdefault(name, []).append(f"{f['severity']} {f['id']}: {f['message']}")
    return {
        "files": len(data["files"]),
        "files_with_errors": sum(
            1 for r in data["files"] if any(f["severity"] == "error" for f in r["findings"])
        ),
        "errors_by_check": dict(sorted(errors.items())),
        "warnings_by_check": dict(sorted(warnings.items())),
        "info_by_check": dict(sorted(infos.items())),
        "details": details,
    }


def twine_readable(paths: list[Path]) -> list[Path]:
    """The files `twine check` can parse at all: it aborts the whole run at the first file
    whose metadata packaging rejects (e.g. License-Expression in Metadata 2.1), so the timed
    comparison runs both tools over these."""
    from twine.exceptions import InvalidDistribution
    from twine.package import PackageFile

    ok = []
    for path in paths:
        try:
            PackageFile.from_filename(str(path), None)
        except InvalidDistribution:
            continue
        ok.append(path)
    return ok


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and its children)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _hash_file(path: str) -> int:
    """Inflate and sha256 every member of one distribution, nothing else: the least any RECORD
    verification must do. Wheels with ISA-L where installed, sdists with tarfile (as hwb)."""
    import hashlib
    import struct
    import tarfile
    import zipfile

    try:
        from isal import isal_zlib as zlib_mod
    except ImportError:  # pragma: no cover
        import zlib as zlib_mod  # type: ignore[no-redef]
    total = 0
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                fh.seek(info.header_offset + 26)
                skip = sum(struct.unpack("<HH", fh.read(4)))
                fh.seek(skip, 1)
                raw = fh.read(info.compress_size)
                data = zlib_mod.decompress(raw, -15) if info.compress_type == 8 else raw
                hashlib.sha256(data).digest()
                total += len(data)
        return total
    with tarfile.open(path, mode="r|gz") as tar:  # as hwb reads sdists (stdlib zlib)
        for member in tar:
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                data = extracted.read()
                hashlib.sha256(data).digest()
                total += len(data)
    return total


def floor_command(paths: list[Path]) -> list[str]:
    """A fresh process (like the tools timed beside it) that inflates and hashes every member
    of every file over all cores, biggest file first."""
    code = (
        "import os, sys\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_inspect_corpus as b\n"
        "paths = sorted(sys.argv[1:], key=lambda p: -os.path.getsize(p))\n"
        "with ProcessPoolExecutor(os.cpu_count()) as pool:\n"
        "    list(pool.map(b._hash_file, paths))\n"
    )
    return [sys.executable, "-c", code, *map(str, paths)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--details", action="store_true", help="print every finding per file")
    args = parser.parse_args()
    paths = download(args.cache, [r for r, _ in WHEELS], [r for r, _ in SDISTS])
    wheels = sum(1 for p in paths if p.name.endswith(".whl"))
    size = sum(p.stat().st_size for p in paths)
    print(
        f"corpus: {len(paths)} files ({wheels} wheels, {len(paths) - wheels} sdists), "
        f"{size / 1e6:.1f} MB in {args.cache}"
    )
    survey = hwb_findings(paths)
    if args.details:
        for name, lines in sorted(survey["details"].items()):  # type: ignore[attr-defined]
            print(name)
            for line in lines:
                print("   ", line)
    print(f"files with errors: {survey['files_with_errors']} / {survey['files']}")
    print("errors by check:  ", survey["errors_by_check"])
    print("warnings by check:", survey["warnings_by_check"])
    print("info by check:    ", survey["info_by_check"])
    readable = twine_readable(paths)
    print(
        f"timed on the {len(readable)} files twine check can parse "
        f"({len(paths) - len(readable)} make it abort)"
    )
    args_paths = [str(p) for p in readable]
    commands = {
        "hwb inspect": [str(BIN / "hwb"), "-q", "inspect", *args_paths],
        "hwb inspect --check-metadata": [
            str(BIN / "hwb"),
            "-q",
            "inspect",
            "--check-metadata",
            *args_paths,
        ],
        "twine check --strict": [sys.executable, "-m", "twine", "check", "--strict", *args_paths],
        # The floor for RECORD verification: inflate + sha256 of every member, all cores.
        "inflate + sha256 floor": floor_command(readable),
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}

    for cmd in commands.values():
        timed(cmd)  # warm the page cache and the imports
    for _ in range(args.rounds):
        for name, cmd in commands.items():
            wall, cpu = timed(cmd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    med = {k: statistics.median(v) for k, v in walls.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpus.items()}
    twine = med["twine check --strict"]
    floor = med["inflate + sha256 floor"]
    ratio = med["hwb inspect"] / twine
    print("| command | median wall (s) | median CPU (s) |\n|---|---|---|")
    for k in commands:
        print(f"| `{k}` | {med[k]:.3f} | {cpu_med[k]:.3f} |")
    meta = med["hwb inspect --check-metadata"] / twine
    print(
        f"\nhwb inspect / twine check --strict = {ratio:.2f}x; "
        f"hwb inspect --check-metadata / twine check --strict = **{meta:.2f}x** (goal <= 1.0); "
        f"hwb inspect / hashing floor = **{med['hwb inspect'] / floor:.2f}x** (goal <= 1.2) "
        f"(wall, {args.rounds} rounds, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    times = {"wall": walls, "cpu": cpus}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "inspect-corpus.json").write_text(
        json.dumps({"survey": survey, "times": times, "ratio": ratio}, indent=2)
    )


if __name__ == "__main__":
    main()
