"""What every check function receives, and what it produces."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hwb.inspect.archive import Archive, Digest
from hwb.inspect.catalogue import CATALOGUE, Severity


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    file: str
    message: str
    member: str | None = None

    @property
    def hint(self) -> str:
        return CATALOGUE[self.id].hint

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "file": self.file,
            "member": self.member,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Context:
    archive: Archive
    groups: set[str]
    public_index: bool = False
    findings: list[Finding] = field(default_factory=list)
    digests: dict[str, Digest] = field(default_factory=dict)
    name: str | None = None
    version: str | None = None
    #: The wheel's filename has a platform tag (set by the structure check).
    platform_specific: bool = False
    #: Member paths (relative to the project) whose sensitive findings are info:
    #: ``[tool.hwb.inspect] allow-sensitive`` (see :func:`hwb.inspect.sensitive.allow_pattern`).
    allow_sensitive: re.Pattern[str] | None = None

    def add(
        self,
        check_id: str,
        message: str,
        member: str | None = None,
        severity: Severity | None = None,
        *,
        always: bool = False,
    ) -> None:
        """Record a finding if its group was asked for (``always``: findings that stop every
        other check, such as an unreadable archive)."""
        check = CATALOGUE[check_id]
        if always or check.group in self.groups:
            self.findings.append(
                Finding(
                    check_id, severity or check.severity, self.archive.path.name, message, member
                )
            )
