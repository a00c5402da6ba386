"""`hwb matrix plan`: identifiers exactly as cibuildwheel selects them, grouped into CI jobs."""

from __future__ import annotations

import dataclasses
import json
import os
import platform as platform_module
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from packaging.utils import parse_wheel_filename

from hwb.errors import ConfigError
from hwb.matrix import plan as planning
from hwb.matrix.identifiers import parse_identifier, wheel_matches
from hwb.matrix.runners import expand_archs, runner_map
from hwb.matrix.selection import query_identifiers
from tests.conftest import Run

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
#: Cuts of real projects (tests/fixtures/README.md): their pyproject, setup.py and workflows.
REAL = Path(__file__).parent / "fixtures" / "projects"
#: The runners of a release per platform: (GitHub label, platform.machine(), sys.platform).
RUNNER_MACHINES = {
    "linux": [("ubuntu-latest", "x86_64", "linux"), ("ubuntu-24.04-arm", "aarch64", "linux")],
    "macos": [("macos-latest", "arm64", "darwin"), ("macos-15-intel", "x86_64", "darwin")],
    "windows": [("windows-latest", "AMD64", "win32"), ("windows-11-arm", "ARM64", "win32")],
}


@pytest.fixture(autouse=True)
def no_cibw_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The developer's CIBW_* variables must not change what the tests expect."""
    for name in list(os.environ):
        if name.startswith("CIBW_"):
            monkeypatch.delenv(name)
    yield


def cibuildwheel_prints(
    project: Path, platform: str, env: dict[str, str] | None = None
) -> list[str]:
    """What the real `cibuildwheel --print-build-identifiers` prints."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cibuildwheel",
            "--print-build-identifiers",
            "--platform",
            platform,
            str(project),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout.split()


def cibuildwheel_on_runners(
    project: Path, platforms: Sequence[str], env: dict[str, str] | None = None
) -> list[str]:
    """What cibuildwheel itself selects on each runner of a release (its machine and OS as
    cibuildwheel sees them), all runners together: the oracle for the plan. This machine is
    an x86_64 Linux: nothing here reaches a real Mac, Windows or ARM runner."""
    from cibuildwheel.options import CommandLineArguments, compute_options
    from cibuildwheel.platforms import ALL_PLATFORM_MODULES, get_build_identifiers

    found: list[str] = []
    for platform in platforms:
        for _, machine, sys_platform in RUNNER_MACHINES[platform]:
            with (
                mock.patch.object(platform_module, "machine", lambda m=machine: m),
                mock.patch.object(sys, "platform", sys_platform),
            ):
                plat: Any = platform  # one of cibuildwheel's PlatformName literals
                args = dataclasses.replace(
                    CommandLineArguments.defaults(),
                    platform=plat,
                    package_dir=project,
                    print_build_identifiers=True,
                )
                options = compute_options(
                    platform=plat, command_line_arguments=args, env={**(env or {})}
                )
                found += get_build_identifiers(
                    ALL_PLATFORM_MODULES[plat],
                    options.globals.build_selector,
                    options.globals.architectures,
                )
    return list(dict.fromkeys(found))  # "auto aarch64": both Linux runners list aarch64


def plan_json(hwb: Callable[..., Run], *args: str) -> dict[str, object]:
    result = hwb("matrix", "plan", *args)
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


def identifiers_of(data: dict[str, object]) -> list[str]:
    jobs = data["jobs"]
    assert isinstance(jobs, list)
    return [i for job in jobs for i in job["identifiers"]]


# -- the real cibuildwheel decides ---------------------------------------------------------


@pytest.mark.parametrize("platform", ["linux", "macos", "windows"])
def test_identifiers_equal_cibuildwheel_on_each_runner(
    hwb: Callable[..., Run], cext: Path, platform: str
) -> None:
    data = plan_json(hwb, str(cext), "--platform", platform)
    expected = cibuildwheel_on_runners(cext, [platform])
    assert expected, "cibuildwheel selected nothing; the comparison would prove nothing"
    assert sorted(identifiers_of(data)) == sorted(expected)
    assert not any(i.startswith("cp38-") for i in expected)  # requires-python >= 3.9
    # The planning machine (x86_64 Linux) alone would have planned less: no ARM at all.
    assert set(cibuildwheel_prints(cext, platform)) < set(expected)


@pytest.mark.parametrize(
    ("name", "jobs", "anchor_runners"),
    [
        # pybind/scikit_build_example's wheels.yml: six runners, cibuildwheel's defaults.
        (
            "scikit_build_example",
            6,
            {"ubuntu-latest", "ubuntu-24.04-arm", "macos-15-intel", "macos-latest",
             "windows-latest", "windows-11-arm"},
        ),
        # pallets/markupsafe (no [tool.cibuildwheel]; a setup.py extension).
        ("markupsafe", 6, None),
    ],
)  # fmt: skip
def test_real_projects_plan_every_architecture_one_job_per_runner(
    hwb: Callable[..., Run], name: str, jobs: int, anchor_runners: set[str] | None
) -> None:
    """Was 51 and 40 jobs, with no Linux aarch64, macOS arm64 or Windows ARM64."""
    project = REAL / name
    data = plan_json(hwb, str(project))
    got = identifiers_of(data)
    assert sorted(got) == sorted(cibuildwheel_on_runners(project, ["linux", "macos", "windows"]))
    for suffix in ("manylinux_aarch64", "macosx_arm64", "win_arm64", "manylinux_x86_64"):
        assert any(i.endswith(suffix) for i in got), suffix
    assert len(data["jobs"]) == jobs  # type: ignore[arg-type]
    runners = {job["runner"] for job in data["jobs"]}  # type: ignore[attr-defined]
    if anchor_runners is not None:
        assert runners == anchor_runners
    archs = data["archs"]
    assert isinstance(archs, dict)
    assert archs["linux"]["archs"] == ["x86_64", "aarch64"]
    assert archs["macos"]["archs"] == ["arm64", "x86_64"]
    assert archs["windows"]["archs"] == ["AMD64", "x86", "ARM64"]
    result = hwb("matrix", "plan", str(project), "-o", str(project / "plan.json"))
    assert "linux: x86_64, aarch64 (archs 'auto' from cibuildwheel's default" in result.err


def markupsafe_cibw_env() -> dict[str, str]:
    """The CIBW_* variables of markupsafe's own publish.yaml (its cibuildwheel step)."""
    workflow = yaml.safe_load((REAL / "markupsafe/.github/workflows/publish.yaml").read_text())
    (step,) = [
        s for s in workflow["jobs"]["wheels"]["steps"] if "cibuildwheel" in s.get("uses", "")
    ]
    return {k: v for k, v in step["env"].items() if not str(v).startswith("${{")}


def test_a_real_projects_cibw_variables_are_honoured(
    hwb: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = markupsafe_cibw_env()
    assert env["CIBW_ARCHS_MACOS"] == "auto universal2" and env["CIBW_SKIP"] == "pp*"
    # The workflow pins cibuildwheel 2.23, whose opt-in group cibuildwheel 3 removed (free-
    # threaded builds are on by default since): this cibuildwheel refuses the name.
    assert env.pop("CIBW_ENABLE") == "cpython-freethreading"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    project = REAL / "markupsafe"
    data = plan_json(hwb, str(project))
    got = identifiers_of(data)
    assert sorted(got) == sorted(
        cibuildwheel_on_runners(project, ["linux", "macos", "windows"], env)
    )
    assert "cp314t-macosx_universal2" in got and not [i for i in got if i.startswith("pp")]
    jobs = {job["name"]: job for job in data["jobs"]}  # type: ignore[attr-defined]
    # universal2 is built beside arm64 on the Apple-silicon runner, x86 beside AMD64.
    assert jobs["macos-arm64"]["archs"] == ["arm64", "universal2"]
    assert jobs["windows-AMD64"]["runner"] == "windows-latest"
    assert set(jobs["windows-AMD64"]["archs"]) == {"AMD64", "x86"}
    assert data["archs"]["linux"]["from"] == "CIBW_ARCHS_LINUX"  # type: ignore[index]


def test_all_platforms_is_the_union(hwb: Callable[..., Run], cext: Path) -> None:
    data = plan_json(hwb, str(cext))
    expected = cibuildwheel_on_runners(cext, ["linux", "macos", "windows"])
    assert sorted(identifiers_of(data)) == sorted(expected)
    assert data["project"] == "hwbdemo-fastsum" and data["version"] == "1.0.0"
    artifacts = data["artifacts"]
    assert isinstance(artifacts, list)
    assert {"kind": "sdist", "name": "hwbdemo_fastsum-1.0.0.tar.gz", "job": "sdist"} in artifacts


def test_tool_cibuildwheel_skip_and_archs_are_honoured(hwb: Callable[..., Run], cext: Path) -> None:
    with (cext / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.cibuildwheel]\nskip = ["*-musllinux_*", "cp310-*"]\n')
        fh.write('[tool.cibuildwheel.linux]\narchs = ["x86_64", "i686"]\n')
    data = plan_json(hwb, str(cext), "--platform", "linux", "--group-by", "identifier")
    got = identifiers_of(data)
    assert got == cibuildwheel_prints(cext, "linux")  # explicit archs: no machine involved
    assert "cp311-manylinux_i686" in got and "cp311-manylinux_x86_64" in got
    assert not [i for i in got if "musllinux" in i or i.startswith("cp310-") or "aarch64" in i]
    runners = {job["name"]: job["runner"] for job in data["jobs"]}  # type: ignore[attr-defined]
    assert runners["cp311-manylinux_i686"] == "ubuntu-latest"
    by_runner = plan_json(hwb, str(cext), "--platform", "linux")
    assert [(j["name"], j["archs"]) for j in by_runner["jobs"]] == [  # type: ignore[attr-defined]
        ("linux-x86_64", ["x86_64", "i686"])
    ]
    assert by_runner["archs"]["linux"]["from"] == "[tool.cibuildwheel.linux]"  # type: ignore[index]


def test_cibw_environment_variables_are_honoured(
    hwb: Callable[..., Run], cext: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"CIBW_BUILD": "cp312-*", "CIBW_ARCHS_MACOS": "x86_64 arm64 universal2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    data = plan_json(hwb, str(cext), "--platform", "macos", "--group-by", "identifier")
    got = identifiers_of(data)
    assert got == cibuildwheel_prints(cext, "macos", env)
    assert got == ["cp312-macosx_x86_64", "cp312-macosx_arm64", "cp312-macosx_universal2"]
    runners = [job["runner"] for job in data["jobs"]]  # type: ignore[attr-defined]
    assert runners == ["macos-15-intel", "macos-latest", "macos-latest"]


def test_archs_option_reaches_cibuildwheel(hwb: Callable[..., Run], cext: Path) -> None:
    data = plan_json(hwb, str(cext), "--platform", "windows", "--archs", "ARM64")
    got = identifiers_of(data)
    assert got and all(i.endswith("-win_arm64") for i in got)
    assert {job["runner"] for job in data["jobs"]} == {"windows-11-arm"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("expression", "platform"),
    [("auto", "linux"), ("auto", "windows"), ("auto", "macos"), ("auto64", "windows"),
     ("auto32", "windows"), ("native", "macos"), ("auto aarch64", "linux"),
     ("auto universal2", "macos"), ("all", "linux"), ("auto ARM64", "windows")],
)  # fmt: skip
def test_archs_over_the_runners_are_cibuildwheels_on_each_runner(
    expression: str, platform: str
) -> None:
    """expand_archs against cibuildwheel's own evaluation on each runner's machine."""
    from cibuildwheel.architecture import Architecture

    expected: set[str] = set()
    for _, machine, sys_platform in RUNNER_MACHINES[platform]:
        with (
            mock.patch.object(platform_module, "machine", lambda m=machine: m),
            mock.patch.object(sys, "platform", sys_platform),
            mock.patch("cibuildwheel.architecture._check_aarch32_el0", lambda: False),
        ):
            plat: Any = platform
            expected |= {a.value for a in Architecture.parse_config(expression, plat)}
    assert set(expand_archs(expression, platform)) == expected


def test_an_unknown_arch_is_a_config_error(hwb: Callable[..., Run], cext: Path) -> None:
    result = hwb("matrix", "plan", str(cext), "--platform", "linux", "--archs", "arm64")
    assert result.code == ConfigError.exit_code
    assert "'arm64' is not a linux arch" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    "env",
    [{}, {"CIBW_ARCHS": "auto64"}, {"CIBW_ARCHS": "x86_64", "CIBW_ARCHS_LINUX": "aarch64"}],
)
def test_the_archs_setting_is_read_as_cibuildwheel_reads_it(
    cext: Path, env: dict[str, str]
) -> None:
    from cibuildwheel.options import CommandLineArguments, ListFormat, compute_options

    from hwb.matrix.selection import archs_setting
    from hwb.settings.documents import load_toml

    with (cext / "pyproject.toml").open("a") as fh:
        fh.write(
            '\n[tool.cibuildwheel]\narchs = "all"\n[tool.cibuildwheel.linux]\narchs = ["i686"]\n'
        )
    for platform in ("linux", "windows"):
        plat: Any = platform
        args = dataclasses.replace(CommandLineArguments.defaults(), platform=plat, package_dir=cext)
        options = compute_options(platform=plat, command_line_arguments=args, env=env)
        theirs = options.reader.get("archs", option_format=ListFormat(sep=" "), ignore_empty=True)
        ours, _ = archs_setting(platform, env, load_toml(cext / "pyproject.toml"))
        assert ours == theirs


# -- a pure project ------------------------------------------------------------------------------


def test_a_pure_project_plans_one_job_and_says_so(hwb: Callable[..., Run]) -> None:
    """Was 16 jobs (cibuildwheel then refuses a pure wheel in each)."""
    result = hwb("matrix", "plan", str(REAL / "itsdangerous"), "--format", "github")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "include": [
            {"name": "pure", "os": "ubuntu-latest", "platform": "any", "arch": "any",
             "only": "", "artifact": "wheels-pure"}
        ]
    }  # fmt: skip
    assert "pure Python project" in result.err and "one py3-none-any wheel" in result.err
    data = plan_json(hwb, str(REAL / "itsdangerous"))
    assert data["pure"] is True


def test_the_cli_fallback_gives_the_same_identifiers(cext: Path) -> None:
    platforms = ["linux", "macos", "windows"]
    api, how = query_identifiers(cext, platforms, method="api")
    cli, how_cli = query_identifiers(cext, platforms, method="cli")
    assert (how, how_cli) == ("api", "cli")
    assert api == cli


def test_a_cibuildwheel_configuration_error_is_a_config_error(
    hwb: Callable[..., Run], cext: Path
) -> None:
    with (cext / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.cibuildwheel]\nenable = ["no-such-group"]\n')
    result = hwb("matrix", "plan", str(cext), "--platform", "linux")
    assert result.code == ConfigError.exit_code
    assert "error: cibuildwheel: " in result.err and "no-such-group" in result.err
    assert "Traceback" not in result.err


def test_plan_of_a_missing_project_is_a_project_error(
    hwb: Callable[..., Run], tmp_path: Path
) -> None:
    result = hwb("matrix", "plan", str(tmp_path / "nope"))
    assert result.code == 4
    assert "error:" in result.err


# -- grouping and runners --------------------------------------------------------------------


def test_group_by_python_and_platform_arch(hwb: Callable[..., Run], cext: Path) -> None:
    by_id = plan_json(hwb, str(cext), "--platform", "linux", "--group-by", "identifier")
    by_py = plan_json(hwb, str(cext), "--platform", "linux", "--group-by", "python")
    by_pa = plan_json(hwb, str(cext), "--platform", "linux")  # the default
    ids = identifiers_of(by_id)
    for data in (by_py, by_pa):
        assert sorted(identifiers_of(data)) == sorted(ids)
    assert len(by_id["jobs"]) == len(ids)  # type: ignore[arg-type]
    py_jobs = {job["name"]: job["identifiers"] for job in by_py["jobs"]}  # type: ignore[attr-defined]
    assert py_jobs["linux-x86_64-cp312"] == ["cp312-manylinux_x86_64", "cp312-musllinux_x86_64"]
    assert [job["name"] for job in by_pa["jobs"]] == ["linux-x86_64", "linux-aarch64"]  # type: ignore[attr-defined]
    assert by_pa["group-by"] == "platform-arch"


def test_max_jobs_deals_identifiers_into_fewer_jobs_per_runner(cext: Path) -> None:
    the_plan = planning.make_plan(
        cext,
        platforms=["linux", "windows"],
        archs=None,
        group_by="identifier",
        runner_overrides={},
        sdist=True,
        max_jobs=5,
    )
    assert len(the_plan.jobs) <= 5
    assert sorted(the_plan.identifiers) == sorted(
        cibuildwheel_on_runners(cext, ["linux", "windows"])
    )
    runners = runner_map({})
    for job in the_plan.jobs:  # a job never spans two runners
        assert len({runners[parse_identifier(i).runner_key] for i in job.identifiers}) == 1


def test_runner_overrides_from_settings(hwb: Callable[..., Run], cext: Path) -> None:
    with (cext / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.hwb.matrix]\nrunners = { "linux-x86_64" = "self-hosted-big" }\n')
    data = plan_json(hwb, str(cext), "--platform", "linux")
    runners = {job["runner"] for job in data["jobs"]}  # type: ignore[attr-defined]
    assert runners == {"self-hosted-big", "ubuntu-24.04-arm"}


def test_unknown_runner_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="linux-x86-64"):
        runner_map({"linux-x86-64": "x"})


def test_matrix_settings_show_in_config_show(hwb: Callable[..., Run], cext: Path) -> None:
    result = hwb("--json", "config", "show", str(cext))
    assert result.code == 0, result.err
    assert '"group-by"' in result.out and '"runners"' in result.out


# -- formats ---------------------------------------------------------------------------------


def test_github_format_is_an_include_matrix_and_step_outputs(
    hwb: Callable[..., Run], cext: Path, github_env: dict[str, Path]
) -> None:
    result = hwb("matrix", "plan", str(cext), "--format", "github")
    assert result.code == 0, result.err
    matrix = json.loads(result.out)
    assert set(matrix) == {"include"}
    names = [entry["name"] for entry in matrix["include"]]
    assert len(names) == len(set(names))
    for entry in matrix["include"]:
        assert entry["os"] and entry["only"] and entry["artifact"] == f"wheels-{entry['name']}"
        assert all(isinstance(v, str) for v in entry.values())
    outputs = github_env["output"].read_text()
    # Single-line JSON values, so `fromJSON(steps.x.outputs.matrix)` reads them.
    line = next(ln for ln in outputs.splitlines() if ln.startswith("matrix="))
    assert json.loads(line.removeprefix("matrix=")) == matrix
    plan_line = next(ln for ln in outputs.splitlines() if ln.startswith("plan="))
    plan = json.loads(plan_line.removeprefix("plan="))
    assert plan["hwb-plan"] == 1 and len(plan["jobs"]) == len(matrix["include"])
    assert "hwb matrix plan" in github_env["summary"].read_text()


def test_gitlab_format_passes_the_gitlab_ci_schema(
    hwb: Callable[..., Run], cext: Path, tmp_path: Path
) -> None:
    child = tmp_path / "child.yml"
    result = hwb("matrix", "plan", str(cext), "--format", "gitlab", "-o", str(child))
    assert result.code == 0, result.err
    assert result.out == ""
    done = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci", str(child)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = yaml.safe_load(child.read_text())
    build_jobs = [k for k in doc if k.startswith("hwb-wheels-")]
    assert "hwb-wheels-linux-x86_64" in build_jobs and "hwb-wheels-windows-amd64" in build_jobs
    planned = []
    for name in build_jobs:
        job = doc[name]
        matrix = job.get("parallel", {}).get("matrix")
        values = matrix[0]["HWB_ONLY"] if matrix else [job["variables"]["HWB_ONLY"]]
        assert len(values) <= 200
        planned += [i for v in values for i in v.split()]
    assert sorted(planned) == sorted(cibuildwheel_on_runners(cext, ["linux", "macos", "windows"]))
    gather = doc["hwb-gather"]
    assert {n["job"] for n in gather["needs"]} == {*build_jobs, "hwb-sdist"}
    embedded = json.loads(gather["variables"]["HWB_PLAN"]["value"])
    assert embedded["hwb-plan"] == 1 and sorted(
        i for j in embedded["jobs"] for i in j["identifiers"]
    ) == sorted(planned)
    assert any("hwb gather" in line for line in gather["script"])
    assert doc[".hwb-wheels"]["image"] == planning.PYTHON_IMAGE
    assert '"$env:HWB_ONLY"' in doc["hwb-wheels-windows-amd64"]["script"][0]  # PowerShell
    assert "&id" not in child.read_text()  # no YAML anchors to chase
    # A release pipeline runs no unpinned code: images by digest, no piped installer, and
    # Docker-in-Docker with TLS on.
    text = child.read_text()
    assert "get.docker.com" not in text and "| sh" not in text and "2375" not in text
    linux = doc["hwb-wheels-linux-aarch64"]
    (service,) = linux["services"]
    assert service["name"].startswith("docker:") and "@sha256:" in service["name"]
    assert linux["variables"]["DOCKER_TLS_VERIFY"] == "1"
    assert linux["variables"]["DOCKER_HOST"] == "tcp://docker:2376"
    assert linux["tags"] == ["saas-linux-small-arm64"]
    assert "@sha256:" in doc[".hwb-wheels"]["image"]
    assert doc["hwb-wheels-macos-arm64"]["image"] == planning.MACOS_IMAGE
    assert doc["hwb-wheels-windows-arm64"]["tags"] == ["saas-windows-medium-amd64"]
    assert "macos-x86_64: cross-compiled on an Apple-silicon runner" in result.err


def test_gitlab_image_and_install_are_settings(hwb: Callable[..., Run], cext: Path) -> None:
    with (cext / "pyproject.toml").open("a") as fh:
        fh.write(
            '\n[tool.hwb.matrix]\ngitlab-image = "registry.example/hwb:1"\n'
            'gitlab-install = "true"\n'
        )
    result = hwb("matrix", "plan", str(cext), "--platform", "linux", "--format", "gitlab")
    doc = yaml.safe_load(result.out)
    assert doc[".hwb-wheels"]["image"] == "registry.example/hwb:1"
    assert doc["hwb-wheels-linux-x86_64"]["before_script"][-1] == "true"


# -- identifiers and wheel tags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "wheel", "matches"),
    [
        (
            "cp312-manylinux_x86_64",
            "p-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            True,
        ),
        ("cp312-manylinux_x86_64", "p-1-cp312-cp312-musllinux_1_2_x86_64.whl", False),
        ("cp312-manylinux_x86_64", "p-1-cp311-cp311-manylinux_2_17_x86_64.whl", False),
        ("cp312-manylinux_aarch64", "p-1-cp312-cp312-manylinux_2_17_x86_64.whl", False),
        ("cp312-musllinux_x86_64", "p-1-cp312-cp312-musllinux_1_2_x86_64.whl", True),
        ("cp314t-manylinux_x86_64", "p-1-cp314-cp314t-manylinux_2_28_x86_64.whl", True),
        ("cp314-manylinux_x86_64", "p-1-cp314-cp314t-manylinux_2_28_x86_64.whl", False),
        ("cp312-manylinux_x86_64", "p-1-cp39-abi3-manylinux_2_17_x86_64.whl", True),
        ("cp39-manylinux_x86_64", "p-1-cp310-abi3-manylinux_2_17_x86_64.whl", False),
        ("cp312-win_amd64", "p-1-cp312-cp312-win_amd64.whl", True),
        ("cp312-win32", "p-1-cp312-cp312-win_amd64.whl", False),
        ("cp312-macosx_arm64", "p-1-cp312-cp312-macosx_11_0_arm64.whl", True),
        ("cp312-macosx_x86_64", "p-1-cp312-cp312-macosx_11_0_arm64.whl", False),
        ("cp312-macosx_universal2", "p-1-cp312-cp312-macosx_10_13_universal2.whl", True),
        ("pp311-manylinux_x86_64", "p-1-pp311-pypy311_pp73-manylinux_2_17_x86_64.whl", True),
        ("cp313-win_arm64", "p-1-py3-none-any.whl", True),
    ],
)
def test_wheel_tags_match_identifiers(identifier: str, wheel: str, matches: bool) -> None:
    assert wheel_matches(identifier, parse_wheel_filename(wheel)[3]) is matches


def test_identifier_parsing() -> None:
    ident = parse_identifier("cp314t-win_arm64")
    assert (ident.python, ident.platform, ident.arch) == ("cp314t", "windows", "ARM64")
    assert parse_identifier("cp39-win32").runner_key == "windows-x86"
    with pytest.raises(ConfigError, match="not a cibuildwheel build identifier"):
        parse_identifier("manylinux")
    with pytest.raises(ConfigError, match="unknown platform 'beos_x86'") as raised:
        parse_identifier("cp312-beos_x86", file="plan.json")
    assert raised.value.exit_code == 3 and raised.value.file == "plan.json"


def test_grouping_an_unknown_identifier_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'cp312-beos_x86': unknown platform"):
        planning.group_jobs(["cp312-win_amd64", "cp312-beos_x86"], "identifier", {}, 256)
