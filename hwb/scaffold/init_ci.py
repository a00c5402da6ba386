"""``hwb init-ci``: a project's release pipeline, rendered from data (never by pasting YAML text).

:func:`plan` returns every file it would write with its exact text; the command prints them
(``--dry-run``) or writes them (:func:`write`). The templates are the ones in
``workflows-templates/`` (shipped inside the wheel as ``hwb/templates``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from hwb import __version__
from hwb.errors import InitCiRefusedError, ProjectError, UsageError
from hwb.fs import write_atomic
from hwb.scaffold import yamlio
from hwb.scaffold.detect import ProjectFacts, detect
from hwb.scaffold.existing import (
    DEFAULT_PYTHON,
    Publisher,
    build_python,
    cibuildwheel_env,
    publishers,
)
from hwb.versioning.tags import trigger_glob

__all__ = [
    "Options",
    "ScaffoldPlan",
    "child_pipeline",
    "detect",
    "plan",
    "templates_dir",
    "write",
]

#: hwb's own repository: where remote/project includes and the action come from.
UPSTREAM = "hwb-dev/hwb"
GITLAB_HOST = "gitlab.com"
GITLAB_FILES = (
    "hwb.gitlab-ci.yml",
    "hwb-release.gitlab-ci.yml",
    "hwb-release-matrix.gitlab-ci.yml",
)
VENDOR_DIR = ".gitlab/hwb"
HEADER = {
    "gitlab": "# Written by `hwb init-ci gitlab` (hwb {version}). Settings are CI/CD variables:\n"
    "# see the variables documented at the top of hwb's templates; no need to edit those.\n",
    "github": "# Written by `hwb init-ci github` (hwb {version}) from hwb's {template}.\n",
}
_USES_COMMENT = re.compile(r"^\s*(?:- )?(uses: \S+)\s+#\s*(.+?)\s*$", re.M)
_UNPINNED_HWB = (
    "zizmor: ignore[unpinned-uses] hwb at a release tag (--ref SHA pins it by commit instead)"
)
_PLACEHOLDER_OWNER = "<owner>"
_PLACEHOLDER_REPO = "<repository>"


def templates_dir() -> Path:
    """The installed templates (the wheel ships ``workflows-templates`` as ``hwb/templates``),
    else the source checkout's ``workflows-templates`` (editable installs)."""
    packaged = Path(str(resources.files("hwb"))) / "templates"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "workflows-templates"
    if source.is_dir():
        return source
    raise ProjectError(  # pragma: no cover - a broken installation
        "hwb's CI templates are missing from this installation",
        hint="Reinstall hwb (pip install --force-reinstall hwb).",
    )


Ci = Literal["github", "gitlab"]
Templates = Literal["remote", "project", "vendor"]
#: The command line's choices as the Literal types (click already refused anything else).
CIS: dict[str, Ci] = {"github": "github", "gitlab": "gitlab"}
TEMPLATES: dict[str, Templates] = {"remote": "remote", "project": "project", "vendor": "vendor"}


@dataclass
class Options:
    ci: Ci
    #: gitlab: include hwb's templates by URL, from its GitLab project, or copy them in.
    templates: Templates = "remote"
    testpypi: bool = False
    registries: list[str] = field(default_factory=list)
    environment: str = "pypi"
    ref: str = f"v{__version__}"
    attestations: bool = True
    #: The project's CI already publishes: remove those files (replace) or keep them (keep_both).
    replace: bool = False
    keep_both: bool = False
    #: Write the tag format found in the project's tags into pyproject.toml.
    write_tag_format: bool = False


def carried_cibw_env(facts: ProjectFacts, warnings: list[str]) -> dict[str, str]:
    """The CIBW_* choices of the project's own workflows that the release pipeline keeps (a
    compiled project only), less those this cibuildwheel refuses (named in ``warnings``)."""
    if not facts.compiled:
        return {}
    found = cibuildwheel_env(facts.root)
    if not found:
        return {}
    from hwb.errors import ConfigError
    from hwb.matrix.selection import query_identifiers

    refused = []
    for name, value in found.items():
        try:
            query_identifiers(facts.project_dir, ["linux"], environ={name: value})
        except ConfigError as exc:
            refused.append(name)
            warnings.append(f"not carried over: {name}={value!r} ({exc.message})")
    kept = {k: v for k, v in found.items() if k not in refused}
    if kept:
        warnings.append(
            "kept the cibuildwheel settings of the project's workflows: "
            + ", ".join(f"{k}={v!r}" for k, v in kept.items())
        )
    return kept


@dataclass
class ScaffoldPlan:
    facts: ProjectFacts
    options: Options
    files: dict[Path, str]  # absolute path -> exact text
    warnings: list[str]
    next_steps: list[str]
    #: The project's own publishing workflows, removed by write() (``--replace``).
    remove: list[Path] = field(default_factory=list)


# -- GitLab ---------------------------------------------------------------------------------------
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


def _gitlab(facts: ProjectFacts, options: Options, cibw: dict[str, str]) -> dict[Path, str]:
    pipeline = "hwb-release-matrix.gitlab-ci.yml" if facts.compiled else "hwb-release.gitlab-ci.yml"
    chosen = ["hwb.gitlab-ci.yml", pipeline]
    # GitLab's registry: its own job in the pure pipeline; in the matrix pipeline the files live
    # in the child, whose publish job then uploads there too.
    own_job = "gitlab" in options.registries and not facts.compiled
    names = ["pypi", *[r for r in options.registries if not (r == "gitlab" and own_job)]]
    variables: dict[str, str] = {
        # uv bootstrapped from its wheel installs hwb in seconds (pip alone: ~30 s). A list of
        # commands joined by "&&", each split into words (the template never evals it): no
        # quotes around the requirement, which has no spaces.
        "HWB_INSTALL": (
            "python -m pip install --quiet --root-user-action=ignore uv && "
            f"python -m uv pip install --quiet --system {_pip_spec(options.ref)}"
        ),
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


# -- GitHub ---------------------------------------------------------------------------------------
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


def _github(facts: ProjectFacts, options: Options, cibw: dict[str, str]) -> dict[Path, str]:
    name = "release.yml" if facts.compiled else "pure.yml"
    source = templates_dir() / "github" / name
    if not source.is_file():  # pragma: no cover - a broken installation
        raise ProjectError(f"hwb's GitHub template {name} is missing from this installation")
    template = source.read_text(encoding="utf-8")
    data = yamlio.load(template)
    # The template's version comments on SHA-pinned actions (``# v4.2.2``) are kept.
    comments = {
        uses: comment
        for uses, comment in _USES_COMMENT.findall(template)
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
                    comments[f"uses: {step['uses']}"] = _UNPINNED_HWB
    header = HEADER["github"].format(
        version=__version__, template=f"workflows-templates/github/{name}"
    )
    text = header + yamlio.dump(data, comments)
    return {facts.root / ".github" / "workflows" / "release.yml": text}


# -- next steps -----------------------------------------------------------------------------------
def _next_steps(facts: ProjectFacts, options: Options) -> list[str]:
    remote = facts.remote
    owner = remote.owner if remote else _PLACEHOLDER_OWNER
    repo = remote.name if remote else _PLACEHOLDER_REPO
    project = facts.name or "<project name>"
    indexes = [("PyPI", "pypi.org", options.environment)]
    if options.testpypi:  # GitLab publishes to TestPyPI from its own job and environment
        test_env = options.environment if options.ci == "github" else "testpypi"
        indexes.insert(0, ("TestPyPI", "test.pypi.org", test_env))
    lines: list[str] = []
    for label, host, environment in indexes:
        if options.ci == "github":
            fields = {"owner": owner, "repository": repo, "workflow_filename": "release.yml"}
            form = [("Owner", owner), ("Repository name", repo), ("Workflow name", "release.yml")]
            provider = "github"
        else:
            fields = {"namespace": owner, "project": repo, "workflow_filepath": ".gitlab-ci.yml"}
            form = [("Namespace", owner), ("Project name", repo),
                    ("Top-level pipeline file path", ".gitlab-ci.yml")]  # fmt: skip
            provider = "gitlab"
        form.append(("Environment name", environment))
        query = urlencode({"provider": provider, **fields, "environment": environment})
        lines.append(f"Add a trusted publisher on {label} for project {project}:")
        lines += [f"  {key}: {value}" for key, value in form]
        lines.append(f"  https://{host}/manage/project/{project}/settings/publishing/?{query}")
        lines.append(
            f"  (a project not on {label} yet: https://{host}/manage/account/publishing/ "
            "as a pending publisher, same fields)"
        )
    if options.ci == "github":
        lines.append(
            f"Create the GitHub environment '{options.environment}' (Settings > Environments)."
        )
    else:
        lines.append(
            f"Protect tags matching {trigger_glob(facts.effective_tag_format)} "
            "(Settings > Repository > Protected tags)."
        )
    example = facts.effective_tag_format.format(version="1.0.0")
    lines.append(
        f"Commit the new files, then push a tag (e.g. git tag {example} && git push --tags)."
    )
    return lines


def _check_options(options: Options) -> None:
    """``--ref`` and ``--environment`` land in YAML, a ``uses:`` line and a pip command: only
    what GitHub and GitLab accept there (a tag, branch or SHA; an environment name), so no
    value carries a quote, a newline or a ``${{ }}`` expression into the pipeline."""
    from hwb.refnames import environment_problem, ref_name_problem

    problem = ref_name_problem(options.ref)
    if problem:
        raise UsageError(
            f"--ref {options.ref!r} is not a git tag, branch or commit name: {problem}",
            hint="Pass a release tag such as v1.2.0, or a commit SHA.",
        )
    problem = environment_problem(options.environment)
    if problem:
        raise UsageError(
            f"--environment {options.environment!r} is not an environment name: {problem}",
            hint="Pass the name of the deployment environment, e.g. pypi or release.",
        )


def _tag_format_edit(facts: ProjectFacts) -> tuple[Path, str] | None:
    """pyproject.toml with ``[tool.hwb.version] tag-format`` set to the detected format (its
    formatting and comments kept)."""
    if facts.pyproject is None or facts.detected_tag_format is None:
        return None
    import tomlkit

    document = tomlkit.parse(facts.pyproject.read_text(encoding="utf-8"))
    tool = document.setdefault("tool", tomlkit.table(is_super_table=True))
    hwb = tool.setdefault("hwb", tomlkit.table(is_super_table=True))
    version = hwb.setdefault("version", tomlkit.table())
    version["tag-format"] = facts.detected_tag_format
    return facts.pyproject, tomlkit.dumps(document)


def _publishing_refusal(found: list[Publisher], facts: ProjectFacts) -> InitCiRefusedError:
    names = "; ".join(p.describe(facts.root) for p in found)
    return InitCiRefusedError(
        f"the project already publishes from {names}: with hwb's release pipeline too, one tag "
        "would publish twice",
        hint="Pass --replace to remove that workflow and publish with hwb, or --keep-both to "
        "keep it (hwb then skips files already uploaded).",
    )


def plan(project_dir: Path, options: Options) -> ScaffoldPlan:
    if options.ci not in {"github", "gitlab"}:
        raise UsageError(f"unknown CI {options.ci!r}: choose github or gitlab")
    _check_options(options)
    facts = detect(project_dir)
    warnings: list[str] = []
    if facts.remote is None:
        where = "not a git repository" if not facts.git else "no 'origin' remote"
        warnings.append(
            f"{where}: the trusted-publisher fields below are placeholders "
            f"({_PLACEHOLDER_OWNER}, {_PLACEHOLDER_REPO}); fill them in on PyPI"
        )
    for name in options.registries:
        if name not in {*facts.registries, "pypi", "testpypi", "gitlab"}:
            warnings.append(
                f"registry '{name}' is not in [tool.hwb.registries]: declare it there (url = ...) "
                "before the first release"
            )
    if facts.name is None:
        warnings.append("no [project] name in pyproject.toml: the PyPI links use a placeholder")
    if options.replace and options.keep_both:
        raise UsageError("--replace and --keep-both exclude each other")
    cibw = carried_cibw_env(facts, warnings)
    files = (
        _github(facts, options, cibw) if options.ci == "github" else _gitlab(facts, options, cibw)
    )
    found = publishers(facts.root, options.ci, ignore=frozenset(files))
    remove: list[Path] = []
    if found and options.replace:
        remove = [p.path for p in found]
        warnings.append(
            "replacing the project's publishing workflow(s): "
            + ", ".join(p.describe(facts.root) for p in found)
        )
    elif found and options.keep_both:
        warnings.append(
            "keeping the project's own publishing (--keep-both): "
            + ", ".join(p.describe(facts.root) for p in found)
            + "; a tag publishes from both, hwb skipping files already on the index"
        )
    elif found:
        raise _publishing_refusal(found, facts)
    python, prerelease = build_python(facts.requires_python)
    if python != DEFAULT_PYTHON:
        why = f"requires-python {facts.requires_python!r}"
        warnings.append(
            f"building with Python {python}{' (a pre-release)' if prerelease else ''}: {why}"
            + (
                f"; the GitLab jobs use python:{python}-slim, a tag: pin it by digest "
                "(HWB_IMAGE: python:X-slim@sha256:...)"
                if options.ci == "gitlab"
                else ""
            )
        )
    if facts.tag_format is None and facts.detected_tag_format is not None:
        trigger = trigger_glob(facts.detected_tag_format)
        if options.write_tag_format:
            edit = _tag_format_edit(facts)
            if edit is not None:
                files[edit[0]] = edit[1]
        else:
            warnings.append(
                f"the project tags releases as {facts.newest_tag} (tag-format "
                f"{facts.detected_tag_format!r}): the pipeline fires on {trigger}; pass "
                "--write-tag-format to record it in [tool.hwb.version] for hwb version too"
            )
    result = ScaffoldPlan(facts, options, files, warnings, _next_steps(facts, options))
    result.remove = remove
    return result


def write(result: ScaffoldPlan, force: bool) -> list[Path]:
    """Write every planned file, or none: an existing file without ``force`` refuses all (the
    project's pyproject.toml, edited on request, is expected to exist). Then remove the
    project's own publishing workflows when asked to replace them."""
    pyproject = result.facts.pyproject
    existing = [p for p in result.files if p.exists() and p != pyproject]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise InitCiRefusedError(
            f"{names} already exists", hint="Pass --force to overwrite, or --dry-run to compare."
        )
    for path, text in result.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    for path in result.remove:
        path.unlink(missing_ok=True)
    return list(result.files)
