"""The error hierarchy: stable, unique exit codes with hints, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

from hwb import errors

README = Path(__file__).parent.parent / "README.md"


def test_exit_codes_are_unique_and_not_reserved() -> None:
    classes = errors.all_error_classes()
    codes = [cls.exit_code for cls in classes]
    assert len(codes) == len(set(codes))
    assert errors.INTERNAL_ERROR_EXIT_CODE not in codes  # 1 means "a bug in hwb"
    assert all(issubclass(cls, Exception) for cls in classes)


def test_every_error_has_a_hint_or_gives_one() -> None:
    for cls in errors.all_error_classes():
        err = cls("message", hint="do this")
        assert err.hint == "do this"
        assert str(err) == "message"


def test_readme_exit_code_table_matches_the_classes() -> None:
    table = dict(re.findall(r"^\| (\d+) \| `?(\w+)`? \|", README.read_text(), re.M))
    for cls in errors.all_error_classes():
        assert table.get(str(cls.exit_code)) == cls.__name__, cls.__name__
    assert "0" in table and "1" in table and "130" in table


def test_every_error_class_has_a_default_hint() -> None:
    # Raise sites may give a better hint, but none may leave the user without one.
    missing = [cls.__name__ for cls in errors.all_errors() if not cls("message").hint]
    assert missing == []


def test_readme_exit_code_table_is_generated_from_the_classes() -> None:
    assert errors.exit_code_table() in README.read_text()


def test_help_lists_every_exit_code() -> None:
    from click.testing import CliRunner

    from hwb.cli import cli

    text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    for cls in errors.all_error_classes():
        assert f"{cls.exit_code} {cls.label}" in text, cls.__name__
    assert "130 interrupted" in text
