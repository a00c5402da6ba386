"""``hwb init-ci gitlab``: the project's ``.gitlab-ci.yml`` (hwb's templates included remotely, from
its GitLab project, or vendored) and the matrix child pipeline, rendered from data."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from hwb import __version__
from hwb.errors import ProjectError
from hwb.matrix.plan import install_command
from hwb.scaffold import yamlio
from hwb.scaffold.detect import ProjectFacts
from hwb.scaffold.existing import DEFAULT_PYTHON, build_python
from hwb.scaffold.options import (
    GITLAB_HOST,
    HEADER,
    UPSTREAM,
    VENDOR_DIR,
    Options,
    templates_dir,
)


def _pip_spec(ref: str) -> str:
    version = ref.removeprefix("v")
    if re.fullmatch(r"\d+(\.\d+)*([abc]|rc|\.post|\.dev)?\d*", version):
        return f"headless-wheel-builder=={version}"
    # No spaces: the template splits HWB_INSTALL into words (it is never eval'd).
    return f"headless-wheel-builder@git+https://github.com/{UPSTREAM}@{ref}"


def integrity(text: str) -> str:
    """GitLab's ``include: integrity:`` value for a file: ``sha256-`` and its base64 digest."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _gitlab_includes(options: Options, files: list[str]) -> list[dict[str, Any]]:
    if options.templates == "vendor":
        return [{"local": f"{VENDOR_DIR}/{name}"} for name in files]
    paths = [f"workflows-templates/gitlab/{name}" for name in files]
    if options.templates == "project":
        return [{"project": UPSTREAM, "ref": options.ref, "file": paths}]
    base = f"https://{GITLAB_HOST}/{UPSTREAM}/-/raw/{options.ref}"
    includes: list[dict[str, Any]] = [{"remote": f"{base}/{path}"} for path in paths]
    if options.ref == f"v{__version__}":
        # The files at this hwb's own tag are the ones it ships: GitLab refuses a remote
        # include whose content differs (a moved tag, a compromised host).
        source = templates_dir() / "gitlab"
        for include, name in zip(includes, files, strict=True):
            include["integrity"] = integrity((source / name).read_text(encoding="utf-8"))
    return includes


def render_gitlab(facts: ProjectFacts, options: Options, cibw: dict[str, str]) -> dict[Path, str]:
    pipeline = "hwb-release-matrix.gitlab-ci.yml" if facts.compiled else "hwb-release.gitlab-ci.yml"
    chosen = ["hwb.gitlab-ci.yml", pipeline]
    # GitLab's registry: its own job in the pure pipeline; in the matrix pipeline the files live
    # in the child, whose publish job then uploads there too.
    own_job = "gitlab" in options.registries and not facts.compiled
    names = ["pypi", *[r for r in options.registries if not (r == "gitlab" and own_job)]]
    variables: dict[str, str] = {
        # uv bootstrapped from its pinned wheel installs hwb in seconds (pip alone: ~18 s). A
        # list of commands joined by "&&", each split into words (the template never evals it):
        # no quotes around the requirement, which has no spaces.
        "HWB_INSTALL": install_command(_pip_spec(options.ref)),
        "HWB_PACKAGE_DIR": facts.package_dir,
        "HWB_REPOSITORY": ",".join(dict.fromkeys(names)),
        "HWB_TESTPYPI": "true" if options.testpypi else "false",
        "HWB_ENVIRONMENT": options.environment,
    }
    python, _ = build_python(facts.requires_python)
    if python != DEFAULT_PYTHON:
        # requires-python excludes the pinned 3.12 image (see _gitlab_image_warning).
        variables["HWB_IMAGE"] = f"python:{python}-slim"
    variables.update(cibw)
    data: dict[str, Any] = {"include": _gitlab_includes(options, chosen), "variables": variables}
    if own_job:
        data["hwb-publish-gitlab"] = {
            "extends": ".hwb-publish-gitlab",
            "needs": [
                {"job": "hwb-build", "artifacts": True},
                {"job": "hwb-inspect", "artifacts": False},
            ],
        }
    header = HEADER["gitlab"].format(version=__version__)
    files = {facts.root / ".gitlab-ci.yml": header + yamlio.dump(data)}
    if options.templates == "vendor":
        source = templates_dir() / "gitlab"
        for name in chosen:
            files[facts.root / VENDOR_DIR / name] = (source / name).read_text(encoding="utf-8")
    return files


def child_pipeline(matrix_text: str, templates: Path | None = None) -> str:
    """The matrix's child pipeline: what ``hwb matrix plan --format gitlab`` wrote (build jobs,
    sdist, and the gather job that refuses an incomplete set, with the plan inside), kept as it
    is, plus the publish jobs of hwb.gitlab-ci.yml after gather, their ``extends:`` resolved
    since a pipeline made from an artifact cannot include files."""
    base = yamlio.load(
        ((templates or templates_dir()) / "gitlab" / "hwb.gitlab-ci.yml").read_text("utf-8")
    )
    matrix = yamlio.load(matrix_text)
    if not isinstance(matrix, dict) or "hwb-gather" not in matrix:
        raise ProjectError(
            "the matrix pipeline has no hwb-gather job",
            hint="Pass the file 'hwb matrix plan --format gitlab' wrote.",
        )
    hidden = {k: v for k, v in base.items() if k.startswith(".")}
    stages = [*matrix.get("stages", ["build", "test"])]
    child: dict[str, Any] = {
        "variables": {**base.get("variables", {}), **matrix.get("variables", {})},
        "stages": [*stages, "publish"] if "publish" not in stages else stages,
    }
    child.update({k: v for k, v in matrix.items() if k not in {"variables", "stages"}})
    for job in child.values():
        if isinstance(job, dict) and isinstance(job.get("variables"), dict):
            job["variables"] = {k: _plain(v) for k, v in job["variables"].items()}
    after = [{"job": "hwb-gather", "artifacts": True}]
    testpypi = _resolve({"extends": ".hwb-publish-testpypi"}, hidden)
    testpypi.update(
        needs=after,
        environment={"name": "testpypi"},
        rules=[{"if": '$CI_COMMIT_TAG && $HWB_TESTPYPI == "true"'}],
    )
    child["hwb-publish-testpypi"] = testpypi
    publish = _resolve({"extends": ".hwb-publish"}, hidden)
    publish.update(
        needs=[*after, {"job": "hwb-publish-testpypi", "artifacts": False, "optional": True}],
        environment={"name": "$HWB_ENVIRONMENT"},
    )
    child["hwb-publish"] = publish
    return yamlio.dump(child)


def _plain(value: Any) -> Any:
    """``{value: V, expand: false}`` as the plain string every runner reads: ``$`` escaped as
    ``$$`` (GitLab's own escape), since gitlab-ci-local rejects the long form in a job."""
    if isinstance(value, dict) and value.get("expand") is False and "value" in value:
        return str(value["value"]).replace("$", "$$")
    return value


def _merge(lower: Any, higher: Any) -> Any:
    """GitLab's ``extends:`` merge: mappings deep-merged, everything else replaced."""
    if isinstance(lower, dict) and isinstance(higher, dict):
        merged = dict(lower)
        for key, value in higher.items():
            merged[key] = _merge(lower.get(key), value) if key in lower else value
        return merged
    return higher


def _resolve(job: dict[str, Any], hidden: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    if depth > 10:  # GitLab's own nesting limit is 11
        raise ProjectError("extends: nests too deep (or loops)")
    parents = job.get("extends", [])
    parents = [parents] if isinstance(parents, str) else list(parents)
    result: dict[str, Any] = {}
    for parent in parents:
        if parent not in hidden:
            raise ProjectError(f"extends: {parent} is not defined")
        result = _merge(result, _resolve(hidden[parent], hidden, depth + 1))
    own = {k: v for k, v in job.items() if k != "extends"}
    return dict(_merge(result, own))
