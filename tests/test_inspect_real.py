"""`hwb inspect` on real distributions from PyPI (issue 13): a small pinned set, downloaded once
with pip into a cache directory (HWB_CORPUS_DIR, default ~/.cache/hwb-corpus/tests), each of
which PyPI accepts today. hwb must report no error on any of them, and the specific false
findings it used to report must be gone. bench/bench_inspect_corpus.py surveys ~120 files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hwb.inspect.catalogue import Severity
from hwb.inspect.runner import FileReport, InspectOptions, inspect_paths

CACHE = Path(os.environ.get("HWB_CORPUS_DIR", Path.home() / ".cache" / "hwb-corpus")) / "tests"
# Pinned for one interpreter and platform, so every machine gets the same files.
WHEEL_TARGET = [
    "--platform=manylinux2014_x86_64",
    "--python-version=3.11",
    "--implementation=cp",
    "--abi=cp311",
]
WHEELS = {
    "six==1.16.0": "six-1.16.0-py2.py3-none-any.whl",  # setuptools, Metadata 2.1 License-File
    "colorama==0.4.6": "colorama-0.4.6-py2.py3-none-any.whl",  # hatchling 2022, 2.1
    "pytz==2024.1": "pytz-2024.1-py2.py3-none-any.whl",
    "jmespath==1.0.1": "jmespath-1.0.1-py3-none-any.whl",
    "isodate==0.6.1": "isodate-0.6.1-py2.py3-none-any.whl",
    "rsa==4.9": "rsa-4.9-py3-none-any.whl",  # poetry-core; PEM markers in code
    "google-auth==2.29.0": "google_auth-2.29.0-py2.py3-none-any.whl",  # PEM markers in code
    "types-requests==2.31.0.20240406": "types_requests-2.31.0.20240406-py3-none-any.whl",
    "pyyaml==6.0.1": "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "psutil==5.9.8": (
        "psutil-5.9.8-cp36-abi3-manylinux_2_12_x86_64.manylinux2010_x86_64."
        "manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    ),
}
SDISTS = {
    "requests==2.31.0": "requests-2.31.0.tar.gz",
    "urllib3==2.2.1": "urllib3-2.2.1.tar.gz",  # test server keys (dummyserver/certs)
    "future==1.0.0": "future-1.0.0.tar.gz",  # CPython's test keys under backports/test/
    "colorama==0.4.6": "colorama-0.4.6.tar.gz",
    "rsa==4.9": "rsa-4.9.tar.gz",
    "isodate==0.6.1": "isodate-0.6.1.tar.gz",
}


def _download(folder: Path, wanted: dict[str, str], flags: list[str]) -> None:
    missing = [req for req, name in wanted.items() if not (folder / name).exists()]
    if not missing:
        return
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PIP_CONSTRAINT": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder)]
    done = subprocess.run(
        [*cmd, *flags, *missing], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="session")
def real() -> dict[str, FileReport]:
    """Every file's report, by filename (one inspect run over all, as `hwb inspect dist/*`)."""
    _download(CACHE / "wheels", WHEELS, ["--only-binary=:all:", *WHEEL_TARGET])
    _download(CACHE / "sdists", SDISTS, ["--no-binary=:all:"])
    paths = [CACHE / "wheels" / n for n in WHEELS.values()]
    paths += [CACHE / "sdists" / n for n in SDISTS.values()]
    report = inspect_paths(paths, InspectOptions())
    return {r.path.name: r for r in report.files}


def _of(report: FileReport, severity: Severity) -> list[str]:
    return [f"{f.id} {f.message}" for f in report.findings if f.severity is severity]


@pytest.mark.integration
def test_real_distributions_have_no_errors(real: dict[str, FileReport]) -> None:
    assert len(real) == len(WHEELS) + len(SDISTS)
    errors = {name: _of(r, Severity.ERROR) for name, r in real.items() if _of(r, Severity.ERROR)}
    assert errors == {}


@pytest.mark.integration
def test_the_former_false_findings_are_gone(real: dict[str, FileReport]) -> None:
    ids = {name: {f.id for f in r.findings} for name, r in real.items()}
    # License-File in Metadata 2.1 with the license at .dist-info/LICENSE: valid, present.
    for name in WHEELS["six==1.16.0"], WHEELS["colorama==0.4.6"], WHEELS["isodate==0.6.1"]:
        assert not ids[name] & {"HWB101", "HWB109"}, name
    # Code that names the PEM marker (rsa's pem.py, google-auth's crypt) is not a key.
    assert "HWB402" not in ids[WHEELS["rsa==4.9"]]
    assert "HWB402" not in ids[WHEELS["google-auth==2.29.0"]]
    # PyYAML installs yaml; types-requests installs requests-stubs.
    assert not ids[WHEELS["pyyaml==6.0.1"]] & {"HWB214", "HWB219"}
    assert not ids[WHEELS["types-requests==2.31.0.20240406"]] & {"HWB214", "HWB219", "HWB220"}
    # Test fixture keys in sdists are warnings the user sees (and --strict fails on).
    for req in "urllib3==2.2.1", "future==1.0.0":
        report = real[SDISTS[req]]
        keys = [f for f in report.findings if f.id == "HWB401"]
        assert keys and all(f.severity is Severity.WARNING for f in keys), req
        assert all("test fixture" in f.message for f in keys)
