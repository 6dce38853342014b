"""HTTP for the prober: the client, one GET followed hop by hop, bounded reads, failures classified. httpx, lazily.

Network input is untrusted: every body is read through :func:`read_bounded` (at most ``limit`` bytes, decoded
bytes counted, so a compression bomb stops too), redirects are followed here hop by hop and a hop to anything
but http(s) is refused, and a transport error becomes a :class:`Failure` with a :class:`~.model.Note`.
Trickling and hanging are bounded by the caller's deadline (:mod:`.fanout`), never by the server.

**Latency** is time to first byte: from sending a request to receiving the final response's headers,
redirects included, minus time spent opening connections (DNS, TCP, TLS), which is reported apart
(``Answer.connect_s``). Both come from httpcore's ``trace`` extension: each hop's wait runs from writing its
request (not from asking the pool for a connection) to httpcore having parsed its headers (not to the
request's task resuming): on a busy event loop either end can be tens of ms off, time that is the prober's,
not the mirror's. A transport that emits no trace events (a mock) gets plain time to headers and no connect
time.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from mirrorctl import __version__
from mirrorctl.probe.model import Note
from mirrorctl.urls import mask_credentials

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"mirrorctl/{__version__} (+bench)"
#: The body of a redirect is never needed; a few KB of it is read so the connection can be reused.
MAX_HOP_BYTES = 64 * 1024
MAX_REDIRECTS = 5
#: httpcore reads a response 64 KB at a time (``AsyncHTTP11Connection.READ_NUM_BYTES``): a read that comes back
#: (nearly) that full found more bytes waiting than it could take, so the reader, not the link, set the pace.
READ_BYTES = 64 * 1024
FULL_READ_BYTES = READ_BYTES * 9 // 10


class Failure(Exception):
    """A failed request: ``error`` is one of model.ERRORS, ``note`` the reason as data."""

    def __init__(self, error: str, note: Note) -> None:
        super().__init__(note.code)
        self.error = error
        self.note = note


def make_client(
    *, trust_env: bool = True, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client the bench uses unless given another.

    One client, and under it one connection pool per origin (:class:`PerOrigin`): httpcore's pool scans
    every connection it holds on each request and answer (quadratic in them), which with a few dozen
    kept-alive connections in one pool cost ~1.8 ms of CPU per request and put tens of milliseconds of
    queueing into other mirrors' timings. The pools share one TLS context, so the CA bundle is loaded once
    instead of once per mirror. Pools are unlimited so that no request waits for another's connection.
    Redirects are followed by :func:`fetch`, not by httpx, so that each hop's scheme is checked.
    ``trust_env`` honours proxy variables as pip and conda do (all requests then share the proxy's pool;
    tests turn it off).
    """
    import urllib.request

    _no_sniffio()
    _no_httpx_cli()
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    proxied = trust_env and any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))
    if transport is None and not proxied:
        context = httpx.create_ssl_context(trust_env=trust_env)
        transport = per_origin(lambda: httpx.AsyncHTTPTransport(verify=context, limits=limits, trust_env=trust_env))
    return httpx.AsyncClient(
        transport=transport,
        trust_env=trust_env,
        limits=limits,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def _no_sniffio() -> None:
    """Make a missing ``sniffio`` fail to import at once instead of after a search of every ``sys.path`` entry.

    httpcore (1.0.9) runs ``import sniffio`` inside ``current_async_library()``, several times per request,
    and anyio 4.16 no longer installs sniffio; a failed import is not remembered, so each one stats every
    path entry: measured, 1.6 ms of CPU per request, which under concurrency lands inside other mirrors'
    timings. ``None`` in ``sys.modules`` is Python's own "not importable" marker; httpcore then assumes
    asyncio, which is what runs here. Nothing changes where sniffio is installed.
    """
    import importlib.util
    import sys

    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def _no_httpx_cli() -> None:
    """Keep httpx from importing its command-line client on import.

    ``httpx/__init__.py`` runs ``from ._main import main`` (falling back to a stub on ImportError), and
    ``httpx._main`` imports click, rich and pygments whenever they are installed (rich comes with pdm, among
    others): measured with ``python -X importtime``, that was most of the time ``import httpx`` took, ahead of
    a bench's first request. ``None`` in ``sys.modules`` makes that import fail at once, so httpx keeps its
    stub ``main``, which mirrorctl never calls. Nothing changes once httpx is imported.
    """
    import sys

    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]


def per_origin(factory: Callable[[], httpx.AsyncBaseTransport]) -> httpx.AsyncBaseTransport:
    """An httpx transport that gives each origin (scheme, host, port) a pool of its own, made by ``factory``."""
    import httpx

    class PerOrigin(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncBaseTransport] = {}

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = factory()
            return await pool.handle_async_request(request)

        async def aclose(self) -> None:
            pools, self._pools = list(self._pools.values()), {}
            for pool in pools:
                await pool.aclose()

    return PerOrigin()


@dataclass
class Progress:
    """Where one mirror's request in flight is, for saying what a timeout means; outlives cancellation."""

    #: "connect", "request" or "body" (None before anything happened).
    phase: str | None = None
    bytes: int = 0
    #: perf_counter() when the last final answer's headers arrived (bandwidth is counted from there).
    answered_at: float | None = None
    #: The URL being fetched and the hops that redirected to it, as far as the request got.
    url: str | None = None
    redirects: tuple[str, ...] = ()  # body bytes received by every request of this mirror and target
    #: Of ``bytes``, those of a download (``raw``) that came in full reads (:data:`FULL_READ_BYTES` or more):
    #: they were waiting for the reader.
    full_bytes: int = 0


class _Trace:
    """httpcore trace callback for one request: time spent opening connections, and where the request is."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.connect_s = 0.0
        #: perf_counter() when httpcore had parsed the last response's headers (None before, or without trace
        #: events). It is the time to first byte's end: the request's own task may only resume tens of ms
        #: later when the event loop is busy (seen on a bench: one answer in ten, 10-40 ms), time that is the
        #: prober's, not the mirror's.
        self.headers_at: float | None = None
        #: The time to first byte of every hop so far: from writing its request (not from asking the pool for a
        #: connection, which on a busy loop waits its turn) to its headers parsed. ``hops``: how many.
        self.waited_s = 0.0
        self.hops = 0
        self._sent_at: float | None = None
        self._opened_at: dict[str, float] = {}

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        step, _, stage = event.rpartition(".")
        if step.endswith((".connect_tcp", ".start_tls")):
            if stage == "started":
                self._opened_at[step] = now
                self.progress.phase = "connect"
            elif step in self._opened_at:
                self.connect_s += now - self._opened_at.pop(step)
        elif step.endswith(".send_request_headers") and stage == "started":
            self.progress.phase = "request"
            self._sent_at = now
        elif step.endswith(".receive_response_headers") and stage == "complete":
            self.progress.phase = "body"
            self.headers_at = now
            if self._sent_at is not None:
                self.waited_s += now - self._sent_at
                self.hops += 1
                self._sent_at = None


@dataclass
class Answer:
    """The final (non-redirect) answer to :func:`fetch`, its body read up to the limit."""

    status: int
    reason_phrase: str
    url: str
    redirects: tuple[str, ...]
    headers: Mapping[str, str]
    content_type: str
    encoding: str | None
    body: bytes
    #: Seconds waited for headers, every hop's request written to its headers parsed (connection set-up and
    #: the prober's own time excluded).
    ttfb_s: float
    connect_s: float
    #: Seconds from the final headers to the last byte read.
    transfer_s: float
    #: The whole body was not read (limit reached, not strict).
    truncated: bool = False
    size: int | None = None  # from Content-Range or Content-Length
    extra: dict[str, Any] = field(default_factory=dict)


async def fetch(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], progress: Progress, *, limit: int,
    strict: bool, timeout: float, raw: bool = False,
) -> Answer:
    """GET ``url`` following redirects hop by hop (http/https only), reading at most ``limit`` body bytes.

    ``strict``: a body over ``limit`` fails (``too_large``) instead of being cut. ``raw``: count the bytes as
    sent (a download), not decoded. Raises :class:`Failure`.
    """
    import httpx

    trace = _Trace(progress)
    redirects: list[str] = []
    started = time.perf_counter()
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            progress.url, progress.redirects = current, tuple(redirects)
            async with client.stream(
                "GET", current, headers=dict(headers), timeout=timeout, extensions={"trace": trace},
            ) as response:
                answered = time.perf_counter()
                if trace.headers_at is not None and trace.headers_at <= answered:
                    answered, trace.headers_at = trace.headers_at, None
                progress.phase = "body"
                location = response.headers.get("Location")
                if response.is_redirect and location:
                    await _drain(response, progress)
                    redirects.append(current)
                    current = _next_hop(current, location)
                    continue
                progress.answered_at = answered
                body, truncated = await read_bounded(response, limit, progress, strict=strict, raw=raw)
                finished = time.perf_counter()
                return Answer(
                    status=response.status_code, reason_phrase=response.reason_phrase, url=current,
                    redirects=tuple(redirects), headers=response.headers,
                    content_type=response.headers.get("Content-Type", ""), encoding=response.encoding,
                    body=body, ttfb_s=trace.waited_s if trace.hops else max(0.0, answered - started - trace.connect_s),
                    connect_s=trace.connect_s,
                    transfer_s=finished - answered, truncated=truncated, size=_size(response.headers),
                )
    except (httpx.HTTPError, OSError) as exc:  # OSError: a custom transport may let socket errors through
        raise Failure(*classify(exc)) from exc
    raise Failure("http", Note.of("too_many_redirects", limit=MAX_REDIRECTS))


def _next_hop(current: str, location: str) -> str:
    target = urljoin(current, location)
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise Failure("invalid", Note.of("bad_redirect", scheme=scheme or "(none)"))
    return target


async def _drain(response: httpx.Response, progress: Progress) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        progress.bytes += len(chunk)
        if read >= MAX_HOP_BYTES:
            break


async def read_bounded(
    response: httpx.Response, limit: int, progress: Progress, *, strict: bool, raw: bool = False
) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, and whether there was more. ``strict``: more is a failure.

    ``progress.bytes`` counts the bytes as they arrive (a download's rate so far is read from it)."""
    body = bytearray()
    chunks = response.aiter_raw() if raw else response.aiter_bytes()
    counted = response.num_bytes_downloaded
    try:
        async for chunk in chunks:
            progress.bytes += response.num_bytes_downloaded - counted
            counted = response.num_bytes_downloaded
            if raw and len(chunk) >= FULL_READ_BYTES:
                progress.full_bytes += len(chunk)
            body += chunk
            if len(body) > limit:
                if strict:
                    raise Failure("invalid", Note.of("too_large", limit=limit))
                return bytes(body[:limit]), True
            if len(body) == limit and not strict and not _complete(response):
                return bytes(body), True
    finally:
        progress.bytes += response.num_bytes_downloaded - counted
    return bytes(body), False


def _complete(response: httpx.Response) -> bool:
    """Whether every byte of the body announced by Content-Length has arrived: reading on then costs nothing
    and leaves the connection reusable (a response left unread is closed, and the next request reconnects)."""
    length = response.headers.get("Content-Length", "")
    return length.isdigit() and response.num_bytes_downloaded >= int(length)


def _size(headers: Mapping[str, str]) -> int | None:
    total = headers.get("Content-Range", "").rpartition("/")[2]
    if total.isdigit():
        return int(total)
    length = headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None



def classify(exc: BaseException) -> tuple[str, Note]:
    """Map a transport error to one of model.ERRORS and a reason.

    httpx wraps the socket error; the cause chain says what really happened (refused, DNS, TLS).
    """
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timeout", Note.of("timed_out", connect=isinstance(exc, httpx.ConnectTimeout))
    if isinstance(exc, httpx.DecodingError):
        return "invalid", Note.of("bad_encoding")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "invalid", Note.of("bad_scheme")
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return "dns", Note.of("dns", why=str(cause.strerror or cause))
        if isinstance(cause, ConnectionRefusedError):
            return "refused", Note.of("refused")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "tls", Note.of("tls_cert", why=str(cause.verify_message or cause.reason))
        if isinstance(cause, ssl.SSLError):
            return "tls", Note.of("tls", why=str(cause.reason or cause))
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return "timeout", Note.of("timed_out", connect=False)
    if isinstance(exc, httpx.RemoteProtocolError):
        return "error", Note.of("bad_answer")
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "error", Note.of("reset")
    return "error", Note.of("other", text=mask_credentials(str(exc)) or type(exc).__name__)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
