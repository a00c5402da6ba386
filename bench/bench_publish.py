"""Benchmark: `hwb publish` against `twine upload` and `uv publish`, same files, same run.

A fresh pypiserver per run (so every upload is new) behind the fault proxy from tests/ used
as a *delay* proxy: real registries answer slowly (an upload to PyPI takes well over a second),
while on bare loopback every tool is dominated by its own start-up; so each workload runs with
50 ms added to every response, and without it.

Workloads:
  - 200 small wheels of one project (200 versions) to one registry: hwb vs twine vs uv publish
    (both upload one at a time), with 50 ms per response and without;
  - 60 wheels of 60 distinct projects (60 index lookups for hwb; pypiserver answers each
    unknown project with a redirect to PyPI, which hwb does not follow), 50 ms per response;
  - the same 200 wheels to two registries at once with hwb, against one registry;
  - one 1 GiB wheel: hwb's peak RSS (GNU time's maximum resident set size).

hwb runs as users run it: `hwb inspect` first, then the uploads, then verified delivery (each
project's listing read again); and with --no-verify, to show what the verification costs.
Medians of ROUNDS.
Usage: python bench/bench_publish.py [--rounds N] [--skip-big]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import distfactory as df  # noqa: E402 - after the path setup
from tests.faultproxy import FaultProxy, Faults  # noqa: E402
from tests.servers import pypiserver  # noqa: E402

BIN = Path(sys.executable).parent


def uv_bin() -> str:
    try:
        import uv

        return str(uv.find_uv_bin())
    except ImportError:
        return shutil.which("uv") or "uv"


@contextlib.contextmanager
def registry(base: Path, delay: float) -> Iterator[str]:
    packages = Path(tempfile.mkdtemp(dir=base))
    with (
        pypiserver(packages, server="paste") as server,
        FaultProxy(server.url, Faults(delay=delay)) as proxy,
    ):
        yield proxy.url


#: As installed by pip, every tool has its bytecode compiled; an editable hwb under
#: PYTHONDONTWRITEBYTECODE (set on these machines) would compile its modules on every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_hwb() -> None:
    import compileall

    compileall.compile_dir(str(ROOT / "hwb"), quiet=1)


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV)
    if out.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {out.stdout[-800:]}{out.stderr[-800:]}")
    return time.perf_counter() - start


def commands(url: str, files: list[str]) -> dict[str, list[str]]:
    return {
        "hwb publish": [str(BIN / "hwb"), "-q", "publish", "--url", url, *files],
        # the same without verified delivery: what reading every listing again costs
        "hwb publish --no-verify": [
            str(BIN / "hwb"),
            "-q",
            "publish",
            "--no-verify",
            "--url",
            url,
            *files,
        ],
        "twine upload": [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--disable-progress-bar",
            "--non-interactive",
            "--repository-url",
            url,
            "-u",
            "x",
            "-p",
            "x",
            *files,
        ],
        "uv publish": [
            uv_bin(),
            "publish",
            "--no-config",
            "--publish-url",
            url,
            "--username",
            "x",
            "--password",
            "x",
            *files,
        ],
    }


def make_projects(base: Path, n: int) -> list[str]:
    """One wheel each of ``n`` distinct projects."""
    folder = base / "projects"
    folder.mkdir()
    return [str(df.project_wheel(folder, f"bench-project-{i}", "1.0")) for i in range(n)]


def compare(files: list[str], base: Path, delay: float, rounds: int) -> dict[str, list[float]]:
    """Each tool ROUNDS times, interleaved, each run against a fresh registry."""
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name in commands("x", files):
            with registry(base, delay) as url:
                times.setdefault(name, []).append(run(commands(url, files)[name]))
    return times


def table(key: str, times: dict[str, list[float]]) -> list[str]:
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [f"### {key}", "", "| command | median (s) | hwb / this |", "|---|---|---|"]
    lines += [f"| `{k}` | {v:.2f} | {med['hwb publish'] / v:.2f}x |" for k, v in med.items()]
    return [*lines, ""]


def make_wheels(base: Path, n: int) -> list[str]:
    folder = base / "wheels"
    folder.mkdir()
    return [
        str(
            df.wheel(
                folder, version=f"3.0.{i}", metadata=df.GOOD_METADATA.format(version=f"3.0.{i}")
            )
        )
        for i in range(n)
    ]


def big_wheel(base: Path, size: int) -> str:
    """A valid wheel holding one stored member of ``size`` random-ish bytes, written in chunks."""
    folder = base / "big"
    folder.mkdir()
    path = df.wheel(folder)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf,
        zf.open("demo_pkg/blob.bin", "w", force_zip64=True) as fh,
    ):
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    return str(path)  # RECORD lacks blob.bin: publish with --no-inspect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--projects", type=int, default=60)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument(
        "--only-projects", action="store_true", help="only the many-projects workload (repeats)"
    )
    args = parser.parse_args()
    compile_hwb()
    results: dict[str, dict[str, list[float]]] = {}
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hwb-bench-publish-") as tmp:
        base = Path(tmp)
        if args.only_projects:
            key = f"{args.projects} wheels of {args.projects} projects, 50 ms per response"
            results[key] = compare(make_projects(base, args.projects), base, 0.05, args.rounds)
            print("\n".join(table(key, results[key])))
            return
        files = make_wheels(base, args.files)
        for delay in (0.05, 0.0):
            key = f"{args.files} wheels of one project, {int(delay * 1000)} ms per response"
            results[key] = compare(files, base, delay, args.rounds)
            lines += table(key, results[key])
        key = f"{args.projects} wheels of {args.projects} projects, 50 ms per response"
        results[key] = compare(make_projects(base, args.projects), base, 0.05, args.rounds)
        lines += table(key, results[key])
        two: list[float] = []
        one: list[float] = []
        for _ in range(args.rounds):
            with registry(base, 0.05) as a, registry(base, 0.05) as b:
                project = base / "two"
                project.mkdir(exist_ok=True)
                (project / "pyproject.toml").write_text(
                    f'[tool.hwb.registries.a]\nurl = "{a}"\n[tool.hwb.registries.b]\nurl = "{b}"\n'
                )
                two.append(
                    run(
                        [
                            str(BIN / "hwb"),
                            "-q",
                            "publish",
                            "-r",
                            "a",
                            "-r",
                            "b",
                            "--project",
                            str(project),
                            *files,
                        ]
                    )
                )
            with registry(base, 0.05) as a:
                one.append(run([str(BIN / "hwb"), "-q", "publish", "--url", a, *files]))
        results["two registries"] = {"two": two, "one": one}
        ratio = statistics.median(two) / statistics.median(one)
        lines += [
            "### Two registries at once (50 ms)",
            "",
            f"two: {statistics.median(two):.2f} s, one: {statistics.median(one):.2f} s, "
            f"ratio **{ratio:.2f}x**",
            "",
        ]
        if not args.skip_big:
            big = big_wheel(base, 1 << 30)
            with registry(base, 0.0) as url:
                out = subprocess.run(
                    [
                        "/usr/bin/time",
                        "-f",
                        "%M",
                        str(BIN / "hwb"),
                        "-q",
                        "publish",
                        "--no-inspect",
                        "--url",
                        url,
                        big,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
            rss_mb = int(out.stderr.strip().splitlines()[-1]) / 1024
            results["1 GiB"] = {"peak_rss_mb": [rss_mb]}
            lines += ["### One 1 GiB wheel", "", f"hwb peak RSS: **{rss_mb:.0f} MB**", ""]
    text = "\n".join(lines)
    print(text)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "publish.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
