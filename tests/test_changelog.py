"""Changelogs and release notes for a realistic history, against golden files.

Regenerate the golden files after an intended change with UPDATE_GOLDEN=1, then review
the diff like any other change.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwb.versioning import changelog
from tests.conftest import Run
from tests.gitrepo import GitRepo, init_repo

GOLDEN = Path(__file__).parent / "golden"
ALICE = ("Alice Maintainer", "1234+alice@users.noreply.github.com")
BOB = ("Bob Contributor", "bob@example.invalid")
CAROL = ("Carol Newcomer", "carol@example.invalid")
ALICE_WORK = ("Alice Maintainer", "alice@corp.example")


@pytest.fixture
def history(tmp_path: Path) -> GitRepo:
    """v1.0.0, then a release's worth of commits (merges, reverts, breaking changes, scopes,
    non-conventional subjects), tagged v1.1.0 at HEAD as a release workflow sees it."""
    repo = init_repo(tmp_path / "proj")
    repo.commit(
        "chore: initial release",
        ALICE,
        {"pyproject.toml": '[project]\nname = "p"\nversion = "1.0.0"\n'},
    )
    repo.git("tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    repo.commit("feat(api): add streaming uploads (#21)", ALICE, {"a.py": "1"})
    repo.commit("fix(cli): handle an empty dist directory\n\nCloses #30", BOB, {"b.py": "1"})
    yanking = repo.commit("feat(index): support yanking", BOB, {"c.py": "1"})
    repo.git("revert", "--no-edit", yanking, author=BOB)
    repo.commit("perf(hash): stream files instead of reading them whole", ALICE, {"d.py": "1"})
    # A feature branch merged with a merge commit.
    repo.git("checkout", "-q", "-b", "json-output")
    repo.commit("feat(cli): add --json output (#42)", CAROL, {"e.py": "1"})
    repo.commit("Add contributor docs", CAROL, {"CONTRIBUTING.md": "hi"})
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "json-output",
        "-m",
        "Merge pull request #42 from carol/json-output",
    )
    repo.commit("feat!: drop Python 3.8", ALICE, {"f.py": "1"})
    repo.commit(
        "fix(config): rename registry keys\n\n"
        "BREAKING CHANGE: `url` is now `upload-url` in registries.\n"
        "Rename the key in every registry table.\n"
        "Refs: #77",
        BOB,
        {"g.py": "1"},
    )
    # The same person from another address: still one contributor.
    repo.commit("fix: close files on error", ALICE_WORK, {"h.py": "1"})
    # A GitHub squash merge listing the PR's commits, with co-authors.
    repo.commit(
        "feat(upload): resumable uploads (#50)\n\n"
        "Resume where a broken upload stopped.\n\n"
        "* fix(upload): retry on 502 answers\n\n"
        "* docs: describe resuming\n\n"
        "Co-authored-by: Dave Helper <dave@example.invalid>\n"
        "Co-authored-by: bob <bob@example.invalid>",
        CAROL,
        {"i.py": "1"},
    )
    repo.commit("docs: fix typo in README", CAROL, {"README.md": "x"})
    repo.commit(
        'Revert "fix: old workaround"\n\n'
        "This reverts commit 0123456789abcdef0123456789abcdef01234567.",
        BOB,
    )
    repo.commit(
        "Release 1.1.0", ALICE, {"pyproject.toml": '[project]\nname = "p"\nversion = "1.1.0"\n'}
    )
    repo.git("tag", "-a", "v1.1.0", "-m", "Release 1.1.0")
    return repo


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from the golden file"


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [
        ("github", "changelog-github.md"),
        ("markdown", "changelog.md"),
        ("json", "changelog.json"),
    ],
)
def test_release_notes_golden(
    hwb: Callable[..., Run],
    history: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    golden: str,
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widget")
    result = hwb("version", "changelog", "--format", fmt, "--project", str(history.path))
    assert result.code == 0, result.err
    check_golden(golden, result.out)


def test_structure_of_the_notes(
    hwb: Callable[..., Run], history: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the golden files must show, stated directly."""
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widget")
    data = json.loads(
        hwb("version", "changelog", "--format", "json", "--project", str(history.path)).out
    )
    assert (data["version"], data["tag"], data["previous_tag"]) == ("1.1.0", "v1.1.0", "v1.0.0")
    assert data["compare_url"] == "https://github.com/acme/widget/compare/v1.0.0...v1.1.0"
    keys = [s["key"] for s in data["sections"]]
    assert keys[0] == "breaking"  # breaking changes first
    # What maintainers publish: the two docs commits are left out (counted, not listed).
    assert keys == ["breaking", "feat", "fix", "perf", "revert", "other"]
    assert data["left_out"] == {"docs": 2}
    subjects = [c["subject"] for s in data["sections"] for c in s["commits"]]
    assert not any("yanking" in s for s in subjects)  # reverted within the range: both dropped
    assert not any(s.startswith("Merge pull request") for s in subjects)
    assert "Release 1.1.0" not in subjects
    assert "Add contributor docs" in subjects  # non-conventional: kept under Other
    # Alice once (handle and work address), Bob once (trailer as "bob"), Dave from a trailer.
    assert data["contributors"] == ["@alice", "Bob Contributor", "Carol Newcomer", "Dave Helper"]
    by_key = {s["key"]: s["commits"] for s in data["sections"]}
    # The breaking fix: its whole footer paragraph under Breaking Changes, and still a fix.
    (rename,) = [c for c in by_key["breaking"] if c["scope"] == "config"]
    assert rename["breaking"] == (
        "`url` is now `upload-url` in registries. Rename the key in every registry table."
    )
    assert any(c["sha"] == rename["sha"] for c in by_key["fix"])
    assert any(c["description"] == "drop Python 3.8" for c in by_key["feat"])
    # The squash merge stands for its three commits, each with the PR reference (its docs
    # commit left out like the others).
    squash = [(s["key"], c["description"], c["refs"]) for s in data["sections"]
              for c in s["commits"] if c["subject"] != c["description"] or "#50" in c["refs"]
              if "#50" in c["refs"]]  # fmt: skip
    assert sorted(squash) == [
        ("feat", "resumable uploads (#50)", ["#50"]),
        ("fix", "retry on 502 answers", ["#50"]),
    ]
    monkeypatch.setenv("HWB_VERSION_CHANGELOG_TYPES", ",".join(changelog.TYPES))
    every = hwb("version", "changelog", "--format", "json", "--project", str(history.path))
    listed = json.loads(every.out)
    assert [s["key"] for s in listed["sections"]] == [*keys[:5], "docs", "other"]
    assert listed["left_out"] == {}


def test_unreleased_and_explicit_range(hwb: Callable[..., Run], history: GitRepo) -> None:
    history.commit("feat: after the release")
    md = hwb("version", "changelog", "--project", str(history.path)).out
    assert md.startswith("## Unreleased - ")
    assert "- after the release (" in md and "streaming" not in md
    md = hwb(
        "version", "changelog", "--from", "v1.0.0", "--to", "v1.1.0", "--project", str(history.path)
    ).out
    assert "streaming uploads" in md and "after the release" not in md
    bad = hwb("version", "changelog", "--from", "v9.9.9", "--project", str(history.path))
    assert bad.code == 9 and "cannot read the commits in v9.9.9..HEAD" in bad.err


def test_output_file(hwb: Callable[..., Run], history: GitRepo, tmp_path: Path) -> None:
    target = tmp_path / "RELEASE_NOTES.md"
    result = hwb(
        "version",
        "changelog",
        "--format",
        "github",
        "-o",
        str(target),
        "--project",
        str(history.path),
    )
    assert result.code == 0 and result.out == ""
    assert target.read_text().startswith("## What's Changed\n")


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://github.com/o/r", "fix #3", "fix [#3](https://github.com/o/r/issues/3)"),
        (
            "https://gitlab.com/g/p",
            "see #3 and !4",
            "see [#3](https://gitlab.com/g/p/-/issues/3) and "
            "[!4](https://gitlab.com/g/p/-/merge_requests/4)",
        ),
        (None, "fix #3", "fix #3"),
    ],
)
def test_reference_links(url: str | None, text: str, expected: str) -> None:
    release = changelog.Release("1", None, None, "2026-01-01", [], url, changelog.host_of(url))
    assert release.link_refs(text) == expected


def test_insert_section() -> None:
    assert changelog.insert_section("", "## 1.0\n") == "# Changelog\n\n## 1.0\n"
    assert changelog.insert_section("# C\n\n## 0.9\n", "## 1.0\n") == "# C\n\n## 1.0\n\n## 0.9\n"
    marked = "# C\nintro\n<!-- hwb: insert -->\n## 0.9\n"
    assert (
        changelog.insert_section(marked, "## 1.0\n")
        == "# C\nintro\n<!-- hwb: insert -->\n\n## 1.0\n\n## 0.9\n"
    )


def test_github_step_outputs_for_the_action(
    hwb: Callable[..., Run], history: GitRepo, github_env: dict[str, Path]
) -> None:
    """The action's release-notes command reads these: the notes (multi-line) and the version."""
    result = hwb("version", "changelog", "--format", "github", "--project", str(history.path))
    assert result.code == 0, result.err
    outputs = github_env["output"].read_text()
    assert "version=1.1.0\n" in outputs
    _, _, rest = outputs.partition("release-notes<<")
    delimiter, _, body = rest.partition("\n")
    assert delimiter.startswith("ghadelimiter_")
    assert body.partition(f"\n{delimiter}\n")[0].strip() == result.out.strip()


# -- a real history: srmlcn/imds (MIT), pinned as a git bundle (tests/fixtures/README.md) --------
IMDS_BUNDLE = Path(__file__).parent / "fixtures" / "imds-v1.1.0.bundle"
#: python-semantic-release's section titles for the conventional types.
PSR_TITLES = {
    "feat": "Features",
    "fix": "Bug Fixes",
    "perf": "Performance Improvements",
    "docs": "Documentation",
    "refactor": "Refactoring",
    "test": "Testing",
    "build": "Build System",
    "ci": "Continuous Integration",
    "style": "Code Style",
    "chore": "Chores",
}


@pytest.fixture(scope="module")
def imds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("real") / "imds"
    subprocess.run(
        ["git", "clone", "-q", str(IMDS_BUNDLE), str(where)], check=True, capture_output=True
    )
    return where


def psr_release(changelog_md: str, version: str) -> dict[str, list[tuple[str, str]]]:
    """One release of a CHANGELOG.md written by python-semantic-release: section title ->
    sorted (full sha, description) of its entries."""
    block = changelog_md.split(f"\n## v{version} (", 1)[1].split("\n## v", 1)[0]
    sections: dict[str, list[tuple[str, str]]] = {}
    for part in block.split("\n### ")[1:]:
        title, _, body = part.partition("\n")
        entries = []
        for item in re.split(r"\n\s*\n", body.strip()):
            text = " ".join(line.strip() for line in item.strip().splitlines())
            sha = re.search(r"/commit/([0-9a-f]{40})", text)
            assert text.startswith("- ") and sha, text
            entries.append((sha[1], text[2:].split(" ([", 1)[0]))
        sections[title] = sorted(entries)
    return sections


def hwb_release(
    hwb: Callable[..., Run], repo: Path, *args: str
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, Any]]:
    # This project's changelog lists every type (its PSR configuration), so hwb's does too.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HWB_VERSION_CHANGELOG_TYPES", ",".join(changelog.TYPES))
        result = hwb("version", "changelog", "--format", "json", "--project", str(repo), *args)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    sections = {
        PSR_TITLES[s["key"]]: sorted(
            (c["sha"], c["description"][:1].upper() + c["description"][1:]) for c in s["commits"]
        )
        for s in data["sections"]
        if s["key"] in PSR_TITLES
    }
    return sections, data


@pytest.mark.parametrize(("previous", "version"), [("1.0.0", "1.0.1"), ("1.0.1", "1.1.0")])
def test_real_history_matches_the_projects_own_changelog(
    hwb: Callable[..., Run], imds: Path, previous: str, version: str
) -> None:
    """Every entry of the project's own CHANGELOG (written by python-semantic-release from
    these commits) is in hwb's changelog of the same range, in the same section, with the same
    text; and hwb lists nothing else there but the release commit itself (under Other)."""
    theirs = psr_release((imds / "CHANGELOG.md").read_text(), version)
    ours, data = hwb_release(hwb, imds, "--from", f"v{previous}", "--to", f"v{version}")
    assert theirs and ours == theirs
    other = [c["subject"] for s in data["sections"] if s["key"] == "other" for c in s["commits"]]
    assert other == [version]  # PSR's own release commit, which its changelog leaves out


def test_real_breaking_footers_and_contributors(hwb: Callable[..., Run], imds: Path) -> None:
    _, data = hwb_release(hwb, imds, "--to", "v1.0.0")
    by_key = {s["key"]: s["commits"] for s in data["sections"]}
    removal = next(c for c in by_key["breaking"] if c["sha"].startswith("0aedf1e"))
    # The footer spans two lines in the commit; PSR prints the whole paragraph.
    assert removal["breaking"] == (
        "The `datasets` module is discontinued. Use modules unique to each dataset instead."
    )
    assert any(c["sha"] == removal["sha"] for c in by_key["feat"])  # still a feature
    assert len(by_key["breaking"]) == 9
    assert all(any(c["sha"] == b["sha"] for c in by_key[b["type"]]) for b in by_key["breaking"])
    # "Co-authored-by: cainspencerm <cainspencerm@protonmail.com>" on Cursor Agent's commits is
    # the maintainer, Spencer Cain, under his handle: counted once.
    assert data["contributors"] == ["Spencer Cain", "Cursor Agent", "semantic-release"]
