"""Static package indexes (PEP 503 + 592 + 629 + 658/714 HTML, PEP 691 JSON) in a folder or an
S3 bucket, updated incrementally and safely under concurrent publishers, with no lock service.

Publishing a file touches a fixed number of objects whatever the index's size: the file, its
``.metadata``, the project's two pages (JSON + HTML; on S3 the HTML also at the ``simple/<name>/``
key that pip asks for), and the root pages only when the project is new.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import random
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from hwb import cancel, fs, log
from hwb.distfiles import kind_of
from hwb.errors import CorruptPageError, StaticIndexError
from hwb.publish.ledger import FAILED, PENDING, SKIPPED, UPLOADED, Status
from hwb.static_index import pages
from hwb.static_index.store import Blob, Conflict, Store

if TYPE_CHECKING:
    from hwb.settings.model import RegistrySettings

_log = log.get("index")
MAX_ATTEMPTS = 60  # read-modify-write rounds before a page update gives up


@dataclass(frozen=True)
class Added:
    status: Status  # UPLOADED or SKIPPED
    note: str | None = None


@dataclass
class Staged:
    """A file stored under packages/, waiting for its project page (``StaticIndex.commit``)."""

    name: str  # normalized project name
    entry: dict[str, Any]  # its PEP 691 file entry
    note: str | None = None
    status: Status = PENDING  # then UPLOADED, SKIPPED or FAILED
    error: StaticIndexError | None = None


def _now() -> str:
    return (
        datetime.datetime.now(datetime.timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def wheel_metadata(path: Path) -> bytes | None:
    """The METADATA of a wheel (served as ``<wheel>.metadata``, PEP 658)."""
    with zipfile.ZipFile(path) as zf:
        names = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        return zf.read(names[0]) if len(names) == 1 else None


class StaticIndex:
    def __init__(self, store: Store, pages_at_slash: bool = False) -> None:
        self.store = store
        # S3's REST endpoint serves the key "simple/name/" for ".../simple/name/", not index.html.
        self.pages_at_slash = pages_at_slash

    # -- page updates ------------------------------------------------------------------------
    def _update(
        self,
        key: str,
        parse: Callable[[bytes, str], dict[str, Any]],
        initial: Callable[[], dict[str, Any]],
        change: Callable[[dict[str, Any]], bool],
        render: Callable[[dict[str, Any]], bytes],
        html_keys: list[str],
        first: tuple[Blob | None] | None = None,
    ) -> dict[str, Any]:
        """Read-modify-write a JSON page with a conditional write, retried on conflict; then
        bring its HTML in line (see ``_sync_html``). ``first``: ``(page as just read or None)``,
        which saves the first read."""
        for attempt in range(MAX_ATTEMPTS):
            # A cancelled run starts no new round; one whose JSON is written finishes its HTML
            # (below), so a cancelled commit leaves every page it touched consistent.
            cancel.check()
            blob = first[0] if first is not None else self.store.read(key)
            first = None
            page = parse(blob.data, key) if blob else initial()
            if not change(page):
                if blob is not None:
                    # Nothing to add; still repair HTML that a publisher killed between its
                    # JSON and HTML writes left behind (reads only, when all is well).
                    body = render(page)
                    stale = [
                        k for k in html_keys if (c := self.store.read(k)) is None or c.data != body
                    ]
                    if stale:
                        self._sync_html(key, parse, render, html_keys, (page, blob.etag))
                return page
            try:
                etag = self.store.replace(
                    key, pages.dump(page), pages.JSON_TYPE, blob.etag if blob else None
                )
            except Conflict:
                time.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))  # noqa: S311
                continue
            self._sync_html(key, parse, render, html_keys, (page, etag))
            return page
        raise StaticIndexError(
            f"{key} kept changing under concurrent publishers; gave up",
            hint="Run the publish again (it resumes), or hwb index rebuild.",
        )

    def _sync_html(
        self,
        key: str,
        parse: Callable[[bytes, str], dict[str, Any]],
        render: Callable[[dict[str, Any]], bytes],
        html_keys: list[str],
        known: tuple[dict[str, Any], str] | None = None,
    ) -> None:
        """Write the HTML rendered from the JSON page, then check the JSON did not move
        meanwhile (else render again): whoever checks last saw the newest JSON, so the HTML
        always ends up matching it, with no lock and no conditional write on the HTML."""
        for _ in range(MAX_ATTEMPTS):
            if known is None:
                blob = self.store.read(key)
                if blob is None:
                    return
                known = (parse(blob.data, key), blob.etag)
            page, etag = known
            body = render(page)
            for html_key in html_keys:
                self.store.put(html_key, body, pages.HTML_TYPE)
            after = self.store.read(key)
            if after is None or after.etag == etag:
                return
            known = (parse(after.data, key), after.etag)
        raise StaticIndexError(
            f"{key}: could not settle its HTML page", hint="Run hwb index rebuild."
        )

    def _project_keys(self, name: str) -> tuple[str, list[str]]:
        html = [f"simple/{name}/index.html"] + ([f"simple/{name}/"] if self.pages_at_slash else [])
        return f"simple/{name}/index.json", html

    def _add_projects_to_root(self, names: list[str]) -> None:
        def change(page: dict[str, Any]) -> bool:
            present = {p["name"] for p in page["projects"]}
            missing = [n for n in names if n not in present]
            page["projects"] += [{"name": n} for n in missing]
            page["projects"].sort(key=lambda p: p["name"])
            return bool(missing)

        html = ["simple/index.html"] + (["simple/"] if self.pages_at_slash else [])
        self._update(
            "simple/index.json",
            pages.parse_root,
            lambda: {"meta": {"api-version": pages.API_VERSION}, "projects": []},
            change,
            pages.root_html,
            html,
        )

    # -- publishing files ----------------------------------------------------------------------
    def stage(self, path: Path, project: str, sha256: str, requires_python: str | None) -> Staged:
        """Store the file (create-if-absent) and its ``.metadata``; pages come in ``commit``."""
        name = canonicalize_name(project)
        file_key = f"packages/{name}/{path.name}"
        note = None
        try:
            self.store.create_file(file_key, path, "application/octet-stream", {"sha256": sha256})
        except Conflict:
            existing = self.store.head_meta(file_key) or {}
            if existing.get("sha256") != sha256:
                raise StaticIndexError(
                    f"{path.name} exists in {self.store.location} with different content",
                    hint="Files on an index are immutable: "
                    "bump the version (hwb version bump patch).",
                ) from None
            note = "file already stored (by another or an earlier run), identical"
        entry: dict[str, Any] = {
            "filename": path.name,
            "url": self.store.file_url(name, path.name),
            "hashes": {"sha256": sha256},
            "requires-python": requires_python or None,
            "size": path.stat().st_size,
            "upload-time": _now(),
            "yanked": False,
        }
        metadata = wheel_metadata(path) if kind_of(path) == "wheel" else None
        if metadata is not None:
            # Conflict: written by an earlier, interrupted attempt (same file, same bytes).
            with contextlib.suppress(Conflict):
                self.store.create(file_key + ".metadata", metadata, "text/plain; charset=utf-8")
            core = {"sha256": hashlib.sha256(metadata).hexdigest()}
            entry["core-metadata"] = entry["dist-info-metadata"] = core
        return Staged(name, entry, note)

    def commit(self, staged: list[Staged], jobs: int = 4) -> None:
        """List staged files: the root page first (new projects only, one update for all),
        then each project's page once for all its files, projects in parallel. Sets each
        item's status, or its error. The root goes first so that a publisher killed in
        between leaves a root entry whose page the next publish creates, never a page the
        root does not list."""
        by_project: dict[str, list[Staged]] = {}
        for item in staged:
            by_project.setdefault(item.name, []).append(item)
        if not by_project or cancel.requested():  # a cancelled run starts no new request
            return
        names = sorted(by_project)
        # What a publisher killed mid-write left in the folders this commit writes to.
        self.store.clean(
            ["simple/", *(f"simple/{n}/" for n in names), *(f"packages/{n}/" for n in names)]
        )
        found: dict[str, Blob | None] = {}

        def probe(name: str) -> None:
            found[name] = self.store.read(self._project_keys(name)[0])

        def one(name: str) -> None:
            batch = by_project[name]
            try:
                self._guarded(lambda: self._apply(name, batch, found[name]))
            except cancel.Cancelled:  # the run was cancelled: these stay PENDING (not listed)
                for item in batch:
                    item.status = PENDING
            except StaticIndexError as exc:
                for item in batch:
                    if item.status == PENDING:
                        item.status, item.error = FAILED, exc

        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(names)))) as pool:
            try:
                self._guarded(lambda: list(pool.map(probe, names)))
                new = [n for n in names if found[n] is None]
                if new:  # a project page exists only once the root lists it
                    self._guarded(lambda: self._add_projects_to_root(new))
            except cancel.Cancelled:
                return  # nothing listed: every item stays PENDING
            except StaticIndexError as exc:
                for item in staged:
                    item.status, item.error = FAILED, exc
                return
            list(pool.map(one, names))

    def _guarded(self, fn: Callable[[], object]) -> None:
        """Folder failures (OSError) as StaticIndexError, like the store's own, for the ledger."""
        try:
            fn()
        except OSError as exc:
            raise StaticIndexError(
                f"cannot write to {self.store.location}: {exc.strerror or exc}",
                hint="Check the folder's permissions and free space.",
            ) from None

    def _apply(self, name: str, batch: list[Staged], first: Blob | None) -> None:
        def change(page: dict[str, Any]) -> bool:
            listed = {f["filename"]: f for f in page["files"]}
            changed = False
            for item in batch:
                item.status, item.error = UPLOADED, None
                current = listed.get(item.entry["filename"])
                if current is None:
                    page["files"].append(item.entry)
                    listed[item.entry["filename"]] = item.entry
                    changed = True
                    if item.note:  # its bytes were stored by another (or an earlier) run
                        item.status = SKIPPED
                elif current["hashes"].get("sha256") != item.entry["hashes"]["sha256"]:
                    item.status = FAILED
                    item.error = StaticIndexError(
                        f"{item.entry['filename']} is listed with different content",
                        hint="Run hwb index rebuild to repair the index.",
                    )
                elif item.note:  # stored and listed by an earlier run
                    item.status, item.note = SKIPPED, "already in the index, identical"
            if changed:
                pages.normalize(page)
            return changed

        key, html = self._project_keys(name)
        self._update(
            key, pages.parse_project, lambda: pages.new_project(name), change,
            pages.project_html, html, (first,),
        )  # fmt: skip

    def add(self, path: Path, project: str, sha256: str, requires_python: str | None) -> Added:
        """Stage and commit one file."""
        item = self.stage(path, project, sha256, requires_python)
        self.commit([item])
        if item.error is not None:
            raise item.error
        return Added(item.status, item.note)

    def presence(self, project: str, filename: str, sha256: str) -> str:
        """Is this file stored already ("same", "different" content, or "absent")? A read:
        what a dry run reports."""
        meta = self.store.head_meta(f"packages/{canonicalize_name(project)}/{filename}")
        if meta is None:
            return "absent"
        return "same" if meta.get("sha256") == sha256 else "different"

    def add_file_only(self, path: Path, project: str, sha256: str) -> Added:
        """``generate-index = false``: upload the file under packages/ and touch no page."""
        file_key = f"packages/{canonicalize_name(project)}/{path.name}"
        try:
            self.store.create_file(file_key, path, "application/octet-stream", {"sha256": sha256})
        except Conflict:
            if (self.store.head_meta(file_key) or {}).get("sha256") != sha256:
                raise StaticIndexError(
                    f"{path.name} exists in {self.store.location} with different content",
                    hint="Files on an index are immutable: bump the version.",
                ) from None
            return Added(SKIPPED, "already present, identical")
        return Added(UPLOADED)

    # -- yanking -------------------------------------------------------------------------------
    def set_yanked(self, project: str, version: str, reason: str | bool) -> int:
        """Yank (reason: str, may be empty) or unyank (False) every file of a version."""
        from packaging.version import Version

        name = canonicalize_name(project)
        key, html = self._project_keys(name)
        if self.store.read(key) is None:
            raise StaticIndexError(f"project {name} is not in {self.store.location}")
        wanted = Version(version)
        touched: list[str] = []

        def change(page: dict[str, Any]) -> bool:
            touched.clear()
            for f in page["files"]:
                if pages.version_key(f["filename"])[0] == wanted:
                    touched.append(f["filename"])
                    f["yanked"] = reason if reason is not False else False
            return bool(touched)

        self._update(
            key,
            pages.parse_project,
            lambda: pages.new_project(name),
            change,
            pages.project_html,
            html,
        )
        if not touched:
            raise StaticIndexError(f"{name} has no files of version {version}")
        return len(touched)

    def _replace_current(self, key: str, data: bytes) -> str:
        current = self.store.read(key)
        try:
            return self.store.replace(key, data, pages.JSON_TYPE, current.etag if current else None)
        except Conflict:
            raise StaticIndexError(
                f"{key} changed while the index was being rebuilt",
                hint="Run hwb index rebuild again once the publishers are done.",
            ) from None

    # -- rebuilding ----------------------------------------------------------------------------
    def rebuild(self) -> dict[str, int]:
        """Regenerate every page from the files under packages/ (recovery after a crash or a
        corrupted page). Yank marks and upload times survive where the old page is readable."""
        import tempfile

        cleaned = self.store.clean()  # temporary files killed publishers left, anywhere
        by_project: dict[str, list[str]] = {}
        for key in self.store.keys("packages/"):
            parts = key.split("/")
            if len(parts) == 3 and kind_of(parts[2]) is not None:
                by_project.setdefault(parts[1], []).append(parts[2])
        files = 0
        for name, filenames in sorted(by_project.items()):
            key, html = self._project_keys(name)
            old: dict[str, dict[str, Any]] = {}
            blob = self.store.read(key)
            if blob is not None:
                try:
                    old = {f["filename"]: f for f in pages.parse_project(blob.data, key)["files"]}
                except CorruptPageError:
                    _log.warning("%s was corrupted; rebuilding it from the files", key)
            page = pages.new_project(name)
            for filename in filenames:
                with tempfile.TemporaryDirectory() as tmp:
                    local = Path(tmp) / filename
                    self.store.download(f"packages/{name}/{filename}", local)
                    sha = fs.sha256_file(local)
                    try:
                        requires = _requires_python(local)
                    except Exception as exc:
                        # The recovery command must not stop at a stray or broken file.
                        _log.warning("packages/%s/%s is not a readable distribution (%s); "
                                     "left out of the pages", name, filename, exc)  # fmt: skip
                        continue
                    entry = {
                        "filename": filename,
                        "url": self.store.file_url(name, filename),
                        "hashes": {"sha256": sha},
                        "requires-python": requires,
                        "size": local.stat().st_size,
                        "upload-time": old.get(filename, {}).get("upload-time") or _now(),
                        "yanked": old.get(filename, {}).get("yanked", False),
                    }
                    if kind_of(filename) == "wheel":
                        metadata = wheel_metadata(local)
                        if metadata is not None:
                            core = hashlib.sha256(metadata).hexdigest()
                            entry["core-metadata"] = {"sha256": core}
                            entry["dist-info-metadata"] = {"sha256": core}
                            if self.store.read(f"packages/{name}/{filename}.metadata") is None:
                                self.store.create(
                                    f"packages/{name}/{filename}.metadata",
                                    metadata,
                                    "text/plain; charset=utf-8",
                                )
                page["files"].append(entry)
                files += 1
            pages.normalize(page)
            etag = self._replace_current(key, pages.dump(page))
            self._sync_html(key, pages.parse_project, pages.project_html, html, (page, etag))
        root = {
            "meta": {"api-version": pages.API_VERSION},
            "projects": [{"name": n} for n in sorted(by_project)],
        }
        etag = self._replace_current("simple/index.json", pages.dump(root))
        self._sync_html(
            "simple/index.json",
            pages.parse_root,
            pages.root_html,
            ["simple/index.html"] + (["simple/"] if self.pages_at_slash else []),
            (root, etag),
        )
        return {"projects": len(by_project), "files": files, "temp_files_removed": cleaned}


def _requires_python(path: Path) -> str | None:
    from packaging.metadata import parse_email

    text = wheel_metadata(path) if kind_of(path) == "wheel" else _pkg_info(path)
    if not text:
        return None
    raw, _ = parse_email(text)
    value = raw.get("requires_python")
    return str(value) if value else None


def _pkg_info(sdist: Path) -> bytes | None:
    """An sdist's top-level PKG-INFO, from a .tar.gz or a .zip sdist."""

    def top_level(name: str) -> bool:
        return name.count("/") == 1 and name.endswith("/PKG-INFO")

    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as zf:
            names = [n for n in zf.namelist() if top_level(n)]
            return zf.read(names[0]) if names else None
    import tarfile

    with tarfile.open(sdist) as tf:
        for member in tf.getmembers():
            if top_level(member.name):
                fh = tf.extractfile(member)
                return fh.read() if fh else None
    return None


def open_store(registry: RegistrySettings, connections: int = 10) -> tuple[Store, bool]:
    """(store, pages_at_slash) for a registry of type dir or s3; ``connections``: how many
    threads will use it at once."""
    from hwb.static_index.store import DirStore, S3Store

    if registry.type == "dir":
        return DirStore(Path(registry.path).expanduser()), False
    store = S3Store(
        registry.bucket,
        registry.prefix,
        registry.region or None,
        registry.endpoint_url or None,
        registry.acl or None,
        index_prefix=registry.index_prefix,
        cdn_url=registry.cdn_url,
        connections=connections,
    )
    return store, True


__all__ = ["Added", "Staged", "StaticIndex", "StaticIndexError", "open_store"]
