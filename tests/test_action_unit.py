"""hwb.action: the GitHub Action's inputs (HWB_ACTION_* variables) -> one hwb command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hwb import action
from hwb.errors import UsageError


def inv(**inputs: str) -> action.Invocation:
    return action.build_invocation(
        {action.env_name(k.replace("_", "-")): v for k, v in inputs.items()}
    )


def test_every_input_of_action_yml_is_known_and_passed_through_env() -> None:
    import yaml

    spec = yaml.safe_load((Path(__file__).parent.parent / "action.yml").read_text())
    assert set(spec["inputs"]) == set(action.INPUTS)
    env = spec["runs"]["steps"][1]["env"]
    for name in action.INPUTS:
        assert env[action.env_name(name)] == f"${{{{ inputs.{name} }}}}"
    # No input is ever spliced into a shell line.
    for step in spec["runs"]["steps"]:
        assert "inputs." not in step.get("run", "")
    # The input's description names every command the action maps.
    assert set(re.findall(r"[a-z-]+", spec["inputs"]["command"]["description"])) >= set(
        action.COMMANDS
    )


def test_build_maps_flags_and_output_dir() -> None:
    got = inv(command="build", package_dir="proj", sdist="true", checksum="false",
              output_dir="out", python="3.12", verbose="true")  # fmt: skip
    assert got.argv == ["-v", "build", "proj", "--sdist", "--outdir=out", "--no-checksum",
                        "--python=3.12"]  # fmt: skip
    assert inv(command="build", verbose="false").argv == ["build", "."]


def test_args_are_split_like_a_shell_but_never_run_by_one() -> None:
    got = inv(command="inspect", args="--ignore W001 --index-url 'http://x/a b' $(rm -rf /) ;id")
    assert got.argv == ["inspect", "dist", "--project=.", "--ignore", "W001", "--index-url",
                        "http://x/a b", "$(rm", "-rf", "/)", ";id"]  # fmt: skip


def test_unbalanced_quote_in_args_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="input args: cannot split"):
        inv(command="build", args="--python '3.12")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "input command is required"),
        ({"command": "biuld"}, "unknown command 'biuld'; did you mean 'build'"),
        ({"command": "build", "sdist": "maybe"}, "input sdist: expected true or false"),
        ({"command": "build", "repository": "pypi"}, "repository do not apply to command build"),
        ({"command": "publish", "user": "me"}, "input user is set but password is not"),
        ({"command": "publish", "repository": "pypi", "repository_url": "http://h/"},
         "contradict"),
        ({"command": "publish", "repository_url": "not a url"}, "is not a URL"),
        ({"command": "publish", "repository_url": "http://[::1/"}, "is not a URL"),
        ({"command": "publish", "repository_url": "ftp://u:SECRET/x@h/"},
         r"'ftp://\*\*\*@h/' is not a URL"),
    ],
)  # fmt: skip
def test_bad_inputs_are_usage_errors(inputs: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        inv(**inputs)


def test_password_goes_to_the_registry_variables_never_argv() -> None:
    got = inv(command="publish", repository="testpypi,\n internal", user="ci", password="s3cr3t",
              skip_existing="true", attestations="false")  # fmt: skip
    assert "s3cr3t" not in " ".join(got.argv)
    assert got.argv == ["publish", "dist", "--project=.", "--repository=testpypi",
                        "--repository=internal", "--skip-existing",
                        "--no-attestations"]  # fmt: skip
    assert got.env == {
        "HWB_REGISTRY_TESTPYPI_PASSWORD": "s3cr3t", "HWB_REGISTRY_TESTPYPI_USERNAME": "ci",
        "HWB_REGISTRY_INTERNAL_PASSWORD": "s3cr3t", "HWB_REGISTRY_INTERNAL_USERNAME": "ci",
    }  # fmt: skip
    assert got.secrets == ["s3cr3t"]


def test_repository_url_credentials_use_the_host_name_hwb_publish_gives_it() -> None:
    got = inv(command="publish", repository_url="http://127.0.0.1:8080/", password="tok",
              packages_dir="wheels")  # fmt: skip
    assert got.argv == ["publish", "wheels", "--project=.", "--url=http://127.0.0.1:8080/"]
    assert got.env == {"HWB_REGISTRY_127_0_0_1_8080_PASSWORD": "tok",
                       "HWB_REGISTRY_127_0_0_1_8080_USERNAME": "__token__"}  # fmt: skip


def test_without_password_nothing_is_set_and_pypi_gets_trusted_publishing_from_hwb() -> None:
    got = inv(command="publish")
    assert got.argv == ["publish", "dist", "--project=."] and got.env == {}


def test_matrix_gather_and_notes_command_lines() -> None:
    assert inv(command="matrix-plan", platform="linux").argv == [
        "matrix", "plan", ".", "--format=github", "--platform=linux"]  # fmt: skip
    assert inv(command="matrix-build", only="cp312-manylinux_x86_64", output_dir="wh").argv == [
        "matrix", "build", ".", "--only=cp312-manylinux_x86_64", "--output-dir=wh"]  # fmt: skip
    assert inv(command="gather", packages_dir="wh", plan="plan.json", output_dir="dist",
               checksum="true").argv == [
        "gather", "wh", "--plan=plan.json", "--outdir=dist", "--checksum"]  # fmt: skip
    assert inv(command="release-notes", package_dir="p").argv == [
        "version", "changelog", "--format=github", "--project=p"]  # fmt: skip


def test_verify_expands_the_folder_to_distributions(tmp_path: Path) -> None:
    (tmp_path / "a-1.0-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "a-1.0.tar.gz").write_bytes(b"")
    (tmp_path / "SHA256SUMS").write_text("")
    got = inv(command="verify", packages_dir=str(tmp_path), args="--github o/r --workflow r.yml")
    assert got.argv[1:3] == [
        str(tmp_path / "a-1.0-py3-none-any.whl"),
        str(tmp_path / "a-1.0.tar.gz"),
    ]
    with pytest.raises(UsageError, match="is not a directory"):
        inv(command="verify", packages_dir=str(tmp_path / "nothing"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no wheels or sdists"):
        inv(command="verify", packages_dir=str(empty))


def test_run_masks_the_password_first_and_clears_inputs_from_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    environ = {"GITHUB_ACTIONS": "true", "HWB_ACTION_COMMAND": "publish",
               "HWB_ACTION_USER": "u", "HWB_ACTION_PASSWORD": "hunter2-secret",
               "HWB_ACTION_REPOSITORY_URL": "ftp://nowhere"}  # fmt: skip
    code = action.run(environ)
    err = capsys.readouterr().err
    assert code == UsageError.exit_code
    assert err.splitlines()[0] == "::add-mask::hunter2-secret"
    assert "::error title=hwb::input repository-url" in err
    assert "hunter2-secret" not in err.replace("::add-mask::hunter2-secret", "")
    assert not [k for k in environ if k.startswith("HWB_ACTION_")]


def test_run_executes_hwb_with_the_mapped_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"HWB_ACTION_COMMAND": "inspect", "HWB_ACTION_PACKAGES_DIR": str(tmp_path)}
    code = action.run(environ)
    err = capsys.readouterr().err
    assert f"hwb inspect {tmp_path} --project=." in err
    assert code != 0  # an empty folder: hwb inspect's own error, through the same CLI
    assert "error:" in err


def test_every_step_output_hwb_sets_is_an_output_of_the_action() -> None:
    """The outputs hwb's commands write to $GITHUB_OUTPUT, read off their source, are all
    declared by action.yml (and each is wired to the step that runs hwb)."""
    import yaml

    root = Path(__file__).parent.parent
    spec = yaml.safe_load((root / "action.yml").read_text())
    declared = spec["outputs"]
    for name, output in declared.items():
        assert output["value"] == f"${{{{ steps.hwb.outputs.{name} }}}}"
    written: set[str] = set()
    for source in (root / "hwb" / "commands").glob("*.py"):
        text = source.read_text()
        # the keys of the dict literals given to set_outputs or named outputs
        for literal in re.findall(r"(?:set_outputs\(\s*|outputs = )\{(.*?)\}", text, re.S):
            written |= set(re.findall(r'"([a-z][a-z-]*)":', literal))
        written |= set(re.findall(r'outputs\["([a-z][a-z-]*)"\] =', text))
    written |= {"wheel", "sdist"}  # build: outputs[a.kind] for each artifact kind
    written -= {"tag", "previous-version"}  # hwb version bump's: not a command of the action
    assert written, "no outputs found: the pattern no longer matches the commands"
    assert written <= set(declared), written - set(declared)


def test_install_step_without_a_suitable_python_fails_with_an_annotation(tmp_path: Path) -> None:
    """The install step's own bash (from action.yml), on a runner whose only python is too old."""
    import shutil
    import subprocess

    import yaml

    spec = yaml.safe_load((Path(__file__).parent.parent / "action.yml").read_text())
    (step,) = [s for s in spec["runs"]["steps"] if s.get("id") == "install"]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("cksum", "cut", "rm", "touch", "cat", "bash"):
        found = shutil.which(tool)
        assert found is not None
        (bindir / tool).symlink_to(found)
    old = bindir / "python3"
    old.write_text("#!/bin/sh\nexec /bin/false\n")  # any version check fails: "too old"
    old.chmod(0o755)
    output = tmp_path / "out"
    env = {"PATH": str(bindir), "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
           "HWB_SOURCE": str(Path(__file__).parent.parent)}  # fmt: skip
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run([bash, "-c", step["run"]], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 8
    assert done.stdout.startswith("::error title=hwb::hwb needs Python 3.10 or newer on PATH")
    assert not output.exists()


ROOT = Path(__file__).resolve().parent.parent


def test_per_command_actions_are_the_generated_ones() -> None:
    """actions/<command>/action.yml: one per command, exactly what tests/actiongen.py renders
    from action.yml and hwb.action's tables (regenerate with ``python -m tests.actiongen``)."""
    from tests import actiongen

    folders = sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))
    assert folders == sorted(action.COMMANDS)
    for command in action.COMMANDS:
        got = (ROOT / "actions" / command / "action.yml").read_text(encoding="utf-8")
        assert got == actiongen.render(command), f"actions/{command}: python -m tests.actiongen"


@pytest.mark.parametrize("command", sorted(action.COMMANDS))
def test_per_command_action_takes_only_its_inputs_and_fixes_the_command(command: str) -> None:
    import yaml

    root = yaml.safe_load((ROOT / "action.yml").read_text())
    spec = yaml.safe_load((ROOT / "actions" / command / "action.yml").read_text())
    inputs = set(spec["inputs"])
    assert inputs <= set(root["inputs"]) - {"command"}
    # exactly what hwb.action accepts for the command: no input it would refuse at run time
    assert inputs == (action.COMMANDS[command] | action._COMMON) - {"command"}
    for name in inputs:
        assert spec["inputs"][name]["description"].strip()
        assert spec["inputs"][name].get("default") == root["inputs"][name].get("default")
    assert set(spec.get("outputs", {})) <= set(root["outputs"])
    install, run = spec["runs"]["steps"]
    root_install = root["runs"]["steps"][0]
    # One install implementation: the same script, from the checkout's root.
    assert install["run"] == root_install["run"] == 'bash "$HWB_SOURCE/actions/install.sh"'
    assert install["env"] == {"HWB_SOURCE": "${{ github.action_path }}/../.."}
    assert run["run"] == root["runs"]["steps"][1]["run"]
    env = dict(run["env"])
    assert env.pop("HWB_ACTION_COMMAND") == command
    assert env.pop("HWB_PYTHON") == "${{ steps.install.outputs.python }}"
    assert env == {action.env_name(n): f"${{{{ inputs.{n} }}}}" for n in inputs}
    for step in spec["runs"]["steps"]:
        assert "inputs." not in step["run"]


def test_a_per_command_actions_inputs_map_as_the_root_actions_do() -> None:
    """What actions/publish's step environment carries is what the root action with
    command: publish would give hwb.action: the same command line."""
    import yaml

    spec = yaml.safe_load((ROOT / "actions" / "publish" / "action.yml").read_text())
    given = {"repository": "testpypi", "skip-existing": "true", "user": "u", "password": "p"}
    environ = {
        key: given.get(value.removeprefix("${{ inputs.").removesuffix(" }}"), "")
        for key, value in spec["runs"]["steps"][1]["env"].items()
        if value.startswith("${{ inputs.")
    }
    environ["HWB_ACTION_COMMAND"] = spec["runs"]["steps"][1]["env"]["HWB_ACTION_COMMAND"]
    assert action.build_invocation(environ).argv == inv(command="publish", **{
        k.replace("-", "_"): v for k, v in given.items()
    }).argv  # fmt: skip
