"""Benchmark: the CI cost of one release, hwb's generated workflow against the project's own.

For three real projects (tests/fixtures/projects: markupsafe, scikit_build_example,
itsdangerous) it counts the jobs one release runs:
  - the project's own workflow (the jobs its publishing workflow runs for a release, each
    strategy.matrix entry a job);
  - hwb before this change: a job per build identifier, planned for the planning machine's
    archs only (what `hwb matrix plan` did), plus the workflow's fixed jobs (a pure project
    already got init-ci's two-job workflow);
  - hwb now: `hwb init-ci github`'s workflow with `hwb matrix plan`'s jobs (one per runner).
and the setup each job pays before doing work: a runner start (GitHub bills each job rounded
up to a whole minute, a Windows minute as 2 and a macOS minute as 10: the floor of the bill),
and hwb's install in each job that uses the hwb action (seconds from
bench/results/action_install.json, bench_action_install.py, before and after the uv bootstrap).
Writes bench/results/release_cost.json.

Usage: python bench/bench_release_cost.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "projects"
HWB = [sys.executable, "-m", "hwb"]
#: GitHub's per-minute multipliers (docs: "Minute multipliers"), by runner label prefix.
MULTIPLIER = {"ubuntu": 1, "windows": 2, "macos": 10}
#: The publishing workflow of each project and the event that releases.
ANCHORS = {
    "markupsafe": ".github/workflows/publish.yaml",
    "scikit_build_example": ".github/workflows/wheels.yml",
    "itsdangerous": ".github/workflows/publish.yaml",
}


def multiplier(runner: str) -> int:
    return next((m for prefix, m in MULTIPLIER.items() if runner.startswith(prefix)), 1)


def expand(job: dict[str, Any]) -> list[str]:
    """The runner of each job a workflow job becomes (strategy.matrix over os)."""
    runs_on = str(job.get("runs-on", "ubuntu-latest"))
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if "${{ matrix.os }}" in runs_on and isinstance(matrix.get("os"), list):
        return [str(os_) for os_ in matrix["os"]]
    return [runs_on]


def anchor_jobs(name: str) -> list[tuple[str, str, int]]:
    """(job, runner, hwb installs) for a release of the project's own workflow."""
    doc = yaml.safe_load((REAL / name / ANCHORS[name]).read_text())
    return [(job, runner, 0) for job, spec in doc["jobs"].items() for runner in expand(spec)]


def hwb_uses(job: dict[str, Any]) -> int:
    """A job installs hwb once, however many hwb steps it has (the venv is reused)."""
    steps = job.get("steps") or []
    return int(any("/hwb@" in str(s.get("uses", "")) for s in steps))


def hwb_jobs(name: str, plan_jobs: list[dict[str, Any]], tmp: Path) -> list[tuple[str, str, int]]:
    project = tmp / name
    project.mkdir()
    for path in (REAL / name).rglob("*"):
        if path.is_file():
            target = project / path.relative_to(REAL / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    # Without the project's own publish workflow: init-ci is asked for the hwb release only.
    for workflow in (project / ".github" / "workflows").glob("*"):
        workflow.unlink()
    done = subprocess.run(
        [*HWB, "--json", "init-ci", "github", str(project), "--dry-run"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    files: dict[str, str] = json.loads(done.stdout)["files"]
    (text,) = [t for path, t in files.items() if path.endswith("release.yml")]
    doc = yaml.safe_load(text)
    out: list[tuple[str, str, int]] = []
    for job_name, spec in doc["jobs"].items():
        if "${{ matrix.os }}" in str(spec.get("runs-on")):
            out += [(f"{job_name} {j['name']}", j["runner"], hwb_uses(spec)) for j in plan_jobs]
        else:
            out.append((job_name, str(spec.get("runs-on")), hwb_uses(spec)))
    return out


def plan(project: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*HWB, "matrix", "plan", str(project)], capture_output=True, text=True, check=True
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def old_plan_jobs(project: Path) -> list[dict[str, Any]]:
    """What `hwb matrix plan` planned before: cibuildwheel's archs for this machine, one job
    per identifier (runners as the plan assigns them)."""
    from hwb.matrix.identifiers import parse_identifier
    from hwb.matrix.runners import DEFAULT_RUNNERS
    from hwb.matrix.selection import compiled_reasons, query_identifiers
    from hwb.settings.documents import load_toml

    if not compiled_reasons(project, load_toml(project / "pyproject.toml")):
        return []  # init-ci gave a pure project its pure workflow (no matrix) already
    found, _ = query_identifiers(project, ["linux", "macos", "windows"])
    return [
        {"name": i, "runner": DEFAULT_RUNNERS[parse_identifier(i).runner_key]}
        for ids in found.values()
        for i in ids
    ]


def summary(jobs: list[tuple[str, str, int]], install_s: float) -> dict[str, Any]:
    return {
        "jobs": len(jobs),
        "billed_minutes_floor": sum(multiplier(runner) for _, runner, _ in jobs),
        "hwb_installs": sum(n for _, _, n in jobs),
        "hwb_install_seconds": round(sum(n for _, _, n in jobs) * install_s, 1),
        "runners": sorted({runner for _, runner, _ in jobs}),
    }


def main() -> None:
    measured = ROOT / "bench" / "results" / "action_install.json"
    install = json.loads(measured.read_text())["median_seconds"] if measured.exists() else {}
    before_s = float(install.get("fresh-pip-before", 55.94))  # README figure when not measured
    after_s = float(install.get("fresh-pip", 0.0))
    result: dict[str, Any] = {"install_seconds": {"before": before_s, "after": after_s}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ANCHORS:
            planned = plan(REAL / name)
            tmp_dir = Path(tmp) / "now"
            tmp_dir.mkdir(exist_ok=True)
            now = hwb_jobs(name, planned["jobs"], tmp_dir)
            tmp_old = Path(tmp) / "old"
            tmp_old.mkdir(exist_ok=True)
            old = hwb_jobs(name, old_plan_jobs(REAL / name), tmp_old)
            if not planned.get("pure"):
                # release.yml had a validate job of its own beside plan then.
                old.append(("validate", "ubuntu-latest", 1))
            result[name] = {
                "own workflow": summary(anchor_jobs(name), 0.0),
                "hwb before": summary(old, before_s),
                "hwb now": summary(now, after_s),
                "wheels planned now": len([i for j in planned["jobs"] for i in j["identifiers"]])
                or 1,
            }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "release_cost.json").write_text(json.dumps(result, indent=2))
    print(f"{'project':<22}{'workflow':<14}{'jobs':>5}{'min. billed':>13}{'hwb install s':>15}")
    for name in ANCHORS:
        for label in ("own workflow", "hwb before", "hwb now"):
            row = result[name][label]
            print(
                f"{name:<22}{label:<14}{row['jobs']:>5}{row['billed_minutes_floor']:>13}"
                f"{row['hwb_install_seconds']:>15}"
            )


if __name__ == "__main__":
    main()
