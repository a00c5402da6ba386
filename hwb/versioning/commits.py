"""Conventional commits read from git: ``git log`` (merge commits skipped: the commits they bring
are listed themselves), each parsed as ``type(scope)!: description`` with ``BREAKING CHANGE:`` and
``NOTICE:`` footers, as python-semantic-release's conventional parser reads them; squash merges
split into the commits their bodies list, repeats collapsed, reverts cancelled, release commits
(hwb's own and other tools') left out. :mod:`hwb.versioning.changelog` renders them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

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
REF = re.compile(r"(?<![\w/])(?P<kind>[#!])(?P<num>\d+)\b")
NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[A-Za-z0-9-]+)@users\.noreply\.github\.com$")
#: dependabot[bot], renovate[bot], github-actions[bot], pre-commit-ci[bot], ... (by name or by
#: their GitHub no-reply address).
BOT = re.compile(r"\[bot\](?:@|$)", re.I)

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
    c.refs = [f"{m['kind']}{m['num']}" for m in REF.finditer(c.subject)]
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
    text = REF.sub("", c.description).lower()
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
