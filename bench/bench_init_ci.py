"""Benchmark: `hwb init-ci github` against `maturin generate-ci github` (the closest scaffolder,
GitHub and maturin only), same maturin project, same run.

For each: median wall time of ROUNDS runs (printing the workflow, writing nothing), whether the
workflow passes check-jsonschema's GitHub workflow schema, and zizmor's findings at medium
severity or above (offline). Writes bench/results/init_ci.json.

Usage: python bench/bench_init_ci.py [--rounds N]   (needs maturin: pip install maturin)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def maturin_project(base: Path) -> Path:
    """A PyO3-style project without crates (cargo metadata must work offline)."""
    proj = base / "greet"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "lib.rs").write_text("")
    (proj / "Cargo.toml").write_text(
        '[package]\nname = "greet"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[lib]\nname = "greet"\ncrate-type = ["cdylib"]\n'
    )
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["maturin>=1"]\nbuild-backend = "maturin"\n\n'
        '[project]\nname = "greet"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
    )
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    subprocess.run(["git", "remote", "add", "origin", "https://github.com/octo/greet.git"],
                   cwd=proj, check=True)  # fmt: skip
    return proj


def timed(argv: list[str], cwd: Path, rounds: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = proc.stdout
    return statistics.median(times), out


def judge(text: str, base: Path, name: str) -> dict[str, object]:
    path = base / name
    path.write_text(text)
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    audit = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", "--format", "plain",
         str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    match = re.search(r"(\d+) medium, (\d+) high", audit.stdout + audit.stderr)
    findings = int(match[1]) + int(match[2]) if match else 0
    return {"schema_ok": schema.returncode == 0, "zizmor_medium_or_high": findings}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    maturin = shutil.which("maturin", path=str(BIN)) or shutil.which("maturin")
    if maturin is None:
        print("maturin is not installed (pip install maturin)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        proj = maturin_project(base)
        hwb_s, hwb_out = timed(
            [str(BIN / "hwb"), "--json", "init-ci", "github", "--dry-run"], proj, args.rounds
        )
        hwb_text = next(iter(json.loads(hwb_out)["files"].values()))
        mat_s, mat_text = timed([maturin, "generate-ci", "github"], proj, args.rounds)
        result = {
            "rounds": args.rounds,
            "hwb": {"median_s": round(hwb_s, 3), **judge(hwb_text, base, "hwb.yml")},
            "maturin": {"median_s": round(mat_s, 3), **judge(mat_text, base, "maturin.yml")},
            "ratio_time_hwb_over_maturin": round(hwb_s / mat_s, 2),
        }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "init_ci.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
