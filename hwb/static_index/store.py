"""Where a static index lives: a folder or an S3 bucket, behind one small interface whose
writes are conditional, so concurrent publishers never lose each other's changes.

- ``create`` writes an object only if it does not exist (immutable distribution files, new pages);
- ``replace`` writes an object only if it still has the version (ETag) the writer read.

S3 does both natively (``If-None-Match: *`` and ``If-Match: <etag>``). A folder gets them from an
OS file lock (``filelock``: ``flock`` on POSIX, ``LockFileEx`` on Windows, both released by the
OS when a publisher dies, so a crash never blocks the next one) around compare-then-rename, with
every write going to a temporary file first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from hwb import fs
from hwb.errors import StaticIndexError, missing_extra
from hwb.static_index import pages

if TYPE_CHECKING:
    from filelock import BaseFileLock


class Conflict(Exception):
    """A conditional write lost a race (the object exists, or changed since it was read)."""


@dataclass(frozen=True)
class Blob:
    data: bytes
    etag: str


class Store(Protocol):
    """Objects by logical key: ``packages/<name>/<file>`` (distributions) and ``simple/...``
    (pages); where a key really lives is the store's layout."""

    location: str

    def file_url(self, name: str, filename: str) -> str:
        """The link a project page (at ``simple/<name>/``) gives for one of its files."""
        ...

    def check(self) -> None: ...
    def read(self, key: str) -> Blob | None: ...
    def create(
        self, key: str, data: bytes, content_type: str, meta: dict[str, str] | None = None
    ) -> None: ...
    def create_file(
        self, key: str, path: Path, content_type: str, meta: dict[str, str]
    ) -> None: ...
    def replace(self, key: str, data: bytes, content_type: str, etag: str | None) -> str: ...
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def head_meta(self, key: str) -> dict[str, str] | None: ...
    def keys(self, prefix: str) -> Iterator[str]: ...
    def download(self, key: str, target: Path) -> None: ...
    def clean(self, prefixes: list[str] | None = None) -> int: ...


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: mkstemp's names (prefix ``.<final name>.``, 8 random characters) and the write probe's.
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}$|^\.hwb-probe-")
#: A temporary file younger than this may be between its creation and its writer's lock.
_TEMP_GRACE = 5.0


def _lock(path: Path, timeout: float = -1) -> BaseFileLock:
    """An OS lock on ``path`` (created if absent; the lock, not the file, is what counts).
    Not thread-local and not shared: every call is a lock of its own, so two threads of one
    publisher exclude each other as two processes do."""
    from filelock import FileLock

    return FileLock(path, timeout=timeout, thread_local=False, is_singleton=False)


def writer_lock(root: Path, temp: Path) -> BaseFileLock:
    """The lock a writer holds while its temporary file ``temp`` exists (in ``.hwb-locks``,
    not on ``temp`` itself: Windows cannot rename a file some handle holds open)."""
    name = hashlib.sha1(str(temp.relative_to(root)).encode()).hexdigest()  # noqa: S324 - a name
    return _lock(root / ".hwb-locks" / f"{name}.temp.lock")


def _remove_if_abandoned(root: Path, path: Path) -> int:
    from filelock import Timeout

    try:
        if time.time() - path.stat().st_mtime < _TEMP_GRACE:
            return 0
        lock = writer_lock(root, path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return 0  # its writer is alive
        try:
            path.unlink()
        finally:
            lock.release()
            Path(lock.lock_file).unlink(missing_ok=True)
        return 1
    except OSError:
        return 0


class DirStore:
    """A static index in a local folder (also what `make demo` publishes to)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def file_url(self, name: str, filename: str) -> str:
        return pages.file_url(name, filename)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / ".hwb-locks").mkdir(exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".hwb-probe-", delete=True)  # noqa: SIM115
            probe.close()
        except OSError as exc:
            raise StaticIndexError(
                f"cannot write to the index folder {self.root}: {exc.strerror}",
                hint="Choose a writable path, or fix the folder's permissions.",
            ) from None

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        lock_path = self.root / ".hwb-locks" / (hashlib.sha1(key.encode()).hexdigest() + ".lock")  # noqa: S324 - a name, not security
        with _lock(lock_path):  # released by the OS if this process dies
            yield

    @contextlib.contextmanager
    def _temp(
        self, target: Path, data: bytes | None = None, source: Path | None = None
    ) -> Iterator[Path]:
        """A complete temporary copy of the new content beside ``target``, for the caller to
        link or rename into place. Its writer holds its :func:`writer_lock` until then (and
        its mtime is fresh while it is being written), so :meth:`clean` can tell a live
        writer's file from one a killed publisher left behind."""
        # 0o644: readable by the web server that serves the folder.
        if source is not None:
            tmp = fs.copy_temp(target, source, mode=0o644)
        else:
            tmp = fs.write_temp(target, data or b"", mode=0o644, sync=True)
        lock = writer_lock(self.root, tmp)
        try:
            with lock:
                try:
                    yield tmp
                finally:
                    tmp.unlink(missing_ok=True)  # after a rename there is nothing left
        finally:
            Path(lock.lock_file).unlink(missing_ok=True)

    def clean(self, prefixes: list[str] | None = None) -> int:
        """Remove the temporary files a killed publisher left (``.index.json.XXXXXXXX`` beside
        the pages, ``.<file>.XXXXXXXX`` beside the packages), in the folders under ``prefixes``
        (their own entries only) or in the whole index. A file some live writer still holds
        is left alone. Returns how many were removed."""
        if prefixes is None:
            folders = [self.root, *(p for p in self.root.rglob("*") if p.is_dir())]
        else:
            folders = [self._path(p) for p in prefixes]
        removed = 0
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for item in entries:
                if _TEMP_NAME.match(item.name) and item.is_file(follow_symlinks=False):
                    removed += _remove_if_abandoned(self.root, Path(item.path))
        return removed

    def read(self, key: str) -> Blob | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        return Blob(data, _etag(data))

    def create(
        self, key: str, data: bytes, content_type: str, meta: dict[str, str] | None = None
    ) -> None:
        with self._temp(self._path(key), data=data) as tmp:
            self._link_new(tmp, self._path(key))

    def create_file(self, key: str, path: Path, content_type: str, meta: dict[str, str]) -> None:
        with self._temp(self._path(key), source=path) as tmp:
            self._link_new(tmp, self._path(key))

    @staticmethod
    def _link_new(tmp: Path, final: Path) -> None:
        try:
            os.link(tmp, final)  # atomic, and fails if the name exists: create-if-absent
        except FileExistsError:
            raise Conflict(str(final)) from None

    def replace(self, key: str, data: bytes, content_type: str, etag: str | None) -> str:
        target = self._path(key)
        with self._locked(key):
            current = self.read(key)
            if (current.etag if current else None) != etag:
                raise Conflict(key)
            with self._temp(target, data=data) as tmp:
                tmp.replace(target)
        return _etag(data)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with self._temp(self._path(key), data=data) as tmp:
            tmp.replace(self._path(key))

    def head_meta(self, key: str) -> dict[str, str] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return {"sha256": fs.sha256_file(path), "size": str(path.stat().st_size)}

    def keys(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix)
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    yield path.relative_to(self.root).as_posix()

    def download(self, key: str, target: Path) -> None:
        target.write_bytes(self._path(key).read_bytes())


class S3Store:
    """A static index in an S3 bucket (or an S3-compatible store via ``endpoint-url``)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        endpoint_url: str | None = None,
        acl: str | None = None,
        index_prefix: str = "",
        cdn_url: str = "",
        connections: int = 10,
    ) -> None:
        """The guide's layout: distributions under ``<prefix><name>/``, the pages under
        ``<index_prefix>simple/`` (the bucket's root by default, so ``.../simple/`` is the
        index URL); links through ``cdn_url`` when set."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise missing_extra("s3", "boto3", f"the S3 index s3://{bucket}/") from None

        self.bucket = bucket
        self.files_prefix = _folder(prefix)
        self.index_prefix = _folder(index_prefix)
        self.cdn_url = cdn_url.rstrip("/")
        self.acl = acl
        self.location = f"s3://{bucket}/{self.index_prefix}"
        session = boto3.session.Session(region_name=region)
        self.client: Any = session.client(
            "s3",
            endpoint_url=endpoint_url,
            # One pooled connection per worker thread (uploads and page updates run ``jobs``
            # at once): a smaller pool discards connections ("Connection pool is full").
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=max(10, connections),
            ),
        )

    def _key(self, key: str) -> str:
        if key.startswith(_FILES):
            return self.files_prefix + key[len(_FILES) :]
        return self.index_prefix + key

    def _logical(self, real: str) -> str | None:
        """The logical key of a bucket key, or None when it is none of the index's."""
        pages_at = self.index_prefix + "simple/"
        if real.startswith(pages_at):
            return real[len(self.index_prefix) :]
        if (
            real.startswith(self.files_prefix)
            and real.count("/") - self.files_prefix.count("/") == 1
        ):
            return _FILES + real[len(self.files_prefix) :]
        return None

    def file_url(self, name: str, filename: str) -> str:
        path = f"{self.files_prefix}{name}/{quote(filename)}"
        if self.cdn_url:
            return f"{self.cdn_url}/{path}"
        # Relative, from <index_prefix>simple/<name>/ up to the bucket root.
        return "../" * (2 + self.index_prefix.count("/")) + path

    def _errors(self, exc: Exception) -> StaticIndexError | None:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in {"NoSuchBucket"}:
            return StaticIndexError(
                f"bucket {self.bucket} does not exist", hint="Create it, or fix `bucket`."
            )
        if code in {
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "403",
            "ExpiredToken",
        }:
            return StaticIndexError(
                f"S3 refused the credentials for bucket {self.bucket} ({code})",
                hint="Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the profile) and the "
                "bucket policy.",
            )
        return None

    def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}:
                raise Conflict(kwargs.get("Key", "")) from None
            mapped = self._errors(exc)
            if mapped is not None:
                raise mapped from None
            raise
        except BotoCoreError as exc:
            raise StaticIndexError(
                f"S3 request failed: {exc}", hint="Check endpoint-url and the network."
            ) from None

    def check(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"404", "NoSuchBucket"}:
                raise StaticIndexError(
                    f"bucket {self.bucket} does not exist", hint="Create it, or fix `bucket`."
                ) from None
            raise self._errors(exc) or StaticIndexError(f"bucket {self.bucket}: {code}") from None
        except Exception as exc:
            raise StaticIndexError(
                f"cannot reach S3 for bucket {self.bucket}: {exc}",
                hint="Check endpoint-url, region and the network.",
            ) from None
        self._check_layout()

    def _check_layout(self) -> None:
        """An index hwb wrote before the guide's layout (everything under ``prefix``: files at
        ``<prefix>packages/``, pages at ``<prefix>simple/``) is never migrated silently, nor
        answered with a second, empty index at the root: say how to keep it."""
        old = self.files_prefix
        if not old or self.index_prefix or self.head_meta("simple/index.json") is not None:
            return
        if self._head_real(f"{old}simple/index.json"):
            raise StaticIndexError(
                f"s3://{self.bucket}/{old}simple/ holds an index in the layout of earlier hwb "
                f"versions (files under {old}packages/); hwb now writes the pages to simple/ "
                "at the bucket's root and the files under <prefix><name>/",
                hint=f'To keep that index, set prefix = "{old}packages/" and index-prefix = '
                f'"{old}" in the registry table; to move to the new layout, copy the files '
                "to the new keys and run hwb index rebuild.",
            )

    def _head_real(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("head_object", Key=key)
        except ClientError:
            return False
        return True

    def _extra(self) -> dict[str, str]:
        return {"ACL": self.acl} if self.acl else {}

    def read(self, key: str) -> Blob | None:
        from botocore.exceptions import ClientError

        try:
            response = self._call("get_object", Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return Blob(response["Body"].read(), response["ETag"])

    def create(
        self, key: str, data: bytes, content_type: str, meta: dict[str, str] | None = None
    ) -> None:
        self._put(key, data, content_type, IfNoneMatch="*", Metadata=meta or {})

    def create_file(self, key: str, path: Path, content_type: str, meta: dict[str, str]) -> None:
        with path.open("rb") as fh:  # streamed by botocore
            self._put(key, fh, content_type, IfNoneMatch="*", Metadata=meta)

    def replace(self, key: str, data: bytes, content_type: str, etag: str | None) -> str:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        new_etag: str = self._put(key, data, content_type, **condition)["ETag"]
        return new_etag

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._put(key, data, content_type)

    def _put(self, key: str, body: Any, content_type: str, **conditions: Any) -> Any:
        """One PUT: cache policy by key (pages revalidate, files are immutable), the ACL, and
        the caller's conditions (If-None-Match / If-Match) and metadata."""
        return self._call(
            "put_object",
            Key=self._key(key),
            Body=body,
            ContentType=content_type,
            CacheControl=_cache(key),
            **conditions,
            **self._extra(),
        )

    def head_meta(self, key: str) -> dict[str, str] | None:
        from botocore.exceptions import ClientError

        try:
            response = self._call("head_object", Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        meta = {k.lower(): v for k, v in response.get("Metadata", {}).items()}
        meta["size"] = str(response.get("ContentLength", 0))
        return meta

    def keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            for item in page.get("Contents", []):
                logical = self._logical(item["Key"])
                if logical is not None and logical.startswith(prefix):
                    yield logical

    def download(self, key: str, target: Path) -> None:
        self.client.download_file(self.bucket, self._key(key), str(target))

    def clean(self, prefixes: list[str] | None = None) -> int:
        return 0  # an S3 PUT is atomic: a killed publisher leaves no temporary object


_FILES = "packages/"


def _folder(prefix: str) -> str:
    """``packages`` or ``/packages/`` -> ``packages/``; "" stays the bucket's root."""
    return prefix.strip("/") + "/" if prefix.strip("/") else ""


def _cache(key: str) -> str:
    # Pages change; files never do.
    if key.startswith("simple/"):
        return "public, max-age=0, must-revalidate"
    return "public, max-age=31536000, immutable"
