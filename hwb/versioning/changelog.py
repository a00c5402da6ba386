"""Changelogs and release notes from conventional commits.

Commits come from ``git log`` (merge commits are skipped: the commits they bring are listed
themselves). Each is parsed as ``type(scope)!: description`` with ``BREAKING CHANGE:`` footers,
as python-semantic-release's conventional parser reads them: a footer is its whole paragraph,
and a squash-merge commit whose body lists further conventional commits (GitHub's ``* fix: …``
bullets, ``git merge --squash`` headers) stands for each of them. Anything else is kept under
"Other", never dropped. A revert whose reverted commit is in the same range cancels it out;
other reverts are listed under "Reverts". A breaking commit is listed in its type's section and
its breaking-change text again, in full, under "Breaking Changes".

What a release shows follows what maintainers publish: the types in ``changelog-types``
(features, fixes, performance, reverts, deprecations and unconventional commits by default;
tests, CI, chores, style, build and docs left out), every breaking change, and every ``NOTICE:``
footer under "Additional Release Information" (as python-semantic-release renders them). Authors
go through ``.mailmap``; bots are no contributors; a squash merge whose body repeats its title
is one entry.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from hwb import ci
from hwb.errors import GitError
from hwb.versioning import git

_SEP_FIELD, _SEP_RECORD = "\x1f", "\x1e"
# %aN/%aE: the author as .mailmap names them (one person under two addresses is one).
_LOG_FORMAT = _SEP_FIELD.join(["%H", "%aN", "%aE", "%cs", "%s", "%b"]) + _SEP_RECORD
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>.+)$"
)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>.*)", re.S)
_NOTICE = re.compile(r"^NOTICE:[ \t]*(?P<text>.*)", re.S)
#: A trailer line (``Co-authored-by: …``, ``Refs: …``): ends a footer paragraph.
_TRAILER = re.compile(r"^[A-Za-z][\w-]*(?::[ \t]| #)")
_CO_AUTHOR = re.compile(r"^Co-authored-by:[ \t]*(?P<name>.+?)[ \t]*<(?P<email>[^>]+)>", re.M | re.I)
# Lines of a `git merge --squash` message that are not part of any commit's message.
_SQUASH_NOISE = re.compile(
    r"^[ \t]*(?:Squashed commit of the following:.*|commit [0-9a-f]{7,40}|Author: .*|Date: .*)$",
    re.M,
)
_BULLET = re.compile(r"^(?:[ \t]*[*-][ \t]+|[ \t]+)")
_REVERT = re.compile(r'^Revert "(?P<subject>.+)"$')
_REVERT_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,40})")
_REF = re.compile(r"(?<![\w/])(?P<kind>[#!])(?P<num>\d+)\b")
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[A-Za-z0-9-]+)@users\.noreply\.github\.com$")
#: dependabot[bot], renovate[bot], github-actions[bot], pre-commit-ci[bot], ... (by name or by
#: their GitHub no-reply address).
_BOT = re.compile(r"\[bot\](?:@|$)", re.I)

#: Section order: breaking changes first, then by type; "Other" last.
SECTIONS: list[tuple[str, str]] = [
    ("breaking", "⚠ Breaking Changes"),
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("deprecate", "Deprecations"),
    ("docs", "Documentation"),
    ("refactor", "Refactoring"),
    ("test", "Tests"),
    ("build", "Build System"),
    ("ci", "Continuous Integration"),
    ("style", "Style"),
    ("chore", "Chores"),
    ("other", "Other"),
]
#: Other spellings of a type, as projects write them.
_ALIASES = {"deprecation": "deprecate", "deprecated": "deprecate", "deprecations": "deprecate"}
_KNOWN_TYPES = ({key for key, _ in SECTIONS} - {"breaking", "other"}) | set(_ALIASES)
#: Types ``changelog-types`` may list (``other``: commits that are not conventional).
TYPES = [key for key, _ in SECTIONS if key != "breaking"]
#: What maintainers publish (PSR's and python-gitlab's own changelogs): no tests, CI, chores,
#: style, build, docs or refactoring. Unconventional commits stay: in a project that does not
#: write conventional commits they are every change.
DEFAULT_TYPES = ("feat", "fix", "perf", "revert", "deprecate", "other")


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
    breaking: str | None = None  # the breaking-change text (whole paragraphs), if any
    notices: list[str] = field(default_factory=list)  # NOTICE: footers, for the release notes
    refs: list[str] = field(default_factory=list)
    co_authors: list[tuple[str, str]] = field(default_factory=list)  # (name, email)

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def section(self) -> str:
        return self.type


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r", "")) if p.strip()]


def _footers(body: str, footer: re.Pattern[str]) -> list[str]:
    """Every paragraph opening with ``footer``, whole (its lines joined, as PSR prints them), up
    to a trailer line such as ``Co-authored-by:``."""
    found = []
    for paragraph in _paragraphs(body):
        match = footer.match(paragraph.strip())
        if not match:
            continue
        lines = match["text"].splitlines()
        kept = [lines[0].strip()] if lines else []
        for line in lines[1:]:
            if _TRAILER.match(line.strip()) and not footer.match(line.strip()):
                break
            kept.append(line.strip())
        text = " ".join(line for line in kept if line)
        if text:
            found.append(text)
    return found


def _breaking_text(body: str) -> str | None:
    """Every ``BREAKING CHANGE:`` paragraph, joined."""
    return " ".join(_footers(body, _BREAKING)) or None


def _is_header(paragraph: str) -> bool:
    """The start of another conventional commit inside a squash message (more than one word
    after the colon, so a ``fix: #123`` footer is not mistaken for one)."""
    match = _HEADER.match(_BULLET.sub("", paragraph.splitlines()[0]))
    return bool(match and match["type"].lower() in _KNOWN_TYPES and " " in match["desc"].strip())


def split_squash(subject: str, body: str) -> list[tuple[str, str]]:
    """(subject, body) of each commit a squash-merge message stands for, itself first; a plain
    commit is one. Follows python-semantic-release's ``unsquash_commit_message``: the body's
    paragraphs that open with a conventional header (bulleted or indented, as GitHub and
    ``git merge --squash`` write them) start another commit; other paragraphs belong to the one
    before."""
    cleaned = _SQUASH_NOISE.sub("", body.replace("\r", ""))
    parts: list[tuple[str, list[str]]] = [(subject, [])]
    for paragraph in _paragraphs(cleaned):
        if _is_header(paragraph):
            lines = [_BULLET.sub("", line, count=1) for line in paragraph.splitlines()]
            parts.append((lines[0].strip(), ["\n".join(lines[1:])] if lines[1:] else []))
        else:
            parts[-1][1].append(paragraph)
    if len(parts) == 1:
        return [(subject, body)]
    return [(s, "\n\n".join(p for p in paras if p.strip())) for s, paras in parts]


def parse_commit(sha: str, author: str, email: str, date: str, subject: str, body: str) -> Commit:
    c = Commit(sha, author, email, date, subject.strip(), body.strip())
    c.description = c.subject
    match = _HEADER.match(c.subject)
    if match and match["type"].lower() in _KNOWN_TYPES:
        c.type = _ALIASES.get(match["type"].lower(), match["type"].lower())
        c.scope = match["scope"] or None
        c.description = match["desc"].strip()
        c.breaking = _breaking_text(c.body)
        if c.breaking is None and match["bang"]:
            c.breaking = c.description
    elif _REVERT.match(c.subject):
        c.type = "revert"
    c.notices = _footers(c.body, _NOTICE)
    c.refs = [f"{m['kind']}{m['num']}" for m in _REF.finditer(c.subject)]
    c.co_authors = [(m["name"].strip(), m["email"].strip()) for m in _CO_AUTHOR.finditer(c.body)]
    return c


def parse_commits(
    sha: str, author: str, email: str, date: str, subject: str, body: str
) -> list[Commit]:
    """The commits one git commit stands for (several for a squash merge), sharing its sha,
    author and date; the lead's PR reference and co-authors apply to all of them."""
    parts = split_squash(subject.strip(), body.strip())
    commits = [parse_commit(sha, author, email, date, s, b) for s, b in parts]
    lead = commits[0]
    lead.co_authors = [(m["name"].strip(), m["email"].strip()) for m in _CO_AUTHOR.finditer(body)]
    for c in commits[1:]:
        c.refs = c.refs or list(lead.refs)
        c.co_authors = []  # counted once, on the lead
    return _collapse_repeats(commits)


def _gist(c: Commit) -> str:
    """What an entry says, for telling repeats apart: no PR reference, case or punctuation."""
    text = _REF.sub("", c.description).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _collapse_repeats(commits: list[Commit]) -> list[Commit]:
    """GitHub's squash merge writes the PR title as the subject and each of its commits as a
    ``* `` bullet, often the title again (``feat: add x (#12)`` over ``* feat: add x``, ``* feat:
    add X.``): a bullet of the same type saying nearly the same as an entry kept before it is
    that entry, its breaking text and notices joining the kept one."""
    kept: list[Commit] = []
    for c in commits:
        same = next(
            (
                k
                for k in kept
                if k.type == c.type
                and difflib.SequenceMatcher(None, _gist(k), _gist(c)).ratio() >= 0.9
            ),
            None,
        )
        if same is None:
            kept.append(c)
            continue
        if c.breaking and not same.breaking:
            same.breaking = c.breaking
        same.notices += [n for n in c.notices if n not in same.notices]
    return kept


#: Release commits of the tools projects come from, which belong in no changelog either:
#: commitizen's ``bump: version 4.13.0 → 4.13.1``, python-semantic-release's ``10.4.1`` and
#: ``chore: release v10.5.0``, pallets' ``release version 3.0.2`` and ``start version 3.1.0``,
#: ``Bump version to 1.2.3``, ``Release 1.2.3``, ``chore(release): 1.2.3``.
_RELEASE_SUBJECT = re.compile(
    r"^(?:chore(?:\(release\))?: ?)?"
    r"(?:(?:release(?: version)?|prepare release|start version|bump version(?: to)?"
    r"|version bump(?: to)?|bump: version \S+ (?:→|->))\s+)?"
    r"v?\d+(?:\.\d+)+\S*(?: \(#\d+\))?$",
    re.I,
)


def is_release_commit(subject: str) -> bool:
    return bool(_RELEASE_SUBJECT.match(subject.strip()))


def release_commit_pattern(template: str) -> re.Pattern[str]:
    """Matches the subjects of hwb's own release commits (``Release {version}``), which
    belong in no changelog."""
    first_line = template.splitlines()[0] if template else template
    parts = re.split(r"\{(?:version|previous)\}", first_line)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def read_commits(
    repo: git.Repo, rev_range: str, exclude: re.Pattern[str] | None = None
) -> list[Commit]:
    result = repo.run(
        "log", "--no-merges", f"--format={_LOG_FORMAT}", "--end-of-options", rev_range, "--",
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise GitError(
            f"cannot read the commits in {rev_range}: {result.tail(1)[-1] if result.lines else ''}",
            hint="Check the --from/--to refs exist (git tag, git log).",
        )
    commits = []
    for record in result.output.split(_SEP_RECORD):
        fields = record.strip("\n").split(_SEP_FIELD)
        if len(fields) != 6 or (exclude and exclude.match(fields[4])):
            continue
        if is_release_commit(fields[4]):
            continue
        commits += parse_commits(*fields)
    _mailmap_co_authors(repo, commits)
    return _cancel_reverts(commits)


def _mailmap_co_authors(repo: git.Repo, commits: list[Commit]) -> None:
    """Map ``Co-authored-by`` identities through .mailmap too (git maps only the author)."""
    seen = list(dict.fromkeys(f"{n} <{e}>" for c in commits for n, e in c.co_authors))
    if not seen:
        return
    # Identities come from commit messages: after --end-of-options, none is read as an option.
    result = repo.run("check-mailmap", "--end-of-options", *seen, check=False)
    mapped = [line for line in result.lines if line.strip()]
    if result.returncode != 0 or len(mapped) != len(seen):
        return
    table = {}
    for before, after in zip(seen, mapped, strict=True):
        match = re.match(r"^(?P<name>.*?)\s*<(?P<email>[^>]*)>$", after.strip())
        if match:
            table[before] = (match["name"] or before.split(" <")[0], match["email"])
    for c in commits:
        c.co_authors = [table.get(f"{n} <{e}>", (n, e)) for n, e in c.co_authors]


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


#: Whose link forms a changelog uses.
Host = Literal["github", "gitlab"]


@dataclass
class Release:
    """What a changelog renders: the commits of one release and where to link them."""

    version: str | None  # None for unreleased changes
    previous_tag: str | None
    tag: str | None
    date: str
    commits: list[Commit]
    web_url: str | None = None
    host: Host | None = None
    to_ref: str = "HEAD"
    #: The types listed (``changelog-types``); None lists every type. Breaking changes and
    #: notices are listed whatever their commit's type.
    types: frozenset[str] | None = None

    def shows(self, c: Commit) -> bool:
        """Listed: its type is, and it is no bot's unconventional housekeeping (dependabot's
        ``Bump x from 1 to 2``, pre-commit.ci's ``auto fixes``); a bot's typed commit (renovate's
        ``fix(deps): …``) is listed like anyone's."""
        if self.types is not None and c.section not in self.types:
            return False
        return not (self.types is not None and c.section == "other" and is_bot(c.author, c.email))

    def sections(self) -> list[tuple[str, str, list[Commit]]]:
        grouped: dict[str, list[Commit]] = {}
        for c in self.commits:
            if self.shows(c):
                grouped.setdefault(c.section, []).append(c)
            if c.breaking:  # also in its own type's section, as PSR lists it
                grouped.setdefault("breaking", []).append(c)
        return [(key, title, grouped[key]) for key, title in SECTIONS if key in grouped]

    def left_out(self) -> dict[str, int]:
        """How many commits of each type the notes do not list (no breaking change in them)."""
        counts: dict[str, int] = {}
        for c in self.commits:
            if not self.shows(c) and not c.breaking:
                key = "bot" if c.section == "other" else c.section
                counts[key] = counts.get(key, 0) + 1
        return counts

    def notices(self) -> list[tuple[Commit, str]]:
        """Every ``NOTICE:`` footer, oldest first (as the commits were made)."""
        return [(c, n) for c in reversed(self.commits) for n in c.notices]

    def _people(self) -> list[tuple[set[str], list[str], list[str]]]:
        """(identity keys, names, GitHub handles) per person, in order of first contribution:
        authors and ``Co-authored-by`` trailers, one person being every identity that shares an
        email or a name with another (a no-reply address and a personal one, handle and name)."""
        people: list[tuple[set[str], list[str], list[str]]] = []
        for c in reversed(self.commits):  # oldest first
            for name, email in [(c.author, c.email), *c.co_authors]:
                if is_bot(name, email):
                    continue
                login = _NOREPLY.match(email)
                keys = _identity_keys(name, email)
                matches = [p for p in people if p[0] & keys]
                if matches:
                    person = matches[0]
                    for other in matches[1:]:  # this identity joins two people into one
                        person[0].update(other[0])
                        person[1].extend(other[1])
                        person[2].extend(other[2])
                        people.remove(other)
                else:
                    person = (set(), [], [])
                    people.append(person)
                person[0].update(keys)
                person[1].append(name.strip())
                if login:
                    person[2].append(login["login"])
        return people

    def _shown(self, person: tuple[set[str], list[str], list[str]]) -> str:
        _, names, handles = person
        return f"@{handles[0]}" if handles and self.host == "github" else names[0]

    def contributors(self) -> list[str]:
        """Each person once: their @handle on GitHub when any of their addresses gives it,
        else the first name they committed under."""
        return [self._shown(person) for person in self._people()]

    def who(self, c: Commit) -> str:
        """How the author of ``c`` is shown (the same as in :meth:`contributors`)."""
        keys = _identity_keys(c.author, c.email)
        for person in self._people():
            if person[0] & keys:
                return self._shown(person)
        return c.author

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


def is_bot(name: str, email: str) -> bool:
    """An automation account (``dependabot[bot]``): it made the commit but is no contributor."""
    return bool(_BOT.search(name.strip()) or _BOT.search(email.strip()))


def _name_key(name: str) -> str:
    """A name as people write it differently: case, accents, spacing (``José  Pérez`` and
    ``jose perez`` are one person)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    return " ".join(plain.casefold().split())


def _identity_keys(name: str, email: str) -> set[str]:
    keys = {"e:" + email.strip().lower(), "n:" + _name_key(name)}
    login = _NOREPLY.match(email.strip())
    if login:
        keys.add("n:" + login["login"].lower())
    return keys


def _entry(release: Release, c: Commit, section: str) -> str:
    scope = f"**{c.scope}:** " if c.scope else ""
    text = c.breaking if section == "breaking" and c.breaking else c.description
    return f"{scope}{release.link_refs(text)} ({release.commit_link(c)})"


def render_markdown(release: Release) -> str:
    title = release.version or "Unreleased"
    heading = f"[{title}]({release.compare_url})" if release.compare_url else title
    lines = [f"## {heading} - {release.date}", "", *_section_lines(release, github=False)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_lines(release: Release, *, github: bool) -> list[str]:
    """One ``###`` block per section; GitHub's flavour adds each commit's author. Then the
    notices, and a line saying what was left out when nothing else is listed."""
    if not release.commits:
        return ["No changes.", ""]
    lines: list[str] = []
    bullet = "*" if github else "-"
    for key, name, commits in release.sections():
        lines += [f"### {name}", ""]
        for c in commits:
            by = f" by {release.who(c)}" if github else ""
            lines.append(f"{bullet} {_entry(release, c, key)}{by}")
        lines.append("")
    notices = release.notices()
    if notices:
        lines += [f"### {NOTICES_TITLE}", ""]
        for c, text in notices:
            scope = f"**{c.scope}:** " if c.scope else ""
            lines.append(f"{bullet} {scope}{release.link_refs(text)} ({release.commit_link(c)})")
        lines.append("")
    if not lines:
        left = release.left_out()
        shown = ", ".join(f"{n} {key}" for key, n in left.items())
        lines = [f"No changes to list ({shown} left out by changelog-types).", ""]
    return lines


def render_github(release: Release) -> str:
    lines = ["## What's Changed", "", *_section_lines(release, github=True)]
    contributors = release.contributors()
    if contributors:
        lines += ["### Contributors", "", ", ".join(contributors), ""]
    if release.compare_url:
        lines.append(f"**Full Changelog**: {release.compare_url}")
    return "\n".join(lines).rstrip("\n") + "\n"


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
        "notices": [
            {"sha": c.sha, "scope": c.scope, "text": text} for c, text in release.notices()
        ],
        "left_out": release.left_out(),
        "contributors": release.contributors(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _commit_json(c: Commit) -> dict[str, Any]:
    data = asdict(c)
    data.pop("body")
    return data


NOTICES_TITLE = "Additional Release Information"


RENDERERS = {"markdown": render_markdown, "github": render_github, "json": render_json}


def host_of(url: str | None) -> Host | None:
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
