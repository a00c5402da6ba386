"""The ledger: one entry per file x registry, printed as a table and written with --report."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hwb.fs import write_atomic

UPLOADED = "uploaded"
SKIPPED = "skipped-identical"
FAILED = "failed"
PLANNED = "planned"


@dataclass
class Entry:
    file: str
    registry: str
    status: str
    sha256: str
    size: int
    seconds: float = 0.0
    url: str = ""
    attempts: int = 0
    reason: str | None = None
    hint: str | None = None


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self.entries.append(entry)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if e.status == FAILED]

    def sorted(self) -> list[Entry]:
        return sorted(self.entries, key=lambda e: (e.registry, e.file))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "uploaded": self.count(UPLOADED),
            "skipped": self.count(SKIPPED),
            "failed": self.count(FAILED),
            "entries": [asdict(e) for e in self.sorted()],
        }

    def write(self, path: Path) -> None:
        """Atomically: a crash never leaves half a report."""
        write_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")
