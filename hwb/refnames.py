"""What a git ref name, a git revision and a CI environment name may be.

Values a user hands to hwb that end up in a git command line (``--from``, ``--to``, the tag
``tag-format`` makes) or in a generated workflow (``init-ci --ref``, ``--environment``) are
checked here first, so none can be read as an option (``--output=...``), carry a newline or a
quote into YAML or a shell, or hold a CI expression (``${{ ... }}``). The rules are git's own
(``git check-ref-format``), checked without starting git; each function returns why a value is
refused, or ``None``.
"""

from __future__ import annotations

import re

#: Characters git refuses anywhere in a ref name (git-check-ref-format(1), rules 4 and 5), and
#: those git allows but a shell or a CI expression would read (quotes, ``$``, braces, ``;|&<>``).
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\'\"`${};|&<>]")
#: A revision may also use git's navigation (``v1.0~2``, ``HEAD^``, ``main@{1}``), but never
#: whitespace, control characters, quotes or a shell/CI expression.
_REV_FORBIDDEN = re.compile(r"[\x00-\x20\x7f'\"`$\\;|&<>]")
#: GitHub environment names: letters, digits, ``-``, ``_``, ``.``, spaces; at most 255.
#: GitLab's: letters, digits, spaces and ``-_/$.{}``; hwb takes the subset both accept that
#: needs no quoting anywhere (no spaces, no ``$`` or braces).
_ENVIRONMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_./-]{0,253}[A-Za-z0-9_.-])?")


def ref_name_problem(name: str) -> str | None:
    """Why ``name`` is not a usable branch or tag name (git check-ref-format's rules, and no
    leading ``-``, which git commands would read as an option), or ``None``."""
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-' (git would read it as an option)"
    bad = _REF_FORBIDDEN.search(name)
    if bad:
        return f"it holds {bad.group()!r} (no spaces, quotes, control characters or ~^:?*[\\$)"
    if name == "@" or "@{" in name:
        return "it holds '@{' or is '@'"
    if ".." in name or "//" in name or name.startswith("/") or name.endswith(("/", ".")):
        return "it holds '..' or '//', or starts or ends with '/', or ends with '.'"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return f"its component {part!r} starts with '.' or ends with '.lock'"
    return None


def revision_problem(rev: str) -> str | None:
    """Why ``rev`` cannot be a revision hwb passes to git (a ref, a SHA, ``tag~2``), or
    ``None``."""
    if not rev:
        return "it is empty"
    if rev.startswith("-"):
        return "it starts with '-' (git would read it as an option)"
    bad = _REV_FORBIDDEN.search(rev)
    if bad:
        return f"it holds {bad.group()!r} (no spaces, quotes, control characters or $)"
    if ".." in rev:
        return "it holds '..' (give each end with --from and --to)"
    return None


def environment_problem(name: str) -> str | None:
    """Why ``name`` is not an environment name both GitHub and GitLab accept, or ``None``."""
    if not _ENVIRONMENT.fullmatch(name):
        return "use letters, digits, '-', '_', '.' and '/' (starting with a letter or digit)"
    return None
