"""Probe mirrors concurrently: how fast each answers, whether the answer is real, and how fresh it is.

The path is profiles -> :func:`targets_for` -> :func:`probe_all` (the only I/O) -> :mod:`mirrorctl.rank`
(pure) -> :mod:`mirrorctl.probe_report`. :func:`run_bench` runs the whole path for the CLI.

What is measured, and why:

* **Small real targets.** PyPI: ``<index>/pip/``, the page pip itself fetches, never the root index that lists
  every project. conda: ``<channel>/noarch/repodata.json`` with ``Range: bytes=0-15``, never the whole file
  (tens of MB on conda-forge). Every answer is validated, so a captive portal or a soft-404 answering 200 is a
  failure, not a fast mirror.
* **Latency** is time to first byte: from sending a request to receiving the final response's headers,
  redirects included, minus any time spent opening connections (DNS, TCP, TLS), which is reported once as
  ``connect_ms``. Both come from httpcore's ``trace`` extension. Samples run one after another on one
  kept-alive connection per mirror and ``latency_ms`` is their median. A transport that emits no trace events
  (a mock) gets plain time to headers and no connect time.
* **Samples.** Each mirror gets ``samples`` samples; while slower mirrors are still busy with theirs, mirrors
  that are done keep sampling, up to ``max_samples``. The bench lasts as long as its slowest mirror anyway, so
  this costs no wall time, and it is the fast mirrors, the ones a choice is made between, that gain precision:
  with +/-30 ms of jitter, medians of three samples confuse two mirrors 20 ms apart about one time in seven.
* **Time bound.** ``timeout`` bounds the whole probe of one mirror (all samples), and all mirrors run at once,
  so a mirror that accepts the connection and never answers costs ``timeout`` and the bench ends soon after. A
  mirror cut off after at least one good sample still counts, with the samples it managed.
* **Freshness** evidence is collected here (the page's serial, the repodata's Last-Modified) and judged in
  :func:`mirrorctl.rank.mark_stale`.

httpx is imported inside functions, so importing this module (for :class:`ProbeResult`, say) stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urldefrag, urljoin, urlsplit

from mirrorctl import __version__
from mirrorctl.urls import host_port, join, mask_credentials

if TYPE_CHECKING:
    import httpx

    from mirrorctl.profiles import Profile

TARGETS = ("pypi", "conda")
ERRORS = ("timeout", "refused", "dns", "tls", "http", "invalid", "error")
DEFAULT_SAMPLES = 3
DEFAULT_MAX_SAMPLES = 20
DEFAULT_TIMEOUT = 5.0
USER_AGENT = f"mirrorctl/{__version__} (+bench)"

#: The project whose simple page is fetched: small, always present, and what every pip user downloads first.
PYPI_PROJECT = "pip"
#: pip's own Accept header, so that mirrors answer the bench as they answer pip (PEP 691 JSON or HTML).
PYPI_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
)
#: A simple page is far smaller than this; more means something other than a project page is being served.
MAX_PAGE_BYTES = 8 * 1024 * 1024
#: Enough of repodata.json to see that it starts like JSON.
CONDA_RANGE_BYTES = 16
#: The most --throughput downloads from one mirror.
THROUGHPUT_BYTES = 4 * 1024 * 1024

_ANCHOR = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_SERIAL = re.compile(r"<!--\s*SERIAL\s+(\d+)\s*-->")

OnResult = Callable[["ProbeResult", int, int], None]


@dataclass(frozen=True)
class ProbeTarget:
    """One URL to probe for one profile and one tool."""

    profile: str
    target: str  # "pypi" or "conda"
    url: str  # the exact URL requested
    #: What the URL is about, so that only like is compared with like for freshness: the PyPI project, or the
    #: conda channel ("pkgs/main", "conda-forge").
    resource: str


@dataclass(frozen=True)
class ProbeResult:
    """What probing one :class:`ProbeTarget` found. ``error`` is None exactly when ``ok``."""

    profile: str
    target: str
    url: str
    resource: str
    ok: bool
    latency_ms: float | None  # median time to first byte; None when failed
    samples_ms: tuple[float, ...]
    connect_ms: float | None  # DNS + TCP + TLS of the first new connection; None if not observed
    status: int | None
    final_url: str | None
    final_host: str | None
    redirects: tuple[str, ...]  # URLs that answered with a redirect, in order
    error: str | None  # one of ERRORS
    detail: str  # a human reason or note, e.g. "HTTP 500 Internal Server Error"
    serial: int | None = None  # PyPI: the project's last serial (lowest seen across samples)
    last_modified: float | None = None  # conda: repodata Last-Modified, epoch seconds (oldest seen)
    stale: bool = False  # set by mirrorctl.rank.mark_stale
    throughput_mbps: float | None = None  # MB/s (10**6 bytes), only with throughput=True

    @property
    def host(self) -> str:
        """The host that answered, or the one asked when nothing answered."""
        return self.final_host or host_port(self.url)

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` object; credentials in URLs are masked."""
        return {
            "profile": self.profile,
            "target": self.target,
            "resource": self.resource,
            "url": mask_credentials(self.url),
            "ok": self.ok,
            "latency_ms": _round(self.latency_ms),
            "samples_ms": [_round(sample) for sample in self.samples_ms],
            "connect_ms": _round(self.connect_ms),
            "status": self.status,
            "final_url": mask_credentials(self.final_url) if self.final_url else None,
            "final_host": self.final_host,
            "redirects": [mask_credentials(url) for url in self.redirects],
            "error": self.error,
            "detail": mask_credentials(self.detail),
            "serial": self.serial,
            "last_modified": _iso(self.last_modified),
            "stale": self.stale,
            "throughput_mbps": _round(self.throughput_mbps, 2),
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------------
# What to probe


def targets_for(profiles: Iterable[Profile], only: str | None = None) -> list[ProbeTarget]:
    """The URL to probe for each profile and each tool it covers (``only``: "pypi" or "conda").

    conda probes the first default channel (``pkgs/main``) when the profile carries ``defaults``; otherwise
    conda-forge, the channel most people use; otherwise the profile's first custom channel.
    """
    if only not in (None, *TARGETS):
        raise ValueError(f"only must be one of {TARGETS}, not {only!r}")
    targets = []
    for profile in profiles:
        if profile.pypi and only in (None, "pypi"):
            url = join(profile.pypi.index_url, PYPI_PROJECT) + "/"
            targets.append(ProbeTarget(profile.name, "pypi", url, PYPI_PROJECT))
        if profile.conda and only in (None, "conda"):
            channel, resource = _conda_channel(profile.conda.default_channels, profile.conda.custom_channels)
            url = join(channel, "noarch", "repodata.json")
            targets.append(ProbeTarget(profile.name, "conda", url, resource))
    return targets


def _conda_channel(default_channels: Sequence[str], custom_channels: Mapping[str, str]) -> tuple[str, str]:
    """The channel URL to probe and its name ("pkgs/main" for a default channel, else the custom name)."""
    if default_channels:
        channel = default_channels[0]
        parts = [part for part in urlsplit(channel).path.split("/") if part]
        if len(parts) >= 2 and parts[-2] == "pkgs":
            return channel, "/".join(parts[-2:])
        return channel, parts[-1] if parts else channel
    name = "conda-forge" if "conda-forge" in custom_channels else next(iter(custom_channels))
    return join(custom_channels[name], name), name


# ---------------------------------------------------------------------------------------------------------
# Probing


def make_client(
    *, trust_env: bool = True, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client :func:`run_bench` uses unless given another.

    One client is shared by all mirrors: httpx keeps a pool per origin, so each mirror still gets its own
    kept-alive connection, and the CA bundle is loaded once instead of once per mirror (tens of milliseconds
    of CPU each, which would land inside other mirrors' timings). The pool is unlimited so that no mirror
    waits for another's connection. ``trust_env`` honours proxy variables as pip and conda do (tests turn it
    off).
    """
    import httpx

    return httpx.AsyncClient(
        transport=transport,
        trust_env=trust_env,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=5,
    )


async def probe_all(
    targets: Sequence[ProbeTarget],
    *,
    client: httpx.AsyncClient,
    samples: int = DEFAULT_SAMPLES,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    timeout: float = DEFAULT_TIMEOUT,
    throughput: bool = False,
    on_result: OnResult | None = None,
) -> list[ProbeResult]:
    """Probe every target at once; results come back in the order of ``targets``, not ranked, none stale.

    The caller owns ``client`` (see :func:`make_client`). ``on_result(result, done, total)`` is called as each
    mirror finishes its latency probe, for progress display. With ``throughput``, healthy mirrors then
    download up to :data:`THROUGHPUT_BYTES` each, one mirror at a time (concurrent downloads would only
    measure the user's own link shared N ways), each within ``timeout``.
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    countdown = _Countdown(len(targets))
    most = max(samples, max_samples)
    tasks = [
        asyncio.ensure_future(_probe_one(client, target, samples, most, timeout, countdown))
        for target in targets
    ]
    for done, finished in enumerate(asyncio.as_completed(tasks), start=1):
        result, _ = await finished
        if on_result is not None:
            on_result(result, done, len(targets))
    results = []
    for task in tasks:
        result, file_url = task.result()
        url = result.url if result.target == "conda" else file_url
        if throughput and result.ok and url:
            mbps, note = await _measure_throughput(client, url, timeout)
            detail = "; ".join(part for part in (result.detail, note) if part)
            result = replace(result, throughput_mbps=mbps, detail=detail)
        results.append(result)
    return results


def run_bench(
    profiles: Iterable[Profile],
    *,
    only: str | None = None,
    upstream: Iterable[Profile] = (),
    samples: int = DEFAULT_SAMPLES,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    timeout: float = DEFAULT_TIMEOUT,
    throughput: bool = False,
    client_factory: Callable[[], httpx.AsyncClient] = make_client,
    on_result: OnResult | None = None,
) -> list[ProbeResult]:
    """Probe ``profiles``, flag stale mirrors and return the results ranked (see :func:`mirrorctl.rank.rank`).

    ``upstream`` profiles (say, the official index when it is not among ``profiles``) are probed alongside,
    once each, as freshness evidence only; their results are not returned. ``client_factory`` builds the
    client inside the event loop this function runs, and the client is closed at the end.
    """
    from mirrorctl.rank import mark_stale, rank

    targets = targets_for(profiles, only)
    names = {target.profile for target in targets}
    references = [target for target in targets_for(upstream, only) if target.profile not in names]

    async def bench() -> tuple[list[ProbeResult], list[ProbeResult]]:
        async with client_factory() as client:
            measured = probe_all(
                targets, client=client, samples=samples, max_samples=max_samples, timeout=timeout,
                throughput=throughput, on_result=on_result,
            )
            # One sample is enough to read a serial, and the references' speed is not reported.
            evidence = probe_all(references, client=client, samples=1, max_samples=1, timeout=timeout)
            return await asyncio.gather(measured, evidence)

    measured, evidence = asyncio.run(bench())
    return rank(mark_stale(measured, reference=evidence))


class _Countdown:
    """Set ``event`` once every mirror has its minimum samples (or has failed): spare sampling stops then."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.event = asyncio.Event()
        if count == 0:
            self.event.set()

    def finish(self, state: _State) -> None:
        if state.counted:
            return
        state.counted = True
        self.left -= 1
        if self.left <= 0:
            self.event.set()


@dataclass
class _State:
    """What one mirror's probe has learnt so far; it outlives the task when the deadline cancels it."""

    samples: list[float] = field(default_factory=list)
    connect_ms: float | None = None
    #: Where the request in flight is, for saying what a timeout means: "connect", "request" or "body".
    phase: str | None = None
    status: int | None = None
    final_url: str | None = None
    redirects: tuple[str, ...] = ()
    serial: int | None = None
    last_modified: float | None = None
    file_url: str | None = None  # what --throughput downloads
    counted: bool = False

    def timeout_detail(self, timeout: float) -> str:
        limit = f"{timeout:g} s"
        if self.phase == "connect":
            return f"no connection within {limit}"
        if self.phase == "request":
            return f"connected, no answer within {limit}"
        if self.phase == "body":
            return f"answer not complete within {limit}"
        return f"no answer within {limit}"


class _Failure(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


class _Trace:
    """httpcore trace callback for one sample: time spent opening connections, and where the request is."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.connect_s = 0.0
        self.seen_events = False
        self._opened_at: dict[str, float] = {}

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        self.seen_events = True
        step, _, stage = event.rpartition(".")
        if step.endswith((".connect_tcp", ".start_tls")):
            if stage == "started":
                self._opened_at[step] = now
                self.state.phase = "connect"
            elif step in self._opened_at:
                self.connect_s += now - self._opened_at.pop(step)
        elif step.endswith(".send_request_headers") and stage == "started":
            self.state.phase = "request"
        elif step.endswith(".receive_response_headers") and stage == "complete":
            self.state.phase = "body"


async def _probe_one(
    client: httpx.AsyncClient, target: ProbeTarget, samples: int, max_samples: int, timeout: float,
    countdown: _Countdown,
) -> tuple[ProbeResult, str | None]:
    """The result, and the file --throughput would download from this mirror (PyPI only)."""
    state = _State()
    error = None
    detail = ""
    try:
        sampling = _sample_loop(client, target, state, samples, max_samples, timeout, countdown)
        await asyncio.wait_for(sampling, timeout)
    except asyncio.TimeoutError:
        if not state.samples:
            error, detail = "timeout", state.timeout_detail(timeout)
        elif len(state.samples) < samples:
            detail = f"{len(state.samples)} of {samples} samples within {timeout:g} s"
    except _Failure as failure:
        error, detail = failure.error, failure.detail
    finally:
        countdown.finish(state)
    ok = error is None
    result = ProbeResult(
        profile=target.profile,
        target=target.target,
        url=target.url,
        resource=target.resource,
        ok=ok,
        latency_ms=statistics.median(state.samples) if ok else None,
        samples_ms=tuple(state.samples),
        connect_ms=state.connect_ms,
        status=state.status,
        final_url=state.final_url,
        final_host=host_port(state.final_url) if state.final_url else None,
        redirects=state.redirects,
        error=error,
        detail=mask_credentials(detail),
        serial=state.serial if ok else None,
        last_modified=state.last_modified if ok else None,
    )
    return result, state.file_url


async def _sample_loop(
    client: httpx.AsyncClient, target: ProbeTarget, state: _State, samples: int, max_samples: int,
    timeout: float, countdown: _Countdown,
) -> None:
    """The minimum samples, then spare ones until every mirror has its minimum.

    A spare sample that fails fails the mirror too: one bad answer in N is one that pip would get.
    """
    for _ in range(samples):
        await _sample(client, target, state, timeout)
    countdown.finish(state)
    while len(state.samples) < max_samples and not countdown.event.is_set():
        sample = asyncio.ensure_future(_sample(client, target, state, timeout))
        everyone_done = asyncio.ensure_future(countdown.event.wait())
        try:
            await asyncio.wait({sample, everyone_done}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Whether the others are done or this mirror's deadline cancelled us, a spare sample in flight is
            # not worth waiting for; it must not outlive this probe either.
            everyone_done.cancel()
            if not sample.done():
                sample.cancel()
                await asyncio.wait({sample})
        if sample.cancelled():
            return
        sample.result()


async def _sample(client: httpx.AsyncClient, target: ProbeTarget, state: _State, timeout: float) -> None:
    """One validated request; appends its latency to ``state.samples`` or raises :class:`_Failure`."""
    import httpx

    trace = _Trace(state)
    started = time.perf_counter()
    try:
        async with client.stream(
            "GET", target.url, headers=_headers(target), follow_redirects=True, timeout=timeout,
            extensions={"trace": trace},
        ) as response:
            answered = time.perf_counter()
            state.phase = "body"
            state.status = response.status_code
            state.final_url = str(response.url)
            state.redirects = tuple(str(hop.url) for hop in response.history)
            if not 200 <= response.status_code < 300:
                raise _Failure("http", f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            if target.target == "pypi":
                _check_pypi_page(response, await _read(response, MAX_PAGE_BYTES, strict=True), state)
            else:
                _check_repodata(response, await _read(response, CONDA_RANGE_BYTES, strict=False), state)
    except (httpx.HTTPError, OSError) as exc:  # OSError: a custom transport may let socket errors through
        raise _Failure(*classify(exc)) from exc
    if trace.connect_s and state.connect_ms is None:
        state.connect_ms = trace.connect_s * 1000
    state.samples.append((answered - started - trace.connect_s) * 1000)


def _headers(target: ProbeTarget) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if target.target == "pypi":
        # max-age=0, as pip sends: a CDN in front of the mirror revalidates, so the serial is the mirror's.
        headers.update({"Accept": PYPI_ACCEPT, "Accept-Encoding": "gzip", "Cache-Control": "max-age=0"})
    else:
        # identity: a byte range of a gzip-encoded body would be a fragment of compressed data.
        headers.update({"Range": f"bytes=0-{CONDA_RANGE_BYTES - 1}", "Accept-Encoding": "identity"})
    return headers


async def _read(response: httpx.Response, limit: int, *, strict: bool) -> bytes:
    """Up to ``limit`` decoded bytes. ``strict``: more than that is a failure, not a truncation."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            if strict:
                size = f"{limit // (1024 * 1024)} MiB"
                raise _Failure("invalid", f"answer larger than {size}: not a project page")
            break
        if not strict and len(body) == limit:
            break
    return bytes(body[:limit])


def _check_pypi_page(response: httpx.Response, body: bytes, state: _State) -> None:
    """Accept a simple page for :data:`PYPI_PROJECT` (PEP 503 HTML or PEP 691 JSON) and note its serial."""
    content_type = response.headers.get("Content-Type", "")
    text = body.decode(response.encoding or "utf-8", errors="replace")
    serial: int | None
    if "json" in content_type or text.lstrip().startswith("{"):
        serial, file_url = _parse_pypi_json(text)
    else:
        serial, file_url = _parse_pypi_html(text)
    if file_url is None:
        looks = _looks_like(body)
        raise _Failure(
            "invalid", f"no files of {PYPI_PROJECT} in the answer ({looks}: a portal or soft-404?)"
        )
    header = response.headers.get("X-PyPI-Last-Serial", "")
    if serial is None and header.isdigit():
        serial = int(header)
    if serial is not None:
        state.serial = serial if state.serial is None else min(state.serial, serial)
    state.file_url = urldefrag(urljoin(str(response.url), file_url))[0]


def _parse_pypi_html(text: str) -> tuple[int | None, str | None]:
    """The serial comment and the URL of the last wheel (or last file) of the project."""
    files = [
        (href, name) for href, label in _ANCHOR.findall(text)
        for name in [re.sub(r"<[^>]*>", "", label).strip()]
        if _is_project_file(name) or _is_project_file(urldefrag(href)[0].rsplit("/", 1)[-1])
    ]
    match = _SERIAL.search(text)
    return (int(match.group(1)) if match else None), _pick_file(files)


def _parse_pypi_json(text: str) -> tuple[int | None, str | None]:
    try:
        document = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(document, dict) or _normalize_name(str(document.get("name", ""))) != PYPI_PROJECT:
        return None, None
    entries = [entry for entry in document.get("files") or [] if isinstance(entry, dict)]
    files = [
        (entry["url"], str(entry.get("filename", "")))
        for entry in entries
        if isinstance(entry.get("url"), str) and _is_project_file(str(entry.get("filename", "")))
    ]
    meta = document.get("meta")
    serial = meta.get("_last-serial") if isinstance(meta, dict) else None
    return (serial if isinstance(serial, int) else None), _pick_file(files)


def _pick_file(files: list[tuple[str, str]]) -> str | None:
    """Pages list files oldest first; the newest wheel is what pip would download."""
    wheels = [href for href, name in files if name.endswith(".whl")]
    if wheels:
        return wheels[-1]
    return files[-1][0] if files else None


def _normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_project_file(filename: str) -> bool:
    """``pip-24.0.tar.gz`` or ``pip-24.0-py3-none-any.whl`` (names as pip and PEP 625 spell them)."""
    name = _normalize_name(filename)
    prefix = PYPI_PROJECT + "-"
    return name.startswith(prefix) and name[len(prefix) : len(prefix) + 1].isdigit()


def _check_repodata(response: httpx.Response, body: bytes, state: _State) -> None:
    if not body.lstrip().startswith(b"{"):
        looks = _looks_like(body)
        raise _Failure("invalid", f"repodata.json does not start like JSON ({looks}: a portal or soft-404?)")
    modified = _parse_http_date(response.headers.get("Last-Modified"))
    if modified is not None:
        state.last_modified = modified if state.last_modified is None else min(state.last_modified, modified)


def _parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _looks_like(body: bytes) -> str:
    start = body.lstrip()[:40].decode("utf-8", errors="replace")
    if not start:
        return "empty"
    title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    if title:
        return "an HTML page titled " + repr(title.group(1).decode("utf-8", errors="replace").strip()[:60])
    return "starts with " + repr(start[:20])


def classify(exc: BaseException) -> tuple[str, str]:
    """Map a transport error to one of :data:`ERRORS` and a short reason.

    httpx wraps the socket error; the cause chain says what really happened (refused, DNS, TLS).
    """
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timeout", "connect timed out" if isinstance(exc, httpx.ConnectTimeout) else "timed out"
    if isinstance(exc, httpx.TooManyRedirects):
        return "http", "too many redirects"
    if isinstance(exc, httpx.DecodingError):
        return "invalid", "answer cannot be decoded (bad compression)"
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return "dns", f"cannot resolve the host ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "refused", "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "tls", f"TLS certificate rejected ({cause.verify_message or cause.reason})"
        if isinstance(cause, ssl.SSLError):
            return "tls", f"TLS handshake failed ({cause.reason or cause})"
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return "timeout", "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "error", "server closed the connection without a valid answer"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "error", "connection reset"
    return "error", mask_credentials(str(exc)) or type(exc).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


async def _measure_throughput(
    client: httpx.AsyncClient, url: str, timeout: float
) -> tuple[float | None, str]:
    """MB/s downloading up to THROUGHPUT_BYTES of ``url`` within ``timeout``, or None and why not.

    Counted from the response headers to the last byte, so latency stays out of it; the bytes received before
    the time ran out still count, which keeps a slow mirror's figure honest instead of missing.
    """
    import httpx

    answered: float | None = None
    last = 0.0
    received = 0

    async def download() -> None:
        nonlocal answered, last, received
        async with client.stream(
            "GET", url, headers={"User-Agent": USER_AGENT, "Range": f"bytes=0-{THROUGHPUT_BYTES - 1}",
                                 "Accept-Encoding": "identity"},
            follow_redirects=True, timeout=timeout,
        ) as response:
            answered = last = time.perf_counter()
            if not 200 <= response.status_code < 300:
                raise _Failure("http", f"HTTP {response.status_code}")
            async for chunk in response.aiter_raw():
                received += len(chunk)
                last = time.perf_counter()
                if received >= THROUGHPUT_BYTES:
                    break

    try:
        await asyncio.wait_for(download(), timeout)
    except asyncio.TimeoutError:
        pass
    except _Failure as failure:
        return None, f"throughput: {failure.detail}"
    except (httpx.HTTPError, OSError) as exc:
        if not received:
            return None, f"throughput: {classify(exc)[1]}"
    if answered is None or not received or last <= answered:
        return None, "throughput: nothing received"
    return received / (last - answered) / 1e6, ""


