"""Real pip as the client: what mirrorctl writes is what pip obeys, and `restore` gives pip its old view back.

A loopback PEP 503 index (a ``ThreadingHTTPServer`` on 127.0.0.1, port 0) serves one small wheel this module
builds with ``zipfile``. mirrorctl points pip at it through a user profile, then a real
``pip download --no-deps`` runs in a subprocess with the isolated environment the conftest set up (fake HOME,
XDG_*, a PIP_CONFIG_FILE that does not exist). Nothing here leaves the loopback interface.

The index is plain http, and the tests reach it as ``http://127.1:PORT`` rather than
``http://127.0.0.1:PORT``. pip counts ``localhost``, ``127.0.0.0/8`` and ``::1`` as secure origins, so plain
http to 127.0.0.1 works with no ``trusted-host`` at all and a download through it would prove nothing about
that key. ``127.1`` is the same address to the resolver (inet_aton's short form, so the server still listens
on 127.0.0.1 only), but ``ipaddress`` rejects it, so pip's origin check treats it as a host name that is not
``localhost`` and ignores the index unless ``trusted-host = 127.1:PORT`` is set. A successful download
therefore proves mirrorctl wrote both ``index-url`` and a ``trusted-host`` pip accepts; the control test at
the end shows pip refusing it otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import socket
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import write

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pip") is None, reason="pip is not installed")

PROJECT = "mirrorctl-demo"
VERSION = "1.0"
WHEEL_NAME = f"mirrorctl_demo-{VERSION}-py3-none-any.whl"
PIP_TIMEOUT_S = 120
#: 127.0.0.1 spelled so that pip does not recognise it as loopback (so it does not trust it unless told to).
HOST = "127.1"


# ---------------------------------------------------------------------------------------------------------
# The wheel


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


# ---------------------------------------------------------------------------------------------------------
# The index


@dataclass
class Index:
    server: ThreadingHTTPServer
    wheel: bytes
    seen: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        """The index as pip is told to use it (see the module docstring for why 127.1)."""
        return f"http://{HOST}:{self.port}/simple"

    @property
    def host(self) -> str:
        """What ``trusted-host`` must say for pip to use :attr:`url`."""
        return f"{HOST}:{self.port}"

    def paths(self, method: str = "GET") -> list[str]:
        with self.lock:
            return [p for m, p in self.seen if m == method]


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        index: Index = self.server.index  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        with index.lock:
            index.seen.append((self.command, path))
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


@pytest.fixture
def index():
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


@pytest.fixture
def dead_url() -> str:
    """An index URL on a 127.0.0.1 port that was bound, then closed: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple"


# ---------------------------------------------------------------------------------------------------------
# Real pip


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pip`` in a subprocess, with the isolated environment the conftest set up."""
    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return subprocess.run(
        [sys.executable, "-m", "pip", *args],
        env=env, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False,
    )


def pip_download(dest: Path) -> subprocess.CompletedProcess[str]:
    # --retries 0: a refused connection fails at once instead of after pip's back-off (seconds).
    return pip("download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "30",
               "-d", str(dest), PROJECT)


def pip_config() -> str:
    result = pip("config", "list")
    assert result.returncode == 0, result.stderr
    return result.stdout


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def snapshot(*paths: Path) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.exists() else None for p in paths}


# ---------------------------------------------------------------------------------------------------------
# Tests


def test_use_then_restore_with_real_pip(run, index: Index, dead_url: str, legacy_pip_conf: Path,
                                        pip_conf: Path, tmp_path: Path):
    added = run("profile", "add", "loop", "--pypi", index.url)
    assert added.exit_code == 0, added.output

    # A user who set up pip long ago, by hand, in the legacy file: a mirror that is gone now.
    legacy_text = (
        "# pip settings, written by hand years ago\n"
        "[global]\n"
        "# the campus mirror (decommissioned)\n"
        f"index-url = {dead_url}\n"
        "timeout = 60\n"
        "\n"
        "[download]\n"
        "# keep downloads quiet\n"
        "progress-bar = off\n"
    )
    write(legacy_pip_conf, legacy_text)
    legacy_before = legacy_pip_conf.read_bytes()
    before = snapshot(legacy_pip_conf, pip_conf)
    assert before[pip_conf] is None
    assert dead_url in pip_config(), "pip does not read the legacy file this test relies on"

    failed = pip_download(tmp_path / "before")
    assert failed.returncode != 0, describe(failed)
    assert f"Looking in indexes: {dead_url}" in failed.stdout, describe(failed)
    assert index.paths() == []

    used = run("use", "loop", "--only", "pip")
    assert used.exit_code == 0, used.output
    assert pip_conf.is_file(), "mirrorctl did not write the XDG user file"

    # pip's own view of the configuration: the loopback index, trusted, and nothing of the dead one.
    config = pip_config()
    assert f"global.index-url='{index.url}'" in config, config
    assert f"global.trusted-host='{index.host}'" in config, config
    assert dead_url not in config, config
    assert "download.progress-bar='off'" in config, config  # the user's other settings are still there

    dest = tmp_path / "downloads"
    fetched = pip_download(dest)
    assert fetched.returncode == 0, describe(fetched)
    assert (dest / WHEEL_NAME).read_bytes() == index.wheel
    assert f"/simple/{PROJECT}/" in index.paths()
    assert f"/packages/{WHEEL_NAME}" in index.paths()
    # An http index without a trusted host is ignored with this warning (and the download fails).
    assert "not a trusted or secure host" not in fetched.stdout + fetched.stderr

    restored = run("restore")
    assert restored.exit_code == 0, restored.output
    assert snapshot(legacy_pip_conf, pip_conf) == before
    assert legacy_pip_conf.read_bytes() == legacy_before
    assert not pip_conf.exists()

    # And in pip's eyes: the dead index is back, the loopback one is gone.
    config = pip_config()
    assert f"global.index-url='{dead_url}'" in config, config
    assert index.url not in config and index.host not in config, config
    requests_before = len(index.paths())
    again = pip_download(tmp_path / "after")
    assert again.returncode != 0, describe(again)
    assert f"Looking in indexes: {dead_url}" in again.stdout, describe(again)
    assert not (tmp_path / "after" / WHEEL_NAME).exists()
    assert len(index.paths()) == requests_before, "pip still talked to the loopback index after restore"


def test_use_then_reset_with_real_pip(run, index: Index, legacy_pip_conf: Path, pip_conf: Path,
                                      tmp_path: Path):
    assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
    assert not legacy_pip_conf.exists() and not pip_conf.exists()

    used = run("use", "loop")
    assert used.exit_code == 0, used.output
    assert not legacy_pip_conf.exists(), "mirrorctl created the legacy file"

    dest = tmp_path / "downloads"
    fetched = pip_download(dest)
    assert fetched.returncode == 0, describe(fetched)
    assert (dest / WHEEL_NAME).read_bytes() == index.wheel
    assert f"/simple/{PROJECT}/" in index.paths()

    reset = run("reset", "--only", "pip")
    assert reset.exit_code == 0, reset.output
    config = pip_config()
    assert index.url not in config and index.host not in config, config
    assert "index-url" not in config and "trusted-host" not in config, config


def test_pip_ignores_the_index_without_trusted_host(index: Index, pip_conf: Path, tmp_path: Path):
    """The control: the downloads above prove trusted-host because pip refuses this http index without it."""
    write(pip_conf, f"[global]\nindex-url = {index.url}\n")
    failed = pip_download(tmp_path / "downloads")
    assert failed.returncode != 0, describe(failed)
    assert "not a trusted or secure host" in failed.stdout + failed.stderr, describe(failed)
    assert f"/simple/{PROJECT}/" not in index.paths()

    write(pip_conf, f"[global]\nindex-url = {index.url}\ntrusted-host = {index.host}\n")
    fetched = pip_download(tmp_path / "downloads")
    assert fetched.returncode == 0, describe(fetched)


def test_pip_trusts_127_0_0_1_on_its_own(index: Index, pip_conf: Path, tmp_path: Path):
    """Why the tests say 127.1: 127.0.0.1 needs no trusted-host in pip, so a download there proves nothing."""
    write(pip_conf, f"[global]\nindex-url = http://127.0.0.1:{index.port}/simple\n")
    fetched = pip_download(tmp_path / "downloads")
    assert fetched.returncode == 0, describe(fetched)
