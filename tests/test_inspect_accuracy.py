"""`hwb inspect` on what real projects publish (issue 13): each class of false error or noisy
warning found on real distributions, rebuilt as a generated distribution, and the one miss
(METADATA disagreeing with the filename). Every test here failed before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwb.inspect.catalogue import Severity
from hwb.inspect.runner import InspectOptions, inspect_paths
from tests import distfactory as df

M = df.GOOD_METADATA.format(version="1.0")
# What setuptools < 77 wrote: Metadata 2.1, License-File, no License-Expression.
LEGACY = (
    M.replace("Metadata-Version: 2.4", "Metadata-Version: 2.1")
    .replace("License-Expression: MIT\n", "License: MIT\n")
    .replace("License-File: LICENSE\n", "License-File: LICENSE\nLicense-File: AUTHORS.rst\n")
)
GH_TOKEN = "ghp_" + "a1B2" * 9


def _findings(path: Path, **options: object) -> list[tuple[str, Severity, str]]:
    report = inspect_paths([path], InspectOptions(**options))  # type: ignore[arg-type]
    return [(f.id, f.severity, f.message) for f in report.files[0].findings]


def _ids(path: Path) -> set[str]:
    return {i for i, _, _ in _findings(path)}


# -- metadata -------------------------------------------------------------------------------


def test_metadata_name_or_version_disagreeing_with_filename_is_an_error(tmp_path: Path) -> None:
    other_version = df.wheel(tmp_path, metadata=df.GOOD_METADATA.format(version="1.1"))
    found = _findings(other_version)
    assert [(i, s) for i, s, _ in found] == [("HWB221", Severity.ERROR)]
    assert "METADATA says demo-pkg 1.1" in found[0][2]
    other_name = tmp_path / "other"
    other_name.mkdir()
    path = df.wheel(other_name, metadata=M.replace("Name: demo-pkg", "Name: something-else"))
    assert "HWB221" in _ids(path)
    # Normalization is not a disagreement: Demo_Pkg 1.0.0 is demo-pkg 1.0.
    same = tmp_path / "same"
    same.mkdir()
    path = df.wheel(same, metadata=M.replace("Name: demo-pkg", "Name: Demo_Pkg"))
    assert _ids(path) == set()


def test_license_file_before_metadata_2_4_is_valid_where_its_era_put_it(tmp_path: Path) -> None:
    info = "demo_pkg-1.0.dist-info"
    for n, place in enumerate((f"{info}/", f"{info}/license_files/")):
        folder = tmp_path / str(n)
        folder.mkdir()
        path = df.wheel(
            folder,
            files={
                "demo_pkg/__init__.py": b'"""Demo."""\n',
                f"{place}LICENSE": b"MIT\n",
                f"{place}AUTHORS.rst": b"Someone\n",
            },
            metadata=LEGACY,
        )
        assert _findings(path) == [], place
    # Missing altogether: PyPI does not check before 2.4, so a warning, not an error.
    missing = tmp_path / "missing"
    missing.mkdir()
    path = df.wheel(missing, metadata=LEGACY)  # only licenses/LICENSE is there
    found = _findings(path)
    assert [(i, s) for i, s, _ in found] == [("HWB109", Severity.WARNING)]
    assert "AUTHORS.rst" in found[0][2] and "2.4" in found[0][2]


def test_license_file_in_metadata_2_4_must_be_under_licenses(tmp_path: Path) -> None:
    info = "demo_pkg-1.0.dist-info"
    # NOTICE sits where setuptools < 77 put it, not where PEP 639 (and PyPI) look.
    path = df.wheel(
        tmp_path,
        files={"demo_pkg/__init__.py": b"", f"{info}/NOTICE": b"MIT\n"},
        metadata=M.replace("License-File: LICENSE", "License-File: LICENSE\nLicense-File: NOTICE"),
    )
    found = _findings(path)
    assert [(i, s) for i, s, _ in found] == [("HWB109", Severity.ERROR)]
    assert f"{info}/licenses/NOTICE" in found[0][2]


def test_license_classifier_next_to_expression_is_a_warning_and_license_field_an_error(
    tmp_path: Path,
) -> None:
    classifier = M.replace(
        "Summary:", "Classifier: License :: OSI Approved :: MIT License\nSummary:"
    )
    path = df.wheel(tmp_path, metadata=classifier)
    found = _findings(path)
    assert [(i, s) for i, s, _ in found] == [("HWB114", Severity.WARNING)]
    assert "PyPI rejects" not in found[0][2] and "PyPI still accepts" in found[0][2]
    both = tmp_path / "both"
    both.mkdir()
    path = df.wheel(
        both, metadata=M.replace("License-Expression: MIT", "License-Expression: MIT\nLicense: MIT")
    )
    assert [(i, s) for i, s, _ in _findings(path)] == [("HWB115", Severity.ERROR)]


# -- secrets --------------------------------------------------------------------------------

PEM_MARKER_CODE = (
    b'"""Parse keys that start with -----BEGIN OPENSSH PRIVATE KEY-----."""\n'
    b'_SK_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n'
    b'_SK_END = b"-----END OPENSSH PRIVATE KEY-----"\n'
    b'PEM = "-----BEGIN RSA PRIVATE KEY-----" + body + "-----END RSA PRIVATE KEY-----"\n'
)


def test_private_key_is_found_only_as_a_whole_pem_block(tmp_path: Path) -> None:
    key = df.pem_key("EC PRIVATE KEY")
    quoted = (
        b"KEY = (\n" + b"".join(b'    "' + line + b'\\n"\n' for line in key.splitlines()) + b")\n"
    )
    path = df.wheel(
        tmp_path,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/ssh.py": PEM_MARKER_CODE,
            "demo_pkg/keys.py": b"# a key pasted into code\n" + quoted,
            "demo_pkg/server.pem": key,
        },
    )
    found = _findings(path, groups=frozenset({"sensitive"}))
    messages = sorted(m for _, _, m in found)
    assert messages == [
        "demo_pkg/keys.py:3: looks like a private key",
        "demo_pkg/server.pem: contains a private key",
    ]
    assert all(s is Severity.ERROR for _, s, _ in found)
    assert b"MII" not in json.dumps(messages).encode()


def test_test_fixture_keys_in_an_sdist_are_warnings_in_a_wheel_errors(tmp_path: Path) -> None:
    key = df.pem_key()
    sdist = df.sdist(
        tmp_path,
        files={
            "src/demo_pkg/__init__.py": b"",
            "tests/keys/server.key": key,
            "tests/.netrc": b"machine example.invalid login u password p\n",
            "test/test_tls.py": b"KEY = '''" + key + b"'''\n",
        },
    )
    report = inspect_paths([sdist], InspectOptions())
    found = [(f.id, f.severity, f.member) for f in report.files[0].findings]
    assert sorted(found, key=str) == sorted(
        [
            ("HWB401", Severity.WARNING, "demo_pkg-1.0/tests/keys/server.key"),
            ("HWB401", Severity.WARNING, "demo_pkg-1.0/tests/.netrc"),
            ("HWB402", Severity.WARNING, "demo_pkg-1.0/test/test_tls.py"),
        ],
        key=str,
    )
    assert report.passed and not inspect_paths([sdist], InspectOptions(strict=True)).passed
    assert all("test fixture" in f.message for f in report.files[0].findings)
    # The same key outside the tests of an sdist, and inside a wheel's tests, is an error.
    src = tmp_path / "src"
    src.mkdir()
    sdist = df.sdist(src, files={"src/demo_pkg/__init__.py": b"", "src/demo_pkg/server.key": key})
    assert [(i, s) for i, s, _ in _findings(sdist)] == [("HWB401", Severity.ERROR)]
    whl = tmp_path / "whl"
    whl.mkdir()
    wheel = df.wheel(whl, files={"demo_pkg/__init__.py": b"", "demo_pkg/tests/server.pem": key})
    assert [(i, s) for i, s, _ in _findings(wheel)] == [("HWB401", Severity.ERROR)]


def test_binary_members_are_not_scanned_and_aws_examples_are_not_keys(tmp_path: Path) -> None:
    token = GH_TOKEN.encode()
    path = df.wheel(
        tmp_path,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF" + token,
            "demo_pkg/logo.png": b"\x89PNG" + token,
            "demo_pkg/blob.dat": b"\x00\x01" + token,  # NUL in the head: binary
            "demo_pkg/docs.py": b"KEY = 'AKIAIOSFODNN7EXAMPLE'\n",  # AWS's documented sample
            "demo_pkg/conf.py": b"TOKEN = '" + token + b"'\n",
        },
        tag="cp311-cp311-linux_x86_64",
        pure=False,
    )
    found = _findings(path, groups=frozenset({"sensitive"}))
    assert [m for _, _, m in found] == ["demo_pkg/conf.py:1: looks like a GitHub token"]


# -- wheel layout noise ---------------------------------------------------------------------


def test_well_known_layouts_raise_no_warnings(tmp_path: Path) -> None:
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
    cases: dict[str, tuple[dict[str, bytes], str, dict[str, object]]] = {
        # ruff/maturin/ninja: the native code is an executable in .data/scripts/
        "ruff": (
            {"demo_pkg/__init__.py": b"", "demo_pkg-1.0.data/scripts/demo": elf},
            M,
            {"tag": "py3-none-manylinux_2_17_x86_64", "pure": False},
        ),
        # tzdata: zone aliases are identical files; identical small __init__.py files
        "tzdata": (
            {
                "demo_pkg/__init__.py": b"# Package data\n",
                "demo_pkg/zoneinfo/__init__.py": b"# Package data\n",
                "demo_pkg/zoneinfo/US/__init__.py": b"# Package data\n",
                "demo_pkg/zoneinfo/US/Eastern": b"TZif2" + b"x" * 200,
                "demo_pkg/zoneinfo/America/New_York": b"TZif2" + b"x" * 200,
                "demo_pkg/_vendor/LICENSE": b"MIT License\n" * 20,
                "demo_pkg/_vendor2/LICENSE": b"MIT License\n" * 20,
            },
            M,
            {},
        ),
        # mypyc's hashed runtime, pip's runner, PyInstaller hooks, data dirs with scripts
        "mypyc": (
            {
                "demo_pkg/__init__.py": b"",
                "3d1f3c2b9a7e4f5d6c8b__mypyc.cpython-311-x86_64-linux-gnu.so": elf,
                "demo_pkg/__pip-runner__.py": b"x = 1\n",
                "demo_pkg/hooks/__init__.py": b"",
                "demo_pkg/hooks/hook-demo_pkg.py": b"x = 1\n",
                "demo_pkg/test-data/fixtures/case.py": b"x = 1\n",
                "demo_pkg/_pyinstaller/pyinstaller-smoke.py": b"x = 1\n",
            },
            M,
            {"tag": "cp311-cp311-manylinux_2_17_x86_64", "pure": False},
        ),
        # stubs and auditwheel's .libs next to the package
        "stubs": (
            {
                "demo_pkg/__init__.py": b"",
                "demo_pkg-stubs/__init__.pyi": b"",
                "demo_pkg.libs/libz-1a2b3c4d.so.1.2.13": elf,
                "demo_pkg/_c.cpython-311-x86_64-linux-gnu.so": elf,
            },
            M,
            {"tag": "cp311-cp311-manylinux_2_17_x86_64", "pure": False},
        ),
        # PyYAML installs yaml
        "pyyaml": (
            {"yaml/__init__.py": b'"""YAML."""\n', "_yaml/__init__.py": b""},
            M.replace("Name: demo-pkg", "Name: PyYAML"),
            {"filename": "pyyaml-1.0-py3-none-any.whl", "dist_info": "pyyaml-1.0.dist-info"},
        ),
    }
    for label, (files, metadata, extra) in cases.items():
        folder = tmp_path / label
        folder.mkdir()
        path = df.wheel(folder, files=files, metadata=metadata, **extra)  # type: ignore[arg-type]
        assert _findings(path, strict=True) == [], label


def test_wheel_tags_after_a_blank_line_still_count(tmp_path: Path) -> None:
    """scikit-build 0.17 (ninja's wheels) leaves a blank line before the Tag lines."""
    meta = (
        "Wheel-Version: 1.0\r\nGenerator: skbuild\r\nRoot-Is-Purelib: true\r\n"
        "\r\nTag: py3-none-any\r\n"
    )
    path = df.wheel(tmp_path, wheel_meta=meta)
    assert _ids(path) == set()
    other = tmp_path / "other"
    other.mkdir()
    meta = meta.replace("py3-none-any", "py2-none-any")
    assert _ids(df.wheel(other, wheel_meta=meta)) == {"HWB205"}


def test_a_stale_build_copy_is_still_reported(tmp_path: Path) -> None:
    path = df.wheel(
        tmp_path,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/core.py": b"def f():\n    return 1\n",
            "build/lib/demo_pkg/core.py": b"def f():\n    return 1\n",
        },
    )
    found = _findings(path, groups=frozenset({"wheel"}))
    assert (
        "HWB217",
        Severity.WARNING,
        "build/lib/demo_pkg/core.py is a copy of demo_pkg/core.py",
    ) in found


# -- many files -----------------------------------------------------------------------------


def test_many_files_in_parallel_give_the_serial_result_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hwb.inspect import runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)  # these small files still use the pool
    paths = []
    for i in range(6):
        folder = tmp_path / str(i)
        folder.mkdir()
        version = f"1.0.{i}"
        files = {"demo_pkg/__init__.py": f"V = {i}\n".encode()}
        if i % 2:
            files["demo_pkg/conf.py"] = f"T = '{GH_TOKEN}'\n".encode()
        paths.append(
            df.wheel(
                folder,
                version=version,
                files=files,
                metadata=df.GOOD_METADATA.format(version=version),
            )
        )
    paths.append(df.sdist(tmp_path))
    ticks: list[tuple[int, int, Path]] = []
    parallel = inspect_paths(paths, InspectOptions(), on_file=lambda *t: ticks.append(t)).to_dict()
    assert [t[:2] for t in ticks] == [(n, len(paths)) for n in range(1, len(paths) + 1)]
    assert sorted(t[2] for t in ticks) == sorted(paths)  # progress as files finish
    saved = runner.PARALLEL_MIN_FILES
    runner.PARALLEL_MIN_FILES = 10**6
    try:
        serial = inspect_paths(paths, InspectOptions()).to_dict()
    finally:
        runner.PARALLEL_MIN_FILES = saved
    assert parallel == serial
    assert [f["path"] for f in parallel["files"]] == [str(p) for p in paths]
    assert parallel["errors"] == 3


def _small_wheels(tmp_path: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        folder = tmp_path / str(i)
        folder.mkdir()
        version = f"1.0.{i}"
        metadata = df.GOOD_METADATA.format(version=version)
        paths.append(df.wheel(folder, version=version, metadata=metadata))
    return paths


def _start_methods(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The multiprocessing start methods asked for from now on."""
    import multiprocessing

    asked: list[str | None] = []
    real_get_context = multiprocessing.get_context

    def spy(method: str | None = None) -> multiprocessing.context.BaseContext:
        asked.append(method)
        return real_get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    return asked


def test_many_files_while_threads_run_use_a_fresh_interpreter_per_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish may have threads running (a live display): no fork then, same results."""
    import threading

    from hwb.inspect import runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    asked = _start_methods(monkeypatch)
    paths = _small_wheels(tmp_path, 4)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        report = inspect_paths(paths, InspectOptions())
    finally:
        stop.set()
        busy.join()
    assert [r.path for r in report.files] == paths and report.passed
    assert asked == ["forkserver"]


def test_small_files_are_inspected_in_process_and_say_when_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small files: no pool (it costs more than it saves); a pool forks before the
    caller's on_started threads exist."""
    import threading

    from hwb.inspect import runner

    paths = _small_wheels(tmp_path, 6)
    contexts = _start_methods(monkeypatch)
    threads_at_start: list[int] = []

    def started() -> None:
        threads_at_start.append(threading.active_count())

    assert inspect_paths(paths, InspectOptions(), on_started=started).passed
    assert contexts == [] and len(threads_at_start) == 1  # no pool for 6 small files
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    assert inspect_paths(paths, InspectOptions(), on_started=started).passed
    # fork, or forkserver if another test left a thread running in this process
    assert len(contexts) == 1 and len(threads_at_start) == 2
    assert threads_at_start[1] > 1  # called once the pool runs (its manager thread exists)


def test_a_readme_shared_by_a_release_is_rendered_once_per_process(tmp_path: Path) -> None:
    from hwb.inspect import metadata_checks

    rst = M.replace("text/markdown", "text/x-rst").replace(df.README, "Title\n=====\n\nText.\n")
    bad = M.replace("text/markdown", "text/x-rst").replace(
        df.README, "Title\n=====\n\nSome ``unclosed literal\n"
    )
    wheel = df.wheel(tmp_path, metadata=rst)
    sdist = df.sdist(tmp_path, pkg_info=rst)
    other = tmp_path / "other"
    other.mkdir()
    broken = df.wheel(other, metadata=bad)
    metadata_checks._RENDERED.clear()
    report = inspect_paths([wheel, sdist, broken], InspectOptions())
    assert len(metadata_checks._RENDERED) == 2  # two READMEs, three files
    assert [[f.id for f in r.findings] for r in report.files] == [[], [], ["HWB106"]]
    again = inspect_paths([broken], InspectOptions())  # a cached verdict says the same
    assert again.files[0].findings == report.files[2].findings


def test_an_sdist_gzip_bomb_is_reported_not_inflated(tmp_path: Path) -> None:
    """The single pass over an sdist stops at the first implausible size (issue 12's bound)."""
    import io
    import tarfile

    path = tmp_path / "demo_pkg-1.0.tar.gz"
    zeros = 64 << 20
    with tarfile.open(path, "w:gz") as tf:
        for name, size in (("demo_pkg-1.0/PKG-INFO", 0), ("demo_pkg-1.0/zeros.bin", zeros)):
            info = tarfile.TarInfo(name)
            info.size = size
            tf.addfile(info, io.BytesIO(b"\0" * size))
        info = tarfile.TarInfo("demo_pkg-1.0/after.txt")
        tf.addfile(info, io.BytesIO(b""))
    assert path.stat().st_size < 1 << 20
    found = _findings(path)
    assert [(i, s) for i, s, _ in found] == [("HWB216", Severity.ERROR)]
    assert "from a" in found[0][2] and "byte archive" in found[0][2]


# -- issue 24: PyPI's own upload rules, and credentials that are not secrets ----------------

# What `hwb build` makes of a C extension outside a manylinux container.
_SO = {"demo_pkg/__init__.py": b"", "demo_pkg/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"}


def _wheel_in(tmp_path: Path, sub: str, **kwargs: object) -> Path:
    folder = tmp_path / sub
    folder.mkdir()
    return df.wheel(folder, **kwargs)  # type: ignore[arg-type]


def test_pypi_refuses_local_platform_tags_and_unnormalized_names_other_indexes_do_not(
    tmp_path: Path,
) -> None:
    linux = _wheel_in(tmp_path, "l", tag="cp311-cp311-linux_x86_64", pure=False, files=_SO)
    # Brotli-1.1.0-..., PyNaCl-1.5.0-...: a name part that differs from the normalized name
    # only in case, which the old check (lower-cased) let through.
    old_name = _wheel_in(tmp_path, "o", filename="Demo_Pkg-1.0-py3-none-any.whl")
    for public, severity, tag_severity in (
        (True, Severity.ERROR, Severity.ERROR),
        (False, Severity.WARNING, Severity.INFO),
    ):
        found = _findings(linux, public_index=public)
        assert [(i, s) for i, s, _ in found] == [("HWB222", tag_severity)]
        # PyPI's own message, word for word.
        assert found[0][2].startswith(
            f"Binary wheel '{linux.name}' has an unsupported platform tag 'linux_x86_64'."
        )
        found = _findings(old_name, public_index=public)
        assert [(i, s) for i, s, _ in found] == [("HWB203", severity)]
        assert found[0][2].startswith(
            f"Filename '{old_name.name}' should contain the normalized project name "
            "'demo_pkg', not 'Demo_Pkg'."
        )
    # The manylinux tags auditwheel gives the same wheel pass everywhere.
    many = _wheel_in(
        tmp_path,
        "m",
        tag="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
        pure=False,
        files=_SO,
    )
    assert _findings(many, public_index=True) == []


@pytest.mark.parametrize(
    ("platform", "accepted"),
    [
        ("any", True),
        ("win_amd64", True),
        ("win_arm64", True),
        ("manylinux1_x86_64", True),
        ("manylinux2014_aarch64", True),
        ("manylinux_2_17_x86_64", True),
        ("manylinux_2_28_ppc64", True),
        ("musllinux_1_2_riscv64", True),
        ("musllinux_1_2_ppc64", False),  # ppc64 is manylinux-only
        ("manylinux_2_17_sparc", False),
        ("linux_x86_64", False),
        ("linux_aarch64", False),
        ("linux_armv7l", True),  # piwheels' Raspberry Pi tags are allowed
        ("macosx_10_9_x86_64", True),
        ("macosx_10_15_universal2", True),
        ("macosx_11_0_arm64", True),
        ("macosx_14_0_arm64", True),
        ("macosx_11_3_arm64", False),  # from 11 on only <major>_0
        ("macosx_16_0_arm64", False),  # no macOS 16: 26 followed 15
        ("macosx_26_0_arm64", True),
        ("ios_13_0_arm64_iphoneos", True),
        ("ios_13_0_x86_64_iphonesimulator", True),
        ("android_21_arm64_v8a", True),
        ("android_21_mips", False),
        ("pyemscripten_2024_0_wasm32", True),
        ("emscripten_3_1_58_wasm32", False),
        ("freebsd_14_0_release_amd64", False),
    ],
)
def test_the_platform_tags_pypi_accepts(platform: str, accepted: bool) -> None:
    from hwb.inspect.platforms import pypi_accepts

    assert pypi_accepts(platform) is accepted


def test_documented_example_credentials_are_not_secrets(tmp_path: Path) -> None:
    """awscli's examples: EXAMPLE anywhere in the key or PEM block (AWS's convention), and an
    access key ID in a presigned URL (info: an ID, public by design). A real key next to them
    is still found."""
    body = df.pem_key().decode()
    example_pem = body.replace("-----\n", "-----\nMIIEXAMPLE", 1)  # inside the base64 body
    path = df.wheel(
        tmp_path,
        files={
            "demo_pkg/__init__.py": b"",
            "demo_pkg/examples/presign.rst": (
                b"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                b"X-Amz-Credential=AKIAEXAMPLE123456789%2F20210621%2Fus-west-2\n"
            ),
            "demo_pkg/examples/key-pair.rst": (
                '"privateKeyBase64": "-----BEGIN RSA PRIVATE KEY-----EXAMPLE'
                + "TCCAfICCQD6m7oRw0uXOjANBgkqhkiG9w0BAQUFADCBiDELMAkGA1UEBhMC\\n"
                + "VVMxCzAJBgNVBAgTAldBMRAwDgYDVQQHEwdTZWF0dGxlMQ8w\\n"
                + '-----END RSA PRIVATE KEY-----"\n'
            ).encode(),
            "demo_pkg/examples/claim.rst": example_pem.encode(),
            "demo_pkg/examples/layer.rst": (
                b"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA32P3D2JDNMVAJLGF%2F2019\n"
            ),
            "demo_pkg/conf.py": b"AWS = 'AKIA32P3D2JDNMVAJLGF'\n",
        },
    )
    found = _findings(path, groups=frozenset({"sensitive"}))
    assert sorted((s, m.split(":")[0]) for _, s, m in found) == [
        (Severity.ERROR, "demo_pkg/conf.py"),
        (Severity.INFO, "demo_pkg/examples/layer.rst"),
    ]
    assert "presigned URL" in next(m for _, s, m in found if s is Severity.INFO)


def test_allow_sensitive_paths_are_info_and_stay_listed(tmp_path: Path) -> None:
    key = df.pem_key()
    files = {
        "demo_pkg/__init__.py": b"",
        "demo_pkg/test/test.key": key,  # tornado's
        "demo_pkg/SelfTest/PublicKey/test_import_RSA.py": b"K = '''" + key + b"'''\n",
        "demo_pkg/server.key": key,  # not allowed: still an error
    }
    wheel = _wheel_in(tmp_path, "w", files=files)
    allow = ("demo_pkg/test/test.key", "**/SelfTest/**")
    found = _findings(wheel, allow_sensitive=allow)
    assert sorted((i, s, m.split(":")[0]) for i, s, m in found) == [
        ("HWB401", Severity.ERROR, "demo_pkg/server.key"),
        ("HWB401", Severity.INFO, "demo_pkg/test/test.key"),
        ("HWB402", Severity.INFO, "demo_pkg/SelfTest/PublicKey/test_import_RSA.py"),
    ]
    assert all("allow-sensitive" in m for _, s, m in found if s is Severity.INFO)
    # In an sdist the globs are relative to the project (the {name}-{version}/ top removed),
    # and SelfTest/ counts as a test folder (a warning) when not allowed.
    sdist_dir = tmp_path / "s"
    sdist_dir.mkdir()
    sdist = df.sdist(sdist_dir, files={f"lib/{k}": v for k, v in files.items()})
    found = _findings(sdist, allow_sensitive=("lib/demo_pkg/test/*.key", "**/SelfTest/**"))
    assert sorted((s, m.split(":")[0]) for _, s, m in found) == [
        (Severity.ERROR, "demo_pkg-1.0/lib/demo_pkg/server.key"),
        (Severity.INFO, "demo_pkg-1.0/lib/demo_pkg/SelfTest/PublicKey/test_import_RSA.py"),
        (Severity.INFO, "demo_pkg-1.0/lib/demo_pkg/test/test.key"),
    ]
    found = _findings(sdist)
    assert (
        Severity.WARNING,
        "demo_pkg-1.0/lib/demo_pkg/SelfTest/PublicKey/test_import_RSA.py",
    ) in {(s, m.split(":")[0]) for _, s, m in found}


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("tornado/test/test.key", "tornado/test/test.key", True),
        ("tornado/test/test.key", "x/tornado/test/test.key", False),
        ("**/SelfTest/**", "Crypto/SelfTest/a/b.py", True),
        ("**/SelfTest/**", "SelfTest/b.py", True),
        ("**/SelfTest/**", "Crypto/SelfTests/b.py", False),
        ("tests/", "tests/keys/a.pem", True),
        ("tests/", "pkg/tests/keys/a.pem", True),  # no inner slash: at any depth
        ("*.key", "deep/down/x.key", True),
        ("pkg/*.key", "pkg/sub/x.key", False),
        ("pkg/?.key", "pkg/x.key", True),
        ("pkg/[ab].key", "pkg/[ab].key", True),  # no character classes: literal
    ],
)
def test_allow_sensitive_globs(glob: str, path: str, matches: bool) -> None:
    from hwb.inspect.sensitive import allow_pattern

    pattern = allow_pattern([glob])
    assert pattern is not None
    assert bool(pattern.match(path)) is matches


def test_description_unknown_is_a_missing_description(tmp_path: Path) -> None:
    """Old setuptools wrote `Description: UNKNOWN` (or an UNKNOWN body) when there was none."""
    meta = (
        M.replace("Metadata-Version: 2.4", "Metadata-Version: 2.1")
        .replace("Description-Content-Type: text/markdown\n", "")
        .replace("License-Expression: MIT\n", "License: MIT\n")
        .replace("License-File: LICENSE\n", "")
    )
    header, _, _ = meta.partition("\n\n")
    for n, text in enumerate((header + "\nDescription: UNKNOWN\n\n", header + "\n\nUNKNOWN\n")):
        folder = tmp_path / str(n)
        folder.mkdir()
        found = _findings(df.wheel(folder, metadata=text), groups=frozenset({"metadata"}))
        assert [(i, s) for i, s, _ in found] == [("HWB107", Severity.WARNING)], found
        assert "UNKNOWN" in found[0][2]
