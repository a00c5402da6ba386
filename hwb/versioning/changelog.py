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

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from hwb import ci
from hwb.errors import ProjectError
from hwb.versioning import git
from hwb.versioning.commits import BOT, NOREPLY, REF, SECTIONS, Commit

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
                login = NOREPLY.match(email)
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

        return REF.sub(link, text)

    def commit_link(self, c: Commit) -> str:
        if not self.web_url:
            return c.short
        sep = "/-/commit/" if self.host == "gitlab" else "/commit/"
        return f"[{c.short}]({self.web_url}{sep}{c.sha})"


def is_bot(name: str, email: str) -> bool:
    """An automation account (``dependabot[bot]``): it made the commit but is no contributor."""
    return bool(BOT.search(name.strip()) or BOT.search(email.strip()))


def _name_key(name: str) -> str:
    """A name as people write it differently: case, accents, spacing (``José  Pérez`` and
    ``jose perez`` are one person)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    return " ".join(plain.casefold().split())


def _identity_keys(name: str, email: str) -> set[str]:
    keys = {"e:" + email.strip().lower(), "n:" + _name_key(name)}
    login = NOREPLY.match(email.strip())
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


def read_file(path: Path) -> str:
    """The changelog's text ("" when it does not exist yet); one that cannot be a UTF-8 text
    file is an error before anything is written."""
    if not path.exists() and not path.is_symlink():
        return ""
    hint = "Point [tool.hwb.version] changelog-file at a UTF-8 text file (or remove it)."
    if not path.is_file():
        raise ProjectError(f"the changelog {path} is not a regular file", hint=hint)
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"the changelog {path} is not UTF-8 text ({exc.reason})", hint=hint
        ) from None
    except OSError as exc:
        raise ProjectError(f"cannot read the changelog {path}: {exc.strerror}", hint=hint) from None
