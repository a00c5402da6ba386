"""``hwb init-ci github``: the release workflow from hwb's template, with the project's tag
trigger, build Python, cibuildwheel choices and publishing steps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hwb import __version__
from hwb.errors import ProjectError
from hwb.scaffold import yamlio
from hwb.scaffold.detect import ProjectFacts
from hwb.scaffold.existing import build_python
from hwb.scaffold.options import HEADER, UNPINNED_HWB, USES_COMMENT, Options, templates_dir
from hwb.versioning.tags import trigger_glob


def _is_hwb_action(uses: Any) -> bool:
    return isinstance(uses, str) and uses.split("@", 1)[0].rstrip("/").endswith("/hwb")


_TAKES_PACKAGE_DIR = {"build", "matrix-plan", "matrix-build", "release-notes"}


def _publish_to(step: dict[str, Any]) -> str | None:
    """The repository a publish step of the hwb action targets (None: not a publish step)."""
    inputs = step.get("with") or {}
    if not _is_hwb_action(step.get("uses")) or inputs.get("command") != "publish":
        return None
    return str(inputs.get("repository", "pypi"))


def _github_steps(steps: list[dict[str, Any]], facts: ProjectFacts, options: Options) -> None:
    extra = [r for r in options.registries if r not in {"pypi", "testpypi"}]
    has_testpypi = any(_publish_to(s) == "testpypi" for s in steps)
    for index in reversed(range(len(steps))):
        step = steps[index]
        target = _publish_to(step)
        if target == "testpypi" and not options.testpypi:
            del steps[index]
            continue
        if target is not None and not options.attestations:
            step["with"]["attestations"] = False
        if target == "pypi":
            if options.testpypi and not has_testpypi:
                steps.insert(index, {**step, "with": {**step["with"], "repository": "testpypi"}})
            if extra:
                step["with"]["repository"] = ",".join(["pypi", *extra])
    for step in steps:
        if not _is_hwb_action(step.get("uses")):
            continue
        step["uses"] = f"{step['uses'].split('@', 1)[0]}@{options.ref}"
        inputs = step.setdefault("with", {})
        if facts.package_dir != "." and inputs.get("command") in _TAKES_PACKAGE_DIR:
            inputs.setdefault("package-dir", facts.package_dir)


def render_github(facts: ProjectFacts, options: Options, cibw: dict[str, str]) -> dict[Path, str]:
    name = "release.yml" if facts.compiled else "pure.yml"
    source = templates_dir() / "github" / name
    if not source.is_file():  # pragma: no cover - a broken installation
        raise ProjectError(f"hwb's GitHub template {name} is missing from this installation")
    template = source.read_text(encoding="utf-8")
    data = yamlio.load(template)
    # The template's version comments on SHA-pinned actions (``# v4.2.2``) are kept.
    comments = {
        uses: comment
        for uses, comment in USES_COMMENT.findall(template)
        if not _is_hwb_action(uses.removeprefix("uses: "))
    }
    data["on"]["push"]["tags"] = [trigger_glob(facts.effective_tag_format)]
    if cibw:
        # The plan and the wheel jobs read them (cibuildwheel's own variables).
        rest = {k: v for k, v in data.items() if k != "jobs"}
        data = {**rest, "env": cibw, "jobs": data["jobs"]}
    python, prerelease = build_python(facts.requires_python)
    for job in data.get("jobs", {}).values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/setup-python@"):
                step.setdefault("with", {})["python-version"] = python
                if prerelease:
                    step["with"]["allow-prereleases"] = True
        env = job.get("environment")
        if env == "pypi":
            job["environment"] = options.environment
        elif isinstance(env, dict) and env.get("name") == "pypi":
            env["name"] = options.environment
        _github_steps(job.get("steps", []), facts, options)
    if not re.fullmatch(r"[0-9a-f]{40}", options.ref):  # as the template: the audited exception
        for job in data.get("jobs", {}).values():
            for step in job.get("steps", []):
                if _is_hwb_action(step.get("uses")):
                    comments[f"uses: {step['uses']}"] = UNPINNED_HWB
    header = HEADER["github"].format(
        version=__version__, template=f"workflows-templates/github/{name}"
    )
    text = header + yamlio.dump(data, comments)
    return {facts.root / ".github" / "workflows" / "release.yml": text}
