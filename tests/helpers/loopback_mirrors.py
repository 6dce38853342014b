"""A fleet of fake package mirrors on 127.0.0.1, for the probe tests and ``benchmarks/probe.py``.

Each mirror is a ``ThreadingHTTPServer`` on port 0 serving the few paths the prober asks for (the simple page
of ``pip``, a channel's ``noarch/repodata.json``, one wheel), after a configurable delay with jitter, or
misbehaving in one of the ways real mirrors and networks do. Nothing here ever leaves the loopback interface.

Shutdown is bounded: handlers that hang or sleep wait on one ``threading.Event`` that closing the fleet sets,
open keep-alive sockets are shut down so their threads stop reading, and every thread is a daemon. A fleet
also closes itself after ``lifetime`` seconds, so a test that forgets to close it cannot leave servers behind.
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mirrorctl.profiles import Profile, parse_profile

#: The newest serial of the ``pip`` project in the fleet; a "stale" mirror serves an older one.
SERIAL = 25_000_000
STALE_SERIAL = SERIAL - 1_234
#: Last-Modified of the repodata everywhere; a "stale" mirror's copy is three days older.
LAST_MODIFIED = 1_790_000_000.0
STALE_LAST_MODIFIED = LAST_MODIFIED - 3 * 86_400
#: Longest a hanging handler waits before giving up on its own, should the fleet never be closed.
MAX_HANG_S = 60.0

BEHAVIOURS = (
    "ok", "hang", "500", "portal", "stale", "redirect", "closed", "huge", "trickle", "badheaders", "ftp-redirect",
)
WHEEL = "pip-24.0-py3-none-any.whl"
#: The packages listed at the start of every fake repodata.json (name, size); the largest is fetched.
CONDA_PACKAGES = (("tiny-1.0-0.tar.bz2", 4_096), ("numpy-base-1.0-py_0.conda", 3 * 1024 * 1024),
                  ("zlib-1.0-0.tar.bz2", 100_000))
#: What a "huge" mirror claims to send (and would, forever): 10 GB.
HUGE_BYTES = 10 * 10**9
FEED_PATH = "/status/feed.json"
PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome to Hotel WiFi</title></head>"
    b"<body><h1>Please log in</h1><a href='/login'>Accept the terms</a></body></html>"
)


@dataclass(frozen=True)
class MirrorSpec:
    """How one fake mirror behaves.

    ``behaviour`` is one of: ``ok``; ``hang`` (accepts the connection, reads the request, never answers);
    ``500``; ``portal`` (200 with an unrelated login page on every path, like a captive portal or a soft-404);
    ``stale`` (fine, but with an older serial and Last-Modified); ``redirect`` (302 to the same path on the
    mirror named ``redirect_to``); ``closed`` (no server at all: a port that was bound, then closed, so
    connecting is refused); ``huge`` (200 claiming 10 GB and streaming zeros as fast as it can); ``trickle``
    (headers, then one byte a second); ``badheaders`` (a malformed status line and header); ``ftp-redirect``
    (302 to an ftp:// URL).

    ``rate`` (bytes/s) throttles package files; ``files_to`` sends package-file requests (302) to the same
    path on another mirror of the fleet, as mirrors that serve files from another host do; ``feed`` is served
    at :data:`FEED_PATH` (a status feed).
    """

    name: str
    delay: float = 0.0
    jitter: float = 0.0
    behaviour: str = "ok"
    redirect_to: str | None = None
    #: Answer ``Accept: application/vnd.pypi.simple.v1+json`` with PEP 691 JSON instead of HTML.
    pep691: bool = False
    wheel_bytes: int = 256 * 1024
    repodata_bytes: int = 64 * 1024
    #: Pad the simple page with older releases' links to about this size (pypi.org's page for pip: ~80 KB).
    page_bytes: int = 0
    #: Honour ``Range`` (``bytes=a-b`` and ``bytes=-n``) on pages, repodata and files, as static web servers
    #: do; False answers 200 with the whole body, as some proxies do.
    ranges: bool = True
    rate: float | None = None
    files_to: str | None = None
    feed: bytes | None = None

    def __post_init__(self) -> None:
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {self.behaviour!r}")
        if (self.behaviour == "redirect") != (self.redirect_to is not None):
            raise ValueError("redirect_to goes with behaviour='redirect', and only with it")

    @property
    def serial(self) -> int:
        return STALE_SERIAL if self.behaviour == "stale" else SERIAL

    @property
    def last_modified(self) -> float:
        return STALE_LAST_MODIFIED if self.behaviour == "stale" else LAST_MODIFIED


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: nginx's default listen backlog: socketserver's 5 overflows under the probe's lanes, and each overflowed
    #: connection costs a 1 s SYN retry (seen in benchmarks/probe.py; `--backlog 5` reproduces it).
    request_queue_size = 511

    def __init__(self, spec: MirrorSpec, fleet: Fleet, seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spec = spec
        self.fleet = fleet
        self.rng = random.Random(seed)
        self.seen: list[SeenRequest] = []
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    def process_request(  # type: ignore[override]
        self, request: socket.socket, client_address: object
    ) -> None:
        with self.lock:
            self.connections.add(request)
        super().process_request(request, client_address)  # type: ignore[arg-type]

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-answer is normal here (the prober cancels spare samples); stay quiet."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def pause(self) -> float:
        """This request's delay: the mean plus uniform jitter, never negative."""
        with self.lock:
            offset = self.rng.uniform(-self.spec.jitter, self.spec.jitter) if self.spec.jitter else 0.0
        return max(0.0, self.spec.delay + offset)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real mirrors do
    #: Headers and body go out in separate writes; with Nagle on, delayed ACKs would add ~40 ms to each body.
    disable_nagle_algorithm = True
    server: _Server
    #: Idle keep-alive connections are dropped after this long, so no handler thread reads forever.
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        server, spec = self.server, self.server.spec
        with server.lock:
            server.seen.append(SeenRequest(self.command, self.path, dict(self.headers.items())))
        stop = server.fleet.stopping
        if self.path.split("?", 1)[0] == FEED_PATH and spec.feed is not None:
            self._send(200, spec.feed, "application/json", head=head)
            return
        if spec.behaviour == "hang":
            stop.wait(MAX_HANG_S)
            self.close_connection = True
            return
        if stop.wait(server.pause()):
            self.close_connection = True
            return
        if spec.behaviour == "500":
            self._send(500, b"Internal Server Error\n", "text/plain", head=head)
        elif spec.behaviour == "portal":
            self._send(200, PORTAL_PAGE, "text/html; charset=utf-8", head=head)
        elif spec.behaviour in ("huge", "trickle", "badheaders", "ftp-redirect"):
            self._misbehave(spec.behaviour, stop)
        elif spec.behaviour == "redirect":
            assert spec.redirect_to is not None
            self.send_response(302)
            self.send_header("Location", server.fleet.base_url(spec.redirect_to) + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._serve_content(head=head)

    def _misbehave(self, behaviour: str, stop: threading.Event) -> None:
        self.close_connection = True
        if behaviour == "ftp-redirect":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/pub/pip/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif behaviour == "badheaders":
            self.wfile.write(b"HTTP/1.1 2OO OK\r\nContent-Length: banana\r\n\x00\x01 broken\r\n\r\n")
        elif behaviour == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            chunk = b"\0" * 65536
            with contextlib.suppress(OSError):
                for _ in range(HUGE_BYTES // len(chunk)):
                    if stop.is_set():
                        return
                    self.wfile.write(chunk)
        else:  # trickle
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(int(MAX_HANG_S)):
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    if stop.wait(1.0):
                        return

    def _is_file(self, path: str) -> bool:
        names = [WHEEL, *(name for name, _ in CONDA_PACKAGES)]
        return path == f"/packages/{WHEEL}" or (path.rsplit("/", 1)[-1] in names and "/noarch/" in path)

    def _serve_content(self, *, head: bool) -> None:
        spec = self.server.spec
        path = self.path.split("?", 1)[0]
        if self._is_file(path) and spec.files_to is not None:
            self.send_response(302)
            self.send_header("Location", self.server.fleet.base_url(spec.files_to) + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self._is_file(path):
            size = spec.wheel_bytes if path.endswith(".whl") else dict(CONDA_PACKAGES).get(path.rsplit("/", 1)[-1], 0)
            self._send(200, b"\0" * size, "application/octet-stream", head=head, ranged=True, rate=spec.rate)
            return
        if path == "/simple/pip/":
            if spec.pep691 and "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
                self._send(200, _pypi_json(spec), "application/vnd.pypi.simple.v1+json", head=head)
            else:
                self._send(200, _pypi_html(spec), "text/html; charset=utf-8", head=head, ranged=True)
        elif path.endswith("/noarch/repodata.json"):
            body = _repodata(spec.repodata_bytes)
            modified = spec.last_modified
            self._send(200, body, "application/json", head=head, last_modified=modified, ranged=True)
        else:
            self._send(404, b"Not Found\n", "text/plain", head=head)

    def _send(
        self, status: int, body: bytes, content_type: str, *, head: bool, last_modified: float | None = None,
        ranged: bool = False, rate: float | None = None,
    ) -> None:
        ranged = ranged and self.server.spec.ranges
        byte_range = _parse_range(self.headers.get("Range"), len(body)) if ranged and status == 200 else None
        if byte_range is not None:
            first, last = byte_range
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(body)}")
            body = body[first : last + 1]
        else:
            self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if last_modified is not None:
            self.send_header("Last-Modified", formatdate(last_modified, usegmt=True))
        self.end_headers()
        if head:
            return
        if rate is None:
            self.wfile.write(body)
            return
        # Throttled: 10 ms slices of ``rate``; a client that hangs up early is normal (bounded downloads).
        step = max(1, int(rate / 100))
        stop = self.server.fleet.stopping
        with contextlib.suppress(OSError):
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                if stop.wait(0.01):
                    return


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The forms the prober sends, ``bytes=first-last`` and ``bytes=-suffix``, clipped to the body; anything
    else (or an empty body) is served whole."""
    if not header or not header.startswith("bytes=") or size == 0:
        return None
    first, _, last = header[len("bytes=") :].partition("-")
    if not first and last.isdigit() and int(last) > 0:
        return max(0, size - int(last)), size - 1
    if not (first.isdigit() and last.isdigit()) or int(first) >= size:
        return None
    return int(first), min(int(last), size - 1)


@functools.lru_cache(maxsize=64)
def _pypi_html(spec: MirrorSpec) -> bytes:
    """The page, built once per spec: a fleet stands for fast static web servers, not for Python's speed."""
    names = ["pip-23.3.tar.gz", "pip-23.3-py3-none-any.whl", "pip-24.0.tar.gz", WHEEL]
    # Older releases first, as real pages list them (about 200 bytes a link, like pypi.org's).
    names[:0] = [f"pip-0.{index}.tar.gz" for index in range(spec.page_bytes // 200)]
    links = "\n".join(
        f'    <a href="../../packages/{name}#sha256={"0" * 64}" data-requires-python="&gt;=3.8">{name}</a><br/>'
        for name in names
    )
    page = (
        "<!DOCTYPE html>\n<html>\n  <head>\n    <title>Links for pip</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for pip</h1>\n{links}\n  </body>\n</html>\n<!--SERIAL {spec.serial}-->\n"
    )
    return page.encode()


@functools.lru_cache(maxsize=64)
def _pypi_json(spec: MirrorSpec) -> bytes:
    files = [
        {"filename": name, "url": f"../../packages/{name}", "hashes": {"sha256": "0" * 64}}
        for name in ("pip-24.0.tar.gz", WHEEL)
    ]
    document = {"meta": {"api-version": "1.1", "_last-serial": spec.serial}, "name": "pip", "files": files}
    return json.dumps(document).encode()


@functools.lru_cache(maxsize=64)
def _repodata(size: int) -> bytes:
    entries = ", ".join(
        f'"{name}": {{"build": "0", "depends": ["python"], "name": "{name.split("-")[0]}", "size": {nbytes}}}'
        for name, nbytes in CONDA_PACKAGES
    )
    head = ('{"info": {"subdir": "noarch"}, "packages": {' + entries + '}, "padding": "').encode()
    tail = b'"}\n'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


class Fleet:
    """Start the mirrors in ``specs``; use as a context manager so they always stop."""

    def __init__(self, specs: Sequence[MirrorSpec], *, seed: int = 0, lifetime: float = 300.0) -> None:
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError("mirror names must be unique")
        self.specs = {spec.name: spec for spec in specs}
        self.stopping = threading.Event()
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._closed_ports: dict[str, int] = {}
        self._seed = seed
        self._lifetime = lifetime
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Fleet:
        try:
            for index, spec in enumerate(self.specs.values()):
                if spec.behaviour == "closed":
                    self._closed_ports[spec.name] = _closed_port()
                    continue
                server = _Server(spec, self, seed=self._seed * 1_000 + index)
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"mirror-{spec.name}",
                    daemon=True,
                )
                self._servers[spec.name] = server
                self._threads.append(thread)
                thread.start()
        except BaseException:
            self.close()
            raise
        self._timer = threading.Timer(self._lifetime, self.close)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server: release hanging handlers, end the accept loops, drop open connections."""
        self.stopping.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        for server in self._servers.values():
            server.shutdown()
            with server.lock:
                connections = list(server.connections)
            for connection in connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def base_url(self, name: str) -> str:
        if name in self._closed_ports:
            return f"http://127.0.0.1:{self._closed_ports[name]}"
        return f"http://127.0.0.1:{self._servers[name].server_port}"

    def profile(self, name: str, *, conda_layout: str = "defaults", feed_format: str | None = None) -> Profile:
        """A user profile for mirror ``name``: its ``/simple`` index and a ``pkgs/main`` or cloud channel.

        ``feed_format``: declare the mirror's :data:`FEED_PATH` as its status feed in that format.
        """
        base = self.base_url(name)
        conda: dict[str, object]
        if conda_layout == "defaults":
            conda = {"default_channels": [f"{base}/pkgs/main", f"{base}/pkgs/r"]}
        else:
            conda = {"custom_channels": {"conda-forge": f"{base}/cloud"}}
        data: dict[str, object] = {"name": name, "pypi": {"index": f"{base}/simple"}, "conda": conda}
        if feed_format is not None:
            data["status"] = {"url": base + FEED_PATH, "format": feed_format}
        return parse_profile(Path(f"/nonexistent/{name}.toml"), data, builtin=False)

    def profiles(self) -> list[Profile]:
        return [self.profile(name) for name in self.specs]

    def requests(self, name: str) -> list[SeenRequest]:
        server = self._servers[name]
        with server.lock:
            return list(server.seen)


def _closed_port() -> int:
    """A port nothing listens on: bind it, note the number, close it. Connecting is then refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
