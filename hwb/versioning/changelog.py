"""Changelogs and release notes from conventional commits.

Commits come from ``git log`` (merge commits are skipped: the commits they bring are listed
themselves). Each is parsed as ``type(scope)!: description`` with ``BREAKING CHANGE:`` footers;
anything else is kept under "Other", never dropped. A revert whose reverted commit is in the same
range cancels it out; other reverts are listed under "Reverts".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hwb import ci
from hwb.errors import GitError
from hwb.versioning import git

_SEP_FIELD, _SEP_RECORD = "\x1f", "\x1e"
_LOG_FORMAT = _SEP_FIELD.join(["%H", "%an", "%ae", "%cs", "%s", "%b"]) + _SEP_RECORD
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>.+)$"
)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>.+)", re.M)
_REVERT = re.compile(r'^Revert "(?P<subject>.+)"$')
_REVERT_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,40})")
_REF = re.compile(r"(?<![\w/])(?P<kind>[#!])(?P<num>\d+)\b")
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[A-Za-z0-9-]+)@users\.noreply\.github\.com$")

#: Section order: breaking changes first, then by type; "Other" last.
SECTIONS: list[tuple[str, str]] = [
    ("breaking", "⚠ Breaking Changes"),
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("docs", "Documentation"),
    ("refactor", "Refactoring"),
    ("test", "Tests"),
    ("build", "Build System"),
    ("ci", "Continuous Integration"),
    ("style", "Style"),
    ("chore", "Chores"),
    ("other", "Other"),
]
_KNOWN_TYPES = {key for key, _ in SECTIONS} - {"breaking", "other"}


@dataclass
class Commit:
    sha: str
    author: str
    email: str
    date: str
    subject: str
    body: str
    type: str = "other"
    scope: str | None = None
    description: str = ""
    breaking: str | None = None  # the breaking-change text, if any
    refs: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def section(self) -> str:
        return "breaking" if self.breaking else self.type


def parse_commit(sha: str, author: str, email: str, date: str, subject: str, body: str) -> Commit:
    c = Commit(sha, author, email, date, subject.strip(), body.strip())
    c.description = c.subject
    match = _HEADER.match(c.subject)
    if match and match["type"].lower() in _KNOWN_TYPES:
        c.type = match["type"].lower()
        c.scope = match["scope"] or None
        c.description = match["desc"].strip()
        footer = _BREAKING.search(c.body)
        if footer:
            c.breaking = footer["text"].strip()
        elif match["bang"]:
            c.breaking = c.description
    elif _REVERT.match(c.subject):
        c.type = "revert"
    c.refs = [f"{m['kind']}{m['num']}" for m in _REF.finditer(c.subject)]
    return c


def release_commit_pattern(template: str) -> re.Pattern[str]:
    """Matches the subjects of hwb's own release commits (``Release {version}``), which
    belong in no changelog."""
    first_line = template.splitlines()[0] if template else template
    parts = re.split(r"\{(?:version|previous)\}", first_line)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def read_commits(
    repo: git.Repo, rev_range: str, exclude: re.Pattern[str] | None = None
) -> list[Commit]:
    result = repo.run("log", "--no-merges", f"--format={_LOG_FORMAT}", rev_range, check=False)
    if result.returncode != 0:
        raise GitError(
            f"cannot read the commits in {rev_range}: {result.tail(1)[-1] if result.lines else ''}",
            hint="Check the --from/--to refs exist (git tag, git log).",
        )
    commits = []
    for record in result.output.split(_SEP_RECORD):
        fields = record.strip("\n").split(_SEP_FIELD)
        if len(fields) == 6 and not (exclude and exclude.match(fields[4])):
            commits.append(parse_commit(*fields))
    return _cancel_reverts(commits)


def _cancel_reverts(commits: list[Commit]) -> list[Commit]:
    """Drop a revert and the commit it reverts when both are in the range."""
    by_sha = {c.sha: c for c in commits}
    dropped: set[str] = set()
    for c in commits:
        match = _REVERT_SHA.search(c.body) if c.type == "revert" else None
        if match:
            target = next((s for s in by_sha if s.startswith(match["sha"])), None)
            if target is not None and target not in dropped:
                dropped |= {target, c.sha}
    return [c for c in commits if c.sha not in dropped]


@dataclass
class Release:
    """What a changelog renders: the commits of one release and where to link them."""

    version: str | None  # None for unreleased changes
    previous_tag: str | None
    tag: str | None
    date: str
    commits: list[Commit]
    web_url: str | None = None
    host: str | None = None  # "github" | "gitlab" | None
    to_ref: str = "HEAD"

    def sections(self) -> list[tuple[str, str, list[Commit]]]:
        grouped: dict[str, list[Commit]] = {}
        for c in self.commits:
            grouped.setdefault(c.section, []).append(c)
        return [(key, title, grouped[key]) for key, title in SECTIONS if key in grouped]

    def contributors(self) -> list[str]:
        seen: dict[str, str] = {}
        for c in reversed(self.commits):  # oldest first: order of first contribution
            login = _NOREPLY.match(c.email)
            name = f"@{login['login']}" if login and self.host == "github" else c.author
            seen.setdefault(c.email.lower(), name)
        return list(seen.values())

    @property
    def compare_url(self) -> str | None:
        if not (self.web_url and self.previous_tag):
            return None
        target = self.tag or self.to_ref
        sep = "/-/compare/" if self.host == "gitlab" else "/compare/"
        return f"{self.web_url}{sep}{self.previous_tag}...{target}"

    def link_refs(self, text: str) -> str:
        if not self.web_url or self.host is None:
            return text

        def link(m: re.Match[str]) -> str:
            if self.host == "github" and m["kind"] == "#":
                return f"[#{m['num']}]({self.web_url}/issues/{m['num']})"
            if self.host == "gitlab":
                path = "issues" if m["kind"] == "#" else "merge_requests"
                return f"[{m[0]}]({self.web_url}/-/{path}/{m['num']})"
            return m[0]

        return _REF.sub(link, text)

    def commit_link(self, c: Commit) -> str:
        if not self.web_url:
            return c.short
        sep = "/-/commit/" if self.host == "gitlab" else "/commit/"
        return f"[{c.short}]({self.web_url}{sep}{c.sha})"


def _entry(release: Release, c: Commit) -> str:
    scope = f"**{c.scope}:** " if c.scope else ""
    text = c.breaking if c.section == "breaking" and c.breaking else c.description
    return f"{scope}{release.link_refs(text)} ({release.commit_link(c)})"


def render_markdown(release: Release) -> str:
    title = release.version or "Unreleased"
    heading = f"[{title}]({release.compare_url})" if release.compare_url else title
    lines = [f"## {heading} - {release.date}", "", *_section_lines(release, github=False)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_lines(release: Release, *, github: bool) -> list[str]:
    """One ``###`` block per section; GitHub's flavour adds each commit's author."""
    if not release.commits:
        return ["No changes.", ""]
    lines: list[str] = []
    for _, name, commits in release.sections():
        lines += [f"### {name}", ""]
        for c in commits:
            by = f" by {_author(release, c)}" if github else ""
            lines.append(f"{'*' if github else '-'} {_entry(release, c)}{by}")
        lines.append("")
    return lines


def render_github(release: Release) -> str:
    lines = ["## What's Changed", "", *_section_lines(release, github=True)]
    contributors = release.contributors()
    if contributors:
        lines += ["### Contributors", "", ", ".join(contributors), ""]
    if release.compare_url:
        lines.append(f"**Full Changelog**: {release.compare_url}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _author(release: Release, c: Commit) -> str:
    login = _NOREPLY.match(c.email)
    return f"@{login['login']}" if login and release.host == "github" else c.author


def render_json(release: Release) -> str:
    data: dict[str, Any] = {
        "version": release.version,
        "tag": release.tag,
        "previous_tag": release.previous_tag,
        "date": release.date,
        "compare_url": release.compare_url,
        "sections": [
            {"key": key, "title": title, "commits": [_commit_json(c) for c in commits]}
            for key, title, commits in release.sections()
        ],
        "contributors": release.contributors(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _commit_json(c: Commit) -> dict[str, Any]:
    data = asdict(c)
    data.pop("body")
    return data


RENDERERS = {"markdown": render_markdown, "github": render_github, "json": render_json}


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    if "github" in url:
        return "github"
    if "gitlab" in url:
        return "gitlab"
    return None


def project_web_url(repo: git.Repo, configured: str, environ: Mapping[str, str]) -> str | None:
    """Where links point: configuration, else the CI's own variables, else the origin remote."""
    if configured:
        return configured.rstrip("/")
    return ci.project_web_url(environ) or git.web_url(repo)


def insert_section(existing: str, section: str) -> str:
    """CHANGELOG.md with ``section`` inserted above the newest release (after the title)."""
    marker = "<!-- hwb: insert -->"
    if marker in existing:
        head, tail = existing.split(marker, 1)
        return f"{head}{marker}\n\n{section}\n{tail.lstrip(chr(10))}"
    match = re.search(r"^## ", existing, re.M)
    if match:
        return existing[: match.start()] + section + "\n" + existing[match.start() :]
    base = existing.rstrip("\n") or "# Changelog"
    return f"{base}\n\n{section}"
