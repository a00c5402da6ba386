"""Changelogs and release notes for a realistic history, against golden files.

Regenerate the golden files after an intended change with UPDATE_GOLDEN=1, then review
the diff like any other change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.versioning import changelog
from tests.conftest import Run
from tests.gitrepo import GitRepo, init_repo

GOLDEN = Path(__file__).parent / "golden"
ALICE = ("Alice Maintainer", "1234+alice@users.noreply.github.com")
BOB = ("Bob Contributor", "bob@example.invalid")
CAROL = ("Carol Newcomer", "carol@example.invalid")


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
        "BREAKING CHANGE: `url` is now `upload-url` in registries.",
        BOB,
        {"g.py": "1"},
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
    assert keys == ["breaking", "feat", "fix", "perf", "revert", "docs", "other"]
    subjects = [c["subject"] for s in data["sections"] for c in s["commits"]]
    assert not any("yanking" in s for s in subjects)  # reverted within the range: both dropped
    assert not any(s.startswith("Merge pull request") for s in subjects)
    assert "Release 1.1.0" not in subjects
    assert "Add contributor docs" in subjects  # non-conventional: kept under Other
    assert data["contributors"] == ["@alice", "Bob Contributor", "Carol Newcomer"]


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
