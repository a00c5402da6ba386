"""Offline: how registries' answers are classified, and how targets and credentials resolve."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from hwb.errors import ConfigError, CredentialsError
from hwb.publish import answers, dists, targets, transport
from hwb.settings.model import PublishSettings
from tests import distfactory as df


def response(
    status: int, reason: str = "", body: str = "", headers: dict[str, str] | None = None
) -> requests.Response:
    r = requests.Response()
    r.status_code, r.reason, r._content = status, reason, body.encode()
    r.headers.update(headers or {})
    return r


@pytest.mark.parametrize(
    ("status", "reason", "body"),
    [
        (409, "Conflict", "File already exists"),  # pypiserver
        (
            400,
            "File already exists ('x.whl', with blake2_256 hash 'ab'). See https://pypi.org/help/",
            "",
        ),
        (400, "Bad Request", "requested entity already exists"),  # Google Artifact Registry
        (
            403,
            "Forbidden",
            "Not enough permissions to delete/overwrite all artifacts under x",
        ),  # Artifactory
        (400, "Bad Request", "Repository does not allow updating assets: pypi-internal"),  # Nexus
        (
            400,
            "Bad Request",
            '{"message": "Validation failed: File name has already been taken"}',
        ),  # GitLab
    ],
)
def test_duplicate_answers(status: int, reason: str, body: str) -> None:
    assert answers.is_duplicate_answer(response(status, reason, body))


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "Invalid or non-existent authentication information."),
        (400, "The description failed to render"),
        (401, "Unauthorized"),
        (500, "Internal Server Error"),
    ],
)
def test_not_duplicate_answers(status: int, reason: str) -> None:
    assert not answers.is_duplicate_answer(response(status, reason))


def test_error_translation_names_the_fix() -> None:
    target = targets.Target(
        "pypi", "https://upload.pypi.org/legacy/", None, "__token__", "x", "$PYPI_TOKEN"
    )
    failure = answers.refusal(
        response(403, "The given token isn't allowed to upload to project 'p'."), target
    )
    assert failure.reason.startswith("forbidden: 403 The given token isn't allowed")
    assert (
        failure.hint is not None
        and "$PYPI_TOKEN" in failure.hint
        and "trusted publisher" in failure.hint
    )
    failure = answers.refusal(
        response(400, "The description failed to render for 'text/x-rst'."), target
    )
    assert failure.hint == "Run hwb inspect --check-metadata and fix the README."
    failure = answers.refusal(response(405, "Method Not Allowed"), target)
    assert "simple index instead of the upload URL" in str(failure.hint)


def test_retry_after_and_backoff() -> None:
    assert answers.retry_after(response(429, headers={"Retry-After": "7"})) == 7.0
    assert answers.retry_after(response(429, headers={"Retry-After": "100000"})) == 100000.0
    assert answers.retry_wait(response(429, headers={"Retry-After": "100000"}), 1) is None
    assert "retry after 100000 s, longer than hwb waits (300 s)" in answers.too_long(
        response(429, headers={"Retry-After": "100000"})
    )
    assert answers.retry_wait(response(429, headers={"Retry-After": "7"}), 1) == 7.0
    assert answers.retry_after(response(429)) is None
    assert 0 <= answers.backoff(1) <= answers.BACKOFF_BASE
    assert all(answers.backoff(n) <= answers.BACKOFF_CAP for n in range(1, 40))


def test_index_url_derivation() -> None:
    assert targets.guess_index_url("https://upload.pypi.org/legacy/") == "https://pypi.org/simple/"
    assert (
        targets.guess_index_url("https://test.pypi.org/legacy/") == "https://test.pypi.org/simple/"
    )
    assert targets.guess_index_url("http://h:3141/root/dev/") == "http://h:3141/root/dev/+simple/"
    assert targets.guess_index_url("http://h:8080/") == "http://h:8080/simple/"
    assert targets.guess_index_url("https://h/api/pypi/x/y/z/") is None


def test_credential_order() -> None:
    regs = {
        "corp": {"url": "https://corp.invalid/up/", "username": "ci", "password": "from-config"}
    }
    env = {"HWB_REGISTRY_CORP_PASSWORD": "from-env"}
    assert (
        targets.resolve_target("corp", regs, env).credential_source == "$HWB_REGISTRY_CORP_PASSWORD"
    )
    assert targets.resolve_target("corp", regs, env).username == "ci"
    assert targets.resolve_target("corp", regs, {}).password == "from-config"
    t = targets.resolve_target("corp", regs, env, token="tok")
    assert (t.username, t.password, t.credential_source) == ("__token__", "tok", "--token")
    t = targets.resolve_target("pypi", {}, {"PYPI_TOKEN": "pypi-x"})
    assert (t.username, t.credential_source) == ("__token__", "$PYPI_TOKEN")
    with pytest.raises(CredentialsError, match="no credential for testpypi"):
        targets.resolve_target("testpypi", {}, {})
    with pytest.raises(ConfigError, match="did you mean 'corp'"):
        targets.resolve_target("crop", regs, {})


def test_url_userinfo_is_the_credential_never_part_of_the_url() -> None:
    """Userinfo is parsed out once: the credential (after the environment's, before the
    config's password), percent-escapes decoded; the URLs hwb sends to and shows are clean."""
    regs = {
        "corp": {
            "url": "https://ci:p%40ss%2Fw0rd@corp.invalid/up/",
            "index-url": "https://reader:idx%3Apw@corp.invalid/simple/",
            "password": "from-config",
        }
    }
    t = targets.resolve_target("corp", regs, {})
    assert (t.url, t.username, t.password) == ("https://corp.invalid/up/", "ci", "p@ss/w0rd")
    assert t.credential_source == "userinfo in the url"
    assert t.index_url == "https://corp.invalid/simple/"
    assert t.index_auth == ("reader", "idx:pw")
    assert "p@ss" not in str(t.to_dict()) and "idx:pw" not in str(t.to_dict())
    env = {"HWB_REGISTRY_CORP_PASSWORD": "from-env"}
    assert targets.resolve_target("corp", regs, env).password == "from-env"
    t = targets.resolve_target("h", {}, {}, url="http://u:tok@127.0.0.1:8080/")
    assert (t.url, t.username, t.password) == ("http://127.0.0.1:8080/", "u", "tok")
    # A URL's user:password is one credential: another user name is never paired with it.
    env = {"TWINE_USERNAME": "someone-else", "HWB_REGISTRY_H_USERNAME": "other"}
    t = targets.resolve_target("h", {}, env, url="http://u:tok@127.0.0.1:8080/")
    assert (t.username, t.password) == ("u", "tok")


def test_credential_order_with_username_password_and_twine_variables() -> None:
    regs = {"corp": {"url": "https://corp.invalid/up/", "username": "cfg-user"}}
    twine = {"TWINE_USERNAME": "tw-user", "TWINE_PASSWORD": "tw-pw"}
    hwb_env = {"HWB_REGISTRY_CORP_USERNAME": "env-user", "HWB_REGISTRY_CORP_PASSWORD": "env-pw"}

    def who(env: dict[str, str], **kw: str) -> tuple[str | None, str | None, str]:
        t = targets.resolve_target("corp", regs, env, **kw)  # type: ignore[arg-type]
        return t.username, t.password, t.credential_source

    assert who({}) == ("cfg-user", None, "none (anonymous)")
    assert who(twine) == ("tw-user", "tw-pw", "$TWINE_PASSWORD")
    assert who({**twine, **hwb_env}) == ("env-user", "env-pw", "$HWB_REGISTRY_CORP_PASSWORD")
    both = {**twine, **hwb_env}
    assert who(both, username="u", password="p") == ("u", "p", "--password")
    assert who(both, password="p") == ("env-user", "p", "--password")
    assert who(both, token="t", username="u") == ("__token__", "t", "--token")
    # PyPI's own token variable outranks twine's; a token is always sent as __token__.
    t = targets.resolve_target("pypi", {}, {"PYPI_TOKEN": "pypi-x", **twine})
    assert (t.username, t.password) == ("__token__", "pypi-x")
    t = targets.resolve_target("pypi", {}, {"TWINE_PASSWORD": "pypi-y"})
    assert (t.username, t.password) == ("__token__", "pypi-y")
    assert t.credential_source == "$TWINE_PASSWORD"
    # A password with no user name anywhere is a token.
    t = targets.resolve_target("x", {"x": {"url": "https://x.invalid/"}}, {}, password="p")
    assert t.username == "__token__"


def test_form_fields_follow_the_upload_api(tmp_path: Path) -> None:
    """Metadata fields become form parts as Warehouse's parse_form_metadata reads them back."""
    meta = df.GOOD_METADATA.format(version="1.0").replace(
        "Requires-Python: >=3.9\n",
        "Requires-Python: >=3.9\nKeywords: alpha,beta\n"
        "Classifier: Programming Language :: Python\nClassifier: Typing :: Typed\n"
        "Requires-Dist: click>=8\nRequires-Dist: rich\n"
        "Project-URL: Docs, https://example.invalid/docs\n",
    )
    dist = dists.load(df.wheel(tmp_path, metadata=meta))
    fields = dist.form_fields()
    assert fields[-2:] == [(":action", "file_upload"), ("protocol_version", "1")]
    got: dict[str, list[object]] = {}
    for key, value in fields:
        got.setdefault(key, []).append(value)
    assert got["name"] == ["demo-pkg"] and got["version"] == ["1.0"]
    assert got["metadata_version"] == ["2.4"]
    assert got["filetype"] == ["bdist_wheel"] and got["pyversion"] == ["py3"]
    assert got["classifiers"] == ["Programming Language :: Python", "Typing :: Typed"]
    assert got["requires_dist"] == ["click>=8", "rich"]
    assert got["keywords"] == ["alpha, beta"]
    assert sorted(got["project_urls"]) == [  # type: ignore[type-var]
        "Docs, https://example.invalid/docs",
        "Source, https://example.invalid/demo",
    ]
    assert got["license_expression"] == ["MIT"] and got["license_file"] == ["LICENSE"]
    assert got["sha256_digest"] == [dist.sha256] and len(got["blake2_256_digest"][0]) == 64  # type: ignore[arg-type]
    assert all(v not in (None, "") for v in (value for _, value in fields))


def test_choose_names() -> None:
    publish = PublishSettings(registries=("a", "b"), test_repository="testpypi")
    assert targets.choose_names((), False, False, publish) == ["a", "b"]
    assert targets.choose_names(("x", "x", "y"), False, False, publish) == ["x", "y"]
    assert targets.choose_names((), True, False, publish) == ["a", "b"]
    assert targets.choose_names((), False, True, publish) == ["testpypi"]
    assert targets.choose_names((), False, False, PublishSettings(registries=())) == ["pypi"]
    with pytest.raises(ConfigError, match="--all publishes to"):
        targets.choose_names((), True, False, PublishSettings(registries=()))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://h.example/simple/", "https://H.example:443/legacy/", True),
        ("http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080/", True),
        ("http://127.0.0.1:8080/simple/", "http://127.0.0.1:8081/", False),  # another port
        ("http://h.example/simple/", "https://h.example/", False),  # another scheme
        ("https://pypi.org/simple/", "https://upload.pypi.org/legacy/", False),  # another host
    ],
)
def test_origin_is_scheme_host_port(a: str, b: str, same: bool) -> None:
    from hwb.simple_api import origin

    assert (origin(a) == origin(b)) is same


def test_options_are_one_object_from_settings_to_transport() -> None:
    """The settings object is what every transport takes (issue 11: no twin options types),
    and its defaults are the documented ones."""
    import inspect as pyinspect

    from hwb.publish import static
    from hwb.settings.resolver import defaults

    for cls in (transport.UploadApiTransport, static.StaticIndexTransport):
        hint = pyinspect.signature(cls).parameters["options"].annotation
        assert hint in ("PublishSettings", PublishSettings)
    publish = defaults()["publish"]
    assert (PublishSettings().jobs, PublishSettings().retries) == (
        publish["jobs"],
        publish["retries"],
    )


def test_ledger_statuses_are_spelled_only_in_the_ledger() -> None:
    """Every other module names a status by its constant (issue 21), so the table, --report,
    --json and the static index cannot drift apart. Dict keys (the counts' names) are not
    statuses, nor are step outputs' names."""
    import ast
    import typing

    import hwb
    from hwb.publish.ledger import Status

    spellings = set(typing.get_args(Status))
    root = Path(hwb.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "publish" / "ledger.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {id(k) for d in ast.walk(tree) if isinstance(d, ast.Dict) for k in d.keys}
        # hwb.action's OUTPUTS: the step outputs' names (publish's "uploaded"/"failed" counts)
        keys |= {
            id(n)
            for a in ast.walk(tree)
            if isinstance(a, ast.AnnAssign | ast.Assign)
            and "OUTPUTS" in {t.id for t in ast.walk(a) if isinstance(t, ast.Name)}
            for n in ast.walk(a)
        }
        found += [
            f"{path.relative_to(root)}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in spellings and id(node) not in keys
        ]
    assert found == []
