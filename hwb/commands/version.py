"""``hwb version``: show, bump, changelog."""

from __future__ import annotations

import contextlib
import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hwb import ci
from hwb.commands.options import project_option, resolve_config, state_output

if TYPE_CHECKING:
    from hwb.output import Output
    from hwb.settings.model import VersionSettings
    from hwb.versioning import git, release

_project_option = project_option("Project directory [.].", exists=True)


@dataclass
class _Project:
    out: Output
    root: Path
    data: dict[str, Any]
    settings: VersionSettings
    repo: git.Repo | None


def _context(ctx: click.Context, project: Path) -> _Project:
    from hwb.errors import GitError, ProjectError
    from hwb.settings import resolver
    from hwb.settings.model import VersionSettings
    from hwb.versioning import git

    out = state_output(ctx)
    root = project.resolve()
    if resolver.find_pyproject(root) is None:
        raise ProjectError(f"{root} has no pyproject.toml", hint="Pass --project DIR.")
    cfg, data = resolve_config(root, {}, out)
    settings = VersionSettings.from_config(cfg)
    try:
        repo: git.Repo | None = git.open_repo(root)
    except GitError:
        repo = None
    return _Project(out, root, data, settings, repo)


@click.group()
def version() -> None:
    """Show and bump the project's version; write changelogs and release notes."""


@version.command()
@_project_option
@click.pass_context
def show(ctx: click.Context, project: Path) -> None:
    """Print the project's version (asks the build backend when it is dynamic)."""
    from hwb.build.builder import backend_version
    from hwb.versioning import release

    p = _context(ctx, project)
    source = release.detect_source(p.root, p.data, p.settings, p.repo)
    text = str(source.current)
    if source.kind != "static":
        text = backend_version(p.root)
    out = p.out
    out.result({"version": text, "source": source.kind, "from": source.detail}, text)
    out.set_outputs({"version": text})


@version.command()
@click.argument(
    "part",
    required=False,
    type=click.Choice(
        ["major", "minor", "patch", "alpha", "beta", "rc", "post", "dev", "release", "auto"]
    ),
)
@click.option(
    "--pre",
    type=click.Choice(["alpha", "beta", "rc"]),
    help="Then start this pre-release (with major/minor/patch).",
)
@click.option("--dev", "dev", is_flag=True, help="Then start a .dev1 release.")
@click.option(
    "--set", "set_version", metavar="VERSION", help="Set this version instead of bumping."
)
@click.option("--commit", is_flag=True, help="Commit the changed files.")
@click.option("--tag", is_flag=True, help="Create the annotated release tag.")
@click.option(
    "--push", is_flag=True, help="Push the branch and tag to the upstream remote (atomically)."
)
@click.option(
    "--changelog", "with_changelog", is_flag=True, help="Insert the new section into CHANGELOG.md."
)
@click.option("--allow-dirty", is_flag=True, help="Allow uncommitted changes (not with --push).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@_project_option
@click.pass_context
def bump(
    ctx: click.Context,
    /,
    part: str | None,
    pre: str | None,
    dev: bool,
    set_version: str | None,
    commit: bool,
    tag: bool,
    push: bool,
    with_changelog: bool,
    allow_dirty: bool,
    dry_run: bool,
    project: Path,
) -> None:
    """Bump PART (major, minor, patch, alpha, beta, rc, post, dev, release, or auto from
    conventional commits), or --set VERSION; optionally commit, tag and push."""
    from hwb.errors import UsageError
    from hwb.versioning import release

    if (part is None) == (set_version is None):
        raise UsageError("give a PART to bump or --set VERSION (one of them)")
    # One release at a time per repository: a bump started meanwhile waits, then reads the
    # version (pyproject.toml included) this one wrote, and bumps past it.
    with _release_lock(project.resolve(), dry_run):
        p = _context(ctx, project)
        out, root, repo = p.out, p.root, p.repo
        plan = release.plan(
            root, p.data, p.settings, repo, part,
            pre=pre, dev=dev, set_version=set_version, with_changelog=with_changelog,
        )  # fmt: skip
        lines = _plan_lines(plan, root, commit=commit, tag=tag)
        if dry_run:
            release.preflight(
                repo, plan, commit=commit, tag=tag, push=push, allow_dirty=allow_dirty
            )
            if push:
                lines.append("  push   branch and tag to the upstream remote")
            out.result(
                {**plan.to_dict(), "dry_run": True},
                "dry run, nothing changed:\n" + "\n".join(lines),
            )
            return
        outcome = release.apply(
            repo, plan, commit=commit, tag=tag, push=push, allow_dirty=allow_dirty
        )
    _render_applied(out, plan, outcome, lines, push=push)


def _release_lock(root: Path, dry_run: bool) -> AbstractContextManager[None]:
    from hwb.errors import GitError
    from hwb.versioning import git

    try:
        repo = git.open_repo(root) if not dry_run and root.is_dir() else None
    except GitError:  # not a repository: _context says so when it matters
        repo = None
    return contextlib.nullcontext() if repo is None else git.release_lock(repo)


def _render_applied(
    out: Output,
    plan: release.ReleasePlan,
    outcome: release.Outcome,
    lines: list[str],
    *,
    push: bool,
) -> None:
    """What was done, the step outputs, and the warning a GITHUB_TOKEN push deserves."""
    if outcome.pushed_to:
        lines.append(f"  pushed to {outcome.pushed_to}")
    data_out = {
        **plan.to_dict(),
        "commit": outcome.commit,
        "tag": outcome.tag,
        "pushed_to": outcome.pushed_to,
        "dry_run": False,
    }
    out.result(data_out, "\n".join(lines))
    outputs = {"version": str(plan.new), "previous-version": str(plan.previous)}
    if outcome.tag:
        outputs["tag"] = outcome.tag
    out.set_outputs(outputs)
    if push and ci.which(ci.environ()) == "github":
        out.warning(
            "tags pushed with the default GITHUB_TOKEN do not start other workflows; "
            "use a PAT or a GitHub App token to trigger the release workflow"
        )


def _plan_lines(plan: release.ReleasePlan, root: Path, *, commit: bool, tag: bool) -> list[str]:
    """The plan as the human output shows it: the versions, then each step."""
    steps = [
        f"{c.path.relative_to(root) if c.path.is_relative_to(root) else c.path}"
        for c in plan.changes
    ]
    lines = [f"{plan.previous} -> {plan.new} ({plan.source.kind}: {plan.source.detail})"]
    lines += [f"  edit   {s}" for s in steps]
    if commit and plan.changes:
        lines.append(f"  commit {plan.commit_message!r}")
    if tag:
        lines.append(f"  tag    {plan.tag}")
    return lines


@version.command("changelog")
@click.option(
    "--from", "from_ref", metavar="REF", help="Start after this ref [the previous release tag]."
)
@click.option("--to", "to_ref", default="HEAD", metavar="REF", help="End at this ref [HEAD].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["github", "markdown", "json"]),
    default="markdown",
    help="markdown: a CHANGELOG.md section; github: a GitHub release's body (What's Changed, "
    "authors, contributors, full-changelog link); json: the entries, for scripts [markdown].",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE."
)
@_project_option
@click.pass_context
def changelog_cmd(
    ctx: click.Context,
    /,
    from_ref: str | None,
    to_ref: str,
    fmt: str,
    output: Path | None,
    project: Path,
) -> None:
    """Changelog or release notes from the conventional commits since the last release."""
    from hwb.errors import GitError
    from hwb.versioning import changelog, release

    p = _context(ctx, project)
    if p.repo is None:
        raise GitError(f"{p.root} is not in a git repository", hint="Run inside a git checkout.")
    if output is not None:
        from hwb.commands.options import check_output_file

        check_output_file(output, "--output")
    source = release.project_source(p.root, p.data, p.settings, p.repo)
    name = str(p.data.get("project", {}).get("name") or "") or None
    notes = release.release_notes(
        p.repo, p.settings, from_ref, to_ref, root=p.root, source=source, project=name
    )
    text = changelog.RENDERERS[fmt](notes)
    # Step outputs for the action's release-notes command (a GitHub release body).
    outputs = {"release-notes": text}
    if notes.version:
        outputs["version"] = notes.version
    p.out.set_outputs(outputs)
    if output is not None:
        from hwb.fs import write_atomic

        write_atomic(output, text)
        p.out.info(f"wrote {output}")
        return
    p.out.result(json.loads(text) if fmt == "json" else {"text": text}, text)
