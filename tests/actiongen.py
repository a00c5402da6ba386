"""The per-command actions, ``actions/<command>/action.yml``, generated from the root action.yml
and hwb.action's table of which inputs and outputs each command has, so they cannot drift.

``python -m tests.actiongen`` rewrites them; tests/test_action_unit.py fails when a committed
file differs from what this renders.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from hwb import action

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = ROOT / "actions"

SUMMARY = {
    "build": "Build the project's wheel (and sdist) with hwb build.",
    "inspect": "Check distributions before release with hwb inspect.",
    "publish": "Upload distributions with hwb publish (trusted publishing, tokens, attestations).",
    "matrix-plan": "Plan the wheel matrix with hwb matrix plan (strategy.matrix JSON).",
    "matrix-build": "Build one entry of the wheel matrix with hwb matrix build.",
    "gather": "Collect the matrix's wheels against the plan with hwb gather.",
    "attest": "Sign PEP 740 attestations for distributions with hwb attest.",
    "verify": "Verify distributions' attestations with hwb verify.",
    "release-notes": "Write release notes from the commits with hwb version changelog.",
}

# "publish - ", "build, gather - ", "matrix-plan, matrix-build - ": which commands an input of
# the root action belongs to; said by the folder here.
_FOR_COMMANDS = re.compile(r"^(?:[a-z-]+, )*[a-z-]+ - ")


def _describe(text: str) -> str:
    text = _FOR_COMMANDS.sub("", " ".join(text.split()))
    return text[:1].upper() + text[1:]


def _root() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return doc


def render(command: str) -> str:
    root = _root()
    inputs: dict[str, Any] = {}
    for name in action.inputs_of(command):
        spec = dict(root["inputs"][name])
        spec["description"] = _describe(spec["description"])
        inputs[name] = spec
    outputs = {
        name: {
            "description": _describe(root["outputs"][name]["description"]),
            "value": f"${{{{ steps.hwb.outputs.{name} }}}}",
        }
        for name in action.OUTPUTS[command]
    }
    env = {"HWB_PYTHON": "${{ steps.install.outputs.python }}", "HWB_ACTION_COMMAND": command}
    env.update({action.env_name(n): f"${{{{ inputs.{n} }}}}" for n in inputs})
    doc: dict[str, Any] = {
        "name": f"hwb {command}",
        "description": SUMMARY[command]
        + f" The root action (hwb-dev/hwb@v1) with command: {command}, and only its inputs.",
        "author": root["author"],
        "branding": root["branding"],
        "inputs": inputs,
    }
    if outputs:
        doc["outputs"] = outputs
    doc["runs"] = {
        "using": "composite",
        "steps": [
            {
                "name": "Install hwb",
                "id": "install",
                "shell": "bash",
                "env": {"HWB_SOURCE": "${{ github.action_path }}/../.."},
                "run": 'bash "$HWB_SOURCE/actions/install.sh"',
            },
            {
                "name": f"hwb {command}",
                "id": "hwb",
                "shell": "bash",
                "env": env,
                "run": '"$HWB_PYTHON" -m hwb.action',
            },
        ],
    }
    header = (
        f"# uses: hwb-dev/hwb/actions/{command}@v1 - generated from ../../action.yml by\n"
        "# `python -m tests.actiongen`; do not edit (tests/test_action_unit.py checks it).\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True)


def main() -> int:
    for command in action.COMMANDS:
        path = ACTIONS / command / "action.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(command), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
