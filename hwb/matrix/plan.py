"""``hwb matrix plan``: ask cibuildwheel for the identifiers (:mod:`hwb.matrix.selection`) for
every runner family the release runs on, group them into CI jobs (one per runner by default),
and render the plan for GitHub, GitLab or as JSON. A pure project plans one job: one wheel."""

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
from hwb.matrix.runners import DEFAULT_GITLAB_TAGS, GITLAB_CROSS, host_key, runner_map
from hwb.matrix.selection import ArchChoice, compiled_reasons, select_for_runners

PLATFORMS = ("linux", "macos", "windows")
GROUP_BY = ("identifier", "python", "platform-arch")
#: Jobs a CI accepts from one matrix: GitHub's strategy.matrix, GitLab's parallel:matrix.
CI_JOB_LIMITS = {"github": 256, "gitlab": 200, "json": 256}
PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Job:
    name: str
    runner: str
    platform: str  # "any" for a pure project's one job
    arch: str  # the runner's arch (a job may also build its 32-bit or universal2 wheels)
    identifiers: tuple[str, ...]
    archs: tuple[str, ...] = ()  # every arch the job builds ([arch] when empty)

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
            "archs": list(self.archs or (self.arch,)),
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
    #: A pure project: one wheel (py3-none-any) from one job, no identifiers.
    pure: bool = False
    #: platform -> the archs planned and the setting they came from.
    archs: dict[str, ArchChoice] = field(default_factory=dict)

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
        if self.pure:
            artifacts.append({"kind": "wheel", "identifier": None, "pure": True, "job": "pure"})
        if self.sdist:
            artifacts.append({"kind": "sdist", "name": self.expected_sdist_name(), "job": "sdist"})
        return {
            "hwb-plan": PLAN_FORMAT_VERSION,
            "project": self.project,
            "version": self.version,
            "platforms": self.platforms,
            "group-by": self.group_by,
            "pure": self.pure,
            "archs": {p: c.to_dict() for p, c in self.archs.items()},
            "sdist": self.sdist,
            "jobs": [job.to_dict() for job in self.jobs],
            "artifacts": artifacts,
        }


# -- grouping --------------------------------------------------------------------------------


def _job(name: str, idents: Sequence[Identifier], runners: Mapping[str, str]) -> Job:
    platform, _, arch = host_key(idents[0], runners).partition("-")
    archs = tuple(dict.fromkeys(i.arch for i in idents))
    runner = runners.get(f"{platform}-{arch}", "ubuntu-latest")
    return Job(name, runner, platform, arch, tuple(i.text for i in idents), archs)


def group_jobs(
    identifiers: Sequence[str], group_by: str, runners: Mapping[str, str], limit: int
) -> list[Job]:
    """Group identifiers into jobs; a job never spans two runners. ``platform-arch``: one job
    per runner (a 32-bit or universal2 build shares its host's, an emulated arch gets its own);
    ``python``: one per Python on each; ``identifier``: one per identifier. Above ``limit``
    jobs, each runner's identifiers are dealt into fewer, larger jobs (in proportion)."""
    parsed = [parse_identifier(i) for i in identifiers]
    groups: dict[str, list[Identifier]] = {}
    for ident in parsed:
        if group_by == "identifier":
            key = ident.text
        elif group_by == "python":
            key = f"{host_key(ident, runners)}-{ident.python}"
        else:
            key = host_key(ident, runners)
        groups.setdefault(key, []).append(ident)
    jobs = [_job(name, members, runners) for name, members in groups.items()]
    if len(jobs) <= limit:
        return jobs
    by_runner: dict[str, list[Identifier]] = {}
    for ident in parsed:
        by_runner.setdefault(host_key(ident, runners), []).append(ident)
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
    if pyproject_data is None and (project / "pyproject.toml").is_file():
        from hwb.settings.documents import load_toml

        pyproject_data = load_toml(project / "pyproject.toml")
    name, version = read_project(project, pyproject_data)
    if not compiled_reasons(project, pyproject_data):
        # No extension, backend or cibuildwheel config that compiles: one py3-none-any wheel
        # serves every platform, so one job builds it (cibuildwheel would refuse a pure wheel).
        return Plan(
            project=name,
            version=version,
            platforms=list(platforms),
            group_by=group_by,
            jobs=[Job("pure", runners["linux-x86_64"], "any", "any", ())],
            sdist=sdist,
            seconds=time.perf_counter() - started,
            method="none",
            pure=True,
        )
    found, choices, used = select_for_runners(
        project, platforms, archs, environ, pyproject_data, method
    )
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
    warnings = []
    if fmt == "gitlab":
        keys = {f"{i.platform}-{i.arch}" for i in map(parse_identifier, identifiers)}
        warnings = [f"{key}: {why}" for key, why in GITLAB_CROSS.items() if key in keys]
    return Plan(
        project=name,
        version=version,
        platforms=list(platforms),
        group_by=group_by,
        jobs=jobs,
        sdist=sdist,
        seconds=time.perf_counter() - started,
        method=used,
        warnings=warnings,
        archs=choices,
    )


def describe(plan: Plan) -> list[str]:
    """What the plan builds, for a person: the archs of each platform (and the setting they
    came from), the jobs per runner; or, for a pure project, why there is one job."""
    if plan.pure:
        return [
            "pure Python project (no compiled extension, no [tool.cibuildwheel]): one "
            "py3-none-any wheel serves every platform, built by one job"
        ]
    lines = []
    for platform, choice in plan.archs.items():
        count = sum(1 for job in plan.jobs if job.platform == platform for _ in job.identifiers)
        archs = ", ".join(choice.archs) or "none"
        lines.append(
            f"{platform}: {archs} (archs '{choice.expression}' from {choice.origin}, "
            f"over the runners; {count} identifier(s))"
        )
    for job in plan.jobs:
        lines.append(
            f"  job {job.name} on {job.runner}: {len(job.identifiers)} identifier(s), "
            f"archs {' '.join(job.archs or (job.arch,))}"
        )
    return lines


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
            Job(
                j["name"],
                j["runner"],
                j["platform"],
                j["arch"],
                tuple(j["identifiers"]),
                tuple(j.get("archs", ())),
            )
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
            pure=bool(data.get("pure", False)),
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


#: Images the release pipeline runs, pinned by digest (a tag can be moved to other code).
#: To update: `docker buildx imagetools inspect python:3.12-slim` (or `crane digest`, or the
#: docker-library/repo-info listing) gives the multi-arch index digest; keep the tag beside it
#: for readers. The tag is not what is pulled when a digest is given.
PYTHON_IMAGE = (
    "python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea"
)
DIND_IMAGE = (
    "docker:29.8.0-dind@sha256:5efed980cba3fc126cf54e21a5a6ff8849d05b6e0623d6e7612f48e9cd6cd17e"
)
#: The docker CLI for cibuildwheel's Linux builds, from Debian's signed archive (the image is
#: Debian): no installer script piped from the internet into a shell.
LINUX_SETUP = (
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io > /dev/null"
)
#: GitLab.com's hosted macOS image (Apple silicon; x86_64 builds cross-compile there).
MACOS_IMAGE = "macos-15-xcode-16"
#: Where the jobs write hwb's uv-bootstrap.py (workflows-templates/): the install runs it. The
#: jobs run in a container or VM of their own (image:, hosted macOS), so /tmp is theirs; not in
#: the project folder, where an sdist could pick it up.
BOOTSTRAP_FILE = "/tmp/hwb-uv-bootstrap.py"  # noqa: S108
UV_DIR = "/tmp/hwb-uv"  # noqa: S108


def install_command(spec: str) -> str:
    """uv's pinned wheel, sha256-checked and unpacked with Python's standard library (~2 s),
    then hwb with uv: ~6 s on an image with only Python (pip: ~18 s). Plain words joined by
    "&&", so the templates can run it without eval."""
    return f"python3 {BOOTSTRAP_FILE} {UV_DIR} && {UV_DIR}/uv pip install --quiet --system {spec}"


INSTALL = install_command("headless-wheel-builder")
#: GitLab's Windows runners run PowerShell, where the default install's paths do not exist.
WINDOWS_INSTALL = (
    "python -m pip install --quiet uv && python -m uv pip install --quiet --system "
    "headless-wheel-builder"
)


def bootstrap_script() -> str:
    """The before_script entry that writes uv-bootstrap.py into a job (a quoted here-doc: the
    shell expands nothing in it); the same text as hwb.gitlab-ci.yml's."""
    from hwb.scaffold.options import templates_dir

    text = (templates_dir() / "uv-bootstrap.py").read_text(encoding="utf-8")
    return f"cat > {BOOTSTRAP_FILE} <<'HWB_UV_BOOTSTRAP'\n{text}HWB_UV_BOOTSTRAP\n"


@dataclass(frozen=True)
class GitlabOptions:
    image: str = PYTHON_IMAGE
    install: str = INSTALL
    linux_setup: str = LINUX_SETUP
    tags: Mapping[str, str] = field(default_factory=dict)
    output_dir: str = "wheelhouse"
    dind_image: str = DIND_IMAGE


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
            "before_script": [bootstrap_script(), opts.install],
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
            # cibuildwheel runs Linux builds in manylinux containers: Docker-in-Docker, with
            # TLS (the daemon's certificates reach the job through the runner's /certs/client
            # volume, as on GitLab.com's hosted runners), from an image pinned by digest.
            entry["services"] = [{"name": opts.dind_image, "alias": "docker"}]
            entry["variables"] = {
                "DOCKER_HOST": "tcp://docker:2376",
                "DOCKER_TLS_CERTDIR": "/certs",
                "DOCKER_TLS_VERIFY": "1",
                "DOCKER_CERT_PATH": "/certs/client",
            }
            entry["before_script"] = [opts.linux_setup, bootstrap_script(), opts.install]
        if key.startswith("macos-"):
            # GitLab's hosted macOS runners take a macOS image, not a container image.
            entry["image"] = MACOS_IMAGE
        if key.startswith("windows-"):
            # GitLab's Windows runners run scripts in PowerShell.
            entry["script"] = [f'hwb matrix build --only "$env:HWB_ONLY" -o {out}']
            install = WINDOWS_INSTALL if opts.install == INSTALL else opts.install
            entry["before_script"] = [install]
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
            "before_script": [bootstrap_script(), opts.install],
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
        "before_script": [bootstrap_script(), opts.install],
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
