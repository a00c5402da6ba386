"""``hwb init-ci``: a project's release pipeline, rendered from data (never by pasting YAML text).

:func:`plan` returns every file it would write with its exact text; the command prints them
(``--dry-run``) or writes them (:func:`write`). The templates are the ones in
``workflows-templates/`` (shipped inside the wheel as ``hwb/templates``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from hwb.errors import InitCiRefusedError, UsageError
from hwb.fs import write_atomic
from hwb.scaffold.detect import ProjectFacts, detect
from hwb.scaffold.existing import (
    DEFAULT_PYTHON,
    Publisher,
    build_python,
    cibuildwheel_env,
    publishers,
)
from hwb.scaffold.github import render_github
from hwb.scaffold.gitlab import render_gitlab
from hwb.scaffold.options import Options
from hwb.versioning.tags import trigger_glob

_PLACEHOLDER_OWNER = "<owner>"
_PLACEHOLDER_REPO = "<repository>"


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
        render_github(facts, options, cibw)
        if options.ci == "github"
        else render_gitlab(facts, options, cibw)
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
