"""Untrusted text never reaches a CI log as a command (issue 23 §2).

A newline in text from outside (an Action input, a wheel's member or file name, a registry's or
a trusted-publishing exchange's reply) once started a line the GitHub runner executed
(``::set-output``, ``::add-mask::``, ``::stop-commands::``), and escape sequences reached the
terminal. Each confirmed path runs through the real CLI (or ``python -m hwb.action`` with the
environment action.yml gives it) with one hostile payload; what hwb printed is then read the
way the GitHub runner reads it (lines split at ``\\r`` and ``\\n``, leading blanks trimmed,
``##[`` found anywhere) and the way GitLab's log renderer does (``section_start:``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from hwb import action
from tests import distfactory as df
from tests.conftest import Run
from tests.helpers import publish
from tests.oidcfakes import FakeIssuer, FakeWarehouse, Publisher, _Server

ROOT = Path(__file__).parent.parent
#: Every way to start a command or act on the terminal, after a newline and inline.
HOSTILE = (
    "x\n::set-output name=wheel::PWNED\n  ::add-mask::PWNED\n::stop-commands::PWNED\n"
    "\u00a0::set-output name=nb::PWNED\r::error::PWNED ##[set-output name=w;]PWNED "
    "\x1b[2J\x1bc\x9b2J section_start:1:pwned[collapsed=true]\r\x1b[0KPWNED\u202e"
)
#: The commands hwb itself issues; anything else at the start of a line was injected.
OWN = {"group", "endgroup", "error", "warning", "notice", "add-mask"}


def assert_inert(text: str, ci: str = "github") -> None:
    """Nothing in ``text`` acts on a CI log or a terminal except hwb's own commands."""
    for line in re.split(r"\r\n|\r|\n", text):
        bare = line.lstrip()
        if bare.startswith("::"):
            name = re.match(r"::([A-Za-z_-]*)", bare)
            assert name is not None and name.group(1) in OWN, f"injected command: {line!r}"
            if name.group(1) in {"add-mask", "group"}:
                assert "PWNED" not in bare, f"injected data in an hwb command: {line!r}"
            # hwb's own annotations quote outside text only after their own words.
            data = bare[2:].partition("::")[2]
            assert not data.startswith("PWNED"), f"injected annotation: {line!r}"
        assert "##[" not in line, f"legacy workflow command: {line!r}"
        sections = re.findall(r"section_(?:start|end):\d+:(\S+?)(?:\[|\r|$)", line)
        assert all(s.startswith("hwb_") for s in sections), f"injected section: {line!r}"
    assert "\x1b[2J" not in text and "\x1bc" not in text and "\x9b" not in text
    assert "\u202e" not in text
    if ci == "github":
        assert "section_start" not in text


@pytest.fixture
def in_github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GITLAB_CI", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gh_output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "gh_summary"))


# -- wheels: member names and file names ------------------------------------------------------


@dataclass(frozen=True)
class Inspected:
    name: str
    make: Callable[[Path], Path]


INSPECTED = [
    Inspected("member-name", lambda d: df.wheel(d, extra=[(f"demo_pkg/{HOSTILE}.py", b"")])),
    Inspected("file-name", lambda d: df.wheel(d, filename=f"demo_pkg-1.0-{HOSTILE}.whl")),
    Inspected("metadata", lambda d: df.wheel(d, files={f"demo_pkg/{HOSTILE}/x.py": b""})),
]


@pytest.mark.parametrize("ci", ["github", "gitlab"])
@pytest.mark.parametrize("flags", [[], ["-vvv"], ["--json"]], ids=["default", "vvv", "json"])
@pytest.mark.parametrize("case", INSPECTED, ids=lambda c: c.name)
def test_inspect_shows_hostile_names_inert(
    case: Inspected,
    flags: list[str],
    ci: str,
    hwb: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_github: None,
) -> None:
    if ci == "gitlab":
        monkeypatch.delenv("GITHUB_ACTIONS")
        monkeypatch.setenv("GITLAB_CI", "true")
    wheel = case.make(tmp_path)
    result = hwb(*flags, "inspect", str(wheel))
    assert result.code in {0, 12, 13}, result.err
    assert "Traceback" not in result.err
    assert_inert(result.out + result.err, ci)
    assert "PWNED" in result.out + result.err  # shown, not dropped


# -- servers: a trusted-publishing exchange and a registry -------------------------------------


class HostileWarehouse(FakeWarehouse):
    """Refuses every exchange with error codes and descriptions that carry the payload."""

    def _fail(self, handler: BaseHTTPRequestHandler, code: str, description: str) -> None:
        super()._fail(handler, code + HOSTILE, description + HOSTILE)


class HostileRegistry(_Server):
    """Answers every upload with the payload as its body (index pages: not found, so the
    upload is tried)."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status
        self.upload_url = f"{self.url}/legacy/"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        status = self.status if handler.command == "POST" else 404
        self.reply(handler, status, HOSTILE.encode(), "Bad", "text/plain")


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    with FakeIssuer() as running:
        yield running


def _project(tmp_path: Path, upload_url: str, index_url: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir(exist_ok=True)
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "demo-pkg"\nversion = "1.0"\n[tool.hwb.publish]\nretries = 0\n'
        f'[tool.hwb.registries.w]\nurl = "{upload_url}"\nindex-url = "{index_url}"\n'
    )
    return proj


@pytest.mark.parametrize("loud", [False, True], ids=["default", "vvv"])
def test_trusted_publishing_error_codes_are_inert(
    loud: bool,
    hwb: Callable[..., Run],
    issuer: FakeIssuer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    in_github: None,
) -> None:
    gh = Publisher("github", "demo-pkg", repository="other/repo", workflow="x.yml")
    with HostileWarehouse("http://127.0.0.1:9/", issuer, [gh]) as warehouse:
        for name, value in issuer.github_env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        proj = _project(tmp_path, warehouse.upload_url, "http://127.0.0.1:9/simple/")
        result = publish(
            hwb, df.wheel(tmp_path), project=proj, registry="w", trusted=True, loud=loud
        )
    assert result.code == 16, result.err
    assert "PWNED" in result.err
    assert_inert(result.out + result.err)


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("flags", [["-vvv"], ["-vvv", "--debug"], ["--json", "-vvv"]])
def test_registry_bodies_are_inert_at_every_verbosity(
    status: int,
    flags: list[str],
    hwb: Callable[..., Run],
    tmp_path: Path,
    in_github: None,
) -> None:
    with HostileRegistry(status) as registry:
        proj = _project(tmp_path, registry.upload_url, f"{registry.url}/simple/")
        result = hwb(*flags, "publish", "--project", str(proj), "-r", "w", "--token", "t0ken",
                     "--no-inspect", str(df.wheel(tmp_path)))  # fmt: skip
    assert result.code == 14, result.err
    assert "PWNED" in result.out + result.err
    assert_inert(result.out + result.err)


# -- the Action's inputs -----------------------------------------------------------------------


def action_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """The environment action.yml's run step gives ``python -m hwb.action``: every input's
    variable, set to the input or to its default."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_"))}
    for name, meta in spec["inputs"].items():
        env[action.env_name(name)] = str(meta.get("default", ""))
    for name, value in inputs.items():
        env[action.env_name(name.replace("_", "-"))] = value
    output = tmp_path / "gh_output"
    output.touch()
    env |= {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "PYTHONPATH": str(ROOT)}
    return env


def run_action(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hwb.action"],
        env=action_env(tmp_path, **inputs),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "inputs",
    [
        {"command": "build", "package_dir": "missing", "output_dir": HOSTILE},
        {"command": "build", "package_dir": f"missing{HOSTILE}"},
        {"command": "inspect", "packages_dir": HOSTILE},
        {"command": "publish", "repository": HOSTILE.replace(",", "")},
        {"command": "build", "sdist": HOSTILE},
        {"command": HOSTILE},
        {"command": "inspect", "args": f"--ignore '{HOSTILE}'"},
    ],
    ids=["output-dir", "package-dir", "packages-dir", "repository", "flag", "command", "args"],
)
def test_action_inputs_are_inert(inputs: dict[str, str], tmp_path: Path) -> None:
    done = run_action(tmp_path, **inputs)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert_inert(done.stdout + done.stderr)
    assert (tmp_path / "gh_output").read_text().count("PWNED") == 0
