"""The redactor and the credential lists (hwb/redaction.py); end to end in test_secret_leaks."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from hwb import redaction
from hwb.redaction import Redactor, display_url, scrub_env, split_userinfo

SECRET = 'pypi-AgEIcHlwaS5vcmc/+&="% x'


@pytest.mark.parametrize("user", ["__token__", "a", "ab", "abc", "someone-else", ""])
@pytest.mark.parametrize("suffix", ["", ":", "xyz", "\n"])
def test_basic_auth_of_any_user_is_redacted(user: str, suffix: str) -> None:
    """The secret inside base64 at any alignment, whoever the user, whatever follows."""
    r = Redactor()
    r.add(SECRET)
    blob = base64.b64encode(f"{user}:{SECRET}{suffix}".encode()).decode()
    shown = r(f"Authorization: Basic {blob}")
    assert blob not in shown and "***" in shown
    # What is left encodes the user and the suffix, plus a few characters at each edge.
    left = shown.replace("Authorization: Basic ", "").replace("***", "")
    assert len(left) <= 4 * (len(user) + len(suffix) + 1) // 3 + 6


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        repr(SECRET)[1:-1],
        base64.b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
    ],
)
def test_every_encoding_is_redacted(form: str) -> None:
    r = Redactor()
    r.add(SECRET)
    assert r(f"before {form} after") == "before *** after"


def test_longest_first_and_userinfo() -> None:
    r = Redactor()
    r.add("abcdefgh")
    r.add("abcdefgh-longer")
    assert r("x abcdefgh-longer y") == "x *** y"
    assert r("see https://me:pw@host:8080/simple/ and http://tok@h/") == (
        "see https://***@host:8080/simple/ and http://***@h/"
    )
    assert not r.add("")  # nothing to hide, nothing learned


def test_split_and_display_url() -> None:
    assert split_userinfo("https://u:p%40w@h:1/x") == ("https://h:1/x", "u", "p@w")
    assert split_userinfo("https://tok@h/") == ("https://h/", "tok", None)
    assert split_userinfo("https://h/") == ("https://h/", None, None)
    assert split_userinfo("http://[::1") == ("http://[::1", None, None)  # unparsable: unchanged
    assert display_url("https://u:p@h/x") == "https://***@h/x"


def test_scrub_env_and_credential_values() -> None:
    env = {
        "PYPI_TOKEN": "a",
        "HWB_REGISTRY_CORP_PASSWORD": "b",
        "HWB_REGISTRY_CORP_USERNAME": "ci",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "c",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/",
        "PYPI_ID_TOKEN": "d",
        "CI_JOB_TOKEN": "e",
        "AWS_SECRET_ACCESS_KEY": "f",
        "UV_INDEX_CORP_PASSWORD": "installer-password",
        "PATH": "/usr/bin",
        "NO_COLOR": "1",
        "SHORT_TOKEN": "1",
        "HTTPS_PROXY": "http://alice:proxy%40pw@proxy.corp:3128",
        "http_proxy": "http://proxy.corp:3128",  # no password: nothing to hide
    }
    kept = scrub_env(env)
    assert set(kept) == {
        "UV_INDEX_CORP_PASSWORD",
        "PATH",
        "NO_COLOR",
        "SHORT_TOKEN",
        "HTTPS_PROXY",
        "http_proxy",
    }  # fmt: skip  (builds may need the proxy to fetch their requirements)
    values = set(redaction.credential_values(env))
    assert values == {"a", "b", "c", "d", "e", "f", "installer-password", "proxy@pw"}


# -- URLs whose password holds an unencoded / # ? @ (issue 23 §3) --------------------------------
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://__token__:ab/cd+e=@upload.example.com/legacy/",
         "https://***@upload.example.com/legacy/"),
        ("https://u:p#q?r@h:8080/x", "https://***@h:8080/x"),
        ("https://u:p@ss@host/", "https://***@host/"),
        ("said 'https://u:a/b@127.0.0.1:1/r.git/': x", "said 'https://***@127.0.0.1:1/r.git/': x"),
        ("https://user:pw@host/x", "https://***@host/x"),
        # Not userinfo: an @ in the path stays (no user:password before it).
        ("https://fosstodon.org/@hwb", "https://fosstodon.org/@hwb"),
        ("git+https://github.com/o/r@v1.0", "git+https://github.com/o/r@v1.0"),
    ],
)  # fmt: skip
def test_display_url_hides_userinfo_a_parser_would_cut(text: str, shown: str) -> None:
    from hwb.redaction import display_url

    assert display_url(text) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:ab/cd@h/x", "https://***@h/x"),
        ("https://u:ab#cd?e@h/x", "https://***@h/x"),
        ("u:ab/cd@h:1", "***@h:1"),
        ("https://host/x", "https://host/x"),
        ("https://h/a@b", "https://***@b"),  # failed to parse: everything that could be userinfo
    ],
)
def test_strip_userinfo_of_a_url_that_failed_to_parse(url: str, shown: str) -> None:
    from hwb.redaction import strip_userinfo

    assert strip_userinfo(url) == shown


def test_url_error_drops_what_the_parser_quotes() -> None:
    from urllib.parse import urlsplit

    from hwb.redaction import url_error

    with pytest.raises(ValueError) as caught:
        urlsplit("https://u:headofsecret/rest@h/").port  # noqa: B018
    assert "headofsecret" in str(caught.value)
    assert "headofsecret" not in url_error(caught.value)


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["--token", "T1"], [("T1", None)]),
        (["--token=T2"], [("T2", None)]),
        (["-p", "P1"], [("P1", None)]),
        (["-pP2"], [("P2", None)]),
        (["--password=P3"], [("P3", None)]),
        (["--url", "https://u:a/b@h/"], [("a/b", "u")]),
        (["--url=https://u:pw@h/"], [("pw", "u"), ("pw", "u")]),
        (["--project", "p", "--python", "3.12"], []),
    ],
)
def test_argv_secrets(argv: list[str], found: list[tuple[str, str | None]]) -> None:
    from hwb.redaction import argv_secrets

    assert list(argv_secrets(argv)) == found
