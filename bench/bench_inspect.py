"""Benchmark: `hwb inspect` against `twine check` + `check-wheel-contents`, same files, same run.

Two workloads, generated fresh:
  - 200 small wheels (each tool gets all 200 paths in one process, as in `tool dist/*`);
  - one wheel with 10,000 members.
hwb runs every check (metadata, README, RECORD hashes, layout, sensitive content); the other
side is the pair a user runs today to cover metadata + README and wheel layout. Medians of
ROUNDS, ratio hwb / (twine check + check-wheel-contents). Writes bench/results/inspect.json.

Usage: python bench/bench_inspect.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import distfactory as df  # noqa: E402 - after the path setup above

BIN = Path(sys.executable).parent


def make_corpus(base: Path) -> tuple[list[Path], Path]:
    many = base / "many"
    many.mkdir()
    wheels = []
    for i in range(200):
        version = f"1.0.{i}"
        files = {f"{df.NAME}/__init__.py": f'"""Module {i}."""\nVALUE = {i}\n'.encode()}
        files.update({f"{df.NAME}/mod{j}.py": f"X = {i * 10 + j}\n".encode() for j in range(8)})
        wheels.append(
            df.wheel(
                many,
                version=version,
                files=files,
                metadata=df.GOOD_METADATA.format(version=version),
            )
        )
    big_dir = base / "big"
    big_dir.mkdir()
    files = {f"{df.NAME}/__init__.py": b'"""Big."""\n'}
    files.update(
        {f"{df.NAME}/sub{j // 100}/m{j}.py": f"VALUE = {j}\n".encode() for j in range(9_990)}
    )
    files.update({f"{df.NAME}/sub{k}/__init__.py": f"# package {k}\n".encode() for k in range(100)})
    big = df.wheel(big_dir, files=files)
    return wheels, big


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def compare(paths: list[Path], rounds: int) -> dict[str, list[float]]:
    args = [str(p) for p in paths]
    commands = {
        "hwb inspect": [str(BIN / "hwb"), "-q", "inspect", *args],
        "twine check": [sys.executable, "-m", "twine", "check", *args],
        "check-wheel-contents": [
            sys.executable,
            "-m",
            "check_wheel_contents",
            "--no-config",
            *args,
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    return times


def report(title: str, times: dict[str, list[float]]) -> list[str]:
    med = {k: statistics.median(v) for k, v in times.items()}
    theirs = med["twine check"] + med["check-wheel-contents"]
    lines = [f"### {title}", "", "| command | median (s) |", "|---|---|"]
    lines += [f"| `{k}` | {v:.3f} |" for k, v in med.items()]
    lines += [
        f"| twine check + check-wheel-contents | {theirs:.3f} |",
        "",
        f"hwb / (twine check + check-wheel-contents) = **{med['hwb inspect'] / theirs:.2f}x**",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwb-bench-inspect-") as tmp:
        wheels, big = make_corpus(Path(tmp))
        results = {
            "200 wheels": compare(wheels, args.rounds),
            "10,000-member wheel": compare([big], args.rounds),
        }
    lines: list[str] = []
    for title, times in results.items():
        lines += report(title, times)
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "inspect.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
