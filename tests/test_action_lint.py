"""action.yml and the workflow templates judged by the linters GitHub users run: the JSON
schemas of SchemaStore (check-jsonschema, offline) and zizmor's security audits."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "workflows-templates" / "github").glob("*.yml"))
BIN = Path(sys.executable).parent
#: The root action and the per-command ones (actions/<command>/action.yml).
ACTIONS = [ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml"))]

pytestmark = pytest.mark.integration


def tool(name: str) -> str:
    exe = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed: it is in the test extras (pip install -e '.[test]')")
    return exe


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_templates_exist() -> None:
    assert [p.name for p in TEMPLATES] == ["pure.yml", "release.yml"]


def test_action_yml_matches_the_github_actions_schema() -> None:
    assert len(ACTIONS) == 10
    got = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
              *map(str, ACTIONS))  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr


def test_templates_match_the_github_workflows_schema() -> None:
    got = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
              *map(str, TEMPLATES))  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr


def test_zizmor_finds_nothing_at_medium_or_above() -> None:
    got = run(tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
              *map(str, ACTIONS), *map(str, TEMPLATES))  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr


def test_zizmor_would_catch_an_input_spliced_into_run(tmp_path: Path) -> None:
    """The audit is live: the mistake the action avoids (an input inside run:) is reported."""
    text = (ROOT / "action.yml").read_text()
    bad = text.replace("""run: '"$HWB_PYTHON" -m hwb.action'""",
                       """run: '"$HWB_PYTHON" -m hwb.action ${{ inputs.args }}'""")  # fmt: skip
    assert bad != text
    (tmp_path / "action.yml").write_text(bad)
    got = run(tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
              str(tmp_path / "action.yml"))  # fmt: skip
    assert got.returncode != 0
    assert "template-injection" in got.stdout + got.stderr


def test_templates_pin_every_third_party_action_and_scope_permissions() -> None:
    import yaml

    for path in TEMPLATES:
        text = path.read_text()
        for ref in re.findall(r"uses:\s*(\S+)", text):
            if ref.startswith("hwb-dev/hwb@"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref}"
        assert re.findall(r"@[0-9a-f]{40} # v\d", text), "version comments beside the SHAs"
        doc = yaml.safe_load(text)
        assert doc["permissions"] == {}
        assert "concurrency" in doc
        for name, job in doc["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name}"
            perms = job["permissions"]
            if perms.get("id-token") == "write":
                assert job.get("environment") == "pypi", f"{path.name}: job {name}"
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
        writers = [n for n, j in doc["jobs"].items() if j["permissions"].get("id-token")]
        assert writers == ["publish"], path.name


_IGNORE = re.compile(r"#\s*zizmor:\s*ignore\[([^\]]*)\]")


def _ignored_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if _IGNORE.search(line)]


def test_zizmor_ignores_only_hwbs_own_uses_at_a_release_tag(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    """An ignore comment silences a whole line: it sits only on hwb's own ``uses:`` at a
    release tag (the placeholder the templates ship, the tag init-ci writes), so the audit sees
    every other line of the templates and of what init-ci generates, which zizmor then passes."""
    shutil.copytree(ROOT / "tests" / "packages" / "flit", tmp_path / "flit")
    assert hwb("init-ci", "github", str(tmp_path / "flit"), "--ref", "v2.0.0").code == 0
    generated = tmp_path / "flit" / ".github" / "workflows" / "release.yml"
    for path in [*TEMPLATES, generated]:
        lines = _ignored_lines(path.read_text())
        assert lines, path.name
        for line in lines:
            assert re.fullmatch(r"\s*(?:- )?(?:uses): hwb-dev/hwb@v\d[\w.]*\s+#.*", line), line
            assert _IGNORE.search(line)[1] == "unpinned-uses", line  # type: ignore[index]
    got = run(tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
              str(generated))  # fmt: skip
    assert got.returncode == 0, got.stdout + got.stderr


def test_init_ci_pins_by_sha_without_any_ignore(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    shutil.copytree(ROOT / "tests" / "packages" / "flit", tmp_path / "flit")
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert hwb("init-ci", "github", str(tmp_path / "flit"), "--ref", sha).code == 0
    text = (tmp_path / "flit" / ".github" / "workflows" / "release.yml").read_text()
    assert f"hwb-dev/hwb@{sha}" in text
    assert not _ignored_lines(text)
