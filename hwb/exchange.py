"""One HTTP exchange under a deadline and a size cap: every request hwb makes goes through one
(index lookups through urllib, uploads and trusted-publishing exchanges through requests).

urllib's and requests' ``timeout`` bounds each socket operation, not the answer: a server that
sends one byte a second never trips it, and held a 5 s lookup for 203 s. So each exchange has a
deadline for the whole of it (connect, send, the full response): a watchdog shuts the
exchange's sockets down when it passes, which ends any blocked connect, send or read at once.
Its body is read in chunks and never beyond a cap. A failure names the URL and the limit.

The libraries' connections register their sockets with the exchange running on their thread
(:class:`Exchange` is a context manager; :class:`WatchedAdapter` for requests sessions,
:func:`watched_handlers` for urllib openers).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import threading
import time
import urllib.error
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

MIB = 1024 * 1024
#: A simple-index page (PEP 503 HTML or PEP 691 JSON). PyPI's biggest are a few MiB; a page
#: over this is not a listing hwb can use (and a 1e6-link or endless page must not hang a run).
PAGE_CAP = 64 * MIB
#: Any other answer: an upload's reply, an error body, a token endpoint's JSON.
ANSWER_CAP = 1 * MIB
_CHUNK = 64 * 1024
_Socket = Callable[[], "socket.socket | None"]
_current = threading.local()


class ExchangeError(OSError):
    """A request that got no complete answer within its limits (an OSError, so the callers'
    network-failure handling applies)."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.message, self.url = message, url

    def __str__(self) -> str:
        return self.message


class DeadlineExceeded(ExchangeError, TimeoutError):
    """The whole exchange took longer than its deadline."""


class TooLarge(ExchangeError):
    """The answer is bigger than its cap."""


class Incomplete(ExchangeError):
    """The answer was cut short (fewer bytes than its Content-Length, a chunked stream cut, a
    page that stops mid-way)."""


def _size(cap: int) -> str:
    return f"{cap // MIB} MiB" if cap >= MIB and cap % MIB == 0 else f"{cap} bytes"


def _display(url: str) -> str:
    from hwb.redaction import display_url

    return display_url(url)


class Exchange:
    """``with Exchange(url, seconds, cap) as ex:`` make the request, then :meth:`read` its
    body. When the deadline passes, the sockets the request opened are shut down, and what
    the library raised becomes :class:`DeadlineExceeded` (:meth:`translate`)."""

    def __init__(self, url: str, seconds: float, cap: int = ANSWER_CAP) -> None:
        self.url, self.seconds, self.cap = url, seconds, cap
        self.deadline = time.monotonic() + seconds
        self._sockets: list[_Socket] = []
        self._lock = threading.Lock()
        self._done = False
        self._expired = False
        self._timer: threading.Timer | None = None
        self.received = 0  # body bytes read so far

    # -- the watchdog -------------------------------------------------------------------------
    def __enter__(self) -> Exchange:
        self._outer = getattr(_current, "exchange", None)
        _current.exchange = self
        self._arm(self.seconds)
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
        _current.exchange = self._outer
        if isinstance(exc, Exception) and self.translate(exc) is not exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()  # an answer (its file holds the socket) the caller never sees
            raise self.timeout() from None

    def _arm(self, seconds: float) -> None:
        timer = threading.Timer(max(0.0, seconds), self._expire)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._expired = True
            pending = False
            for get in self._sockets:
                sock = get()
                if sock is None:  # still connecting: look again shortly
                    pending = True
                    continue
                # the plain socket's shutdown, under TLS too: any blocked call returns
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            if pending or not self._sockets:
                self._arm(0.05)

    def watch(self, get: _Socket) -> None:
        """A connection's socket (asked for when the deadline passes: it may not exist yet)."""
        with self._lock:
            self._sockets.append(get)
        if self.expired:
            self._expire()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self.deadline

    def remaining(self) -> float:
        """Seconds left; :class:`DeadlineExceeded` when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timeout()
        return left

    def timeout(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"no complete answer from {_display(self.url)} within {self.seconds:.4g} s "
            "(the limit for the whole request)",
            self.url,
        )

    def translate(self, exc: BaseException) -> BaseException:
        """What a library's exception means here: a deadline that passed, or itself."""
        late = self.expired and not isinstance(exc, (DeadlineExceeded, TooLarge))
        return self.timeout() if late else exc

    # -- the body -----------------------------------------------------------------------------
    def too_large(self) -> TooLarge:
        return TooLarge(
            f"the answer from {_display(self.url)} is larger than {_size(self.cap)} "
            "(the limit for it)",
            self.url,
        )

    def incomplete(self, got: int, declared: int | None = None, page: bool = False) -> Incomplete:
        """The answer cut short: the connection ended early, or (``page``) the page itself
        stops mid-way."""
        if page:
            how = f"the page stops mid-way, at byte {got}"
        elif declared is not None:
            how = f"the connection ended after {got} of the {declared} bytes it declared"
        else:
            how = f"the connection ended after {got} bytes"
        return Incomplete(f"incomplete answer from {_display(self.url)}: {how}", self.url)

    def check_length(self, declared: str | None) -> int | None:
        """The Content-Length, checked against the cap before anything is read."""
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            return None
        if length is not None and length > self.cap:
            raise self.too_large()
        return length

    def collect(self, chunks: Iterable[bytes], declared: int | None = None) -> bytes:
        """The body from ``chunks``, checking the deadline and the cap between them, and its
        length against ``declared``."""
        body = bytearray()
        for chunk in chunks:
            body += chunk
            self.received = len(body)
            if len(body) > self.cap:
                raise self.too_large()
            self.remaining()
        self.remaining()  # an end the watchdog caused is no end
        if declared is not None and len(body) != declared:
            raise self.incomplete(len(body), declared)
        return bytes(body)

    def read(self, response: http.client.HTTPResponse) -> bytes:
        """An http.client (urllib) response's body. ``read(n)`` returns short at an early
        close instead of raising, so the length is checked here; a cut chunked stream raises
        IncompleteRead, which says the same."""
        length = response.getheader("Content-Length")
        declared = None if response.chunked else self.check_length(length)

        def chunks() -> Iterable[bytes]:
            while chunk := response.read(_CHUNK):
                yield chunk

        try:
            return self.collect(chunks(), declared)
        except http.client.IncompleteRead as exc:  # a chunked stream cut
            got = self.received + len(exc.partial)
            raise self.translate(self.incomplete(got)) from None


def current() -> Exchange | None:
    """The exchange running on this thread, if any."""
    return getattr(_current, "exchange", None)


# -- requests ---------------------------------------------------------------------------------
def send(
    session: requests.Session,
    method: str,
    url: str,
    seconds: float,
    cap: int = ANSWER_CAP,
    **kwargs: Any,
) -> requests.Response:
    """``session.request(method, url, ...)`` as one exchange: within ``seconds`` the whole
    answer, body included (read here, at most ``cap`` bytes; ``.content``, ``.text`` and
    ``.json()`` then work as usual). The session must mount :class:`WatchedAdapter`."""
    import requests

    with Exchange(url, seconds, cap) as ex:
        try:
            per_call = min(seconds, ex.remaining())
            response = session.request(method, url, timeout=per_call, stream=True, **kwargs)
            try:
                if "chunked" not in response.headers.get("Transfer-Encoding", "").lower():
                    ex.check_length(response.headers.get("Content-Length"))
                # urllib3 checks the length it was promised (enforce_content_length)
                body = ex.collect(response.iter_content(_CHUNK))
            finally:
                response.close()
        except requests.exceptions.ChunkedEncodingError:  # cut short (or by the watchdog)
            raise ex.translate(ex.incomplete(ex.received)) from None
        except (requests.exceptions.RequestException, OSError) as exc:
            translated = ex.translate(exc)
            if translated is exc:
                raise
            raise translated from None
    # The body was read under the deadline; requests keeps it where .content looks.
    response._content = body
    return response


def watched_session_adapter(**kwargs: Any) -> requests.adapters.HTTPAdapter:
    """A requests adapter whose connections register their socket with the thread's
    :class:`Exchange` (:func:`send`)."""
    return _adapter_class()(**kwargs)


@functools.cache
def _adapter_class() -> type[requests.adapters.HTTPAdapter]:
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def register(conn: Any) -> Any:
        exchange = current()
        if exchange is not None:
            exchange.watch(lambda: getattr(conn, "sock", None))
        return conn

    class WatchedHTTPPool(HTTPConnectionPool):
        def _get_conn(self, timeout: float | None = None) -> Any:
            return register(super()._get_conn(timeout))

    class WatchedHTTPSPool(HTTPSConnectionPool):
        def _get_conn(self, timeout: float | None = None) -> Any:
            return register(super()._get_conn(timeout))

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": WatchedHTTPPool,
                "https": WatchedHTTPSPool,
            }

    return WatchedAdapter


def session() -> requests.Session:
    """A requests session whose requests :func:`send` can hold to a deadline."""
    import requests

    s = requests.Session()
    mount(s)
    return s


def mount(s: requests.Session, **kwargs: Any) -> requests.Session:
    for prefix in ("http://", "https://"):
        s.mount(prefix, watched_session_adapter(**kwargs))
    return s


# -- urllib -----------------------------------------------------------------------------------
def watched_handlers(context: Any = None) -> list[Any]:
    """urllib handlers (plain HTTP, and HTTPS with ``context``) whose connections register
    their socket with the thread's :class:`Exchange`."""
    import urllib.request

    class HTTP(urllib.request.HTTPHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_WatchedHTTP, req, **kwargs)

    class HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
            return super().do_open(_WatchedHTTPS, req, **kwargs)

    return [HTTP(), HTTPS(context=context)]


class _ClosingResponse(http.client.HTTPResponse):
    """A response that closes itself when its head cannot be read (the deadline shut the
    socket, the server hung up): http.client closes the connection then, but not the response,
    whose file would hold the socket open until garbage-collected."""

    def begin(self) -> None:
        try:
            super().begin()
        except BaseException:
            self.close()
            raise


class _Watched:
    sock: socket.socket | None
    response_class: type[http.client.HTTPResponse] = _ClosingResponse

    def connect(self) -> None:
        exchange = current()
        if exchange is not None:  # registered first: the TLS handshake is under the deadline too
            exchange.watch(lambda: self.sock)
        super().connect()  # type: ignore[misc]


class _WatchedHTTP(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, http.client.HTTPSConnection):
    pass
