"""Files and contents that must never be published: credentials, keys, VCS data.

Findings name the member (and line), never the secret itself.
"""

from __future__ import annotations

import re

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

SECRET_PATTERNS: list[tuple[str, re.Pattern[bytes]]] = [
    ("PyPI API token", re.compile(rb"pypi-AgE[A-Za-z0-9_\-]{40,}")),
    ("GitHub token", re.compile(rb"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b")),
    ("GitHub fine-grained token", re.compile(rb"\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("GitLab token", re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("AWS access key ID", re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key", re.compile(rb"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("Slack token", re.compile(rb"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
]
_PRIVATE_KEY = SECRET_PATTERNS[5][1]
# One pass over each member finds any pattern; only a hit pays for telling them apart.
_ANY_SECRET = re.compile(b"|".join(b"(?:" + p.pattern + b")" for _, p in SECRET_PATTERNS))


# A name that matches none of these cannot be sensitive (cheap filter for big archives).
_MAYBE_SENSITIVE = re.compile(
    r"(?:^|/)(?:\.|_netrc|id_|credentials)|\.(?:p12|pfx|jks|keystore)$", re.IGNORECASE
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


def scan_member(ctx: Context, name: str, head: bytes) -> None:
    """Secret patterns in the first bytes of a member (binary members included: a token in a
    compiled file leaks just the same)."""
    reason = sensitive_name(name)
    if reason is not None:
        ctx.add("HWB401", f"{name}: {reason}", name)
    elif name.lower().endswith(_KEY_FILES) and _PRIVATE_KEY.search(head):
        ctx.add("HWB401", f"{name}: contains a private key", name)
        return
    if not _ANY_SECRET.search(head):
        return
    for label, pattern in SECRET_PATTERNS:
        match = pattern.search(head)
        if match:
            line = head.count(b"\n", 0, match.start()) + 1
            ctx.add("HWB402", f"{name}:{line}: looks like a {label}", name)


def scan_names(ctx: Context) -> None:
    """Sensitive directories show up as members without content (zip dir entries)."""
    for m in ctx.archive.members:
        if m.kind != "file":
            reason = sensitive_name(m.name)
            if reason is not None:
                ctx.add("HWB401", f"{m.name}: {reason}", m.name)
