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
