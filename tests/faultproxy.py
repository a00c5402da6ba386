"""An HTTP proxy for tests and benchmarks, in front of a real registry on loopback.

It forwards every request to the upstream server and can inject, on uploads (POST) and, with
``lookups=True``, on index lookups (GET) too, at set rates: a 503 answer (never forwarded), a
connection reset before forwarding, and a connection reset *after* the upstream answered (for
an upload: the case where a client cannot know its upload landed). It can add a fixed delay to
every response (the benchmark's slow registry), die after N accepted uploads (a server killed
mid-run), and counts what reached the upstream, per file: accepted uploads, and uploads of a
file forwarded again after the upstream had already accepted it (re-sends of a landed file).

An upload whose upstream answer the proxy never read (the upstream closed the connection or
stalled past the read timeout on a loaded machine, and stored the file, possibly only after
the proxy gave up) is not known from the proxy's side: ``landed(filename)``, when given, asks
the upstream itself, when the proxy forwards that file again and in :meth:`reconcile` (call it
before reading ``accepted``), so ``accepted`` and ``resent`` stay what the upstream holds.
Without it such an upload is missing from ``accepted`` while the client, which confirms on the
index, rightly reports it uploaded.

Faults of the answer itself (issue 22): every byte of an answer sent ``trickle`` bytes a second;
index pages cut in half (``truncate``, at rate ``truncate_rate``: with a Content-Length that
matches the half, with the whole page's Content-Length then a closed connection, or a chunked
stream closed before its last chunk); uploads answered 200 without storing the file
(``drop_store``) or stored with the file's last bytes cut off (``truncate_store``).
"""

from __future__ import annotations

import http.client
import random
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_FILENAME = re.compile(rb'name="content"; filename="([^"]+)"')


@dataclass
class Faults:
    p503: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0
    delay: float = 0.0  # seconds added to every response
    die_after: int | None = None  # accepted uploads, then refuse connections
    lookups: bool = False  # the same faults on GET/HEAD (index lookups) as on uploads
    seed: int = 1234
    trickle: float = 0.0  # bytes per second of every answer (0: at once)
    trickle_methods: tuple[str, ...] = ("GET", "POST")
    truncate: str = ""  # index pages cut: "matching", "short", "chunked" or "mixed" (any)
    truncate_rate: float = 1.0
    drop_store: float = 0.0  # uploads answered 200, never forwarded
    truncate_store: float = 0.0  # uploads forwarded with the file cut short


@dataclass
class Stats:
    accepted: Counter[str] = field(default_factory=Counter)  # upstream 2xx per file
    upstream_status: Counter[int] = field(default_factory=Counter)
    posts: list[str] = field(default_factory=list)  # files in the order they were forwarded
    injected: Counter[str] = field(default_factory=Counter)
    injected_get: Counter[str] = field(default_factory=Counter)
    resent: Counter[str] = field(default_factory=Counter)  # forwarded after it was accepted
    gets: int = 0
    authorized_gets: int = 0  # lookups that carried an Authorization header
    #: (time.monotonic() when the request line arrived, method), every request in order: what
    #: a client started, and when (the cancellation tests count what started after a signal).
    started: list[tuple[float, str]] = field(default_factory=list)
    finished: int = 0  # requests answered (or dropped): started minus this are in flight

    def started_after(self, moment: float, methods: tuple[str, ...] = ("POST", "PUT")) -> int:
        return sum(1 for at, method in list(self.started) if at > moment and method in methods)

    truncated: int = 0  # pages cut
    dropped: Counter[str] = field(default_factory=Counter)  # uploads answered 200, not stored
    corrupted: Counter[str] = field(default_factory=Counter)  # uploads stored cut short
    #: uploads forwarded whose upstream answer never arrived (then asked of ``landed``)
    unanswered: Counter[str] = field(default_factory=Counter)


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        faults: Faults,
        strip_prefix: str = "",
        tls: ssl.SSLContext | None = None,
        landed: Callable[[str], bool] | None = None,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.landed = landed
        self.strip_prefix = strip_prefix  # serve the upstream under a path (GitLab's API layout)
        self.faults = faults
        self.stats = Stats()
        self._lock = threading.Lock()
        self._rng = random.Random(faults.seed)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PUT = do_HEAD = _handle

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                finally:
                    if getattr(self, "command", None):
                        with proxy._lock:
                            proxy.stats.finished += 1
                        self.command = ""

        class Server(ThreadingHTTPServer):
            # socketserver's default backlog of 5 drops connections under parallel clients
            # (each drop costs the client a 1 s SYN retransmit); real registries queue them.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:  # HTTPS in front (``tls``: a server context with its certificate)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pick(self) -> str:
        with self._lock:
            roll = self._rng.random()
        f = self.faults
        for name, rate in (
            ("503", f.p503),
            ("reset_before", f.reset_before),
            ("reset_after", f.reset_after),
        ):
            if roll < rate:
                return name
            roll -= rate
        return "ok"

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.stats.started.append((time.monotonic(), handler.command))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.command == "POST" and self._store_fault(handler, body):
            return
        if self.faults.delay:
            time.sleep(self.faults.delay)
        post = handler.command == "POST"
        fault = self._pick() if post or self.faults.lookups else "ok"
        if self._dead():  # a dead server answers nothing, uploads or lookups
            fault = "reset_before"
        injected = self.stats.injected if post else self.stats.injected_get
        name = "?"
        if post:
            match = _FILENAME.search(body)
            name = match.group(1).decode() if match else "?"
        else:
            with self._lock:
                self.stats.gets += 1
                self.stats.authorized_gets += "Authorization" in handler.headers
        if fault == "503":
            injected[fault] += 1
            handler.send_response(503, "Service Unavailable (injected)")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == "reset_before":
            injected[fault] += 1
            handler.close_connection = True
            return
        if post:
            self._reconcile(name)
            with self._lock:
                if self.stats.accepted[name]:
                    self.stats.resent[name] += 1
            if self._roll(self.faults.truncate_store):
                body = _cut_content(body)
                with self._lock:
                    self.stats.corrupted[name] += 1
        try:
            status, reason, headers, data = self._forward(handler, body)
        except (OSError, http.client.HTTPException):
            if post:
                self._unanswered(name)
            handler.close_connection = True  # the client sees a reset, as from a real proxy
            return
        if post:
            with self._lock:
                self.stats.upstream_status[status] += 1
                self.stats.posts.append(name)
                if 200 <= status < 300:
                    self.stats.accepted[name] += 1
        if fault == "reset_after":
            injected[fault] += 1
            handler.close_connection = True
            return
        kept = [
            (k, v)
            for k, v in headers
            if k.lower() not in {"transfer-encoding", "connection", "content-length"}
        ]
        page = handler.command == "GET" and 200 <= status < 300 and "/simple/" in handler.path
        if page and self.faults.truncate and self._roll(self.faults.truncate_rate):
            with self._lock:
                self.stats.truncated += 1
            self._send_cut(handler, status, reason, kept, data)
            return
        head = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in kept)]
        head.append(f"Content-Length: {len(data)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if handler.command != "HEAD":
            raw += data
        if self.faults.trickle and handler.command in self.faults.trickle_methods:
            self._trickle(handler, raw)
            return
        handler.wfile.write(raw)

    def _store_fault(self, handler: BaseHTTPRequestHandler, body: bytes) -> bool:
        """An upload answered 200 without storing it (counted); False when not this time."""
        if not self._roll(self.faults.drop_store):
            return False
        match = _FILENAME.search(body)
        with self._lock:
            self.stats.dropped[match.group(1).decode() if match else "?"] += 1
        handler.send_response(200, "OK")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    def _send_cut(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        data: bytes,
    ) -> None:
        """Half the page: as a whole answer of that length, short of its Content-Length, or a
        chunked stream without its last chunk; the connection closed after it."""
        half = data[: len(data) // 2]
        handler.close_connection = True
        head = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
        mode = self.faults.truncate
        if mode == "mixed":
            with self._lock:
                mode = self._rng.choice(["matching", "short", "chunked"])
        if mode == "chunked":
            head.append("Transfer-Encoding: chunked")
            payload = f"{len(half):x}\r\n".encode() + half + b"\r\n"
        else:
            head.append(f"Content-Length: {len(half) if mode == 'matching' else len(data)}")
            payload = half
        handler.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)

    def _trickle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        """The answer a byte at a time, ``trickle`` bytes a second, until the client leaves."""
        pause = 1 / self.faults.trickle
        try:
            for i in range(len(raw)):
                handler.wfile.write(raw[i : i + 1])
                time.sleep(pause)
        except OSError:
            pass
        handler.close_connection = True

    def _unanswered(self, name: str) -> None:
        """An upload forwarded without an answer: it may have landed (now or later)."""
        with self._lock:
            self.stats.unanswered[name] += 1
        self._reconcile(name)

    def _reconcile(self, name: str) -> None:
        """Count an unanswered upload of ``name`` as accepted once the upstream holds it (and
        no upload of it was counted yet): only the upstream can say."""
        with self._lock:
            pending = self.stats.unanswered[name] and not self.stats.accepted[name]
        if pending and self.landed is not None and self.landed(name):
            with self._lock:
                if not self.stats.accepted[name]:
                    self.stats.accepted[name] += 1

    def reconcile(self) -> None:
        """Settle every unanswered upload with the upstream (before reading ``accepted``)."""
        for name in list(self.stats.unanswered):
            self._reconcile(name)

    def _dead(self) -> bool:
        limit = self.faults.die_after
        return limit is not None and sum(self.stats.accepted.values()) >= limit

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=0.25
        )
        # Single-process WSGI servers keep socketserver's backlog of 5: a connection dropped
        # there costs the kernel's 1 s SYN retransmit, a stall no client-side change can avoid.
        # Connecting again at once keeps the proxy's own overhead out of the measurements.
        for attempt in range(40):
            try:
                conn.connect()
                break
            except (TimeoutError, ConnectionRefusedError):
                conn.close()
                if attempt == 39:
                    raise
        assert conn.sock is not None
        conn.sock.settimeout(60)
        try:
            headers = {
                k: v
                for k, v in handler.headers.items()
                if k.lower() not in {"host", "connection", "content-length"}
            }
            path = handler.path
            if self.strip_prefix and path.startswith(self.strip_prefix):
                path = "/" + path.removeprefix(self.strip_prefix).lstrip("/")
            conn.request(handler.command, path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, response.reason, response.getheaders(), data
        finally:
            conn.close()


def _cut_content(body: bytes) -> bytes:
    """The multipart upload with its file's last 100 bytes cut off (the form's sha256 field
    still names the whole file's hash, as a corrupting store would receive it)."""
    match = re.search(rb'name="content"; filename="[^"]+"\r\n(?:[^\r\n]+\r\n)*\r\n', body)
    if match is None:
        return body
    start = match.end()
    boundary = body[: body.index(b"\r\n")]
    end = body.index(b"\r\n" + boundary, start)
    return body[:start] + body[start : max(start, end - 100)] + body[end:]
