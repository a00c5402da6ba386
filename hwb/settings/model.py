"""Typed, frozen settings per ``[tool.hwb]`` section, built once from the resolved
:class:`~hwb.settings.resolver.Config`.

The resolver validates every value against ``schema.json`` (types, ranges, unknown keys), so
these constructors only convert: downstream code reads attributes, never ``section["key"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hwb.settings.resolver import Config


@dataclass(frozen=True)
class PublishSettings:
    """``[tool.hwb.publish]``; with a run's flags applied (``dataclasses.replace``) it is also
    the options object the publish service hands to every transport."""

    registries: tuple[str, ...] = ()
    test_repository: str = "testpypi"
    skip_existing: bool = False
    #: files in flight at once per registry (and as many index lookups beside them).
    jobs: int = 8
    retries: int = 5
    timeout: float = 120.0
    inspect: bool = True

    @classmethod
    def from_config(cls, cfg: Config) -> PublishSettings:
        return cls(
            registries=tuple(str(r) for r in cfg.get("publish", "registries")),
            test_repository=str(cfg.get("publish", "test-repository")),
            skip_existing=bool(cfg.get("publish", "skip-existing")),
            jobs=int(cfg.get("publish", "jobs")),
            retries=int(cfg.get("publish", "retries")),
            timeout=float(cfg.get("publish", "timeout")),
            inspect=bool(cfg.get("publish", "inspect")),
        )


@dataclass(frozen=True)
class InspectSettings:
    """``[tool.hwb.inspect]``."""

    ignore: tuple[str, ...] = ()
    strict: bool = False
    index_url: str = ""

    @classmethod
    def from_config(cls, cfg: Config) -> InspectSettings:
        return cls(
            ignore=tuple(str(i) for i in cfg.get("inspect", "ignore")),
            strict=bool(cfg.get("inspect", "strict")),
            index_url=str(cfg.get("inspect", "index-url") or ""),
        )
