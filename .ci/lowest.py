"""Print a constraints file pinning every runtime dependency of hwb (core and the user-facing
extras) to the lowest version pyproject.toml allows, for `make test-min`."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

TOOLING_EXTRAS = {"test", "lint", "bench"}  # not what users install


def main() -> None:
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra, items in project["optional-dependencies"].items():
        if extra not in TOOLING_EXTRAS:
            reqs += items
    for text in reqs:
        req = Requirement(text)
        if req.marker and not req.marker.evaluate():
            continue
        lows = [s.version for s in req.specifier if s.operator in {">=", "=="}]
        if not lows:
            sys.exit(f"{text}: no lower bound; declare one (make test-min tests it)")
        print(f"{req.name}=={lows[0]}")


if __name__ == "__main__":
    main()
