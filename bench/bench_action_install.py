"""Benchmark: the GitHub Action's install step (action.yml, step "Install hwb"), same run.

The step's own bash, taken from action.yml, runs as the runner would run it (RUNNER_TEMP, the
action's checkout as HWB_SOURCE, GITHUB_OUTPUT), in four cases:
  - fresh, uv on PATH      (`uv venv` + `uv pip install <action checkout>`)
  - fresh, no uv           (a runner with only Python: the step bootstraps uv from its wheel
                            with pip, then installs with it)
  - reuse, uv / no uv      (the action already ran in this job: the venv is found and kept)
With --before REF, also the no-uv case of action.yml as it was at git REF (before the uv
bootstrap: `python -m venv` + `pip install <action checkout>`, as cibuildwheel's action does).
Caches (uv's, pip's) are warm in every case after an untimed warm-up: on a hosted runner the
first install also downloads, equally for both installers. Rounds interleave; medians compared.
Writes bench/results/action_install.json.

Usage: python bench/bench_action_install.py [--rounds N] [--before REF]
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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def install_script(ref: str | None = None) -> str:
    text = (
        (ROOT / "action.yml").read_text()
        if ref is None
        else subprocess.run(
            ["git", "show", f"{ref}:action.yml"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout
    )  # fmt: skip
    spec = yaml.safe_load(text)
    (step,) = [s for s in spec["runs"]["steps"] if s.get("id") == "install"]
    script: str = step["run"]
    return script


def checkout(target: Path) -> Path:
    """What `uses: org/hwb@v1` checks out (the action and the package)."""
    target.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "hwb", target / "hwb", ignore=shutil.ignore_patterns("__pycache__"))
    # The wheel ships the CI templates (hatch force-include): the checkout has them.
    shutil.copytree(ROOT / "workflows-templates", target / "workflows-templates")
    shutil.copytree(ROOT / "actions", target / "actions")  # install.sh, the per-command actions
    return target


def path_without_venv(with_uv: bool, only_uv: Path) -> str:
    parts = [p for p in os.environ["PATH"].split(os.pathsep) if p and p != str(BIN)]
    return os.pathsep.join(([str(only_uv)] if with_uv else []) + parts)


def run_step(script: str, source: Path, temp: Path, path: str) -> float:
    output = temp / "github_output"
    env = {**os.environ, "PATH": path, "HWB_SOURCE": str(source), "RUNNER_TEMP": str(temp),
           "RUNNER_OS": "Linux", "GITHUB_OUTPUT": str(output)}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"install step failed:\n{done.stdout}\n{done.stderr}")
    python = output.read_text().strip().rpartition("python=")[2]
    check = subprocess.run([python, "-m", "hwb", "--version"], capture_output=True, text=True,
                           check=False)  # fmt: skip
    if check.returncode != 0:
        sys.exit(f"the installed hwb does not run: {check.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", metavar="REF", help="also time action.yml at this git ref")
    args = parser.parse_args()
    uv = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
    if uv is None:
        sys.exit("uv is needed (pip install uv)")
    script = install_script()
    before = install_script(args.before) if args.before else None
    cases = ("fresh-uv", "fresh-pip", "reuse-uv", "reuse-pip", "fresh-pip-before")
    times: dict[str, list[float]] = {k: [] for k in cases}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = checkout(base / "hwb-action")
        only_uv = base / "only-uv"
        only_uv.mkdir()
        (only_uv / "uv").symlink_to(uv)
        for round_ in range(args.rounds + 1):
            for installer in ("uv", "pip"):
                temp = base / f"runner-temp-{installer}-{round_}"
                temp.mkdir()
                path = path_without_venv(installer == "uv", only_uv)
                fresh = run_step(script, source, temp, path)
                reuse = run_step(script, source, temp, path)
                if round_:  # round 0 warms the caches
                    times[f"fresh-{installer}"].append(fresh)
                    times[f"reuse-{installer}"].append(reuse)
                shutil.rmtree(temp)
            if before is not None:
                temp = base / f"runner-temp-before-{round_}"
                temp.mkdir()
                seconds = run_step(before, source, temp, path_without_venv(False, only_uv))
                if round_:
                    times["fresh-pip-before"].append(seconds)
                shutil.rmtree(temp)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    result = {
        "rounds": args.rounds,
        "python": sys.version.split()[0],
        "uv": subprocess.run(
            [uv, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "median_seconds": med,
        "ratios": {
            "fresh uv / fresh only-Python": med["fresh-uv"] / med["fresh-pip"],
            "reuse / fresh (uv)": med["reuse-uv"] / med["fresh-uv"],
            **(
                {"fresh only-Python: now / before": med["fresh-pip"] / med["fresh-pip-before"]}
                if "fresh-pip-before" in med
                else {}
            ),
        },
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "action_install.json").write_text(json.dumps(result, indent=2))
    for name, value in med.items():
        print(f"{name:<10} {value:7.2f} s")
    for name, ratio in result["ratios"].items():
        print(f"{name}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
