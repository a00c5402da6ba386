"""Benchmark: `hwb build --sdist` against the tools a user would pick instead, same run.

Compared (each builds the sdist, then the wheel from that sdist, in isolated environments):
  - hwb build --sdist
  - python -m build              (pypa/build, pip installer)
  - python -m build --installer uv
  - uv build

And start-up: `hwb --version` against `twine --version`.

Every command runs on a fresh copy of the example (setuptools writes into the tree) with a
fresh output directory, ROUNDS times, interleaved so that drift in machine load hits every tool
alike. Reports medians and ratios (hwb / other); writes bench/results/build.json.

Usage: python bench/bench_build.py [--rounds N] [--example NAME ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def uv_bin() -> str:
    try:
        import uv

        return str(uv.find_uv_bin())
    except ImportError:
        found = shutil.which("uv")
        if not found:
            sys.exit("uv is needed for the comparison: pip install uv")
        return found


def build_commands(outdir: Path) -> dict[str, list[str]]:
    return {
        "hwb build --sdist": [str(BIN / "hwb"), "-q", "build", "--sdist", "-o", str(outdir)],
        "python -m build": [sys.executable, "-m", "build", "-o", str(outdir)],
        "python -m build --installer uv": [
            sys.executable,
            "-m",
            "build",
            "--installer",
            "uv",
            "-o",
            str(outdir),
        ],
        "uv build": [uv_bin(), "build", "-q", "--out-dir", str(outdir)],
    }


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_builds(example: str, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="hwb-bench-") as tmp:
        base = Path(tmp)
        # One untimed warm-up per tool fills the caches every tool relies on (uv's, pip's).
        for warm in (True,) + (False,) * rounds:
            for name in build_commands(base / "x"):
                src = base / "src"
                shutil.rmtree(src, ignore_errors=True)
                shutil.copytree(ROOT / "examples" / example, src)
                out = base / "out"
                shutil.rmtree(out, ignore_errors=True)
                seconds = timed(build_commands(out)[name], src)
                built = sorted(p.suffix for p in out.iterdir() if p.suffix in {".whl", ".gz"})
                assert built == [".gz", ".whl"], (name, built)
                if not warm:
                    times.setdefault(name, []).append(seconds)
    return times


def bench_startup(rounds: int) -> dict[str, list[float]]:
    commands = {
        "hwb --version": [str(BIN / "hwb"), "--version"],
        "twine --version": [str(BIN / "twine"), "--version"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds * 4 + 1):
        for name, cmd in commands.items():
            times[name].append(timed(cmd, ROOT))
    return {name: values[1:] for name, values in times.items()}  # drop the cold first run


def report(title: str, times: dict[str, list[float]], subject: str) -> list[str]:
    medians = {name: statistics.median(values) for name, values in times.items()}
    lines = [
        f"### {title}",
        "",
        "| command | median (s) | runs | hwb / this |",
        "|---|---|---|---|",
    ]
    for name, median in medians.items():
        ratio = medians[subject] / median
        lines.append(f"| `{name}` | {median:.3f} | {len(times[name])} | {ratio:.2f}x |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--example", action="append", default=None)
    args = parser.parse_args()
    examples = args.example or ["pure-hatch", "cext-setuptools"]

    results: dict[str, dict[str, list[float]]] = {}
    lines: list[str] = []
    for example in examples:
        results[example] = bench_builds(example, args.rounds)
        lines += report(f"Build: examples/{example}", results[example], "hwb build --sdist")
    results["startup"] = bench_startup(args.rounds)
    lines += report("Start-up", results["startup"], "hwb --version")

    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "build.json").write_text(json.dumps(results, indent=2))
    (out / "build.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
