"""Which tag convention a project already uses for its releases.

A project switching to hwb has tags of its own (pallets: ``3.0.2``, most: ``v3.0.2``, monorepos:
``name-3.0.2``); hwb must find its previous release under them, and init-ci must fire on them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from packaging.version import Version

from hwb.settings.model import DEFAULT_TAG_FORMAT, version_of_tag
from hwb.versioning import git

__all__ = ["DEFAULT_TAG_FORMAT", "Detected", "detect_from_tags", "split_tag", "version_of_tag"]


#: A version at the end of a tag: starts with a digit (so ``v`` stays in the prefix), may carry
#: PEP 440 pre/post/dev parts (``3.0.0rc1``, ``1.0.post1``).
_TAIL = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)*(?:[-_.]?[A-Za-z]+[0-9]*)*(?:\.[0-9]+)*$")


@dataclass(frozen=True)
class Detected:
    """A tag format found among the tags, with how many tags follow it and the newest one."""

    tag_format: str
    count: int
    example: str


def split_tag(tag: str) -> tuple[str, Version] | None:
    """(prefix, version) of a tag that ends in a PEP 440 version (``name-v1.2.3`` ->
    ``("name-v", 1.2.3)``); None for any other tag."""
    match = _TAIL.search(tag)
    if match is None:
        return None
    try:
        version = Version(match[0])
    except ValueError:  # InvalidVersion, or a part past int()'s digit limit
        return None
    return tag[: match.start()], version


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def detect_from_tags(tags: list[str], project: str | None = None) -> Detected | None:
    """The format most of the version tags follow (on a tie, the one with the newest version);
    in a monorepo, the project's own (a prefix naming ``project``: ``markupsafe-``) first.
    Only a prefix is recognised (``v``, ``name-``, ``release/``): suffixed tags are rare."""
    counts: Counter[str] = Counter()
    newest: dict[str, tuple[Version, str]] = {}
    for tag in tags:
        split = split_tag(tag)
        if split is None:
            continue
        prefix, version = split
        counts[prefix] += 1
        if prefix not in newest or version > newest[prefix][0]:
            newest[prefix] = (version, tag)
    if not counts:
        return None
    own = _normal(project) if project else None
    prefix = max(counts, key=lambda p: (bool(own and own in _normal(p)), counts[p], newest[p][0]))
    return Detected(prefix + "{version}", counts[prefix], newest[prefix][1])


def detect_tag_format(repo: git.Repo, project: str | None = None) -> str | None:
    """The tag format (``v{version}``, ``{version}``, ``name-{version}``) of the repository's
    existing version tags (``project``'s own in a monorepo), or None when it has none. init-ci
    derives its tag trigger from it (:func:`trigger_glob`)."""
    found = detect_from_tags(git.all_tags(repo), project)
    return found.tag_format if found else None


def trigger_glob(tag_format: str) -> str:
    """A CI tag filter that matches the tags of ``tag_format`` (``v{version}`` -> ``v*``;
    ``{version}`` -> ``[0-9]*``, so that other tags do not start a release)."""
    prefix, _, suffix = tag_format.partition("{version}")
    return f"{prefix}[0-9]*{suffix}" if not prefix else f"{prefix}*{suffix}"
