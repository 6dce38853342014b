"""An Anaconda mirror on 127.0.0.1 that carries exactly the channels and platform subdirs it is told to.

``serve({"pkgs/main": ["noarch", "linux-64"], "cloud/conda-forge": ["noarch"]})`` answers
``/pkgs/main/linux-64/repodata.json`` with a real (tiny) repodata that conda 26 accepts, and 404 for every
other path, as a mirror that never synced a subdir does. conda's first requests (``repodata_shards.msgpack.zst``,
``repodata.json.zst``) get 404 too, which conda takes in its stride. ``feed`` is served at ``/status.json``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FEED_PATH = "/status.json"


def repodata(subdir: str) -> bytes:
    """One package per subdir, named after it (``demo-linux-64``), so a search shows which subdir answered."""
    name = "demo-" + subdir
    record = {"build": "0", "build_number": 0, "depends": [], "name": name, "version": "1.0",
              "subdir": subdir, "md5": "0" * 32, "size": 1}
    return json.dumps({"info": {"subdir": subdir}, "packages": {f"{name}-1.0-0.tar.bz2": record},
                       "packages.conda": {}, "repodata_version": 1}).encode()


@dataclass
class ChannelMirror:
    base: str
    seen: list[tuple[str, str]] = field(default_factory=list)

    def url(self, channel: str) -> str:
        return f"{self.base}/{channel}"


@contextlib.contextmanager
def serve(channels: Mapping[str, Sequence[str]], *, feed: bytes | None = None) -> Iterator[ChannelMirror]:
    carried = {f"/{channel.strip('/')}/{subdir}/repodata.json": subdir
               for channel, subdirs in channels.items() for subdir in subdirs}
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

        def _answer(self, *, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                seen.append((self.command, path))
            if path == FEED_PATH and feed is not None:
                status, body, kind = 200, feed, "application/json"
            elif path in carried:
                status, body, kind = 200, repodata(carried[path]), "application/json"
            else:
                status, body, kind = 404, b"Not Found\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ChannelMirror(f"http://127.0.0.1:{server.server_port}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
