"""YAML in and out for generated CI files: data in, text out, and the text proved to mean the data.

Loading uses YAML 1.2-ish booleans (only true/false), so GitHub's ``on:`` stays the key "on"
rather than becoming ``True`` as in PyYAML's YAML 1.1 default. Dumping uses PyYAML's safe dumper,
which quotes any string a YAML 1.1 reader (GitLab's) would take for something else.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from hwb.errors import HwbError


class _Loader(yaml.SafeLoader):
    pass


# Drop the YAML 1.1 bool resolver (yes/no/on/off) and keep only true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors/*aliases: each job reads on its own

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key, as GitHub's and GitLab's docs write them.
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """A multi-line string (a script) as a literal ``|`` block, as a person writes it, not one
    escaped line. PyYAML falls back to quoting by itself when a block cannot hold the text
    (trailing spaces, control characters)."""
    if "\n" in data.rstrip("\n"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


_Dumper.add_representer(str, _text)


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def dump(data: Any, comments: dict[str, str] | None = None) -> str:
    """Render ``data``; raise if the text does not read back as the same data.

    ``comments`` maps a rendered line's content (without indentation or ``- ``) to a comment put
    at its end: linters read those (zizmor's ``ignore[...]``), and a comment changes no data."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120,
        allow_unicode=True,
    )  # fmt: skip
    if comments:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            content = line.strip().removeprefix("- ")
            if content in comments:
                lines[i] = f"{line} # {comments[content]}"
        text = "\n".join(lines) + "\n"
    if load(text) != data:  # pragma: no cover - a PyYAML bug, never expected
        raise HwbError("internal error: generated YAML does not round-trip")
    return text
