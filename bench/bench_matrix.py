"""Benchmark: `hwb matrix` against plain cibuildwheel, same run.

Compared (real manylinux builds under podman, in the image of tests/containers/manylinux-image.sh):
  - two identifiers: `hwb matrix build --jobs 2 --only A --only B` (two concurrent cibuildwheel
    runs) vs `cibuildwheel --platform linux` with CIBW_BUILD="A B" (one run, one after the other)
  - one identifier: `hwb matrix build --only A` vs `cibuildwheel --only A` (orchestration cost)
  - planning all three platforms: `hwb matrix plan` vs the three
    `cibuildwheel --print-build-identifiers --platform P` calls a jq-built matrix needs

Each build uses a fresh copy of the C-extension example and a fresh output folder; the tools run
interleaved ROUNDS times (alternating which goes first) after an untimed warm-up, medians
compared. The machine's load average is printed: on a shared machine it decides the figures. Writes
bench/results/matrix.json.

Usage: python bench/bench_matrix.py [--rounds N] [--plan-rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IMAGE = "localhost/hwb-manylinux:bookworm"
IDS = ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64"]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def fresh(base: Path, name: str) -> tuple[Path, Path]:
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
    project = work / "proj"
    shutil.copytree(ROOT / "examples" / "cext-setuptools", project)
    return project, work / "wheelhouse"


def build_cases(base: Path, env: dict[str, str]) -> dict[str, dict[str, Callable[[], float]]]:
    cibw = [sys.executable, "-m", "cibuildwheel"]
    hwb = [str(BIN / "hwb"), "-q", "matrix", "build", "--isolation", "podman"]

    def two_cibw() -> float:
        project, out = fresh(base, "cibw2")
        e = {**env, "CIBW_BUILD": " ".join(IDS)}
        return timed([*cibw, "--platform", "linux", "--output-dir", str(out), "."], project, e)

    def two_hwb() -> float:
        project, out = fresh(base, "hwb2")
        args = [*hwb, "--jobs", "2", "--only", IDS[0], "--only", IDS[1], "-o", str(out), "."]
        return timed(args, project, env)

    def one_cibw() -> float:
        project, out = fresh(base, "cibw1")
        return timed([*cibw, "--only", IDS[1], "--output-dir", str(out), "."], project, env)

    def one_hwb() -> float:
        project, out = fresh(base, "hwb1")
        return timed([*hwb, "--only", IDS[1], "-o", str(out), "."], project, env)

    return {
        "two identifiers": {"hwb matrix build --jobs 2": two_hwb, "cibuildwheel": two_cibw},
        "one identifier": {"hwb matrix build": one_hwb, "cibuildwheel --only": one_cibw},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--plan-rounds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("podman") is None:
        sys.exit("podman is needed (see .ci/run)")
    subprocess.run(
        ["bash", str(ROOT / "tests" / "containers" / "manylinux-image.sh"), IMAGE], check=True
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CIBW_", "HWB_", "GITHUB_", "GITLAB_"))
    }
    env |= {"CIBW_CONTAINER_ENGINE": "podman", "CIBW_MANYLINUX_X86_64_IMAGE": IMAGE}
    results: dict[str, dict[str, float]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hwb-bench-matrix-") as tmp:
        base = Path(tmp)
        for case, tools in build_cases(base, env).items():
            for fn in tools.values():
                fn()  # warm-up (caches, page cache)
            times: dict[str, list[float]] = {name: [] for name in tools}
            for n in range(args.rounds):
                # Alternate which tool goes first, so drift in the machine's load hits both.
                order = list(tools.items())
                for name, fn in order if n % 2 == 0 else reversed(order):
                    times[name].append(fn())
            results[case] = {name: statistics.median(ts) for name, ts in times.items()}
        example = ROOT / "examples" / "cext-setuptools"
        plan_hwb = [str(BIN / "hwb"), "-q", "matrix", "plan", str(example), "--format", "github"]
        plan_cibw = [
            [
                sys.executable,
                "-m",
                "cibuildwheel",
                "--print-build-identifiers",
                "--platform",
                p,
                str(example),
            ]
            for p in ("linux", "macos", "windows")
        ]
        times = {
            "hwb matrix plan (3 platforms)": [],
            "cibuildwheel --print-build-identifiers x3": [],
        }
        for _ in range(args.plan_rounds):
            times["hwb matrix plan (3 platforms)"].append(timed(plan_hwb, base, env))
            times["cibuildwheel --print-build-identifiers x3"].append(
                sum(timed(argv, base, env) for argv in plan_cibw)
            )
        results["plan"] = {name: statistics.median(ts) for name, ts in times.items()}

    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(f"cores: {os.cpu_count()}, rounds: {args.rounds} (plan: {args.plan_rounds}), {load}")
    for case, figures in results.items():
        (hwb_name, hwb_s), (other_name, other_s) = list(figures.items())
        ratio = hwb_s / other_s
        print(f"{case}: {hwb_name} {hwb_s:.3f}s vs {other_name} {other_s:.3f}s -> {ratio:.2f}x")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "matrix.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
