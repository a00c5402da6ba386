"""No secret is ever printed or written, in any encoding (issue 12).

Distinct values are planted in every place a secret enters hwb (``--token``, ``PYPI_TOKEN``,
``HWB_REGISTRY_<NAME>_PASSWORD``, a ``${VAR}`` in the configuration, URL userinfo, the CI's
``ACTIONS_ID_TOKEN_REQUEST_TOKEN``/``CI_JOB_TOKEN``/``PYPI_ID_TOKEN``, the OIDC token and the
token minted from it). Failing runs go against a server that echoes the request (its
``Authorization`` header, the posted OIDC token) in its error bodies; succeeding runs against a
real pypiserver that requires the password. Each runs at every verbosity, with ``--json``,
``--dry-run`` and ``--debug``, inside a GitHub Actions step (annotations, step summary, step
outputs) and a GitLab job; then stdout, stderr, the report, the step summary, the step outputs
and every file under the run's folder are searched for each value and its encodings. The only
place a raw value may appear is the ``::add-mask::`` command the runner consumes.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import jwt
import pytest

from hwb.publish import answers
from tests import distfactory as df
from tests.conftest import Run
from tests.oidcfakes import EchoServer, github_claims, gitlab_claims
from tests.servers import Server, pypiserver_auth

USERS = ("__token__", "leakuser", "oauth2accesstoken", "")


def _secret(label: str) -> str:
    # Characters that every encoding changes: / + & = " % and a space.
    return f'{label}-{secrets.token_hex(6)}/+&="% x'


def _jwt(claims: dict[str, object], audience: str) -> str:
    return jwt.encode({**claims, "aud": audience}, secrets.token_hex(16), algorithm="HS256")


@dataclass(frozen=True)
class Secrets:
    token_flag: str = field(default_factory=lambda: _secret("flag"))
    pypi_token: str = field(default_factory=lambda: _secret("pypi"))
    testpypi_token: str = field(default_factory=lambda: _secret("testpypi"))
    registry_password: str = field(default_factory=lambda: _secret("regpw"))
    config_password: str = field(default_factory=lambda: _secret("cfgpw"))
    url_password: str = field(default_factory=lambda: _secret("urlpw"))
    index_password: str = field(default_factory=lambda: _secret("idxpw"))
    request_token: str = field(default_factory=lambda: _secret("actions"))
    job_token: str = field(default_factory=lambda: _secret("jobtok"))
    minted: str = field(default_factory=lambda: "pypi-" + secrets.token_urlsafe(40))
    aws_secret: str = field(default_factory=lambda: _secret("aws"))
    github_id_token: str = field(default_factory=lambda: _jwt(github_claims(), "pypi"))
    gitlab_id_token: str = field(default_factory=lambda: _jwt(gitlab_claims(), "pypi"))

    def values(self) -> list[str]:
        return list(vars(self).values())


def encodings(value: str) -> set[str]:
    """The forms a leak could take: raw, percent-, JSON-escaped, base64 alone and as the
    Basic credential of every user hwb may send it as."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    forms.add(base64.b64encode(value.encode()).decode())
    forms.add(base64.urlsafe_b64encode(value.encode()).decode().rstrip("="))
    forms |= {base64.b64encode(f"{u}:{value}".encode()).decode() for u in USERS}
    # The value's core, so that a leak with changed edges (a truncated line) is caught too.
    forms.add(value[: len(value) // 2 + 4])
    return forms


S = Secrets()


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    packages = tmp_path_factory.mktemp("leak-registry")
    with pypiserver_auth(packages, "leakuser", S.registry_password) as server:
        yield server


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers, "BACKOFF_BASE", 0.0)


@dataclass
class Scenario:
    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    registries: str = ""
    ci: str = "github"  # github | gitlab
    succeeds: bool = False
    echo: dict[str, object] = field(default_factory=dict)


def _scenarios() -> list[Scenario]:
    return [
        Scenario("token-flag", ["-r", "echo", "--token", S.token_flag]),
        Scenario("password-flag", ["-r", "echo", "-u", "leakuser", "-p", S.registry_password]),
        Scenario("password-flag-attached", ["-r", "echo", f"-p{S.registry_password}"]),
        Scenario(
            "registry-env", ["-r", "echo"], {"HWB_REGISTRY_ECHO_PASSWORD": S.registry_password}
        ),
        Scenario("pypi-token", ["-r", "pypi"], {"PYPI_TOKEN": S.pypi_token}),
        Scenario("testpypi-token", ["-r", "testpypi"], {"TESTPYPI_TOKEN": S.testpypi_token}),
        Scenario("config-var", ["-r", "cfg"], {"LEAK_CFG": S.config_password}),
        Scenario("url-userinfo", ["--url", "{echo_userinfo}"]),
        Scenario("index-userinfo", ["-r", "idx"], {"HWB_REGISTRY_IDX_PASSWORD": S.token_flag}),
        Scenario("server-error", ["-r", "echo500", "--token", S.token_flag], echo={"status": 500}),
        Scenario(
            "github-request-token",
            ["-r", "echo", "--trusted-publisher"],
            {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": S.request_token},
            echo={"token_status": 401},
        ),
        Scenario(
            "github-id-token-refused",
            ["-r", "echo", "--trusted-publisher"],
            {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": S.request_token},
            echo={"mint_status": 422, "id_token": S.github_id_token},
        ),
        Scenario(
            "github-minted-token",
            ["-r", "echo", "--trusted-publisher"],
            {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": S.request_token},
            echo={"status": 400, "minted": S.minted, "id_token": S.github_id_token},
        ),
        Scenario(
            "gitlab-id-token",
            ["-r", "echo", "--trusted-publisher"],
            {"PYPI_ID_TOKEN": S.gitlab_id_token, "CI_JOB_TOKEN": S.job_token},
            ci="gitlab",
            echo={"mint_status": 422},
        ),
        Scenario(
            "aws-secret-env",
            ["-r", "echo", "--token", S.token_flag],
            {"AWS_SECRET_ACCESS_KEY": S.aws_secret},
        ),
        Scenario("success-userinfo", ["--url", "{registry_userinfo}"], succeeds=True),
        Scenario(
            "success-registry-env",
            ["-r", "auth"],
            {"HWB_REGISTRY_AUTH_PASSWORD": S.registry_password},
            succeeds=True,
        ),
    ]


VARIANTS = {
    "default": [],
    "quiet": ["-q"],
    "verbose": ["-vvv"],
    "json": ["--json"],
    "debug": ["--debug", "-vvv"],
    "dry-run": ["-vv", "DRY"],
}


def _project(tmp_path: Path, echo: EchoServer, registry: Server | None) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    auth = ""
    if registry is not None:
        auth = f'[tool.hwb.registries.auth]\nurl = "{registry.url}"\nusername = "leakuser"\n'
    idx = quote(S.index_password, safe="")
    (proj / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [project]
        name = "demo-pkg"
        version = "1.0"

        [tool.hwb.publish]
        retries = 0
        timeout = 10

        [tool.hwb.registries.echo]
        url = "{echo.upload_url}"
        [tool.hwb.registries.echo500]
        url = "{echo.upload_url}"
        [tool.hwb.registries.pypi]
        url = "{echo.upload_url}"
        index-url = "{echo.url}/simple/"
        [tool.hwb.registries.testpypi]
        url = "{echo.upload_url}"
        [tool.hwb.registries.cfg]
        url = "{echo.upload_url}"
        username = "leakuser"
        password = "${{LEAK_CFG:-unset-here}}"
        [tool.hwb.registries.idx]
        url = "{echo.upload_url}"
        index-url = "http://leakuser:{idx}@{echo.url.removeprefix("http://")}/simple/"
        """)
        + auth
    )
    return proj


def _environment(
    monkeypatch: pytest.MonkeyPatch, sc: Scenario, echo: EchoServer, tmp_path: Path
) -> dict[str, Path]:
    files = {"output": tmp_path / "gh_output", "summary": tmp_path / "gh_summary"}
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "ACTIONS_ID_TOKEN_REQUEST_URL",
                 "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "PYPI_ID_TOKEN", "PYPI_TOKEN",
                 "TESTPYPI_TOKEN", "GCE_METADATA_HOST", "GITHUB_EVENT_NAME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    if sc.ci == "github":
        for path in files.values():
            path.write_text("")
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{echo.url}/github/token?v=2")
    else:
        monkeypatch.setenv("GITLAB_CI", "true")
    for name, value in sc.env.items():
        monkeypatch.setenv(name, value)
    return files


def _strip_masks(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))


def assert_no_leak(where: str, text: str) -> None:
    for value in S.values():
        for form in encodings(value):
            assert form not in text, f"{where} leaks {form!r} (a form of {value[:10]}…)"


def _all_text(root: Path) -> Iterator[tuple[str, str]]:
    """Every file hwb may have written under ``root`` (not the project's own configuration,
    which holds the planted inputs)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "pyproject.toml":
            yield str(path), path.read_bytes().decode("utf-8", "replace")


@pytest.mark.integration
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("sc", _scenarios(), ids=lambda sc: sc.name)
def test_publish_never_leaks(
    hwb: Callable[..., Run],
    auth_registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sc: Scenario,
    variant: str,
) -> None:
    with EchoServer(**sc.echo) as echo:  # type: ignore[arg-type]
        proj = _project(tmp_path, echo, auth_registry)
        files = _environment(monkeypatch, sc, echo, tmp_path)
        version = f"1.{secrets.randbelow(10**9)}"
        (tmp_path / "dist").mkdir()
        wheel = df.wheel(tmp_path / "dist", version=version,
                         metadata=df.GOOD_METADATA.format(version=version))  # fmt: skip
        report = tmp_path / "report.json"
        pw = quote(S.registry_password, safe="")
        args = [
            a.format(
                echo_userinfo=f"http://leakuser:{quote(S.url_password, safe='')}@"
                f"{echo.url.removeprefix('http://')}/legacy/",
                registry_userinfo=f"http://leakuser:{pw}@"
                f"{auth_registry.url.removeprefix('http://')}",
            )
            for a in sc.args
        ]
        flags = [f for f in VARIANTS[variant] if f != "DRY"]
        dry = ["--dry-run"] if "DRY" in VARIANTS[variant] else []
        result = hwb(*flags, "publish", "--no-inspect", "--project", str(proj),
                     "--report", str(report), *dry, *args, str(wheel))  # fmt: skip
    assert "Traceback" not in result.err or variant == "debug", result.err
    if dry:
        assert result.code in {0, 16}, result.err
    elif sc.succeeds:
        assert result.code == 0, result.err
        assert (auth_registry.packages / wheel.name).is_file()
    else:
        # Refused by the echoing server (upload 14, token request or mint 16), whose answers
        # quoted the credential back to hwb.
        assert result.code in {14, 16}, result.err
        echoed = "".join(echo.seen)
        assert any(f in echoed for v in S.values() for f in encodings(v)), echo.seen
    assert_no_leak("stdout", _strip_masks(result.out))
    assert_no_leak("stderr", _strip_masks(result.err))
    for written, text in _all_text(tmp_path):
        assert_no_leak(written, text)
    if sc.ci == "github":
        for path in files.values():
            assert_no_leak(str(path), path.read_text())


def test_add_mask_for_every_secret_that_entered(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In GitHub Actions each secret is masked in the runner's log the moment it enters."""
    sc = Scenario("mask", ["-r", "cfg", "--token", S.token_flag], {"LEAK_CFG": S.config_password,
                  "PYPI_TOKEN": S.pypi_token, "CI_JOB_TOKEN": S.job_token})  # fmt: skip
    with EchoServer() as echo:
        proj = _project(tmp_path, echo, None)
        _environment(monkeypatch, sc, echo, tmp_path)
        (tmp_path / "dist").mkdir()
        wheel = df.wheel(tmp_path / "dist")
        result = hwb("publish", "--no-inspect", "--project", str(proj), *sc.args, str(wheel))
    masks = {line.removeprefix("::add-mask::") for line in result.err.splitlines()
             if line.startswith("::add-mask::")}  # fmt: skip
    for value in (S.token_flag, S.config_password, S.pypi_token, S.job_token):
        assert value in masks, f"{value[:8]} was not masked"


def test_config_show_hides_userinfo_and_secrets(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EchoServer() as echo:
        proj = _project(tmp_path, echo, None)
    monkeypatch.setenv("LEAK_CFG", S.config_password)
    for flags in ([], ["--json"], ["-vvv", "--debug"]):
        result = hwb(*flags, "config", "show", str(proj))
        assert result.code == 0, result.err
        assert_no_leak("config show", result.out + result.err)
        assert "leakuser:" not in result.out


# -- the build backend never sees publishing credentials ----------------------------------------
LEAKY_BACKEND = """
import json, os, sys
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.environ["LEAK_DUMP"], "w") as fh:
        json.dump(dict(os.environ), fh)
    # A backend that prints what it may legitimately read (an index password hwb does not
    # strip, since installers need it) and then fails.
    print("backend sees", os.environ.get("UV_INDEX_PRIVATE_PASSWORD"))
    print("env:", " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())))
    sys.exit(3)
"""


@pytest.mark.parametrize("flags", [[], ["-v"], ["-vvv", "--debug"], ["--json"]])
def test_build_backend_sees_no_credentials(
    hwb: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    github_env: dict[str, Path],
    flags: list[str],
) -> None:
    proj = tmp_path / "leaky"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "leaky"\nbackend-path = ["."]\n'
        '[project]\nname = "leaky"\nversion = "1.0"\n'
    )
    (proj / "leaky.py").write_text(LEAKY_BACKEND)
    dump = tmp_path / "env.json"
    planted = {
        "PYPI_TOKEN": S.pypi_token,
        "TESTPYPI_TOKEN": S.testpypi_token,
        "HWB_REGISTRY_ECHO_PASSWORD": S.registry_password,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": S.request_token,
        "PYPI_ID_TOKEN": S.gitlab_id_token,
        "CI_JOB_TOKEN": S.job_token,
        "TWINE_PASSWORD": S.token_flag,
        "AWS_SECRET_ACCESS_KEY": S.aws_secret,
        "SIGSTORE_ID_TOKEN": S.github_id_token,
        "GITHUB_TOKEN": S.minted,
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UV_INDEX_PRIVATE_PASSWORD", S.config_password)
    monkeypatch.setenv("LEAK_DUMP", str(dump))
    outdir = tmp_path / "out"
    result = hwb(*flags, "build", "--no-isolation", "-o", str(outdir), str(proj))
    assert result.code == 5, result.err
    seen = json.loads(dump.read_text())
    for name in planted:
        assert name not in seen, f"the backend saw {name}"
    assert seen.get("UV_INDEX_PRIVATE_PASSWORD") == S.config_password  # installers need it
    for where, text in (("stdout", result.out), ("stderr", _strip_masks(result.err))):
        assert_no_leak(where, text)
    for path in github_env.values():
        assert_no_leak(str(path), path.read_text())
    assert not outdir.exists() or not any(outdir.iterdir())


def test_traceback_and_internal_error_are_redacted(
    hwb: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception quoting a secret (the internal-error path, with --debug's
    traceback) is redacted like everything else."""
    from hwb.publish import service

    def boom(*args: object, **kwargs: object) -> None:
        import logging
        import warnings

        basic = base64.b64encode(("__token__:" + S.pypi_token).encode()).decode()
        # Other libraries speak through `warnings` and their own loggers.
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # the suite turns warnings into errors
            warnings.warn(f"insecure request to https://u:{S.pypi_token}@h/", stacklevel=1)
        logging.getLogger("urllib3.connectionpool").warning("retrying with %s", basic)
        raise RuntimeError(f"unexpected answer quoting {S.pypi_token} and {basic}")

    monkeypatch.setenv("PYPI_TOKEN", S.pypi_token)
    monkeypatch.setattr(service, "publish", boom)
    result = hwb("--debug", "publish", "--project", str(tmp_path), str(tmp_path))
    assert result.code == 1
    assert "Traceback" in result.err and "RuntimeError" in result.err
    assert "insecure request to https://***@h/" in result.err  # shown, redacted
    assert "retrying with X190b2tlbl9fOn***" in result.err  # the non-secret prefix stays
    assert_no_leak("stderr", result.err)


def test_the_search_finds_an_encoded_leak() -> None:
    """Sanity of the search itself: an encoding really is found when present."""
    text = (
        f"Authorization: Basic {base64.b64encode(b'__token__:' + S.pypi_token.encode()).decode()}"
    )
    with pytest.raises(AssertionError):
        assert_no_leak("probe", text)


# -- issue 23 §3: secrets that still showed ---------------------------------------------------
ROOT = Path(__file__).parent.parent


def _b64_token(separator: str) -> str:
    """A base64 token as registries issue them, holding an unencoded ``/``, ``#`` or ``?``."""
    head = base64.b64encode(secrets.token_bytes(15)).decode().replace("/", "A")
    return f"{head}{separator}{secrets.token_hex(8)}+{secrets.token_hex(4)}=="


def assert_no_piece(where: str, text: str, secret: str) -> None:
    """Neither the secret (any encoding) nor any piece of it between separators: a URL parser
    cuts the password at the first ``/``, ``#`` or ``?`` and quotes the head as the port."""
    for form in encodings(secret):
        assert form not in text, f"{where} leaks {form!r}"
    for piece in re.split(r"[/#?@+=]", secret):
        if len(piece) >= 6:
            assert piece not in text, f"{where} leaks the piece {piece!r} of the secret"


def _action(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    """``python -m hwb.action`` in a GitHub step, with the variables action.yml sets."""
    import yaml

    from hwb import action

    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_"))}
    env.update({action.env_name(n): str(m.get("default", "")) for n, m in spec["inputs"].items()})
    env.update({action.env_name(k.replace("_", "-")): v for k, v in inputs.items()})
    (tmp_path / "gh_output").touch()
    env.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "gh_output"),
                "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})  # fmt: skip
    return subprocess.run([sys.executable, "-m", "hwb.action"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


ARG_FORMS = {
    "token": "--token {}",
    "token-equals": "--token={}",
    "password": "-u leakuser -p {}",
    "password-attached": "-u leakuser -p{}",
    "password-long-equals": "--username leakuser --password={}",
    "quoted": "--token '{}'",
}


@pytest.mark.parametrize("verbose", ["false", "true"])
@pytest.mark.parametrize("form", list(ARG_FORMS))
def test_action_masks_secrets_in_args_before_echoing_them(
    form: str, verbose: str, tmp_path: Path
) -> None:
    secret = _b64_token("/")
    dist = tmp_path / "dist"
    dist.mkdir()
    df.wheel(dist)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo-pkg"\nversion = "1.0"\n')
    done = _action(tmp_path, command="publish", verbose=verbose,
                   repository_url="http://127.0.0.1:9/legacy/",
                   args="--dry-run " + ARG_FORMS[form].format(secret))  # fmt: skip
    lines = (done.stdout + done.stderr).splitlines()
    echo = next(i for i, line in enumerate(lines) if line.startswith("hwb "))
    assert f"::add-mask::{secret}" in lines[:echo], "masked only after it was echoed"
    assert_no_piece("the Action's output", _strip_masks(done.stdout + done.stderr), secret)


def test_action_args_that_do_not_split_are_not_echoed(tmp_path: Path) -> None:
    secret = _b64_token("/")
    done = _action(tmp_path, command="publish", args=f"--token {secret} --project 'unclosed")
    assert done.returncode == 2 and "input args: cannot split it" in done.stderr
    assert_no_piece("the Action's output", _strip_masks(done.stderr), secret)


def _url_project(tmp_path: Path, url: str = "") -> Path:
    proj = tmp_path / "proj"
    proj.mkdir(exist_ok=True)
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "demo-pkg"\nversion = "1.0"\n[tool.hwb.publish]\nretries = 0\n'
        + (f'[tool.hwb.registries.r]\nurl = "{url}"\n' if url else "")
    )
    return proj


def _via_url_flag(hwb: Callable[..., Run], flags: list[str], url: str, tmp_path: Path) -> Run:
    proj = _url_project(tmp_path)
    return hwb(*flags, "publish", "--project", str(proj), "--url", url, str(df.wheel(tmp_path)))


def _via_index_url(hwb: Callable[..., Run], flags: list[str], url: str, tmp_path: Path) -> Run:
    return hwb(*flags, "inspect", "--index-url", url.replace("/legacy/", "/simple/"),
               str(df.wheel(tmp_path)))  # fmt: skip


def _via_config(hwb: Callable[..., Run], flags: list[str], url: str, tmp_path: Path) -> Run:
    proj = _url_project(tmp_path, url)
    return hwb(*flags, "publish", "--project", str(proj), "-r", "r", str(df.wheel(tmp_path)))


def _via_git_push(hwb: Callable[..., Run], flags: list[str], url: str, tmp_path: Path) -> Run:
    from tests.gitrepo import init_repo

    repo = init_repo(tmp_path / "repo")
    repo.commit("feat: start", files={"pyproject.toml": '[project]\nname="w"\nversion="1.0.0"\n'})
    repo.git("remote", "add", "origin", url.replace("/legacy/", "/r.git"))
    repo.git("config", "branch.main.remote", "origin")
    repo.git("config", "branch.main.merge", "refs/heads/main")
    repo.commit("fix: a bug")
    return hwb(*flags, "version", "bump", "patch", "--commit", "--push",
               "--project", str(repo.path))  # fmt: skip


ENTRIES: dict[str, Callable[[Callable[..., Run], list[str], str, Path], Run]] = {
    "publish-url": _via_url_flag,
    "inspect-index-url": _via_index_url,
    "config-url": _via_config,
    "version-bump-push": _via_git_push,
}


@pytest.mark.parametrize("variant", ["default", "quiet", "verbose", "json", "debug"])
@pytest.mark.parametrize(
    ("entry", "separator"),
    # git cuts a URL at # or ? itself before quoting it: only / reached its message.
    [(e, s) for e in ENTRIES for s in "/#?" if e != "version-bump-push" or s == "/"],
)
def test_url_password_with_an_unencoded_separator_never_shows(
    entry: str,
    separator: str,
    variant: str,
    hwb: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    secret = _b64_token(separator)
    url = f"https://__token__:{secret}@127.0.0.1:9/legacy/"
    result = ENTRIES[entry](hwb, VARIANTS[variant], url, tmp_path)
    assert result.code != 0
    assert "Traceback" not in result.err or variant == "debug"
    assert_no_piece(entry, result.out + result.err, secret)


@pytest.mark.parametrize("separator", ["/", "#", "?"])
def test_action_repository_url_with_an_unencoded_separator_never_shows(
    separator: str, tmp_path: Path
) -> None:
    secret = _b64_token(separator)
    done = _action(tmp_path, command="publish",
                   repository_url=f"https://__token__:{secret}@127.0.0.1:9/legacy/")  # fmt: skip
    assert done.returncode != 0
    assert_no_piece("the Action's output", _strip_masks(done.stdout + done.stderr), secret)
