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

from hwb.versioning import changelog, commits, git, tags
from tests import histories
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
    monkeypatch.setenv("HWB_VERSION_CHANGELOG_TYPES", ",".join(commits.TYPES))
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
        env.setenv("HWB_VERSION_CHANGELOG_TYPES", ",".join(commits.TYPES))
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
    text; and hwb lists nothing else: not even PSR's release commit (``1.1.0``), which hwb
    used to list under Other (issue 25: release commits belong in no changelog)."""
    theirs = psr_release((imds / "CHANGELOG.md").read_text(), version)
    ours, data = hwb_release(hwb, imds, "--from", f"v{previous}", "--to", f"v{version}")
    assert theirs and ours == theirs
    other = [c["subject"] for s in data["sections"] if s["key"] == "other" for c in s["commits"]]
    assert other == []  # PSR's own release commit is left out, as its changelog does


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
    # (semantic-release, which only made the release commits, is none since issue 25: release
    # commits are no change.)
    assert data["contributors"] == ["Spencer Cain", "Cursor Agent"]


# -- real histories replayed from pinned cuts (tests/histories.py, tests/fixtures/README.md) -----
def notes(hwb: Callable[..., Run], repo: Path, *args: str, types: str = "") -> tuple[Run, Any]:
    with pytest.MonkeyPatch.context() as env:
        if types:
            env.setenv("HWB_VERSION_CHANGELOG_TYPES", types)
        result = hwb("version", "changelog", "--format", "json", "--project", str(repo), *args)
    assert result.code == 0, result.err
    return result, json.loads(result.out)


def listed(data: dict[str, Any]) -> dict[str, list[str]]:
    """section key -> "**scope:** description" of each entry, as the changelogs print them."""
    return {
        s["key"]: sorted(
            (f"**{c['scope']}**: " if c["scope"] else "") + c["description"] for c in s["commits"]
        )
        for s in data["sections"]
    }


#: commitizen's own CHANGELOG.md at v4.13.4 (it lists feat, fix, refactor and perf).
COMMITIZEN_RELEASES = {
    "v4.13.1": {"refactor": ["**config**: replace is_empty_config with contains_commitizen_"
                             "section, improve multi config resolution algorithm (#1842)"]},
    "v4.13.2": {"refactor": ["**tags**: extract version resolution method (#1839)",
                             "simplify code with pathlib Path object (#1840)"]},
    "v4.13.3": {"refactor": ["**version_schemes**: shorten generate_prerelease (#1838)"]},
    "v4.13.4": {"fix": ["**pre-commit-hooks**: correct rev-range syntax in commitizen-branch "
                        "(#1841)"]},
}  # fmt: skip


@pytest.mark.parametrize("tag", sorted(COMMITIZEN_RELEASES))
def test_commitizen_off_branch_tags(hwb: Callable[..., Run], tmp_path: Path, tag: str) -> None:
    """commitizen's v4.13.0-v4.13.3 tag bump commits that are not on the branch the next
    release is made from (its CI tagged a sibling of the branch's bump commit). Each release's
    notes must start at the release before it, not at the last reachable tag (v4.12.1), which
    repeated 4.13.0's features in every 4.13.x; with commitizen's own types they are exactly
    its CHANGELOG."""
    cz = histories.replay("commitizen-v4.13.json", tmp_path / "cz")
    cz.checkout_tag(tag)
    result, data = notes(hwb, cz.path, types="feat,fix,refactor,perf")
    previous = f"v4.13.{int(tag.rsplit('.', 1)[1]) - 1}"
    assert (data["version"], data["previous_tag"]) == (tag[1:], previous)
    assert listed(data) == COMMITIZEN_RELEASES[tag]
    assert f"tag {previous} is not on this branch" in result.err
    # Its bump commits ("bump: version 4.13.0 → 4.13.1", by github-actions[bot]) are release
    # commits: not listed, not counted, and the bot is no contributor.
    assert data["contributors"] and not any("[bot]" in who for who in data["contributors"])


def test_psr_default_types_bots_and_two_addresses(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """python-semantic-release v10.5.3: 3 fixes among 13 ci/test/chore commits. Its own
    changelog (CHANGELOG.rst) lists only the fixes; so must hwb by default. dependabot[bot]
    authored two of the commits; codejedi365 committed from two addresses."""
    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    psr.checkout_tag("v10.5.3")
    _, data = notes(hwb, psr.path)
    assert data["previous_tag"] == "v10.5.2"
    assert listed(data) == {
        "fix": [
            "**cmd-version**: resolve unauthenticated git repo issues for upstream verification "
            "(#1388)",
            "**github-action**: fix failed signing issue when ssh was missing from action "
            "environment (#1389)",
            "**parser-conventional-monorepo**: fix parser opts validator for outside dir path "
            "matches (#1382)",
        ]
    }
    # Counted, not listed (squash bullets count as the commits they stand for); the release
    # commit ("chore: release v10.5.3") is not even counted.
    assert set(data["left_out"]) == {"ci", "test", "chore"}
    assert sum(data["left_out"].values()) >= 13
    assert data["contributors"] == ["codejedi365", "Copilot", "Guillaume Chérel"]


def test_psr_notice_footer_and_bot_co_author(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """python-semantic-release v10.5.0: PR #1366's squash commit carries a ``NOTICE:`` footer,
    which PSR's own notes show under "Additional Release Information", and a
    ``Co-authored-by: copilot-swe-agent[bot]`` trailer."""
    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    psr.checkout_tag("v10.5.0")
    _, data = notes(hwb, psr.path)
    assert data["notices"] == [
        {
            "sha": psr.shas["90a1ffa55c5a1605c59cb26a1797f9a37fdfa784"],
            "scope": "cmd-version",
            "text": "If you were previously handling the unshallowing of a repository clone in "
            "your CI/CD pipelines, you may now remove that step from your workflow. PSR will now "
            "detect a shallow repository and unshallow it before evaluating the commit history.",
        }
    ]
    # The features and fixes of PSR's own v10.5.0 notes (CHANGELOG.rst).
    assert listed(data)["feat"] == [
        "**cmd-version**: add automatic repository un-shallowing to version workflow (#1366)",
        "**cmd-version**: add functionality to create & update partial version tags (#1115)",
        "**cmd-version**: adds c-macro style version definition support to `version_variables` "
        "(#1349)",
        "**cmd-version**: adds upstream check into workflow to prevent commit push collisions "
        "(#1360)",
    ]
    assert listed(data)["fix"] == [
        "**cmd-version**: prevent regular expression errors on `tag_format` (#1367)"
    ]
    assert not any("[bot]" in who for who in data["contributors"])
    md = hwb("version", "changelog", "--project", str(psr.path)).out
    assert "### Additional Release Information\n\n- **cmd-version:** If you were" in md


def test_psr_squash_bullet_repeating_the_title(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """PR #1045's squash commit: its title is repeated as one of its 60 bullets (with the
    body that closes #858). PSR lists the feature once; so does hwb, with the bullet's text."""
    psr = histories.replay("python-semantic-release-pr1045.json", tmp_path / "psr")
    _, data = notes(hwb, psr.path, types=",".join(commits.TYPES))
    feats = listed(data)["feat"]
    assert (
        feats.count("**changelog**: modify changelog template to support changelog updates (#1045)")
        == 1
    )
    assert not any(f.startswith("**changelog**: modify changelog template to support") and
                   "#1045" not in f for f in feats)  # fmt: skip
    assert len(feats) == 9  # the other eight feat bullets stay


def test_markupsafe_tags_without_prefix(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """pallets/markupsafe tags 3.0.2, not v3.0.2: with tag-format unset, hwb finds them, says
    so, and the 3.0.2 notes start at 3.0.1 (with the default v{version} they ran from the first
    commit). Its "release version"/"start version" commits are release commits."""
    ms = histories.replay("markupsafe-3.0.2.json", tmp_path / "markupsafe")
    result, data = notes(hwb, ms.path)
    assert "release tags: {version}" in result.err and "e.g. 3.0.2" in result.err
    assert (data["version"], data["previous_tag"]) == ("3.0.2", "3.0.1")
    assert listed(data) == {
        "other": [
            "build requires at least setuptools 70.1",
            "fix version",
            "fix version",
            "relax speedups str check",
            "update docs build",
            "update docs build",
            "update docs build",
            "update docs build",
            "update docs build",
        ]
    }
    assert tags.detect_tag_format(git.open_repo(ms.path)) == "{version}"


def test_no_previous_tag_starts_after_the_last_release_commit(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    """The same history without any tag: hwb says there is none and starts after the last
    commit that set a final version before HEAD (the release commit "release version 3.0.2"
    being HEAD: after "release version 3.0.1"), not at the first commit, nor after "start
    version 3.1.0" (a .dev version) or "fix version"; then, one commit later, after 3.0.2's."""
    ms = histories.replay("markupsafe-3.0.2.json", tmp_path / "markupsafe", tags=False)
    result, data = notes(hwb, ms.path)
    assert "no release tag named like v{version} precedes HEAD" in result.err
    assert "the notes start after " in result.err and "release version 3.0.1" in result.err
    entries = listed(data)["other"]
    assert "fix exact str check" not in entries  # 3.0.1's change
    assert "relax speedups str check" in entries
    assert data["previous_tag"] == ms.shas["ef0b95e2544ea0d09230a57dc01ac91e3bab9689"]
    ms.git("commit", "-q", "--allow-empty", "-m", "after the release")
    result, data = notes(hwb, ms.path)
    assert "release version 3.0.2" in result.err
    assert listed(data) == {"other": ["after the release"]}


def test_first_release_covers_the_whole_history(hwb: Callable[..., Run], history: GitRepo) -> None:
    """No tag and no earlier release commit: the whole history, said in a warning."""
    for tag in ("v1.0.0", "v1.1.0"):
        history.git("tag", "-d", tag)
    history.git("reset", "-q", "--hard", "HEAD~1")  # before "Release 1.1.0"
    result, data = notes(hwb, history.path)
    assert "notes cover the whole history" in result.err
    assert data["previous_tag"] is None
    assert "streaming uploads" in result.out


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["3.0.0", "3.0.1", "3.0.2", "2.1.x", "1.1.x"], "{version}"),  # pallets
        (["v4.12.1", "v4.13.0", "v4.13.0rc1"], "v{version}"),
        (["v10", "v10.5", "v10.5.3", "v10.5.2"], "v{version}"),  # PSR's partial tags too
        (["hwbdemo-1.2.0", "hwbdemo-1.3.0", "v0.1.0"], "hwbdemo-{version}"),
        (["release/2.0.1", "release/2.1.0"], "release/{version}"),
        (["py3-1.0"], "py3-{version}"),
        (["latest", "stable", "1.1.x"], None),
        ([], None),
    ],
)
def test_detect_tag_format(names: list[str], expected: str | None) -> None:
    found = tags.detect_from_tags(names)
    assert (found.tag_format if found else None) == expected


def test_tag_format_matches_only_versions() -> None:
    assert tags.version_of_tag("{version}", "3.0.2") is not None
    assert tags.version_of_tag("{version}", "v3.0.2") is None  # PEP 440 would read it as 3.0.2
    assert tags.version_of_tag("name-{version}", "name-1.0") is not None
    assert tags.version_of_tag("name-{version}", "name-") is None
    assert tags.trigger_glob("v{version}") == "v*"
    assert tags.trigger_glob("{version}") == "[0-9]*"


def test_mailmap_and_spelling_make_one_person(hwb: Callable[..., Run], history: GitRepo) -> None:
    history.commit("feat: one", ("Zoë Ångström", "zoe@home.example"))
    history.commit("feat: two", ("zoe angstrom", "z.angstrom@work.example"))
    history.commit("fix: three", ("ZA", "za@laptop.example"))
    history.commit(
        "feat: four\n\nCo-authored-by: Old Name <old@example.invalid>",
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
    )
    history.write(
        ".mailmap",
        "Zoë Ångström <zoe@home.example> ZA <za@laptop.example>\n"
        "Bob Contributor <bob@example.invalid> Old Name <old@example.invalid>\n",
    )
    _, data = notes(hwb, history.path)
    assert data["contributors"] == ["Zoë Ångström", "Bob Contributor"]


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/pallets/markupsafe.git", "https://github.com/pallets/markupsafe"),
        ("git@github.com:pallets/markupsafe.git", "https://github.com/pallets/markupsafe"),
        ("ssh://git@gitlab.com/group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
        ("file:///srv/mirrors/markupsafe.git", None),  # was https://file////srv/...
        ("/srv/mirrors/markupsafe.git", None),
    ],
)
def test_links_only_for_web_remotes(tmp_path: Path, remote: str, expected: str | None) -> None:
    repo = init_repo(tmp_path / "r")
    repo.git("remote", "add", "origin", remote)
    assert git.web_url(git.open_repo(repo.path)) == expected


def test_deprecations_listed_and_bot_housekeeping_left_out(
    hwb: Callable[..., Run], history: GitRepo
) -> None:
    history.commit("deprecate(api): the `url` key, use `upload-url`")
    history.commit("deprecation: Python 3.9 support")
    dependabot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
    history.commit("Bump the github-actions group with 3 updates", dependabot)
    renovate = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")
    history.commit("fix(deps): update dependency urllib3 to v2.5.0 [security]", renovate)
    _, data = notes(hwb, history.path)
    assert listed(data) == {
        "deprecate": ["**api**: the `url` key, use `upload-url`", "Python 3.9 support"],
        "fix": ["**deps**: update dependency urllib3 to v2.5.0 [security]"],
    }
    assert data["left_out"] == {"bot": 1}
    assert data["contributors"] == ["Dana Dev"]
    md = hwb("version", "changelog", "--project", str(history.path)).out
    assert "### Deprecations\n\n- Python 3.9 support (" in md and "- **api:** the `url` key" in md


def test_psr_moving_partial_tags(hwb: Callable[..., Run], tmp_path: Path) -> None:
    """PSR also tags v10.5 (moved to each 10.5.x; here at v10.5.3), which PEP 440 reads as
    10.5.0: the notes of v10.5.1 start at v10.5.0, not at that later commit."""
    psr = histories.replay("python-semantic-release-v10.5.json", tmp_path / "psr")
    psr.checkout_tag("v10.5.1")
    _, data = notes(hwb, psr.path)
    assert (data["version"], data["previous_tag"]) == ("10.5.1", "v10.5.0")
    assert listed(data) == {
        "fix": [
            "**cmd-version**: fix upstream change detection to succeed without branch tracking "
            "(#1369)"
        ]
    }


def test_detect_tag_format_in_a_monorepo() -> None:
    names = ["hwbdemo-greet-1.2.0", "other-1.0.0", "other-1.1.0", "other-2.0.0"]
    assert tags.detect_from_tags(names) == tags.Detected("other-{version}", 3, "other-2.0.0")
    own = tags.detect_from_tags(names, project="hwbdemo_greet")
    assert own == tags.Detected("hwbdemo-greet-{version}", 1, "hwbdemo-greet-1.2.0")
