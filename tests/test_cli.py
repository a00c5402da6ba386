"""The CLI shell: version, help, the top-level handler and start-up cost."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb import __version__
from hwb.cli import COMMANDS
from tests.conftest import Run


def test_version(hwb: Callable[..., Run]) -> None:
    result = hwb("--version")
    assert result.code == 0
    assert result.out.strip() == f"hwb {__version__}"


def test_help_lists_implemented_commands_only(hwb: Callable[..., Run]) -> None:
    result = hwb("--help")
    assert result.code == 0
    listed = [
        line.split()[0] for line in result.out.split("Commands:")[1].splitlines() if line.strip()
    ]
    assert listed == sorted(COMMANDS)


def test_unknown_option_is_a_usage_error(hwb: Callable[..., Run]) -> None:
    result = hwb("build", "--frobnicate")
    assert result.code == 2
    # click's own wording, which changed across releases ("No such option: --x" in 8.1).
    assert result.err.startswith("error: No such option") and "--frobnicate" in result.err
    assert "Traceback" not in result.err


def test_unknown_command(hwb: Callable[..., Run]) -> None:
    result = hwb("publsh")
    assert result.code == 2
    assert "No such command 'publsh'" in result.err


def test_internal_errors_say_bug_and_hide_traceback_unless_debug(
    hwb: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hwb.settings import resolver

    def explode(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("kaboom")

    monkeypatch.setattr(resolver, "resolve", explode)
    result = hwb("config", "show")
    assert result.code == 1
    assert "internal error: ZeroDivisionError: kaboom" in result.err
    assert "Traceback" not in result.err
    result = hwb("--debug", "config", "show")
    assert "Traceback" in result.err
    monkeypatch.setenv("HWB_DEBUG", "1")
    assert "Traceback" in hwb("config", "show").err


def test_startup_imports_nothing_heavy() -> None:
    code = (
        "import sys; from hwb.cli import main; main(['--version']); main(['--help']);"
        "heavy = [m for m in ('build', 'pyproject_hooks', 'hwb.build.builder',"
        " 'hwb.settings.resolver', 'rich', 'requests')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_python_dash_m(tmp_path: object) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hwb", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == f"hwb {__version__}"


def test_command_exits_with_mains_code_and_a_frozen_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console script (hwb.cli:run) exits with main's code, after freezing the heap so the
    interpreter's last collections skip it; its output still arrives whole."""
    import json

    code = (
        "import gc, sys, atexit; import hwb.cli as c;"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0));"
        "c.main = lambda: 4; c.run()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout.strip()) == (4, "frozen True")
    out = subprocess.run(
        [sys.executable, "-m", "hwb", "--json", "config", "show"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0 and "jobs" in json.loads(out.stdout)["config"]["publish"]


def test_global_options_after_the_subcommand(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hwb config show --json`, `hwb version show -q`, `hwb inspect X -vv --json` work as they
    do before the subcommand (uv accepts global options in either place)."""
    import json

    from tests import distfactory as df

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.2.3"\n')
    before = hwb("--json", "config", "show")
    after = hwb("config", "show", "--json")
    assert after.code == before.code == 0
    assert json.loads(after.out) == json.loads(before.out)
    wheel = df.wheel(tmp_path)
    plain = hwb("inspect", str(wheel))
    late = hwb("inspect", str(wheel), "-vv", "--json")
    assert late.code == plain.code == 0, late.err
    assert json.loads(late.out)["files"]
    assert not plain.out.lstrip().startswith("{")
    quiet = hwb("inspect", str(wheel), "-q")
    assert quiet.err == "" and quiet.code == 0
    # Nested groups too, and a repeated -v adds up across both places.
    assert json.loads(hwb("version", "show", "--json").out)["version"] == "1.2.3"
    assert hwb("-v", "inspect", str(wheel), "-v", "--no-color", "--debug").code == 0
    # Not swallowed where they are not options: an argument after `--` stays an argument.
    assert hwb("inspect", "--", "-q").code == 13
