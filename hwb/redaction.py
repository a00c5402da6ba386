"""What a secret is, where secrets come from, and how they are hidden.

One :class:`Redactor` per run knows every secret hwb has seen and every encoding a server or a
library may turn it into (raw, base64 of ``user:secret`` and of the secret alone, percent- and
JSON-escaped, ``repr``), so that the output layer (:mod:`hwb.output`, the only thing that
prints or writes reports) can hide all of them with one regular expression.

Secrets enter from: ``--token``; the credential variables in :data:`CREDENTIAL_ENV` and the
patterns in :data:`CREDENTIAL_ENV_PATTERNS` (registered when the CLI starts); ``${VAR}`` values
of secret configuration keys; URL userinfo (:func:`split_userinfo`); OIDC tokens and the tokens
minted from them, registered at the moment they exist.

The same list is what :func:`scrub_env` removes from the environment of every child process
(build backends are third-party code and never see publishing credentials).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Protocol
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

REDACTED = "***"

#: Credential variables hwb reads or that tools it drives read (documented in the README).
CREDENTIAL_ENV: tuple[str, ...] = (
    "PYPI_TOKEN",
    "TESTPYPI_TOKEN",
    "HWB_ACTION_PASSWORD",
    "TWINE_PASSWORD",
    "TWINE_USERNAME",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "FLIT_PASSWORD",
    "POETRY_PYPI_TOKEN_PYPI",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "PYPI_ID_TOKEN",
    "TESTPYPI_ID_TOKEN",
    "SIGSTORE_ID_TOKEN",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V2",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
)
#: Names matching these are publishing credentials too: every registry's variables, the
#: OIDC request variables, GitLab's ``<AUD>_ID_TOKEN``.
CREDENTIAL_ENV_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^HWB_REGISTRY_\w+_(PASSWORD|TOKEN|USERNAME)$"),
    re.compile(r"^ACTIONS_ID_TOKEN_REQUEST_\w+$"),
    re.compile(r"^\w*_ID_TOKEN$"),
)
#: Names that look like secrets (``*_PASSWORD``, ``*_TOKEN``, ``*SECRET*``): their values are
#: masked in everything hwb prints, but they stay in child environments (an installer may need
#: ``UV_INDEX_*_PASSWORD`` to fetch build requirements).
_SECRET_LOOKING = re.compile(r"^\w*(PASSWORD|PASSWD|_TOKEN|SECRET\w*|_API_KEY|PRIVATE_KEY)$")
#: Not secrets although their names look like it (the URL is needed to know the CI).
_NOT_SECRET_VALUES = {
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "TWINE_USERNAME",
    "AWS_ACCESS_KEY_ID",
    "GOOGLE_APPLICATION_CREDENTIALS",
}
#: Values shorter than this found by name pattern only are not masked ("1", "true"...).
_MIN_HEURISTIC = 8
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]*)@")
#: Userinfo whose password holds an unencoded ``/``, ``#``, ``?`` or ``@`` (base64 tokens):
#: ``user:`` then anything up to the last ``@`` that a host follows. A URL parser reads the
#: password's tail as the path, so :data:`_USERINFO` alone would show it.
_LOOSE_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s:'\"<>]*:[^\s'\"<>]*@"
    r"(?=[^\s/?#@'\"<>]+(?:[/?#\s'\"<>]|$))"
)
#: A URL in free text (a tool's message): from the scheme to the next blank or quote.
_URL_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")


class Mask(Protocol):
    """Registers a secret with the output layer (``Output.mask``)."""

    def __call__(self, secret: str, username: str | None = None, /) -> None: ...


def is_credential_name(name: str) -> bool:
    """A publishing credential hwb knows about (never passed to a child process)."""
    return name in CREDENTIAL_ENV or any(p.match(name) for p in CREDENTIAL_ENV_PATTERNS)


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def credential_values(environ: Mapping[str, str]) -> Iterable[str]:
    """Every secret value in ``environ``: the credentials hwb knows, the passwords in proxy
    URLs, and values of variables named like secrets (when long enough not to be a flag like
    ``1``)."""
    for name, value in environ.items():
        if not value or name in _NOT_SECRET_VALUES or name.endswith("_USERNAME"):
            continue
        if name.lower() in _PROXY_VARIABLES:  # a corporate proxy's password, in its URL
            # urllib also takes one without a scheme ("user:pw@proxy:3128")
            password = split_userinfo(value if "://" in value else f"http://{value}")[2]
            if password:
                yield password
            continue
        if is_credential_name(name) or (
            _SECRET_LOOKING.match(name) and len(value) >= _MIN_HEURISTIC
        ):
            yield value


def scrub_env(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``environ`` without any credential variable (for child processes)."""
    return {k: v for k, v in environ.items() if not is_credential_name(k)}


# -- URLs ------------------------------------------------------------------------------------
def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``https://user:pw@host/x`` -> (``https://host/x``, user, pw); unchanged without
    userinfo. Percent-escapes in the userinfo are decoded (they are what the user meant)."""
    from urllib.parse import unquote

    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None, None
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=hostport))
    return clean, unquote(user) or None, unquote(password) if sep else None


def display_url(url: str) -> str:
    """A URL fit to print: any userinfo is replaced by ``***`` (also one whose password holds
    an unencoded ``/``, ``#``, ``?`` or ``@``)."""
    url = _LOOSE_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", url)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", url)


def strip_userinfo(url: str) -> str:
    """A URL that may not parse, fit to print: everything between ``://`` (or the start, without
    one) and the last ``@`` is replaced by ``***``, as it could all be userinfo (a password with
    an unencoded ``/``, ``#`` or ``?`` is what makes such a URL fail to parse)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    return f"{scheme}{sep}{REDACTED}@{rest.rpartition('@')[2]}"


def strip_userinfo_in(text: str) -> str:
    """:func:`strip_userinfo` on every URL in a tool's message (git's, about its remote)."""
    return _URL_TOKEN.sub(lambda m: strip_userinfo(m.group()), text)


#: The hint for a URL that failed to parse: the usual cause is an unencoded password.
ENCODE_HINT = "A password holding / # ? or @ must be percent-encoded in a URL (%2F %23 %3F %40)."


def url_error(exc: ValueError) -> str:
    """Why a URL did not parse, without the part it quotes (``Port could not be cast to integer
    value as 'abc'``: that part is the password's head when the password holds a ``/``)."""
    return re.sub(r"(?:\s+as)?\s*'[^']*'", "", str(exc)).rstrip(" :") or "it does not parse"


def userinfo_secret(url: str) -> tuple[str | None, str | None]:
    """(user, password) of a URL read the strict way: everything between ``://`` and the last
    ``@`` is userinfo, even where a URL parser would stop at a ``/``, ``#`` or ``?``. A userinfo
    without ``:`` is a token used as the user name: returned as the password (unless it holds
    a ``/``: then the ``@`` is in the path)."""
    from urllib.parse import unquote

    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return None, None
    userinfo = rest.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    if not colon:
        return None, (unquote(user) or None) if "/" not in user else None
    return unquote(user) or None, unquote(password) or None


#: hwb's options whose value is a secret (``hwb publish``).
SECRET_OPTIONS = ("--token", "--password", "-p")


def argv_secrets(argv: Iterable[str]) -> Iterable[tuple[str, str | None]]:
    """(secret, user) for every secret in a command line: the values of
    :data:`SECRET_OPTIONS` in each spelling (``--token X``, ``--token=X``, ``-pX``) and URL
    passwords, read both the parser's way and the strict way (:func:`userinfo_secret`)."""
    args = list(argv)
    for i, arg in enumerate(args):
        for option in SECRET_OPTIONS:
            if arg == option and i + 1 < len(args):
                yield args[i + 1], None
            elif arg.startswith(option + "="):
                yield arg.partition("=")[2], None
            elif not option.startswith("--") and arg.startswith(option) and len(arg) > 2:
                yield arg[2:], None
        if "://" in arg and "@" in arg:
            value = arg.partition("=")[2] if arg.startswith("-") else arg
            for user, password in (split_userinfo(value)[1:], userinfo_secret(value)):
                if password:
                    yield password, user


# -- encodings -------------------------------------------------------------------------------
def _b64_cores(secret: bytes) -> set[str]:
    """The part of base64(prefix + secret + suffix) that depends only on the secret, for each
    of the three alignments a prefix can give it: so a secret inside any base64 blob (Basic
    auth of ``anyuser:secret``, a JSON document encoded whole) is found."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret).decode().rstrip("=")
        # Only the characters whose 6 bits all come from the secret: none mixed with the
        # prefix's bits, none mixed with a suffix's.
        start = (shift * 4 + 2) // 3
        core = encoded[start : (8 * (shift + len(secret))) // 6]
        if len(core) >= 6:
            cores.add(core)
    return cores


def encodings(secret: str, username: str | None = None) -> set[str]:
    """Every form of ``secret`` hwb or a server may print."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.add(repr(secret)[1:-1])
    raw = secret.encode("utf-8")
    forms.add(base64.b64encode(raw).decode())
    forms.add(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    if username is not None:
        forms.add(base64.b64encode(f"{username}:{secret}".encode()).decode())
    if len(secret) >= 8:
        forms |= _b64_cores(raw)
    forms |= {line for line in secret.splitlines() if len(line) >= 4}
    return {f for f in forms if f}


class Redactor:
    """The secrets of one run and one compiled pattern over all their encodings."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str, username: str | None = None) -> bool:
        """Learn a secret; True when it was new."""
        if not secret:
            return False
        key = f"{username}\0{secret}" if username is not None else secret
        with self._lock:
            if key in self._secrets:
                return False
            self._secrets.add(key)
            self._forms |= encodings(secret, username)
            # Longest first, so a form containing another is redacted whole.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return True

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        if "@" in text:
            text = display_url(text)
        return text
