"""`hwb init-ci`: project detection, rendering from data, refusals, dry runs; every generated file
judged by check-jsonschema (GitHub workflow / GitLab CI schemas) and zizmor, per backend."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hwb.scaffold import options as scaffold_options
from hwb.scaffold import yamlio
from hwb.scaffold.detect import detect, parse_remote
from tests.cirunners import git_init
from tests.conftest import PACKAGES, Run

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent

#: sample -> (build backend, compiled?)
SAMPLES = {
    "pure-hatch": ("hatchling.build", False),
    "flit": ("flit_core.buildapi", False),
    "setuptools-pure": ("setuptools.build_meta", False),
    "setuptools-cext": ("setuptools.build_meta", True),
    "skbuild-ext": ("scikit_build_core.build", True),
    "hatch-cibw": ("hatchling.build", True),
}


def copy(tmp_path: Path, sample: str, git: bool = True, remote: str | None = None) -> Path:
    target = tmp_path / sample
    shutil.copytree(PACKAGES / sample, target)
    if git:
        git_init(target)
        if remote:
            subprocess.run(["git", "remote", "add", "origin", remote], cwd=target, check=True)
    return target


def check_jsonschema(schema: str, *files: Path) -> None:
    exe = BIN / "check-jsonschema"
    proc = subprocess.run(
        [str(exe), "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def zizmor(*files: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("sample", SAMPLES)
def test_detects_backend_and_compiled(sample: str, tmp_path: Path) -> None:
    facts = detect(copy(tmp_path, sample, git=False))
    assert (facts.backend, facts.compiled) == SAMPLES[sample]
    assert facts.why_compiled if facts.compiled else not facts.why_compiled
    assert facts.requires_python and facts.name and facts.name.startswith("hwbt-")
    assert facts.git is False and facts.remote is None


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_generated_pipelines_pass_the_schemas_and_zizmor(
    sample: str, ci: str, tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    repo = copy(tmp_path, sample, remote="git@gitlab.com:group/greet.git")
    args = ["--templates", "vendor"] if ci == "gitlab" else []
    result = hwb("init-ci", ci, str(repo), "--testpypi", "--registry", "internal", *args)
    assert result.code == 0, result.err
    if ci == "github":
        workflow = repo / ".github" / "workflows" / "release.yml"
        data = yamlio.load(workflow.read_text())
        assert ("plan" in data["jobs"]) is SAMPLES[sample][1]  # the matrix only when compiled
        check_jsonschema("vendor.github-workflows", workflow)
        zizmor(workflow)
    else:
        vendored = sorted((repo / ".gitlab" / "hwb").iterdir())
        pipeline = "hwb-release-matrix" if SAMPLES[sample][1] else "hwb-release"
        assert [p.name for p in vendored] == sorted(
            ["hwb.gitlab-ci.yml", f"{pipeline}.gitlab-ci.yml"]
        )
        check_jsonschema("vendor.gitlab-ci", repo / ".gitlab-ci.yml", *vendored)
        variables = yamlio.load((repo / ".gitlab-ci.yml").read_text())["variables"]
        assert variables["HWB_REPOSITORY"] == "pypi,internal"
        assert variables["HWB_TESTPYPI"] == "true"


def test_templates_themselves_pass_the_schemas() -> None:
    templates = ROOT / "workflows-templates"
    check_jsonschema("vendor.gitlab-ci", *sorted((templates / "gitlab").glob("*.yml")))
    check_jsonschema("vendor.github-workflows", *sorted((templates / "github").glob("*.yml")))


def test_remote_and_project_includes(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "flit")
    assert hwb("init-ci", "gitlab", str(repo), "--ref", "v2.0.0").code == 0
    data = yamlio.load((repo / ".gitlab-ci.yml").read_text())
    assert data["include"] == [
        {
            "remote": f"https://gitlab.com/{scaffold_options.UPSTREAM}/-/raw/v2.0.0/workflows-templates/"
            f"gitlab/{name}"
        }
        for name in ("hwb.gitlab-ci.yml", "hwb-release.gitlab-ci.yml")
    ]
    assert data["variables"]["HWB_INSTALL"].endswith(" headless-wheel-builder==2.0.0")
    assert not (repo / ".gitlab").exists()
    assert hwb("init-ci", "gitlab", str(repo), "--templates", "project", "--force").code == 0
    (include,) = yamlio.load((repo / ".gitlab-ci.yml").read_text())["include"]
    assert include["project"] == scaffold_options.UPSTREAM and len(include["file"]) == 2
    check_jsonschema("vendor.gitlab-ci", repo / ".gitlab-ci.yml")


def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "pure-hatch")
    existing = repo / ".gitlab-ci.yml"
    existing.write_text("mine: {}\n")
    result = hwb("init-ci", "gitlab", str(repo), "--templates", "vendor")
    assert result.code == 20
    assert f"error: {existing} already exists" in result.err and "--force" in result.err
    assert "Traceback" not in result.err
    assert existing.read_text() == "mine: {}\n" and not (repo / ".gitlab").exists()
    assert hwb("init-ci", "gitlab", str(repo), "--templates", "vendor", "--force").code == 0
    assert existing.read_text() != "mine: {}\n"


def test_without_git_placeholders_and_a_warning(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "setuptools-pure", git=False)
    result = hwb("init-ci", "github", str(repo))
    assert result.code == 0, result.err
    assert "warning: not a git repository" in result.err
    assert "Owner: <owner>" in result.out and "Repository name: <repository>" in result.out
    assert (repo / ".github" / "workflows" / "release.yml").is_file()


def test_dry_run_prints_exactly_what_it_writes(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "setuptools-cext", remote="https://gitlab.com/group/sub/greet.git")
    dry = hwb("--json", "init-ci", "gitlab", str(repo), "--templates", "vendor", "--dry-run")
    assert dry.code == 0, dry.err
    planned = json.loads(dry.out)["files"]
    assert not (repo / ".gitlab-ci.yml").exists() and not (repo / ".gitlab").exists()
    human = hwb("init-ci", "gitlab", str(repo), "--templates", "vendor", "--dry-run")
    assert human.out == "".join(f"--- {p}\n{text}" for p, text in planned.items())
    wrote = hwb("init-ci", "gitlab", str(repo), "--templates", "vendor")
    assert wrote.code == 0, wrote.err
    assert {p: Path(p).read_text() for p in planned} == planned
    written = {str(p) for p in repo.rglob("*") if p.is_file() and ".git/" not in str(p)}
    assert set(planned) <= written


def test_next_steps_name_the_trusted_publisher(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "flit", remote="git@gitlab.example.com:group/sub/greet.git")
    result = hwb("init-ci", "gitlab", str(repo), "--environment", "release")
    assert result.code == 0, result.err
    for line in ("Namespace: group/sub", "Project name: greet",
                 "Top-level pipeline file path: .gitlab-ci.yml", "Environment name: release",
                 "https://pypi.org/manage/project/hwbt-flit/settings/publishing/?provider=gitlab"
                 "&namespace=group%2Fsub&project=greet&workflow_filepath=.gitlab-ci.yml"
                 "&environment=release"):  # fmt: skip
        assert line in result.out
    gh = copy(tmp_path / "gh", "flit", remote="https://github.com/octo/greet.git")
    result = hwb("init-ci", "github", str(gh), "--testpypi")
    assert "Owner: octo" in result.out and "Workflow name: release.yml" in result.out
    assert "https://test.pypi.org/manage/project/hwbt-flit/settings/publishing/" in result.out


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = tmp_path / "mono"
    shutil.copytree(PACKAGES / "pure-hatch", repo / "libs" / "pure")
    git_init(repo)
    assert hwb("init-ci", "gitlab", str(repo / "libs" / "pure"), "--templates", "vendor").code == 0
    data = yamlio.load((repo / ".gitlab-ci.yml").read_text())
    assert data["variables"]["HWB_PACKAGE_DIR"] == "libs/pure"
    assert hwb("init-ci", "github", str(repo / "libs" / "pure")).code == 0
    workflow = yamlio.load((repo / ".github" / "workflows" / "release.yml").read_text())
    build = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("id") == "build")
    assert build["with"]["package-dir"] == "libs/pure"


def test_not_a_project(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    result = hwb("init-ci", "github", str(tmp_path))
    assert result.code == 4 and "no pyproject.toml or setup.py" in result.err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@gitlab.com:group/sub/proj.git", ("gitlab.com", "group/sub", "proj")),
        ("https://github.com/octo/greet", ("github.com", "octo", "greet")),
        ("ssh://git@host.example:2222/a/b.git", ("host.example", "a", "b")),
        ("/some/local/path", None),
    ],
)
def test_parse_remote(url: str, expected: tuple[str, str, str] | None) -> None:
    remote = parse_remote(url)
    assert (None if remote is None else (remote.host, remote.owner, remote.name)) == expected


def test_yaml_round_trips_and_keeps_on() -> None:
    data = {"on": {"push": {"tags": ["v*"]}}, "x": "yes", "y": "false", "z": "${{ a }}"}
    text = yamlio.dump(data)
    assert yamlio.load(text) == data
    assert "'yes'" in text and "'false'" in text  # a YAML 1.1 reader (GitLab) keeps strings


def test_child_pipeline_adds_publishing_after_gather(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    """`hwb init-ci gitlab-child` on what `hwb matrix plan --format gitlab` really writes."""
    repo = copy(tmp_path, "hatch-cibw", git=False)
    matrix, child_file = tmp_path / "matrix.yml", tmp_path / "child.yml"
    planned = hwb("matrix", "plan", str(repo), "--platform", "linux", "--format", "gitlab",
                  "-o", str(matrix))  # fmt: skip
    assert planned.code == 0, planned.err
    result = hwb("init-ci", "gitlab-child", "--matrix", str(matrix), "-o", str(child_file))
    assert result.code == 0, result.err
    source, child = yamlio.load(matrix.read_text()), yamlio.load(child_file.read_text())
    for name, job in source.items():  # the matrix's own jobs are kept
        if name not in {"variables", "stages"}:
            assert child[name].keys() == job.keys()
    assert child["stages"] == [*source["stages"], "publish"]
    plan = child["hwb-gather"]["variables"]["HWB_PLAN"]
    assert isinstance(plan, str) and json.loads(plan.replace("$$", "$"))["project"] == "hwbt-cibw"
    publish = child["hwb-publish"]
    assert "extends" not in publish and publish["stage"] == "publish"
    assert publish["before_script"][0].startswith("cat > /tmp/hwb-uv-bootstrap.py <<")
    assert publish["before_script"][1].startswith('if [ -n "$HWB_INSTALL" ]')
    assert publish["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"},
                                    "SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}  # fmt: skip
    assert publish["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert publish["resource_group"] == "hwb-publish"
    assert publish["needs"][0] == {"job": "hwb-gather", "artifacts": True}
    assert child["hwb-publish-testpypi"]["id_tokens"]["TESTPYPI_ID_TOKEN"] == {"aud": "testpypi"}
    assert "&id" not in child_file.read_text()  # no YAML anchors
    check_jsonschema("vendor.gitlab-ci", child_file)
    bad = tmp_path / "bad.yml"
    bad.write_text("build: {script: [true]}\n")
    refused = hwb("init-ci", "gitlab-child", "--matrix", str(bad), "-o", str(child_file))
    assert refused.code == 4 and "no hwb-gather job" in refused.err


@pytest.mark.integration
def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
    """`hwb init-ci` from a pip-installed hwb: the templates are package data in the wheel."""
    src = tmp_path / "src"
    skip = shutil.ignore_patterns(".venv", ".git", "node_modules", "*.egg-info", "__pycache__")
    shutil.copytree(ROOT, src, ignore=skip)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "wheel"), str(src)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "wheel").glob("headless_wheel_builder-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "workflows-templates").rglob("*.yml"):
        rel = template.relative_to(ROOT / "workflows-templates").as_posix()
        assert f"hwb/templates/{rel}" in names


def test_registries(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    pure = copy(tmp_path, "pure-hatch")
    result = hwb("init-ci", "gitlab", str(pure), "--registry", "gitlab", "--registry", "nowhere")
    assert result.code == 0, result.err
    assert "registry 'nowhere' is not in [tool.hwb.registries]" in result.err
    data = yamlio.load((pure / ".gitlab-ci.yml").read_text())
    assert data["variables"]["HWB_REPOSITORY"] == "pypi,nowhere"
    assert data["hwb-publish-gitlab"]["extends"] == ".hwb-publish-gitlab"  # its own job
    compiled = copy(tmp_path, "skbuild-ext")
    result = hwb(
        "init-ci", "gitlab", str(compiled), "--registry", "gitlab", "--registry", "internal"
    )
    assert result.code == 0 and "registry 'internal'" not in result.err  # declared there
    data = yamlio.load((compiled / ".gitlab-ci.yml").read_text())
    assert data["variables"]["HWB_REPOSITORY"] == "pypi,gitlab,internal"  # the child publishes
    assert "hwb-publish-gitlab" not in data
    gh = copy(tmp_path / "gh", "skbuild-ext")
    args = ["--registry", "internal", "--no-attestations"]
    assert hwb("init-ci", "github", str(gh), *args).code == 0
    jobs = yamlio.load((gh / ".github" / "workflows" / "release.yml").read_text())["jobs"]
    steps = [s for j in jobs.values() for s in j["steps"] if s.get("with", {}).get("command")]
    steps = [s for s in steps if s["with"]["command"] == "publish"]
    assert [s["with"]["repository"] for s in steps] == ["pypi,internal"]
    assert all(s["with"]["attestations"] is False for s in steps)


# -- what the project already does (issue 25 §2) ---------------------------------------------

REAL = Path(__file__).parent / "fixtures" / "projects"


def real_repo(tmp_path: Path, name: str, tags: tuple[str, ...] = ()) -> Path:
    """A cut of a real project (its pyproject, setup.py, workflows), committed and tagged."""
    target = tmp_path / name
    shutil.copytree(REAL / name, target)
    git_init(target)
    subprocess.run(["git", "remote", "add", "origin", f"https://github.com/pallets/{name}.git"],
                   cwd=target, check=True)  # fmt: skip
    for tag in tags:
        subprocess.run(["git", "tag", tag], cwd=target, check=True)
    return target


def test_an_existing_publish_workflow_is_refused_then_kept_or_replaced(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    """markupsafe publishes on every tag from publish.yaml and tags releases 1.2.3-style."""
    repo = real_repo(tmp_path, "markupsafe", ("1.2.2", "1.2.3"))
    publish = repo / ".github" / "workflows" / "publish.yaml"
    line = next(
        n for n, text in enumerate(publish.read_text().splitlines(), 1)
        if "uses: pypa/gh-action-pypi-publish@" in text
    )  # fmt: skip
    refused = hwb("init-ci", "github", str(repo))
    assert refused.code == 20, refused.err
    assert (
        f"already publishes from .github/workflows/publish.yaml:{line} "
        "(pypa/gh-action-pypi-publish)" in refused.err
    )
    assert "--replace" in refused.err and "--keep-both" in refused.err
    assert not (repo / ".github" / "workflows" / "release.yml").exists()

    kept = hwb("init-ci", "github", str(repo), "--keep-both")
    assert kept.code == 0, kept.err
    assert "keeping the project's own publishing" in kept.err and publish.exists()
    release = repo / ".github" / "workflows" / "release.yml"
    workflow = yamlio.load(release.read_text())
    # The project's tags are 1.2.3: a v* trigger would never fire.
    assert workflow["on"]["push"]["tags"] == ["[0-9]*"]
    assert "tags releases as 1.2.3 (tag-format '{version}')" in kept.err
    assert "git tag 1.0.0 && git push --tags" in kept.out
    # Its cibuildwheel choices lived in publish.yaml's CIBW_* variables: they go along, less
    # the enable group this cibuildwheel no longer has (named).
    # (cibuildwheel 4 dropped the group; the 3.x that `make test-min` installs still has it.)
    from cibuildwheel.selector import EnableGroup

    has_group = "cpython-freethreading" in EnableGroup.__members__.values()
    assert workflow["env"] == {
        "CIBW_SKIP": "pp*",
        "CIBW_ARCHS_LINUX": "auto aarch64",
        "CIBW_ARCHS_MACOS": "auto universal2",
        "CIBW_ARCHS_WINDOWS": "auto ARM64",
        "CIBW_BUILD_FRONTEND": "build[uv]",
        **({"CIBW_ENABLE": "cpython-freethreading"} if has_group else {}),
    }
    dropped = "not carried over: CIBW_ENABLE='cpython-freethreading'" in kept.err
    assert dropped is not has_group
    # requires-python >=3.10: 3.12 allowed, kept.
    setups = [
        s for j in workflow["jobs"].values() for s in j.get("steps", [])
        if str(s.get("uses", "")).startswith("actions/setup-python@")
    ]  # fmt: skip
    assert setups and all(s["with"]["python-version"] == "3.12" for s in setups)
    check_jsonschema("github-workflows", release)
    zizmor(release)

    # On GitLab the same choices become pipeline variables (the plan job and the child read them).
    assert hwb("init-ci", "gitlab", str(repo)).code == 0
    variables = yamlio.load((repo / ".gitlab-ci.yml").read_text())["variables"]
    assert variables["CIBW_ARCHS_MACOS"] == "auto universal2"
    assert ("CIBW_ENABLE" in variables) is has_group
    (repo / ".gitlab-ci.yml").unlink()

    replaced = hwb("init-ci", "github", str(repo), "--replace", "--force", "--write-tag-format")
    assert replaced.code == 0, replaced.err
    assert not publish.exists() and (repo / ".github" / "workflows" / "tests.yaml").exists()
    assert f"removed {publish}" in replaced.err
    pyproject = (repo / "pyproject.toml").read_text()
    assert '[tool.hwb.version]\ntag-format = "{version}"' in pyproject
    assert pyproject.startswith((REAL / "markupsafe" / "pyproject.toml").read_text())
    # The written tag-format is now the setting: no more warning, same trigger.
    again = hwb("init-ci", "github", str(repo), "--force", "--dry-run")
    assert again.code == 0 and "tags releases as" not in again.err
    assert "- '[0-9]*'" in again.out
    assert hwb("init-ci", "github", str(repo), "--replace", "--keep-both").code == 2


def test_a_pure_project_with_a_publish_workflow_and_gitlab(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    repo = real_repo(tmp_path, "itsdangerous", ("2.2.0",))
    refused = hwb("init-ci", "github", str(repo))
    assert refused.code == 20 and "publish.yaml" in refused.err
    # GitLab: a pipeline file of the project's that uploads with twine is found too.
    (repo / ".gitlab" / "ci").mkdir(parents=True)
    (repo / ".gitlab" / "ci" / "release.yml").write_text(
        "# twine upload would be a comment only\nupload:\n  script:\n"
        "    - python -m twine upload dist/*\n"
    )
    gitlab = hwb("init-ci", "gitlab", str(repo))
    assert gitlab.code == 20
    assert ".gitlab/ci/release.yml:4 (twine upload)" in gitlab.err
    assert "Protect tags matching [0-9]*" in hwb("init-ci", "gitlab", str(repo), "--keep-both").out


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("steps:\n  - uses: pypa/gh-action-pypi-publish@release/v1\n",
         "pypa/gh-action-pypi-publish"),
        ("steps:\n  - run: uv publish --trusted-publishing always\n", "uv publish"),
        ("steps:\n  - run: maturin upload --skip-existing dist/*\n", "maturin upload"),
        ("steps:\n  - run: poetry publish --build\n", "poetry publish"),
        ("steps:\n  - run: hwb publish dist\n", "hwb publish"),
        ("steps:\n  - uses: PyO3/maturin-action@v1\n    with:\n      command: upload\n",
         "maturin-action upload"),
        ("steps:\n  - uses: hwb-dev/hwb@v1\n    with:\n      command: publish\n", "hwb publish"),
        ("steps:\n  - uses: PyO3/maturin-action@v1\n    with:\n      command: build\n", None),
        ("steps:\n  # - uses: pypa/gh-action-pypi-publish@release/v1\n  - run: uv build\n", None),
    ],
)  # fmt: skip
def test_publishing_steps_are_recognised(tmp_path: Path, text: str, how: str | None) -> None:
    from hwb.scaffold.existing import publishers

    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(text)
    found = publishers(tmp_path, "github")
    assert [p.how for p in found] == ([how] if how else [])


@pytest.mark.parametrize(
    ("requires", "python", "prerelease"),
    [(None, "3.12", False), (">=3.9", "3.12", False), (">=3.14", "3.14", False),
     (">=3.8,<3.12", "3.11", False), (">=3.15", "3.15", True), ("not a spec", "3.12", False)],
)  # fmt: skip
def test_the_build_python_comes_from_requires_python(
    tmp_path: Path, hwb: Callable[..., Run], requires: str | None, python: str, prerelease: bool
) -> None:
    repo = copy(tmp_path, "setuptools-cext", git=False)
    if requires:
        text = (repo / "pyproject.toml").read_text()
        if "requires-python" in text:
            text = "\n".join(ln for ln in text.splitlines() if "requires-python" not in ln)
        (repo / "pyproject.toml").write_text(
            text.replace("[project]\n", f'[project]\nrequires-python = "{requires}"\n', 1)
        )
    result = hwb("--json", "init-ci", "github", str(repo), "--dry-run")
    assert result.code == 0, result.err
    (text,) = json.loads(result.out)["files"].values()
    steps = [s for j in yamlio.load(text)["jobs"].values() for s in j.get("steps", [])]
    (setup,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == python
    assert setup["with"].get("allow-prereleases", False) is prerelease


def test_the_release_script_is_a_readable_block(tmp_path: Path, hwb: Callable[..., Run]) -> None:
    repo = copy(tmp_path, "setuptools-cext")
    result = hwb("init-ci", "github", str(repo), "--dry-run")
    assert "        run: |\n          printf '%s\\n' \"$NOTES\"" in result.out
    assert '\\"$NOTES\\"' not in result.out


def test_remote_includes_at_hwbs_own_tag_carry_integrity(
    tmp_path: Path, hwb: Callable[..., Run]
) -> None:
    import base64
    import hashlib

    repo = copy(tmp_path, "setuptools-cext")
    assert hwb("init-ci", "gitlab", str(repo)).code == 0
    includes = yamlio.load((repo / ".gitlab-ci.yml").read_text())["include"]
    templates = scaffold_options.templates_dir() / "gitlab"
    for include in includes:
        body = (templates / include["remote"].rsplit("/", 1)[1]).read_bytes()
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert include["integrity"] == f"sha256-{digest}"
    check_jsonschema("vendor.gitlab-ci", repo / ".gitlab-ci.yml")
