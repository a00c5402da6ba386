"""What ``hwb init-ci`` is asked for (:class:`Options`) and where hwb's own templates and
includes come from: shared by the GitLab and GitHub renderers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from hwb import __version__
from hwb.errors import ProjectError

#: hwb's own repository: where remote/project includes and the action come from.
UPSTREAM = "hwb-dev/hwb"
GITLAB_HOST = "gitlab.com"
GITLAB_FILES = (
    "hwb.gitlab-ci.yml",
    "hwb-release.gitlab-ci.yml",
    "hwb-release-matrix.gitlab-ci.yml",
)
VENDOR_DIR = ".gitlab/hwb"
HEADER = {
    "gitlab": "# Written by `hwb init-ci gitlab` (hwb {version}). Settings are CI/CD variables:\n"
    "# see the variables documented at the top of hwb's templates; no need to edit those.\n",
    "github": "# Written by `hwb init-ci github` (hwb {version}) from hwb's {template}.\n",
}
USES_COMMENT = re.compile(r"^\s*(?:- )?(uses: \S+)\s+#\s*(.+?)\s*$", re.M)
UNPINNED_HWB = (
    "zizmor: ignore[unpinned-uses] hwb at a release tag (--ref SHA pins it by commit instead)"
)


def templates_dir() -> Path:
    """The installed templates (the wheel ships ``workflows-templates`` as ``hwb/templates``),
    else the source checkout's ``workflows-templates`` (editable installs)."""
    packaged = Path(str(resources.files("hwb"))) / "templates"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "workflows-templates"
    if source.is_dir():
        return source
    raise ProjectError(  # pragma: no cover - a broken installation
        "hwb's CI templates are missing from this installation",
        hint="Reinstall hwb (pip install --force-reinstall hwb).",
    )


Ci = Literal["github", "gitlab"]
Templates = Literal["remote", "project", "vendor"]
#: The command line's choices as the Literal types (click already refused anything else).
CIS: dict[str, Ci] = {"github": "github", "gitlab": "gitlab"}
TEMPLATES: dict[str, Templates] = {"remote": "remote", "project": "project", "vendor": "vendor"}


@dataclass
class Options:
    ci: Ci
    #: gitlab: include hwb's templates by URL, from its GitLab project, or copy them in.
    templates: Templates = "remote"
    testpypi: bool = False
    registries: list[str] = field(default_factory=list)
    environment: str = "pypi"
    ref: str = f"v{__version__}"
    attestations: bool = True
    #: The project's CI already publishes: remove those files (replace) or keep them (keep_both).
    replace: bool = False
    keep_both: bool = False
    #: Write the tag format found in the project's tags into pyproject.toml.
    write_tag_format: bool = False
