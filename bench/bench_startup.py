"""Benchmark: start-up of `hwb --version` against `twine --version`, same run.

hwb now installs its whole toolset as core dependencies (pypi-attestations, sigstore, rich,
cibuildwheel...); this checks they stay off the path of `hwb --version` (goal: ≤ 0.5× twine).
One cold run each, then ROUNDS interleaved runs; medians and the ratio; also `hwb --help` and
`hwb build --help` (which imports the build command module) for reference.

Usage: python bench/bench_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "hwb --version": [str(BIN / "hwb"), "--version"],
    "twine --version": [str(BIN / "twine"), "--version"],
    "hwb --help": [str(BIN / "hwb"), "--help"],
    "hwb build --help": [str(BIN / "hwb"), "build", "--help"],
}


def once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():
        once(argv)  # cold: fills the OS page cache and writes .pyc files
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            times[name].append(once(argv))
    med = {name: statistics.median(t) for name, t in times.items()}
    twine = med["twine --version"]
    print(f"start-up, median of {args.rounds} interleaved runs")
    for name, value in med.items():
        print(f"  {name:<18} {value:.3f} s   ({value / twine:.2f}× twine --version)")
    ratio = med["hwb --version"] / twine
    print(f"hwb --version / twine --version = {ratio:.2f} (goal ≤ 0.50)")


if __name__ == "__main__":
    main()
