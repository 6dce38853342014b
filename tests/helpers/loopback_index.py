"""A loopback PEP 503 index serving one small wheel, for the real-client tests (pip, uv, pdm, poetry, pipenv).

A ``ThreadingHTTPServer`` on 127.0.0.1, port 0, serves ``/simple/`` and ``/simple/mirrorctl-demo/`` (HTML, with a
sha256 fragment) and the wheel, built here with ``zipfile``. Every request is logged (method, path, User-Agent),
so a test can tell which client talked to it. Nothing here leaves the loopback interface.

:attr:`Index.url` spells the host ``127.1`` rather than ``127.0.0.1``: pip counts ``127.0.0.0/8`` as a secure
origin, so plain http to 127.0.0.1 works with no ``trusted-host`` at all. ``127.1`` is the same address to the
resolver (inet_aton's short form), but ``ipaddress`` rejects it, so pip treats it as a host that is not
loopback and ignores the index unless ``trusted-host = 127.1:PORT`` is set. Clients without that rule (uv, pdm,
poetry, pipenv) can use :attr:`Index.loopback_url`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROJECT = "mirrorctl-demo"
VERSION = "1.0"
WHEEL_NAME = f"mirrorctl_demo-{VERSION}-py3-none-any.whl"
#: 127.0.0.1 spelled so that pip does not recognise it as loopback (so it does not trust it unless told to).
HOST = "127.1"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def build_wheel() -> bytes:
    """A minimal valid pure-Python wheel (PEP 427): a module, METADATA, WHEEL and a RECORD with hashes."""
    dist_info = f"mirrorctl_demo-{VERSION}.dist-info"
    files = {
        "mirrorctl_demo/__init__.py": b'"""Served by a loopback index in the tests."""\nVALUE = 42\n',
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n"
            "Summary: A wheel that only exists on 127.0.0.1\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: mirrorctl-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    user_agent: str


@dataclass
class Index:
    server: ThreadingHTTPServer
    wheel: bytes
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        """The index as pip is told to use it (see the module docstring for why 127.1)."""
        return f"http://{HOST}:{self.port}/simple"

    @property
    def loopback_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple"

    @property
    def host(self) -> str:
        """What pip's ``trusted-host`` must say for pip to use :attr:`url`."""
        return f"{HOST}:{self.port}"

    def paths(self, method: str = "GET") -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if r.method == method]

    def log(self) -> list[Request]:
        with self.lock:
            return list(self.requests)

    def served_wheel(self) -> bool:
        return f"/packages/{WHEEL_NAME}" in self.paths()

    def hit(self) -> bool:
        """Whether any client asked this index for the demo project (page or wheel)."""
        return any(p.startswith((f"/simple/{PROJECT}", "/packages/")) for p in self.paths())


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet (requests are recorded in Index.requests instead)."""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        index: Index = self.server.index  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        with index.lock:
            index.requests.append(Request(self.command, path, self.headers.get("User-Agent", "")))
        if path in ("/simple", f"/simple/{PROJECT}"):
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/simple/":
            body = f'<!DOCTYPE html><html><body><a href="/simple/{PROJECT}/">{PROJECT}</a></body></html>\n'
            self._send(200, body.encode(), "text/html; charset=utf-8", head=head)
        elif path == f"/simple/{PROJECT}/":
            digest = hashlib.sha256(index.wheel).hexdigest()
            body = (
                f"<!DOCTYPE html><html><head><title>Links for {PROJECT}</title></head><body>"
                f"<h1>Links for {PROJECT}</h1>"
                f'<a href="/packages/{WHEEL_NAME}#sha256={digest}">{WHEEL_NAME}</a><br/>'
                "</body></html>\n"
            )
            self._send(200, body.encode(), "text/html; charset=utf-8", head=head)
        elif path == f"/packages/{WHEEL_NAME}":
            self._send(200, index.wheel, "application/octet-stream", head=head)
        else:
            self._send(404, b"Not Found\n", "text/plain", head=head)

    def _send(self, status: int, body: bytes, content_type: str, *, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


@contextlib.contextmanager
def serve_index() -> Iterator[Index]:
    """Start the index on 127.0.0.1, port 0; stop it (bounded) on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    served = Index(server=server, wheel=build_wheel())
    server.index = served  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="loopback-pep503", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def closed_port() -> int:
    """A 127.0.0.1 port that was bound, then closed: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def dead_index_url() -> str:
    """An index URL nothing listens on (connection refused): the default for clients that must not go out."""
    return f"http://127.0.0.1:{closed_port()}/simple"


@dataclass
class TrapProxy:
    """An HTTP(S) proxy on 127.0.0.1 that forwards nothing: it records each request and answers 403.

    Give it to a client as ``HTTP_PROXY``/``HTTPS_PROXY`` (with ``NO_PROXY`` for the loopback index): any try to
    reach the internet (pypi.org, files.pythonhosted.org, an update check) ends here, is logged, and fails.
    """

    server: ThreadingHTTPServer
    attempts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def log(self) -> list[str]:
        with self.lock:
            return list(self.attempts)


class _TrapHandler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Quiet; attempts are recorded in TrapProxy.attempts."""

    def _refuse(self) -> None:
        trap: TrapProxy = self.server.trap  # type: ignore[attr-defined]
        with trap.lock:
            trap.attempts.append(f"{self.command} {self.path}")
        self.send_response(403, "no internet in the tests")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_CONNECT = do_GET = do_HEAD = do_POST = _refuse


@contextlib.contextmanager
def trap_proxy() -> Iterator[TrapProxy]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TrapHandler)
    server.daemon_threads = True
    trap = TrapProxy(server=server)
    server.trap = trap  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="trap-proxy", daemon=True)
    thread.start()
    try:
        yield trap
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
