"""The CI-aware output layer: GitHub and GitLab syntax, colours, secrets, outputs."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from hwb.output import Output


def make(env: dict[str, str], **kwargs: object) -> tuple[Output, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Output(environ=env, stdout=out, stderr=err, **kwargs), out, err  # type: ignore[arg-type]


def parse_github_output(text: str) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (name=value and heredoc blocks)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            i += 1
            while lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


def test_plain_text_has_no_workflow_commands_and_no_colour() -> None:
    out, stdout, stderr = make({})
    out.start_step("Building wheel")
    out.warning("careful", file="pyproject.toml")
    out.error("it broke", hint="do this")
    text = stderr.getvalue()
    assert "::" not in text
    assert "\x1b[" not in text  # StringIO is not a TTY
    assert "* Building wheel" in text
    assert "warning: careful" in text
    assert "error: it broke\nhint: do this" in text
    assert stdout.getvalue() == ""


@pytest.mark.parametrize(
    ("env", "no_color", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ({"FORCE_COLOR": "1"}, True, False),
        ({}, False, False),
    ],
)
def test_colour_resolution(env: dict[str, str], no_color: bool, coloured: bool) -> None:
    out, _, stderr = make(env, no_color=no_color)
    out.error("boom")
    assert ("\x1b[" in stderr.getvalue()) is coloured


def test_github_groups_annotations_and_masks(github_env: dict[str, Path]) -> None:
    env = {"GITHUB_ACTIONS": "true", "NO_COLOR": "1"}
    out, _, stderr = make(env)
    out.mask("s3cr3t-value")
    out.start_step("Building sdist")
    out.info("using token s3cr3t-value here")
    out.start_step("Building wheel")  # closes the previous group
    out.warning("odd, thing: here", file="pkg/pyproject.toml", line=3)
    out.error("failed\nsecond line", hint="fix it", file="a,b.py")
    text = stderr.getvalue()
    assert text.count("::add-mask::s3cr3t-value") == 1
    assert "using token *** here" in text
    assert text.count("::group::") == 2
    assert text.count("::endgroup::") == 2  # error() closes the open group first
    assert "::warning file=pkg/pyproject.toml,line=3::odd, thing: here" in text
    assert "::error file=a%2Cb.py,title=hwb::failed%0Asecond line%0Afix it" in text
    # Outside add-mask, the secret never appears.
    assert text.replace("::add-mask::s3cr3t-value", "").count("s3cr3t-value") == 0


def test_gitlab_collapsible_sections() -> None:
    out, _, stderr = make({"GITLAB_CI": "true", "NO_COLOR": "1"})
    out.start_step("Building wheel")
    out.end_step()
    text = stderr.getvalue()
    start = re.search(
        r"\x1b\[0Ksection_start:\d+:(hwb_\d+_\d+)\[collapsed=true\]\r\x1b\[0KBuilding wheel", text
    )
    assert start is not None
    assert re.search(rf"\x1b\[0Ksection_end:\d+:{start.group(1)}\r\x1b\[0K", text)


def test_step_summary_and_outputs(
    github_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    out, _, _ = make(dict(os.environ))
    out.mask("tok-123")
    out.summary("| a | tok-123 |")
    tricky = "line one\nEOF\nghadelimiter_x\nline four"
    out.set_outputs({"simple": "v1", "multi": tricky, "leak": "tok-123"})
    assert github_env["summary"].read_text() == "| a | *** |\n\n"
    raw = github_env["output"].read_text()
    delimiters = re.findall(r"^multi<<(\S+)$", raw, re.M)
    assert delimiters and re.fullmatch(r"ghadelimiter_[0-9a-f]{32}", delimiters[0])
    assert parse_github_output(raw) == {"simple": "v1", "multi": tricky, "leak": "***"}


def test_outputs_are_ignored_outside_github(tmp_path: Path) -> None:
    target = tmp_path / "out"
    out, _, _ = make({"GITHUB_OUTPUT": str(target), "GITHUB_STEP_SUMMARY": str(target)})
    out.set_outputs({"a": "b"})
    out.summary("x")
    assert not target.exists()


def test_json_mode_puts_only_json_on_stdout() -> None:
    out, stdout, stderr = make({}, json_mode=True)
    out.info("human line")
    out.result({"ok": True}, "human rendering")
    assert json.loads(stdout.getvalue()) == {"ok": True}
    assert "human line" in stderr.getvalue()


def test_quiet_and_verbosity_levels() -> None:
    out, _, stderr = make({}, quiet=True)
    out.info("hidden")
    out.detail("hidden too")
    out.warning("shown")
    assert stderr.getvalue() == "warning: shown\n"
    out, _, stderr = make({}, verbosity=2)
    out.detail("v1", level=1)
    out.detail("v2", level=2)
    out.detail("v3", level=3)
    assert stderr.getvalue() == "v1\nv2\n"


def test_longer_secret_containing_shorter_is_redacted_whole() -> None:
    out, _, _ = make({})
    out.mask("abc")
    out.mask("abcdef")
    assert out.redact("x abcdef y abc") == "x *** y ***"


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a user's stderr does."""

    def isatty(self) -> bool:
        return True


def test_live_progress_on_a_terminal_plain_lines_elsewhere() -> None:
    """On a terminal: a live display (rich) with files, bytes and speed, lines printed during it
    shown above it, secrets redacted in it. In CI, piped, or with -q: no display at all, the
    plain lines only."""
    secret = "tok-" + "Q" * 20
    term = Terminal()
    out = Output(environ={"TERM": "xterm"}, stdout=io.StringIO(), stderr=term)
    out.mask(secret)
    assert out.interactive
    with out.progress(f"uploading with {secret}", total=3 * 1024 * 1024, unit="bytes") as bar:
        bar.advance(1024 * 1024, "uploading a.whl")
        out.info("uploaded a.whl")
        bar.advance(2 * 1024 * 1024, "uploading b.whl")
    shown = term.getvalue()
    assert "uploaded a.whl" in shown
    assert "uploading" in shown and "MB" in shown  # rich's bytes column
    assert "\x1b[" in shown  # a live (cursor-moving) display
    assert secret not in shown
    for env, stream, quiet in [
        ({"GITHUB_ACTIONS": "true"}, Terminal(), False),  # CI logs
        ({"CI": "true"}, Terminal(), False),
        ({}, io.StringIO(), False),  # piped
        ({"TERM": "xterm"}, Terminal(), True),  # -q
    ]:
        plain = Output(environ=env, stdout=io.StringIO(), stderr=stream, quiet=quiet)
        assert not plain.interactive
        with plain.progress("inspecting", total=2) as bar:
            bar.advance(1)
            plain.info("line")
        assert "inspecting" not in stream.getvalue() and "\x1b[" not in stream.getvalue()
        assert stream.getvalue() in {"line\n", ""}


def test_cli_shows_progress_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`hwb inspect` of several files through the CLI: a live display on a terminal, none when
    stderr is a pipe."""
    import sys

    from hwb.cli import main
    from tests import distfactory as df

    for n in range(3):
        df.wheel(tmp_path, version=f"1.{n}")
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("CI", raising=False)
    assert main(["inspect", str(tmp_path)]) == 0
    assert "inspecting" in term.getvalue() and "3/3" in term.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    assert main(["inspect", str(tmp_path)]) == 0
    assert "inspecting" not in piped.getvalue()


# -- untrusted text (issue 23 §2) ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\n::set-output name=x::y", "a\n\\x3a:set-output name=x::y"),
        ("  ::add-mask::z", "  \\x3a:add-mask::z"),
        ("\u00a0\u3000::error::z", "\u00a0\u3000\\x3a:error::z"),  # .NET trims any blank
        ("one::two", "one::two"),  # only a line's start is a command
        ("x ##[set-output name=a;]b", "x #\\x23[set-output name=a;]b"),
        ("\x1b[2Jclear\x1bc", "\\x1b[2Jclear\\x1bc"),
        ("\x1b[31mred\x1b[0m", "red"),  # colour from a child process is dropped
        ("a\rb\x00c\x7f\x9b", "a\\x0db\\x00c\\x7f\\x9b"),
        ("section_start:1:s\r\x1b[0Kt", "section\\x5fstart:1:s\\x0d\\x1b[0Kt"),
        ("evil\u202etxt.py", "evil\\u202etxt.py"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ],
)  # fmt: skip
def test_neutralise(raw: str, shown: str) -> None:
    from hwb.output import neutralise

    assert neutralise(raw) == shown


HOSTILE = "n\n::set-output name=o::PWNED\r::stop-commands::PWNED\x1b[2J ##[add-mask]PWNED"


@pytest.mark.parametrize(
    "call",
    [
        lambda o: o.info(HOSTILE),
        lambda o: o.detail(HOSTILE, level=0),
        lambda o: o.success(HOSTILE),
        lambda o: o.warning(HOSTILE, file=HOSTILE),
        lambda o: o.error(HOSTILE, hint=HOSTILE, file=HOSTILE, details=[HOSTILE]),
        lambda o: o.annotate("notice", HOSTILE, file=HOSTILE, title=HOSTILE),
        lambda o: (o.start_step(HOSTILE), o.end_step()),
        lambda o: o.result({"k": HOSTILE}, HOSTILE),
        lambda o: Output(environ=o.environ, json_mode=True, stdout=o.stderr).result([HOSTILE]),
        lambda o: o.handler().emit(
            logging.LogRecord("hwb.x", logging.WARNING, __file__, 1, HOSTILE, None, None)
        ),
        lambda o: o.traceback(HOSTILE),
    ],
    ids=["info", "detail", "success", "warning", "error", "annotate", "step", "result",
         "json", "log-record", "traceback"],
)  # fmt: skip
@pytest.mark.parametrize("ci", ["GITHUB_ACTIONS", "GITLAB_CI", ""])
def test_every_printer_neutralises_outside_text(call: object, ci: str) -> None:
    out, stdout, stderr = make({ci: "true"} if ci else {}, json_mode=False)
    call(out)  # type: ignore[operator]
    for text in (stdout.getvalue(), stderr.getvalue()):
        for line in re.split(r"\r|\n", text):
            assert not line.lstrip().startswith(("::set-output", "::stop-commands")), line
        assert "##[" not in text and "\x1b[2J" not in text
        assert "section_start:" not in text.replace("\x1b[0Ksection_start:", "")
