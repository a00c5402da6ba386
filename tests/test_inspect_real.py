"""`hwb inspect` on real distributions from PyPI (issue 13): a small pinned set, downloaded once
with pip into a cache directory (HWB_CORPUS_DIR, default ~/.cache/hwb-corpus/tests), each of
which PyPI accepts today. hwb must report no error on any of them, and the specific false
findings it used to report must be gone. A second set (issue 24, sha256-pinned) holds files PyPI
would refuse today, documentation examples of credentials, and test keys shipped on purpose: hwb
must agree with PyPI on each. bench/bench_inspect_corpus.py surveys ~120 files."""

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


# -- issue 24: PyPI's upload rules of today, and credentials that are not secrets -----------
# Pinned by sha256 too: the verdicts below are about these exact files.
PYPI_WHEELS = {
    # Accepted before PyPI enforced normalized wheel names; refused for a new upload today.
    "brotli==1.1.0": (
        "Brotli-1.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "a469274ad18dc0e4d316eefa616d1d0c2ff9da369af19fa6f3daa4f09671fd61",
    ),
    "cython==3.0.11": (
        "Cython-3.0.11-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "3999fb52d3328a6a5e8c63122b0a8bd110dfcdb98dda585a3def1426b991cba7",
    ),
    "pynacl==1.5.0": (
        "PyNaCl-1.5.0-cp36-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "06b8f6fa7f5de8d5d2f7573fe8c863c051225a27b61e6860fd047b1775807858",
    ),
    # Documentation examples: AKIA...EXAMPLE keys, PEM blocks with EXAMPLE inside, and access
    # key IDs in presigned URLs.
    "awscli==1.33.0": (
        "awscli-1.33.0-py3-none-any.whl",
        "19ebb24b093bb621a93457f05ccfbfe61c83e9788130db1a969a665568165394",
    ),
    # Test keys shipped on purpose, in the wheel.
    "tornado==6.4.1": (
        "tornado-6.4.1-cp38-abi3-manylinux_2_5_x86_64.manylinux1_x86_64."
        "manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "613bf4ddf5c7a95509218b149b555621497a6cc0d46ac341b30bd9ec19eac7f3",
    ),
    "pycryptodome==3.20.0": (
        "pycryptodome-3.20.0-cp35-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "76cb39afede7055127e35a444c1c041d2e8d2f1f9c121ecef573757ba4cd2c3c",
    ),
    # Metadata 2.1 with old setuptools' "UNKNOWN" as the description body.
    "google-pasta==0.2.0": (
        "google_pasta-0.2.0-py3-none-any.whl",
        "b32482794a366b5366a32c92a9a9201b107821889935a02b3e51f6b432ea84ed",
    ),
}
PYPI_SDISTS = {
    "tornado==6.4.1": (
        "tornado-6.4.1.tar.gz",
        "92d3ab53183d8c50f8204a51e6f91d18a15d5ef261e84d452800d4ff6fc504e9",
    ),
    "pycryptodome==3.20.0": (
        "pycryptodome-3.20.0.tar.gz",
        "09609209ed7de61c2b560cc5c8c4fbf892f8b15b1faf7e4cbffac97db1fffda7",
    ),
}
# What tornado's and pycryptodome's pyproject.toml would say.
ALLOW = ("tornado/test/test.key", "**/SelfTest/**")


@pytest.fixture(scope="session")
def pypi_files() -> dict[str, Path]:
    """The issue-24 files by requirement (sdists as 'sdist:<req>'), sha256-checked."""
    from hwb.fs import sha256_file

    folder = CACHE / "pypi-rules"
    _download(
        folder / "wheels",
        {r: n for r, (n, _) in PYPI_WHEELS.items()},
        [
            "--only-binary=:all:",
            *WHEEL_TARGET,
        ],
    )
    _download(folder / "sdists", {r: n for r, (n, _) in PYPI_SDISTS.items()}, ["--no-binary=:all:"])
    files = {r: folder / "wheels" / n for r, (n, _) in PYPI_WHEELS.items()}
    files.update({f"sdist:{r}": folder / "sdists" / n for r, (n, _) in PYPI_SDISTS.items()})
    pins = dict([*PYPI_WHEELS.values(), *PYPI_SDISTS.values()])
    for path in files.values():
        assert sha256_file(path) == pins[path.name], f"{path.name} is not the pinned file"
    return files


def _errors(reports: dict[str, FileReport]) -> dict[str, list[str]]:
    return {n: _of(r, Severity.ERROR) for n, r in reports.items() if _of(r, Severity.ERROR)}


def _run(files: dict[str, Path], **options: object) -> dict[str, FileReport]:
    report = inspect_paths(list(files.values()), InspectOptions(**options))  # type: ignore[arg-type]
    return {r.path.name: r for r in report.files}


@pytest.mark.integration
def test_for_pypi_hwb_refuses_exactly_what_pypi_refuses(pypi_files: dict[str, Path]) -> None:
    """Bound for PyPI, with the projects' allow-sensitive: the only errors are the three wheel
    names PyPI refuses today, in PyPI's words. Elsewhere those are warnings: no errors at all."""
    reports = _run(pypi_files, public_index=True, allow_sensitive=ALLOW)
    expected = {}
    for req, name in (("brotli", "Brotli"), ("cython", "Cython"), ("pynacl", "PyNaCl")):
        filename = next(n for r, (n, _) in PYPI_WHEELS.items() if r.startswith(req + "=="))
        expected[filename] = [
            f"HWB203 Filename {filename!r} should contain the normalized project name "
            f"{req!r}, not {name!r}."
        ]
    assert _errors(reports) == expected
    reports = _run(pypi_files, allow_sensitive=ALLOW)
    assert _errors(reports) == {}
    assert {n for n, r in reports.items() if "HWB203" in {f.id for f in r.findings}} == set(
        expected
    )


@pytest.mark.integration
def test_documented_examples_and_shipped_test_keys(pypi_files: dict[str, Path]) -> None:
    reports = _run(pypi_files)
    # awscli: no error; its presigned URLs' key IDs stay visible as info.
    aws = reports[pypi_files["awscli==1.33.0"].name]
    assert _of(aws, Severity.ERROR) == []
    assert [f.id for f in aws.findings if f.severity is Severity.INFO] == ["HWB402", "HWB402"]
    # Test keys in a wheel are errors until the project allows their paths; SelfTest/ in an
    # sdist is a test folder (warnings).
    errors = _errors(reports)
    assert set(errors) == {
        pypi_files["tornado==6.4.1"].name,
        pypi_files["pycryptodome==3.20.0"].name,
    }
    sdist = reports[pypi_files["sdist:pycryptodome==3.20.0"].name]
    assert {f.severity for f in sdist.findings if f.id == "HWB402"} == {Severity.WARNING}
    allowed = _run(pypi_files, allow_sensitive=ALLOW)
    for req in "tornado==6.4.1", "pycryptodome==3.20.0", "sdist:pycryptodome==3.20.0":
        sensitive = [f for f in allowed[pypi_files[req].name].findings if f.id.startswith("HWB4")]
        assert sensitive and all(f.severity is Severity.INFO for f in sensitive), req
        assert all("allow-sensitive" in f.message for f in sensitive)
    # google-pasta's description is setuptools' "UNKNOWN": missing, not reStructuredText.
    pasta = {f.id for f in reports[pypi_files["google-pasta==0.2.0"].name].findings}
    assert "HWB107" in pasta and not pasta & {"HWB105", "HWB106"}
