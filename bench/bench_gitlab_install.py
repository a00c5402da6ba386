"""Benchmark: the GitLab templates' install (hwb.gitlab-ci.yml, .hwb-base's before_script) on
an image with only Python, now and at a git ref.

Each round is a fresh job: a new virtualenv stands for python:3.12-slim's Python (pip, no uv;
its bin/ first on PATH, so `--system` installs there), /tmp/hwb-uv removed, and the
before_script's lines run by `sh` as the runner runs them, with HWB_INSTALL's default. hwb comes
from this checkout instead of PyPI (the same spec in both cases: building hwb's wheel is part of
both). Caches (uv's, pip's) are warm after an untimed warm-up round; uv's wheel is downloaded
in every round (a fresh job has no copy). Rounds interleave; medians compared. Writes
bench/results/gitlab_install.json.

Usage: python bench/bench_gitlab_install.py [--rounds N] [--before REF]
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
TEMPLATE = "workflows-templates/gitlab/hwb.gitlab-ci.yml"


def job(ref: str | None, spec: str) -> tuple[list[str], str]:
    """The before_script lines and HWB_INSTALL of the template (at ``ref``), hwb from ``spec``."""
    text = (
        (ROOT / TEMPLATE).read_text()
        if ref is None
        else subprocess.run(["git", "show", f"{ref}:{TEMPLATE}"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    )  # fmt: skip
    doc = yaml.safe_load(text)
    install = str(doc["variables"]["HWB_INSTALL"]).replace("headless-wheel-builder", spec)
    return list(doc[".hwb-base"]["before_script"]), install


def fresh_job(lines: list[str], install: str, base: Path, python: str) -> float:
    shutil.rmtree("/tmp/hwb-uv", ignore_errors=True)  # noqa: S108 - the template's own path
    env_dir = base / "image"
    shutil.rmtree(env_dir, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(env_dir)], check=True)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and p != str(BIN)]
    env = {**os.environ, "PATH": os.pathsep.join([str(env_dir / "bin"), *path]),
           "HWB_INSTALL": install, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           # uv --system passes over virtualenvs: name the stand-in for the image's Python
           "UV_PYTHON": str(env_dir / "bin" / "python3")}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    if shutil.which("uv", path=env["PATH"]):
        sys.exit("uv is on PATH outside this virtualenv: the runner would not have it")
    start = time.perf_counter()
    for line in lines:
        done = subprocess.run(["sh", "-c", line], env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"before_script failed: {line[:80]}\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also time the template at this git ref")
    args = parser.parse_args()
    python = sys.executable  # the base interpreter of the venv it makes, like an image's Python
    cases = {"now": job(None, str(ROOT))}
    if args.before:
        cases["before"] = job(args.before, str(ROOT))
    times: dict[str, list[float]] = {k: [] for k in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds + 1):
            for name, (lines, install) in cases.items():
                seconds = fresh_job(lines, install, Path(tmp), python)
                if round_:  # round 0 warms the caches
                    times[name].append(seconds)
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {"rounds": args.rounds, "python": python, "median_seconds": med, "all": times}
    if "before" in med:
        result["now / before"] = med["now"] / med["before"]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "gitlab_install.json").write_text(json.dumps(result, indent=2))
    for name, value in med.items():
        print(f"{name:<7} {value:7.2f} s")
    if "before" in med:
        print(f"now / before: {med['now'] / med['before']:.2f}x")


if __name__ == "__main__":
    main()
