"""The catalogue of `hwb inspect` checks: stable IDs, default severities and fix hints.

IDs never change meaning once released (users put them in ``ignore`` lists). The README's
catalogue is checked against this table by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

Group = Literal["metadata", "wheel", "sdist", "sensitive", "version"]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Check:
    id: str
    group: Group
    severity: Severity
    title: str
    hint: str


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO

_CHECKS = [
    # -- metadata ------------------------------------------------------------------------------
    Check(
        "HWB100",
        "metadata",
        E,
        "metadata file missing or unreadable",
        "Rebuild the distribution with a PEP 517 backend (hwb build).",
    ),
    Check(
        "HWB101",
        "metadata",
        E,
        "metadata does not parse (packaging.metadata)",
        "Fix the field in [project] and rebuild; PyPI rejects invalid metadata.",
    ),
    Check(
        "HWB102",
        "metadata",
        E,
        "Name or Version missing or invalid",
        "Set a valid name and a PEP 440 version in [project].",
    ),
    Check(
        "HWB103",
        "metadata",
        E,
        "local version (+...) on a public index",
        "Drop the +local part (setuptools-scm: local_scheme = 'no-local-version').",
    ),
    Check("HWB104", "metadata", W, "Summary missing", "Add description = '...' to [project]."),
    Check(
        "HWB105",
        "metadata",
        W,
        "description content type not declared",
        "Use readme = 'README.md' in [project] (it sets the content type).",
    ),
    Check(
        "HWB106",
        "metadata",
        E,
        "long description does not render on PyPI",
        "Fix the reStructuredText markup (run: python -m readme_renderer README.rst).",
    ),
    Check(
        "HWB107",
        "metadata",
        W,
        "long description missing",
        "Add readme = 'README.md' to [project].",
    ),
    Check(
        "HWB108",
        "metadata",
        E,
        "License-Expression is not a valid SPDX expression",
        "Use an SPDX expression such as 'MIT' or 'Apache-2.0 OR MIT'.",
    ),
    Check(
        "HWB109",
        "metadata",
        E,
        "License-File listed but missing from the distribution",
        "Fix license-files in [project] so the files are included.",
    ),
    Check(
        "HWB110",
        "metadata",
        E,
        "classifier is not a valid trove classifier",
        "Use classifiers from https://pypi.org/classifiers/.",
    ),
    Check(
        "HWB111",
        "metadata",
        E,
        "Requires-Python or Requires-Dist does not parse",
        "Use PEP 440 specifiers and PEP 508 requirements.",
    ),
    Check(
        "HWB112",
        "metadata",
        E,
        "project URL is not a valid http(s) URL",
        "Fix [project.urls]: each value must be an absolute http(s) URL.",
    ),
    Check(
        "HWB113",
        "metadata",
        W,
        "deprecated trove classifier",
        "Replace it with the classifier trove-classifiers suggests.",
    ),
    Check(
        "HWB114",
        "metadata",
        W,
        "License :: classifiers together with License-Expression",
        "Remove the License :: classifiers; PEP 639 deprecates them next to an expression.",
    ),
    Check(
        "HWB115",
        "metadata",
        E,
        "License and License-Expression both present",
        "Keep only license = '<SPDX expression>' in [project]; PyPI rejects both together.",
    ),
    # -- wheel ---------------------------------------------------------------------------------
    Check("HWB200", "wheel", E, "not a valid zip archive", "Rebuild the wheel."),
    Check(
        "HWB201",
        "wheel",
        E,
        "duplicate archive members",
        "Rebuild the wheel; check the backend's file lists.",
    ),
    Check(
        "HWB202",
        "wheel",
        E,
        "absolute or '..' member path",
        "Rebuild the wheel; never add paths outside the tree.",
    ),
    Check(
        "HWB203",
        "wheel",
        E,
        "wheel filename does not parse, or its name part is not the normalized name",
        "Let a current backend name the file ({normalized_name}-{version}-{tags}.whl); a "
        "non-normalized name is an error only for PyPI/TestPyPI.",
    ),
    Check(
        "HWB204",
        "wheel",
        E,
        ".dist-info directory does not match the filename",
        "Rebuild; the .dist-info name and version must match the wheel's filename.",
    ),
    Check(
        "HWB205",
        "wheel",
        E,
        "WHEEL tags do not match the filename's tags",
        "Rebuild or repair (auditwheel) so WHEEL Tag lines and the filename agree.",
    ),
    Check(
        "HWB206",
        "wheel",
        E,
        "pure wheel (Root-Is-Purelib) contains compiled code",
        "Build a platform wheel (the backend should set Root-Is-Purelib: false).",
    ),
    Check(
        "HWB207",
        "wheel",
        W,
        "platform wheel contains no compiled code",
        "Build a pure py3-none-any wheel instead.",
    ),
    Check("HWB208", "wheel", E, "RECORD missing", "Rebuild the wheel with a PEP 517 backend."),
    Check(
        "HWB209",
        "wheel",
        E,
        "RECORD does not list exactly the archive's members",
        "Rebuild the wheel; never edit a wheel without rewriting RECORD.",
    ),
    Check(
        "HWB210",
        "wheel",
        E,
        "RECORD hash or size does not match the member",
        "Rebuild the wheel; it was modified after it was built.",
    ),
    Check(
        "HWB211",
        "wheel",
        W,
        "compiled bytecode (.pyc/.pyo) in the wheel",
        "Exclude __pycache__ and *.pyc from the build.",
    ),
    Check(
        "HWB212",
        "wheel",
        W,
        "common wrong top-level name (tests, docs, src, ...)",
        "Exclude it from the wheel or move it inside your package.",
    ),
    Check(
        "HWB213",
        "wheel",
        E,
        "wheel has no library files",
        "Check the backend's package discovery (e.g. [tool.hatch.build.targets.wheel] packages).",
    ),
    Check(
        "HWB214",
        "wheel",
        W,
        "top-level modules do not match the project name",
        "Check that the wheel ships the package you meant (or ignore HWB214).",
    ),
    Check(
        "HWB215",
        "wheel",
        W,
        "__init__.py or another non-module at the library top level",
        "Put modules inside a package directory.",
    ),
    Check(
        "HWB216",
        "wheel",
        E,
        "archive declares implausibly large or inconsistent sizes",
        "Do not publish this file; rebuild it from source.",
    ),
    Check(
        "HWB217",
        "wheel",
        W,
        "a file is an identical nested copy of another (stale build/ directory)",
        "Clean build/ and rebuild; check the backend's file lists.",
    ),
    Check(
        "HWB218",
        "wheel",
        W,
        "module at a non-importable path",
        "Rename directories to valid identifiers.",
    ),
    Check(
        "HWB219",
        "wheel",
        N,
        "several top-level library entries",
        "Nothing to do if intended (setuptools, attrs, black ship several); else ship one.",
    ),
    Check(
        "HWB220",
        "wheel",
        W,
        "top-level directory contains no Python modules",
        "Move data into your package or remove the directory.",
    ),
    Check(
        "HWB221",
        "wheel",
        E,
        "METADATA Name or Version does not match the filename",
        "Rebuild; PyPI rejects a wheel whose METADATA disagrees with its filename.",
    ),
    Check(
        "HWB222",
        "wheel",
        E,
        "platform tag PyPI refuses (linux_x86_64: no manylinux/musllinux ABI)",
        "Build in a manylinux/musllinux container (hwb matrix) or repair it with auditwheel; "
        "an error only for PyPI/TestPyPI.",
    ),
    # -- sdist ---------------------------------------------------------------------------------
    Check(
        "HWB300",
        "sdist",
        E,
        "not a readable .tar.gz archive",
        "Rebuild the sdist (hwb build --sdist).",
    ),
    Check(
        "HWB301",
        "sdist",
        E,
        "sdist filename is not PEP 625 ({normalized_name}-{version}.tar.gz)",
        "Rebuild with a current backend; a non-normalized name is an error only for PyPI/TestPyPI.",
    ),
    Check("HWB302", "sdist", E, "PKG-INFO missing", "Rebuild the sdist with a PEP 517 backend."),
    Check(
        "HWB303",
        "sdist",
        E,
        "PKG-INFO name or version does not match the filename",
        "Rebuild the sdist.",
    ),
    Check(
        "HWB304", "sdist", W, "pyproject.toml not included", "Include pyproject.toml in the sdist."
    ),
    Check(
        "HWB305",
        "sdist",
        E,
        "absolute, '..' or outward-pointing link member",
        "Rebuild; an sdist must not write or point outside its directory.",
    ),
    Check(
        "HWB306",
        "sdist",
        E,
        "sdist does not expand to one {name}-{version}/ directory",
        "Rebuild; every member must sit under {name}-{version}/.",
    ),
    # -- sensitive content ---------------------------------------------------------------------
    Check(
        "HWB401",
        "sensitive",
        E,
        "sensitive file included (credentials, keys, VCS data)",
        "Exclude it from the distribution and rotate any secret it held.",
    ),
    Check(
        "HWB402",
        "sensitive",
        E,
        "a member contains what looks like a secret",
        "Remove the secret from the source, rotate it, and rebuild.",
    ),
    # -- version / index -----------------------------------------------------------------------
    Check(
        "HWB501",
        "version",
        E,
        "this version is already on the index with other files",
        "Files on an index are immutable: bump the version (hwb version bump patch).",
    ),
    Check(
        "HWB502",
        "version",
        N,
        "this exact file is already published",
        "Nothing to do: publishing it again would be skipped as identical.",
    ),
    Check(
        "HWB503",
        "version",
        E,
        "the target index could not be queried",
        "Check --index-url and the network, or drop --check-version.",
    ),
    Check(
        "HWB504",
        "version",
        W,
        "this version already has other files on the index",
        "Expected when adding wheels to a release; otherwise bump the version.",
    ),
]

CATALOGUE: dict[str, Check] = {c.id: c for c in _CHECKS}
GROUPS: tuple[Group, ...] = ("metadata", "wheel", "sdist", "sensitive", "version")
