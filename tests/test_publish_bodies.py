"""Upload bodies: small files are encoded in memory (urllib3's encoder), bigger ones stream
from disk (requests-toolbelt's); both must reach a real registry as the same form, file and
metadata, with the file's bytes intact."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from hwb.publish import transport
from hwb.publish.dists import Dist
from hwb.simple_api import project_files
from tests import distfactory as df
from tests.conftest import Run
from tests.servers import Server


def _big_wheel(folder: Path, version: str, size: int) -> Path:
    """A valid wheel with one member of ``size`` incompressible (seeded random) bytes."""
    blob = random.Random(13).randbytes(size)
    return df.wheel(
        folder,
        version=version,
        metadata=df.GOOD_METADATA.format(version=version),
        files={"demo_pkg/__init__.py": b"", "demo_pkg/blob.bin": blob},
    )


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_both_body_encoders_deliver_file_and_metadata(
    hwb: Callable[..., Run],
    open_server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    streamed: bool,
) -> None:
    if streamed:  # force the streaming encoder for a small file too
        monkeypatch.setattr(transport, "IN_MEMORY_BODY", 0)
    small = df.wheel(tmp_path, version="1.0.0", metadata=df.GOOD_METADATA.format(version="1.0.0"))
    result = hwb("publish", "--url", open_server.url, str(small))
    assert result.code == 0, result.err
    stored = open_server.packages / small.name
    assert stored.read_bytes() == small.read_bytes()
    listed = {f.filename: f.sha256 for f in project_files(open_server.simple, "demo-pkg", 10.0)}
    assert listed[small.name] == hashlib.sha256(small.read_bytes()).hexdigest()


def test_a_file_above_the_in_memory_limit_streams_intact(
    hwb: Callable[..., Run], open_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders: list[str] = []
    real = transport._multipart

    def spy(dist: Dist, fh: BinaryIO) -> tuple[object, str]:
        body, content_type = real(dist, fh)
        encoders.append(type(body).__name__)
        return body, content_type

    monkeypatch.setattr(transport, "_multipart", spy)
    big = _big_wheel(tmp_path, "2.0.0", transport.IN_MEMORY_BODY + 512 * 1024)
    assert big.stat().st_size > transport.IN_MEMORY_BODY
    result = hwb("publish", "--url", open_server.url, str(big))
    assert result.code == 0, result.err
    assert encoders == ["MultipartEncoder"]  # streamed from disk, not read into memory
    assert (open_server.packages / big.name).read_bytes() == big.read_bytes()
