"""Test doubles for trusted publishing, used only because the real services cannot run offline.

``FakeIssuer`` is a loopback OIDC issuer faithful to what each CI serves:
  - RS256 JWTs (PyJWT) with the claim shapes of GitHub Actions, GitLab CI and Google, their real
    ``iss`` values, ``aud``, ``iat``, ``nbf``, ``exp`` and a fresh ``jti`` per token; its JWKS at
    ``/.well-known/jwks``;
  - GitHub's token endpoint as runners expose it: ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=A``
    with ``Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`` → ``{"value": "<jwt>"}`` (401
    for a wrong bearer);
  - Google's metadata server: ``GET /computeMetadata/v1/instance/service-accounts/default/
    identity?audience=A&format=full`` with ``Metadata-Flavor: Google`` → the raw JWT;
  - GitLab's tokens are job variables (``PYPI_ID_TOKEN``): ``issuer.token("gitlab", aud)``.

``FakeWarehouse`` is a Warehouse-like front for a *real* pypiserver, per PyPI's documented
protocol (docs.pypi.org/trusted-publishers/internals, warehouse oidc/views.py, forklift):
  - ``GET /_/oidc/audience`` → ``{"audience": "pypi"}`` (or "testpypi"); 403 when disabled;
  - ``POST /_/oidc/mint-token`` with ``{"token": jwt}``: the JWT is verified against the issuer's
    JWKS (signature, iss, aud, iat, exp, nbf required), its ``jti`` is single-use, its claims
    must match a configured publisher the way Warehouse matches them; success is
    ``{"success": true, "token": "pypi-…", "expires": <unix>}``, failure is HTTP 422
    ``{"message": "Token request failed", "errors": [{"code", "description"}]}`` with
    Warehouse's codes and descriptions;
  - ``POST /legacy/``: only ``__token__`` with a token it minted, unexpired, for the uploaded
    project; otherwise 403 with Warehouse's reason phrases in the status line; accepted uploads
    are forwarded byte for byte to pypiserver. The ``attestations`` field is recorded.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import http.client
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

GITHUB_ISS = "https://token.actions.githubusercontent.com"
GITLAB_ISS = "https://gitlab.com"
GOOGLE_ISS = "https://accounts.google.com"
REQUEST_TOKEN = "fake-actions-request-token"


def github_claims(
    repo: str = "octo/greet",
    workflow: str = "release.yml",
    environment: str | None = "pypi",
    caller: str | None = None,
) -> dict[str, Any]:
    owner = repo.partition("/")[0]
    job = f"{repo}/.github/workflows/{workflow}@refs/tags/v1.0.0"
    claims: dict[str, Any] = {
        "iss": GITHUB_ISS,
        "sub": f"repo:{repo}:environment:{environment}" if environment else f"repo:{repo}",
        "repository": repo,
        "repository_owner": owner,
        "repository_owner_id": "1234",
        "repository_id": "5678",
        "workflow_ref": caller or job,
        "job_workflow_ref": job,
        "ref": "refs/tags/v1.0.0",
        "sha": "0" * 40,
        "event_name": "push",
    }
    if environment:
        claims["environment"] = environment
    return claims


def gitlab_claims(
    project: str = "group/greet", ci_file: str = ".gitlab-ci.yml", environment: str | None = None
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": GITLAB_ISS,
        "sub": f"project_path:{project}:ref_type:tag:ref:v1.0.0",
        "project_path": project,
        "namespace_path": project.rsplit("/", 1)[0],
        "ci_config_ref_uri": f"gitlab.com/{project}//{ci_file}@refs/tags/v1.0.0",
        "ref_path": "refs/tags/v1.0.0",
        "sha": "0" * 40,
    }
    if environment:
        claims["environment"] = environment
    return claims


def google_claims(email: str = "release@greet.iam.gserviceaccount.com") -> dict[str, Any]:
    return {"iss": GOOGLE_ISS, "email": email, "email_verified": True, "sub": "1122334455"}


class _Server:
    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        raise NotImplementedError

    @staticmethod
    def reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes | dict[str, Any] = b"",
        reason: str | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        handler.send_response(status, reason)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


class FakeIssuer(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self.key.public_key()
        self.claims: dict[str, Any] = github_claims()  # what the CI's next token says
        self.lifetime = 300
        self.requests: Counter[str] = Counter()  # audience -> tokens handed out

    def token(self, audience: str, claims: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        payload = {
            **(claims or self.claims),
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + self.lifetime,
            "jti": secrets.token_hex(16),
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "fake"})

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
            self.reply(handler, 200, {"keys": [{**jwk, "kid": "fake", "alg": "RS256"}]})
        elif parts.path == "/github/token":
            if handler.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                self.reply(handler, 401, {"message": "Bad credentials"})
                return
            self.requests[query.get("audience", "")] += 1
            self.reply(handler, 200, {"count": 1, "value": self.token(query["audience"])})
        elif parts.path.endswith("/service-accounts/default/identity"):
            if handler.headers.get("Metadata-Flavor") != "Google":
                self.reply(
                    handler, 403, b"Missing Metadata-Flavor:Google header.", None, "text/plain"
                )
                return
            self.requests[query.get("audience", "")] += 1
            self.reply(handler, 200, self.token(query["audience"]).encode(), None, "text/plain")
        else:
            self.reply(handler, 404, {"message": "not found"})

    def github_env(self) -> dict[str, str]:
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/github/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        }


@dataclass
class Publisher:
    """A trusted publisher as registered on the index for ``project``."""

    kind: str  # github | gitlab | google
    project: str
    repository: str = ""  # github owner/repo, gitlab namespace/project
    workflow: str = ""  # github workflow file, gitlab CI file path
    environment: str = ""  # "" accepts any
    email: str = ""


@dataclass
class Minted:
    project: str
    expires: float


@dataclass
class WarehouseStats:
    mints: int = 0
    uploads: Counter[str] = field(default_factory=Counter)
    tokens_used: set[str] = field(default_factory=set)
    rejected: list[str] = field(default_factory=list)
    attestations: dict[str, Any] = field(default_factory=dict)


class FakeWarehouse(_Server):
    def __init__(
        self,
        upstream: str,
        issuer: FakeIssuer,
        publishers: list[Publisher],
        audience: str = "pypi",
        ttl: float = 900,
    ) -> None:
        super().__init__()
        #: When minted tokens expire; a test may replace it with a clock it advances itself.
        self.clock: Callable[[], float] = time.time
        self.upstream = urlsplit(upstream)
        self.issuer = issuer
        self.publishers = publishers
        self.audience = audience
        self.ttl = ttl
        self.enabled = True
        self.used_jti: set[str] = set()
        self.tokens: dict[str, Minted] = {}
        self.stats = WarehouseStats()
        self._lock = threading.Lock()
        self.upload_url = f"{self.url}/legacy/"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = urlsplit(handler.path).path
        if path == "/_/oidc/audience" and handler.command == "GET":
            if not self.enabled:
                self.reply(
                    handler, 403, {"message": "Trusted publishing functionality not enabled"}
                )
                return
            self.reply(handler, 200, {"audience": self.audience})
        elif path in {"/_/oidc/mint-token", "/_/oidc/github/mint-token"}:
            self._mint(handler, body)
        elif path == "/legacy/" and handler.command == "POST":
            self._upload(handler, body)
        else:
            self.reply(handler, 404, {"message": "Not Found"}, "Not Found")

    # -- mint ------------------------------------------------------------------------------------
    def _fail(self, handler: BaseHTTPRequestHandler, code: str, description: str) -> None:
        self.reply(
            handler,
            422,
            {
                "message": "Token request failed",
                "errors": [{"code": code, "description": description}],
            },
        )

    def _mint(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            token = json.loads(body)["token"]
            assert isinstance(token, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            self._fail(handler, "invalid-payload", "token is missing or not a string")
            return
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            self._fail(handler, "invalid-payload", "malformed JWT")
            return
        if unverified.get("iss") not in {GITHUB_ISS, GITLAB_ISS, GOOGLE_ISS}:
            self._fail(handler, "invalid-payload", "unknown trusted publishing issuer")
            return
        try:
            claims = jwt.decode(
                token,
                self.issuer.public_key,
                algorithms=["RS256"],
                audience=self.audience,
                options={"require": ["iss", "iat", "exp", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError:
            self._fail(handler, "invalid-token", "malformed or invalid token")
            return
        with self._lock:
            if claims.get("jti") in self.used_jti:
                self._fail(handler, "invalid-reuse-token", "invalid token: already used")
                return
            self.used_jti.add(claims.get("jti", ""))
        publisher, reason = self._match(claims)
        if publisher is None:
            self._fail(
                handler,
                "invalid-publisher",
                f"valid token, but no corresponding publisher ({reason})",
            )
            return
        value = "pypi-" + secrets.token_urlsafe(48)
        expires = self.clock() + self.ttl
        with self._lock:
            self.tokens[value] = Minted(publisher.project, expires)
            self.stats.mints += 1
        self.reply(handler, 200, {"success": True, "token": value, "expires": int(expires)})

    def _match(self, claims: dict[str, Any]) -> tuple[Publisher | None, str]:
        reason = "Publisher with matching claims was not found"
        for p in self.publishers:
            if p.kind == "github" and claims.get("iss") == GITHUB_ISS:
                owner = p.repository.partition("/")[0]
                expected = f"{p.repository}/.github/workflows/{p.workflow}@"
                if str(claims.get("repository", "")).lower() != p.repository.lower():
                    continue
                if claims.get("repository_owner") != owner:
                    continue
                if not str(claims.get("job_workflow_ref", "")).startswith(expected):
                    reason = (
                        "The job_workflow_ref claim does not match, expecting one of "
                        f"['{expected}{claims.get('ref')}'], got '{claims.get('job_workflow_ref')}'"
                    )
                    continue
            elif p.kind == "gitlab" and claims.get("iss") == GITLAB_ISS:
                if str(claims.get("project_path", "")).lower() != p.repository.lower():
                    continue
                prefix = f"gitlab.com/{p.repository}//{p.workflow}@"
                if not str(claims.get("ci_config_ref_uri", "")).startswith(prefix):
                    reason = "Check failed for required claim 'ci_config_ref_uri'"
                    continue
            elif p.kind == "google" and claims.get("iss") == GOOGLE_ISS:
                if claims.get("email") != p.email or claims.get("email_verified") is not True:
                    continue
            else:
                continue
            if (
                p.environment
                and str(claims.get("environment", "")).lower() != p.environment.lower()
            ):
                reason = "Check failed for optional claim 'environment'"
                continue
            return p, ""
        return None, reason

    # -- upload ----------------------------------------------------------------------------------
    def _upload(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        auth = handler.headers.get("Authorization", "")
        password = ""
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if user != "__token__":
                password = ""
        minted = self.tokens.get(password)
        invalid = (
            "Invalid or non-existent authentication information. "
            "See https://pypi.org/help/#invalid-auth for more information."
        )
        if minted is None or minted.expires < self.clock():
            self.stats.rejected.append("expired" if minted else "unknown")
            self.reply(handler, 403, b"", invalid, "text/plain")
            return
        form = _parse_form(handler.headers.get("Content-Type", ""), body)
        name = form.get("name", "")
        if name.replace("_", "-").lower() != minted.project:
            self.stats.rejected.append(f"project {name}")
            self.reply(
                handler, 403, b"",
                f"The given token isn't allowed to upload to project '{name}'. "
                "See https://pypi.org/help/#project-name for more information.",
                "text/plain",
            )  # fmt: skip
            return
        if "attestations" in form:
            self.stats.attestations[form.get("filename", name)] = json.loads(form["attestations"])
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30
        )
        try:
            conn.request(
                "POST", self.upstream.path or "/", body=body,
                headers={"Content-Type": handler.headers.get("Content-Type", "")},
            )  # fmt: skip
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if 200 <= response.status < 300:
            with self._lock:
                self.stats.uploads[form.get("filename", name)] += 1
                self.stats.tokens_used.add(password)
        self.reply(handler, response.status, data, response.reason, "text/plain")


def _parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """The text fields of a multipart/form-data body (and the file's name as ``filename``)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        if filename:
            fields["filename"] = filename
            continue
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode() if isinstance(payload, bytes) else ""
    return fields


class FakeRegistryExchange(_Server):
    """A private registry's own OIDC exchange in front of a real pypiserver, per the vendors'
    documented protocols (no offline server exists for either):

    - JFrog Artifactory: ``POST /access/api/v1/oidc/token`` with the RFC 8693 body
      (``grant_type`` token-exchange, ``subject_token_type`` id_token, ``subject_token``,
      ``provider_name``) → ``{"access_token", "token_type": "Bearer", "expires_in",
      "issued_token_type"}``; the access token is a JWT whose ``sub`` is
      ``jfac@<id>/users/<user>``; errors use JFrog's REST shape ``{"errors": [{"code",
      "message"}]}``.
    - Cloudsmith: ``POST /openid/{org}/`` with ``{"oidc_token", "service_slug"}`` → ``{"token"}``;
      errors in Django REST framework's ``{"detail": …}`` shape.

    The OIDC token is verified against the issuer's key and the configured audience; uploads at
    ``/upload/`` need Basic auth with the user and the token issued here, and are forwarded to
    pypiserver.
    """

    def __init__(
        self,
        kind: str,
        upstream: str,
        issuer: FakeIssuer,
        audience: str,
        provider: str = "github",
        org: str = "acme",
        service: str = "ci-bot",
        user: str = "ci-bot",
    ) -> None:
        super().__init__()
        self.kind, self.issuer, self.audience = kind, issuer, audience
        self.provider, self.org, self.service, self.user = provider, org, service, user
        self.upstream = urlsplit(upstream)
        self.tokens: set[str] = set()
        self.uploads: Counter[str] = Counter()
        self.upload_url = f"{self.url}/upload/"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = urlsplit(handler.path).path
        if self.kind == "artifactory" and path == "/access/api/v1/oidc/token":
            self._artifactory(handler, json.loads(body or b"{}"))
        elif self.kind == "cloudsmith" and path == f"/openid/{self.org}/":
            self._cloudsmith(handler, json.loads(body or b"{}"))
        elif path == "/upload/" and handler.command == "POST":
            self._upload(handler, body)
        else:
            self.reply(handler, 404, {"errors": [{"code": "NOT_FOUND", "message": "Not Found"}]})

    def _verified(self, token: str) -> bool:
        try:
            jwt.decode(token, self.issuer.public_key, algorithms=["RS256"], audience=self.audience)
        except jwt.PyJWTError:
            return False
        return True

    def _artifactory(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if body.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
            self.reply(
                handler,
                400,
                {"errors": [{"code": "BAD_REQUEST", "message": "Unsupported grant type"}]},
            )
            return
        if body.get("provider_name") != self.provider:
            self.reply(
                handler,
                404,
                {
                    "errors": [
                        {
                            "code": "NOT_FOUND",
                            "message": f"Provider '{body.get('provider_name')}' not found",
                        }
                    ]
                },
            )
            return
        if not self._verified(str(body.get("subject_token", ""))):
            self.reply(
                handler,
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "Token validation failed"}]},
            )
            return
        token = jwt.encode(
            {"sub": f"jfac@01fake/users/{self.user}", "jti": secrets.token_hex(8)},
            "k" * 32,
            algorithm="HS256",
        )
        self.tokens.add(token)
        issued = "urn:ietf:params:oauth:token-type:access_token"
        self.reply(
            handler,
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
             "issued_token_type": issued},
        )  # fmt: skip

    def _cloudsmith(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if body.get("service_slug") != self.service or not self._verified(
            str(body.get("oidc_token", ""))
        ):
            self.reply(handler, 401, {"detail": "Invalid OIDC token or service account."})
            return
        token = secrets.token_hex(20)
        self.tokens.add(token)
        self.reply(handler, 200, {"token": token})

    def _upload(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        auth = handler.headers.get("Authorization", "")
        user, _, password = (
            base64.b64decode(auth[6:]).decode().partition(":")
            if auth.startswith("Basic ")
            else ("", "", "")
        )
        if password not in self.tokens or user != self.user:
            self.reply(
                handler,
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "Bad credentials"}]},
                "Unauthorized",
            )
            return
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30
        )
        try:
            conn.request(
                "POST",
                "/",
                body=body,
                headers={"Content-Type": handler.headers.get("Content-Type", "")},
            )
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if 200 <= response.status < 300:
            self.uploads[
                _parse_form(handler.headers.get("Content-Type", ""), body).get("filename", "?")
            ] += 1
        self.reply(handler, response.status, data, response.reason, "text/plain")


class EchoServer(_Server):
    """A careless server: every error it gives echoes the request (headers, query and body)
    in its body, as misconfigured proxies and registries do. Used only by the secret-leak
    tests, in front of nothing: the point is what hwb does with an answer that quotes its
    credentials (``Authorization: Basic base64(user:token)``, the CI's bearer request token,
    the OIDC token posted for a mint).

    ``status`` is the answer to every upload; ``/_/oidc/audience`` answers 200 (so trusted
    publishing reaches the mint), ``/_/oidc/mint-token`` answers ``mint_status`` (200 with
    ``minted`` as the token, or an echo), GitHub's token endpoint (``/github/token``) answers
    ``token_status`` (200 with ``id_token``, or an echo).
    """

    def __init__(
        self,
        status: int = 401,
        *,
        mint_status: int = 200,
        minted: str = "",
        token_status: int = 200,
        id_token: str = "",
    ) -> None:
        super().__init__()
        self.status = status
        self.mint_status = mint_status
        self.minted = minted
        self.token_status = token_status
        self.id_token = id_token
        self.upload_url = f"{self.url}/legacy/"
        self.seen: list[str] = []

    def _echo(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        lines = [f"{k}: {v}" for k, v in handler.headers.items() if k.lower() == "authorization"]
        lines += [f"{handler.command} {handler.path}"]
        lines += [f"{k}: {v}" for k, v in handler.headers.items()]
        lines += ["", body[:2000].decode("utf-8", "replace")]
        text = "\n".join(lines)
        self.seen.append(text)
        self.reply(handler, status, text.encode(), f"Echo {status}", "text/plain")

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = urlsplit(handler.path).path
        if path == "/_/oidc/audience":
            self.reply(handler, 200, {"audience": "pypi"})
        elif path in {"/_/oidc/mint-token", "/_/oidc/github/mint-token"}:
            if self.mint_status == 200:
                expires = int(time.time()) + 900
                self.reply(
                    handler, 200, {"success": True, "token": self.minted, "expires": expires}
                )
            else:
                self._echo(handler, self.mint_status, body)
        elif path == "/github/token":
            if self.token_status == 200:
                self.reply(handler, 200, {"count": 1, "value": self.id_token})
            else:
                self._echo(handler, self.token_status, body)
        elif path.startswith("/simple/"):
            self._echo(handler, 404, body)
        else:
            self._echo(handler, self.status, body)
