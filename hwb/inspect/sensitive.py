"""Files and contents that must never be published: credentials, keys, VCS data.

Findings name the member (and line), never the secret itself. Only members that can hold a
secret in readable form are scanned (text, by extension and by a NUL-byte sniff of the head);
each is first searched for a few literal anchors with ``bytes.find`` and only a hit pays for a
regular expression. A private key counts only as a whole PEM block (BEGIN, base64 body, END),
so code that merely names the marker (parsers, docstrings) is not a finding. In an sdist, keys
and credential files under a test directory are test fixtures: a warning the user sees, not a
blocker; in a wheel they are installed on every user's machine, so they stay errors.

Documented example credentials are not secrets: AWS's documentation marks every sample with
EXAMPLE (``AKIAIOSFODNN7EXAMPLE``, ``-----BEGIN RSA PRIVATE KEY-----EXAMPLE...``), and an
access key ID in a presigned URL's ``X-Amz-Credential`` is public by design (the secret key
never appears; info). Test keys a project ships on purpose (pycryptodome's ``SelfTest``,
tornado's ``test/test.key``) are allowed by path with ``[tool.hwb.inspect] allow-sensitive``:
their findings become info, still listed.
"""

from __future__ import annotations

import re

from hwb.inspect.catalogue import Severity
from hwb.inspect.context import Context

_SENSITIVE_DIRS = {".git", ".hg", ".svn", ".aws", ".ssh", ".gnupg", ".docker"}
_SENSITIVE_NAMES = {
    ".env",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".htpasswd",
    "credentials.json",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".git-credentials",
}
_ENV_SAMPLE = re.compile(r"^\.env\.(example|sample|template|dist)$")
_KEYSTORES = (".p12", ".pfx", ".jks", ".keystore")
_KEY_FILES = (".pem", ".key")
_SSH_KEY = re.compile(r"^id_(rsa|dsa|ecdsa|ed25519)")

# Members that cannot hold a readable secret: compiled code, images, fonts, archives, data.
BINARY_SUFFIXES = frozenset(
    {
        ".so",
        ".pyd",
        ".dll",
        ".dylib",
        ".exe",
        ".lib",
        ".a",
        ".o",
        ".obj",
        ".pyc",
        ".pyo",
        ".whl",
        ".zip",
        ".gz",
        ".bz2",
        ".xz",
        ".zst",
        ".tar",
        ".7z",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".icns",
        ".tif",
        ".tiff",
        ".webp",
        ".svgz",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".pdf",
        ".mo",
        ".npy",
        ".npz",
        ".pkl",
        ".pickle",
        ".parquet",
        ".feather",
        ".h5",
        ".hdf5",
        ".nc",
        ".mat",
        ".sqlite",
        ".db",
        ".bin",
        ".wasm",
        ".jar",
        ".class",
        ".mp3",
        ".mp4",
        ".wav",
        ".ogg",
        ".avi",
        ".mov",
        ".cat",
        ".swf",
    }
)
_SO_VERSIONED = re.compile(r"\.so(?:\.\d+)+$")
#: Only this much of a member's head is sniffed for NUL bytes.
SNIFF_BYTES = 8192

# A PEM private key block: BEGIN line, optional RFC 1421 headers, a base64 body (also as it
# sits in source code: quoted lines or literal \n escapes), END line of the same kind.
_PEM_BLOCK = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    rb"(?:\\n|\\r|[\s\"',])*"
    rb"(?:[A-Za-z-]+: [^\r\n\\]*(?:\\n|\\r|[\s\"',])+)*"  # Proc-Type/DEK-Info headers
    rb"(?:[A-Za-z0-9+/=](?:\\n|\\r|[\s\"',])*){40,}?"  # body: at least 40 base64 chars
    rb"-----END \1-----"
)
_PEM_ANCHOR = b"PRIVATE KEY-----"

SECRET_PATTERNS: list[tuple[str, tuple[bytes, ...], re.Pattern[bytes]]] = [
    ("PyPI API token", (b"pypi-AgE",), re.compile(rb"pypi-AgE[A-Za-z0-9_\-]{40,}")),
    (
        "GitHub token",
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"),
        re.compile(rb"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b"),
    ),
    (
        "GitHub fine-grained token",
        (b"github_pat_",),
        re.compile(rb"\bgithub_pat_[A-Za-z0-9_]{60,}"),
    ),
    ("GitLab token", (b"glpat-",), re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("AWS access key ID", (b"AKIA", b"ASIA"), re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key", (_PEM_ANCHOR,), _PEM_BLOCK),
    ("Slack token", (b"xox",), re.compile(rb"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
]

# One pass over a member for every anchor; only a hit pays for the patterns themselves.
_ANY_ANCHOR = re.compile(
    b"|".join(re.escape(a) for _, anchors, _ in SECRET_PATTERNS for a in anchors)
)

# A name that matches none of these cannot be sensitive (cheap filter for big archives).
_MAYBE_SENSITIVE = re.compile(
    r"(?:^|/)(?:\.|_netrc|id_|credentials)|\.(?:p12|pfx|jks|keystore)$", re.IGNORECASE
)
# Directories whose contents are test fixtures (in an sdist: warnings, not errors): test
# folders, and the certificate folders of test servers (urllib3's dummyserver/certs/).
_TEST_DIR = re.compile(
    r"(?:^|/)(?:tests?|testing|testdata|test_?data|fixtures?|self_?tests?|[^/]*_tests?|tests?_[^/]*"
    r"|dummyserver|certs|certificates|examples?|samples?)/",
    re.IGNORECASE,
)


def sensitive_name(name: str) -> str | None:
    """Why a member's path is sensitive by itself, or None."""
    if not _MAYBE_SENSITIVE.search(name):
        return None
    parts = name.rstrip("/").split("/")
    for part in parts[:-1]:
        if part in _SENSITIVE_DIRS:
            return f"{part}/ directory"
    base = parts[-1]
    if base in _SENSITIVE_DIRS:
        return f"{base}/ directory"
    if base in _SENSITIVE_NAMES or (_SSH_KEY.match(base) and not base.endswith(".pub")):
        return "credentials file"
    if base.startswith(".env.") and not _ENV_SAMPLE.match(base):
        return "environment file"
    if base.lower().endswith(_KEYSTORES):
        return "key store"
    return None


def wants_content(name: str) -> bool:
    """Whether a member's bytes are worth scanning, judged by its name alone."""
    base = name.rsplit("/", 1)[-1].lower()
    dot = base.rfind(".")
    if dot > 0 and base[dot:] in BINARY_SUFFIXES:
        return False
    return not (".so." in base and _SO_VERSIONED.search(base))


def is_binary(head: bytes) -> bool:
    return b"\x00" in head[:SNIFF_BYTES]


# Where a URL carries an access key ID in the open: a presigned URL (SigV4 and SigV2).
_PRESIGNED = re.compile(rb"(?:X-Amz-Credential=|AWSAccessKeyId=)$")


def find_secrets(head: bytes) -> list[tuple[str, int, bool]]:
    """(label, line, public) of every kind of secret in ``head``: the first real one of each
    kind, else the first public one (an access key ID in a presigned URL); documented examples
    are skipped. Cheap when there is none."""
    found: list[tuple[str, int, bool]] = []
    if not _ANY_ANCHOR.search(head):
        return found
    for label, anchors, pattern in SECRET_PATTERNS:
        if not any(a in head for a in anchors):
            continue
        public: tuple[str, int, bool] | None = None
        for match in pattern.finditer(head):
            if b"EXAMPLE" in match.group():  # AWS's documented samples, keys and PEM blocks
                continue
            line = head.count(b"\n", 0, match.start()) + 1
            if _PRESIGNED.search(head, max(0, match.start() - 20), match.start()):
                public = public or (label, line, True)
                continue
            found.append((label, line, False))
            break
        else:
            if public is not None:
                found.append(public)
    return found


def _judged(ctx: Context, name: str) -> tuple[Severity | None, str]:
    """The severity (None: the check's own) and note for a finding in ``name``: paths the
    project allows are info, test fixtures in an sdist warnings, everything else errors."""
    if ctx.allow_sensitive is not None:
        inner = _project_path(ctx, name)
        if ctx.allow_sensitive.match(inner):
            return Severity.INFO, " (allowed by [tool.hwb.inspect] allow-sensitive)"
    if ctx.archive.kind == "sdist" and _TEST_DIR.search(name):
        return Severity.WARNING, " (a test fixture in the sdist: check it is not a real one)"
    return None, ""


def _project_path(ctx: Context, name: str) -> str:
    """A member's path as the project sees it: an sdist's {name}-{version}/ top removed (a
    wheel's paths are already relative to site-packages)."""
    if ctx.archive.kind == "sdist":
        return name.split("/", 1)[1] if "/" in name else name
    return name


def allow_pattern(globs: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One regex for ``allow-sensitive`` globs, matched against a member's project path:
    ``*`` and ``?`` stay within a path segment, ``**/`` spans any number of directories (also
    none), a trailing ``/**`` everything below, a glob without ``/`` a base name at any depth."""
    if not globs:
        return None
    return re.compile("(?:" + "|".join(_glob_regex(g) for g in globs) + r")\Z")


def _glob_regex(text: str) -> str:
    glob = text.strip().lstrip("/")
    if glob.endswith("/"):  # a directory: everything below it
        glob += "**"
    if "/" not in glob.rstrip("/*"):
        glob = "**/" + glob
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif glob[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif glob[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(glob[i]), i + 1
    return out if glob.endswith("/**") else out + "/?"


def scan_name(ctx: Context, name: str) -> None:
    reason = sensitive_name(name)
    if reason is not None:
        severity, note = _judged(ctx, name)
        ctx.add("HWB401", f"{name}: {reason}{note}", name, severity)


def scan_member(ctx: Context, name: str, head: bytes) -> None:
    """Secrets in the first bytes of a text member (the caller skipped binary ones)."""
    secrets = find_secrets(head)
    if not secrets:
        return
    severity, note = _judged(ctx, name)
    if name.lower().endswith(_KEY_FILES) and any(s[0] == "private key" for s in secrets):
        ctx.add("HWB401", f"{name}: contains a private key{note}", name, severity)
        secrets = [s for s in secrets if s[0] != "private key"]
    for label, line, public in secrets:
        if public:
            ctx.add(
                "HWB402",
                f"{name}:{line}: an {label} in a presigned URL (an ID, public by design; "
                "no secret key next to it)",
                name,
                Severity.INFO,
            )
        else:
            ctx.add("HWB402", f"{name}:{line}: looks like a {label}{note}", name, severity)


def scan_names(ctx: Context) -> None:
    """Every member's path (files, and directories as zip dir entries show them)."""
    for m in ctx.archive.members:
        scan_name(ctx, m.name)
