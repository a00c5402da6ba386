"""``hwb matrix plan``: ask cibuildwheel for the identifiers (:mod:`hwb.matrix.selection`),
group them into CI jobs, and render the plan for GitHub, GitLab or as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from hwb.errors import ConfigError, ProjectError
from hwb.matrix.identifiers import Identifier, parse_identifier
from hwb.matrix.runners import DEFAULT_GITLAB_TAGS, runner_for, runner_map
from hwb.matrix.selection import query_identifiers

PLATFORMS = ("linux", "macos", "windows")
GROUP_BY = ("identifier", "python", "platform-arch")
#: Jobs a CI accepts from one matrix: GitHub's strategy.matrix, GitLab's parallel:matrix.
CI_JOB_LIMITS = {"github": 256, "gitlab": 200, "json": 256}
PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Job:
    name: str
    runner: str
    platform: str
    arch: str
    identifiers: tuple[str, ...]

    @property
    def runner_key(self) -> str:
        return f"{self.platform}-{self.arch}"

    @property
    def only(self) -> str:
        """What ``hwb matrix build --only`` takes: the identifiers, space-separated."""
        return " ".join(self.identifiers)

    @property
    def artifact(self) -> str:
        return f"wheels-{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runner": self.runner,
            "platform": self.platform,
            "arch": self.arch,
            "identifiers": list(self.identifiers),
            "only": self.only,
            "artifact": self.artifact,
        }


@dataclass
class Plan:
    project: str | None
    version: str | None
    platforms: list[str]
    group_by: str
    jobs: list[Job]
    sdist: bool
    seconds: float = 0.0
    method: str = "api"
    warnings: list[str] = field(default_factory=list)

    @property
    def identifiers(self) -> list[str]:
        return [i for job in self.jobs for i in job.identifiers]

    def expected_sdist_name(self) -> str | None:
        if not (self.sdist and self.project and self.version):
            return None
        return f"{canonicalize_name(self.project).replace('-', '_')}-{self.version}.tar.gz"

    def to_dict(self) -> dict[str, Any]:
        artifacts: list[dict[str, Any]] = [
            {"kind": "wheel", "identifier": ident, "job": job.name}
            for job in self.jobs
            for ident in job.identifiers
        ]
        if self.sdist:
            artifacts.append({"kind": "sdist", "name": self.expected_sdist_name(), "job": "sdist"})
        return {
            "hwb-plan": PLAN_FORMAT_VERSION,
            "project": self.project,
            "version": self.version,
            "platforms": self.platforms,
            "group-by": self.group_by,
            "sdist": self.sdist,
            "jobs": [job.to_dict() for job in self.jobs],
            "artifacts": artifacts,
        }


# -- grouping --------------------------------------------------------------------------------


def _job(name: str, idents: Sequence[Identifier], runners: Mapping[str, str]) -> Job:
    first = idents[0]
    return Job(
        name, runner_for(first, runners), first.platform, first.arch, tuple(i.text for i in idents)
    )


def group_jobs(
    identifiers: Sequence[str], group_by: str, runners: Mapping[str, str], limit: int
) -> list[Job]:
    """Group identifiers into jobs; a job never spans two runners. Above ``limit`` jobs, each
    runner's identifiers are dealt into fewer, larger jobs (in proportion to their count)."""
    parsed = [parse_identifier(i) for i in identifiers]
    groups: dict[str, list[Identifier]] = {}
    for ident in parsed:
        if group_by == "identifier":
            key = ident.text
        elif group_by == "python":
            key = f"{ident.runner_key}-{ident.python}"
        else:
            key = ident.runner_key
        groups.setdefault(key, []).append(ident)
    jobs = [_job(name, members, runners) for name, members in groups.items()]
    if len(jobs) <= limit:
        return jobs
    by_runner: dict[str, list[Identifier]] = {}
    for ident in parsed:
        by_runner.setdefault(ident.runner_key, []).append(ident)
    if len(by_runner) > limit:
        raise ConfigError(
            f"the plan needs at least {len(by_runner)} jobs (one per platform and arch), "
            f"more than the limit of {limit}",
            hint="Raise [tool.hwb.matrix] max-jobs, or narrow the platforms or archs.",
        )
    total = len(parsed)
    jobs = []
    for key, members in by_runner.items():
        count = max(1, min(len(members), math.floor(limit * len(members) / total)))
        chunks = [members[i::count] for i in range(count)]
        jobs += [_job(f"{key}-{n}", chunk, runners) for n, chunk in enumerate(chunks, 1)]
    return jobs


# -- the plan --------------------------------------------------------------------------------


def read_project(project: Path, data: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """Name and (static) version from [project]; None where dynamic or absent."""
    table = (data or {}).get("project", {})
    if not isinstance(table, dict):
        return None, None
    name = table.get("name") if isinstance(table.get("name"), str) else None
    dynamic = table.get("dynamic", [])
    version = table.get("version")
    if "version" in dynamic or not isinstance(version, str):
        version = None
    return name, version


def make_plan(
    project: Path,
    *,
    platforms: Sequence[str],
    archs: str | None,
    group_by: str,
    runner_overrides: Mapping[str, str],
    sdist: bool,
    max_jobs: int,
    fmt: str = "json",
    pyproject_data: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    method: str = "auto",
) -> Plan:
    import time

    if not project.is_dir():
        raise ProjectError(f"{project} is not a directory", hint="Pass the project's folder.")
    if not any((project / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg")):
        raise ProjectError(
            f"{project} has no pyproject.toml, setup.py or setup.cfg",
            hint="Run hwb matrix plan in (or pass) the project's folder.",
        )
    started = time.perf_counter()
    runners = runner_map(runner_overrides)
    found, used = query_identifiers(project, platforms, archs, environ, method)
    identifiers = [i for platform in platforms for i in found[platform]]
    if not identifiers:
        raise ConfigError(
            f"cibuildwheel selects no build for {', '.join(platforms)}",
            hint="Check build/skip/archs in [tool.cibuildwheel] and requires-python.",
        )
    limit = CI_JOB_LIMITS.get(fmt, 256)
    if max_jobs > 0:
        limit = min(limit, max_jobs)
    jobs = group_jobs(identifiers, group_by, runners, limit)
    name, version = read_project(project, pyproject_data)
    return Plan(
        project=name,
        version=version,
        platforms=list(platforms),
        group_by=group_by,
        jobs=jobs,
        sdist=sdist,
        seconds=time.perf_counter() - started,
        method=used,
    )


def load_plan(path: Path) -> Plan:
    """Read a plan written by ``hwb matrix plan --format json``."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the plan {path}: {exc.strerror}", file=str(path)) from None
    except (ValueError, RecursionError) as exc:  # also a number past int()'s digit limit
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        if "digits" in why and "limit" in why:
            why = "it holds a number of more than 4300 digits"
        raise ConfigError(
            f"{path} is not a JSON plan: {why}",
            hint="Write it with 'hwb matrix plan --format json -o plan.json'.",
            file=str(path),
        ) from None
    if not isinstance(data, dict) or data.get("hwb-plan") != PLAN_FORMAT_VERSION:
        raise ConfigError(
            f"{path} is not an hwb plan (format {PLAN_FORMAT_VERSION})",
            hint="Write it with 'hwb matrix plan --format json -o plan.json'.",
            file=str(path),
        )
    try:
        jobs = [
            Job(j["name"], j["runner"], j["platform"], j["arch"], tuple(j["identifiers"]))
            for j in data["jobs"]
        ]
        for ident in (i for job in jobs for i in job.identifiers):
            parse_identifier(str(ident), file=str(path))  # gather matches wheels against them
        return Plan(
            project=data.get("project"),
            version=data.get("version"),
            platforms=list(data.get("platforms", [])),
            group_by=str(data.get("group-by", "identifier")),
            jobs=jobs,
            sdist=bool(data.get("sdist", False)),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: malformed plan ({exc!r})", file=str(path)) from None


# -- renderings ------------------------------------------------------------------------------


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2) + "\n"


def github_matrix(plan: Plan) -> dict[str, Any]:
    """``{"include": [...]}`` for ``strategy.matrix: ${{ fromJSON(...) }}``; ``os`` is the
    runner, ``only`` what ``hwb matrix build --only`` takes, ``artifact`` a unique name."""
    return {
        "include": [
            {
                "name": job.name,
                "os": job.runner,
                "platform": job.platform,
                "arch": job.arch,
                "only": job.only,
                "artifact": job.artifact,
            }
            for job in plan.jobs
        ]
    }


def render_github(plan: Plan) -> str:
    return json.dumps(github_matrix(plan), separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class GitlabOptions:
    image: str = "python:3.12"
    install: str = "python -m pip install headless-wheel-builder"
    linux_setup: str = "curl -fsSL https://get.docker.com/ | sh"
    tags: Mapping[str, str] = field(default_factory=dict)
    output_dir: str = "wheelhouse"


def _gitlab_job_name(runner_key: str) -> str:
    return f"hwb-wheels-{runner_key.lower()}"


def gitlab_pipeline(plan: Plan, opts: GitlabOptions) -> dict[str, Any]:
    """A child pipeline: one job per platform-arch whose ``parallel:matrix`` runs one hwb job
    per plan entry, an sdist job, and a gather job that refuses an incomplete set."""
    out = opts.output_dir.rstrip("/")
    tags = {k: list(v) for k, v in DEFAULT_GITLAB_TAGS.items()}
    tags.update({k: v.split() for k, v in opts.tags.items()})
    artifacts = {"paths": [f"{out}/"], "expire_in": "1 week"}
    doc: dict[str, Any] = {
        "stages": ["build", "gather"],
        ".hwb-wheels": {
            "stage": "build",
            "image": opts.image,
            "before_script": [opts.install],
            "script": [f'hwb matrix build --only "$HWB_ONLY" -o {out}'],
            "artifacts": artifacts,
        },
    }
    by_runner: dict[str, list[Job]] = {}
    for job in plan.jobs:
        by_runner.setdefault(job.runner_key, []).append(job)
    needs: list[dict[str, Any]] = []
    for key, jobs in by_runner.items():
        entry: dict[str, Any] = {"extends": ".hwb-wheels"}
        if key.startswith("linux-"):
            # cibuildwheel runs Linux builds in manylinux containers: Docker-in-Docker.
            entry["services"] = [
                {
                    "name": "docker:dind",
                    "entrypoint": ["env", "-u", "DOCKER_HOST"],
                    "command": ["dockerd-entrypoint.sh"],
                }
            ]
            entry["variables"] = {
                "DOCKER_HOST": "tcp://docker:2375/",
                "DOCKER_DRIVER": "overlay2",
                "DOCKER_TLS_CERTDIR": "",
            }
            entry["before_script"] = [opts.linux_setup, opts.install]
        if key.startswith("windows-"):
            # GitLab's Windows runners run scripts in PowerShell.
            entry["script"] = [f'hwb matrix build --only "$env:HWB_ONLY" -o {out}']
        if tags.get(key):
            entry["tags"] = tags[key]
        if len(jobs) == 1:
            entry.setdefault("variables", {})["HWB_ONLY"] = jobs[0].only
        else:
            entry["parallel"] = {"matrix": [{"HWB_ONLY": [job.only for job in jobs]}]}
        name = _gitlab_job_name(key)
        doc[name] = entry
        needs.append({"job": name, "artifacts": True})
    if plan.sdist:
        doc["hwb-sdist"] = {
            "stage": "build",
            "image": opts.image,
            "before_script": [opts.install],
            "script": [f"hwb build --sdist --no-wheel -o {out}"],
            "artifacts": artifacts,
        }
        needs.append({"job": "hwb-sdist", "artifacts": True})
    doc["hwb-gather"] = {
        "stage": "gather",
        "image": opts.image,
        "needs": needs,
        "variables": {
            # The plan travels inside the pipeline; expand: false keeps it byte for byte.
            "HWB_PLAN": {
                "value": json.dumps(plan.to_dict(), separators=(",", ":")),
                "expand": False,
            },
        },
        "before_script": [opts.install],
        "script": [
            'printf "%s" "$HWB_PLAN" > plan.json',
            f"hwb gather {out} --plan plan.json -o dist --checksum",
        ],
        "artifacts": {"paths": ["dist/"], "expire_in": "1 week"},
    }
    return doc


def render_gitlab(plan: Plan, opts: GitlabOptions) -> str:
    import yaml

    header = (
        "# Generated by `hwb matrix plan --format gitlab`: a child pipeline for\n"
        "# `trigger: include: - artifact: <this file>`. Do not edit; re-run the plan.\n"
    )

    class NoAliases(yaml.SafeDumper):
        """Repeated tables written out in full: no &id001 anchors for a reader to chase."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    body: str = yaml.dump(
        gitlab_pipeline(plan, opts), Dumper=NoAliases, sort_keys=False, width=1 << 20
    )
    return header + body
