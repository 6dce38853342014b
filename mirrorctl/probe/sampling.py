"""HTTP for the prober: one timed, validated sample; a ranged file download; a status feed. httpx, lazily.

What is measured, and why:

* **Small real targets, few bytes.** PyPI: ``<index>/pip/``, the page pip itself fetches, never the root index
  that lists every project. The page is about 80 KB (pypi.org, 2026), so it is never fetched whole when the
  mirror honours ``Range`` (static web servers do): the first sample asks for its last
  :data:`PAGE_TAIL_BYTES` (``Range: bytes=-4096``, ``Accept-Encoding: identity``, HTML, since PEP 503 pages
  list files oldest first and end with shadowmire's ``<!--SERIAL n-->``, the tail holds the newest wheel and
  the serial), later samples its last :data:`FOLLOW_TAIL_BYTES`. A mirror that ignores ``Range`` (200, whole
  page) is read up to :data:`MAX_PAGE_BYTES` once, and its later samples ask for the gzip page as pip does.
  conda: ``<channel>/noarch/repodata.json`` with ``Range: bytes=0-15``, never the whole file.
* **Latency** is time to first byte, connection set-up excluded (:mod:`.http` measures it).
* **Bandwidth** is bytes over the time from the final answer's headers to the last byte of a ranged download
  of a real package file (:func:`download`), so latency stays out of it.

Every request goes through :func:`.http.fetch` (bounded reads, redirects checked hop by hop); a malformed
answer is a :class:`~.http.Failure`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mirrorctl.probe import checks, status
from mirrorctl.probe.http import USER_AGENT, Answer, Failure, Progress, fetch
from mirrorctl.probe.model import TARGETS, FileProbe, Note, ProbeTarget, SyncStatus

if TYPE_CHECKING:
    import httpx

    from mirrorctl.profiles import StatusFeed

#: pip's own Accept header, so that mirrors answer the bench as they answer pip (PEP 691 JSON or HTML).
PYPI_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
)
#: pip's simple page is about 100 KB (gzip: 15 KB); more than this is not a project page. It bounds what a
#: mirror that sends gigabytes costs: at most this per request in flight.
MAX_PAGE_BYTES = 2 * 1024 * 1024
#: The first PyPI sample's tail of the simple page: pypi.org's last 4 KB hold its 8 to 12 newest files.
PAGE_TAIL_BYTES = 4 * 1024
#: Later samples' tail: enough to check that it is still the end of a simple page (and to read the serial).
FOLLOW_TAIL_BYTES = 256
#: A ranged page request sends HTML only: the tail of a PEP 691 JSON document is not readable on its own.
PYPI_RANGE_ACCEPT = "text/html"
#: Enough of repodata.json to see that it starts like JSON.
CONDA_RANGE_BYTES = 16
#: Enough of repodata.json to hold a few complete package entries (the file to fetch is chosen among them);
#: read only from the mirrors still in the race.
REPODATA_PREFIX_BYTES = 8 * 1024
#: A status feed larger than this is not a status feed (TUNA's, listing every repo, is about 100 KB).
MAX_FEED_BYTES = 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# One latency sample


@dataclass(frozen=True)
class Sample:
    latency_ms: float
    connect_ms: float | None
    status: int
    final_url: str
    redirects: tuple[str, ...]
    serial: int | None = None
    last_modified: float | None = None
    file_url: str | None = None  # PyPI: the newest wheel on the page
    #: PyPI: the answer was a byte range (206) of a page of ``page_size`` bytes; False: the whole page (200).
    ranged: bool = False
    page_size: int | None = None


def sample_headers(target: ProbeTarget, first: Sample | None = None) -> dict[str, str]:
    """Headers of one sample; ``first``: the mirror's first validated sample (None for the first itself)."""
    headers = {"User-Agent": USER_AGENT}
    if target.target == "pypi":
        # max-age=0, as pip sends: a CDN in front of the mirror revalidates, so the serial is the mirror's.
        headers["Cache-Control"] = "max-age=0"
        if first is not None and not first.ranged:
            # The mirror ignores Range: ask for the page as pip does (gzip: ~15 KB instead of ~80 KB).
            headers.update({"Accept": PYPI_ACCEPT, "Accept-Encoding": "gzip"})
        else:
            # identity: a byte range of a gzip-encoded body would be a fragment of compressed data.
            tail = PAGE_TAIL_BYTES if first is None else FOLLOW_TAIL_BYTES
            headers.update({"Accept": PYPI_RANGE_ACCEPT, "Accept-Encoding": "identity", "Range": f"bytes=-{tail}"})
    else:
        headers.update({"Range": f"bytes=0-{CONDA_RANGE_BYTES - 1}", "Accept-Encoding": "identity"})
    return headers


async def sample(client: httpx.AsyncClient, target: ProbeTarget, progress: Progress, timeout: float,
                 first: Sample | None = None) -> Sample:
    """One validated request for ``target``; raises :class:`Failure`.

    ``first`` is the mirror's first validated sample: later PyPI samples then ask for a short tail only, and
    a tail of the page whose whole was already validated is checked for being that page's end.
    """
    pypi = target.target == "pypi"
    answer = await fetch(
        client, target.url, sample_headers(target, first), progress, timeout=timeout,
        limit=MAX_PAGE_BYTES if pypi else CONDA_RANGE_BYTES, strict=pypi,
    )
    if not 200 <= answer.status < 300:
        raise Failure("http", Note.of("http_status", status=answer.status, phrase=answer.reason_phrase))
    connect = answer.connect_s * 1000 if answer.connect_s else None
    common = dict(latency_ms=answer.ttfb_s * 1000, connect_ms=connect, status=answer.status, final_url=answer.url,
                  redirects=answer.redirects)
    try:
        if pypi:
            ranged = answer.status == 206
            if first is not None and ranged:
                serial = checks.check_pypi_tail(answer.body, headers=answer.headers, size=answer.size,
                                                expected_size=first.page_size)
                return Sample(**common, serial=serial, ranged=True, page_size=answer.size)  # type: ignore[arg-type]
            facts = checks.check_pypi_page(answer.body, content_type=answer.content_type, encoding=answer.encoding,
                                           url=answer.url, headers=answer.headers)
            return Sample(**common, serial=facts.serial, file_url=facts.file_url,  # type: ignore[arg-type]
                          ranged=ranged, page_size=answer.size if ranged else len(answer.body))
        modified = checks.check_repodata(answer.body, answer.headers)
        return Sample(**common, last_modified=modified)  # type: ignore[arg-type]
    except checks.Invalid as invalid:
        raise Failure("invalid", invalid.note) from None


# ---------------------------------------------------------------------------------------------------------
# Files and feeds


async def find_conda_package(
    client: httpx.AsyncClient, repodata_url: str, progress: Progress, timeout: float
) -> tuple[str, int | None] | None:
    """A real package of the channel (URL, size) from a bounded prefix of its repodata, or None."""
    headers = {"User-Agent": USER_AGENT, "Range": f"bytes=0-{REPODATA_PREFIX_BYTES - 1}",
               "Accept-Encoding": "identity"}
    answer = await fetch(client, repodata_url, headers, progress, limit=REPODATA_PREFIX_BYTES, strict=False,
                         timeout=timeout)
    if not 200 <= answer.status < 300:
        return None
    return checks.repodata_package(answer.body, answer.url)


async def download(
    client: httpx.AsyncClient, url: str, progress: Progress, *, budget: int, timeout: float,
    size: int | None = None,
) -> FileProbe:
    """A ranged GET of at most ``budget`` bytes of ``url`` within ``timeout`` s; bytes received by then count.

    ``budget=1`` only finds the host that serves the file and its time to first byte (a few hundred bytes of
    traffic with headers).
    """

    headers = {"User-Agent": USER_AGENT, "Range": f"bytes=0-{budget - 1}", "Accept-Encoding": "identity"}
    async def run() -> Answer:
        return await fetch(client, url, headers, progress, limit=budget, strict=False, timeout=timeout, raw=True)

    before, full_before = progress.bytes, progress.full_bytes
    progress.answered_at = None
    try:
        answer = await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        return cut_short(url, progress, progress.bytes - before, size, Note.of("download_cut", timeout=timeout),
                         Note.of("timeout", phase=progress.phase, timeout=timeout),
                         full=progress.full_bytes - full_before)
    except Failure as failure:
        return FileProbe(url, ok=False, reason=failure.note)
    if not 200 <= answer.status < 300:
        return FileProbe(url, ok=False, final_url=answer.url, redirects=answer.redirects, status=answer.status,
                         reason=Note.of("http_status", status=answer.status, phrase=answer.reason_phrase))
    return FileProbe(
        url, ok=True, final_url=answer.url, redirects=answer.redirects, status=answer.status,
        ttfb_ms=answer.ttfb_s * 1000, bytes=len(answer.body), transfer_s=answer.transfer_s,
        size=answer.size or size, reader_limited=reader_limited(progress.full_bytes - full_before, len(answer.body)),
    )


def reader_limited(full: int, received: int) -> bool:
    """Whether a download was paced by its reader: at least half its bytes came in full reads (they were
    waiting in the socket when read). Its rate is then only a lower bound on the mirror's bandwidth (on
    loopback, or on a busy machine, it measures the prober's own event loop, not the link)."""
    return received >= FileProbe.MIN_BANDWIDTH_BYTES and 2 * full >= received


def cut_short(url: str, progress: Progress, received: int, size: int | None, reason: Note, failed: Note, *,
              full: int | None = None) -> FileProbe:
    """A download ended before its budget: the bytes that did arrive still measure bandwidth (a slow host
    stays honest), with ``reason``; with none, it failed (``failed``). ``full``: of ``received``, the bytes
    that came in full reads (default: all of ``progress.full_bytes``, a download's own progress)."""
    if received and progress.answered_at is not None:
        transfer = time.perf_counter() - progress.answered_at
        return FileProbe(url, ok=True, final_url=progress.url, redirects=progress.redirects, bytes=received,
                         transfer_s=transfer, size=size, reason=reason,
                         reader_limited=reader_limited(progress.full_bytes if full is None else full, received))
    return FileProbe(url, ok=False, reason=failed)


async def fetch_feed(client: httpx.AsyncClient, feed: StatusFeed, progress: Progress, timeout: float) -> bytes:
    """The feed's body (at most :data:`MAX_FEED_BYTES`); raises :class:`Failure`."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip"}
    answer = await fetch(client, feed.url, headers, progress, limit=MAX_FEED_BYTES, strict=True, timeout=timeout)
    if not 200 <= answer.status < 300:
        raise Failure("http", Note.of("http_status", status=answer.status, phrase=answer.reason_phrase))
    return answer.body


async def read_feeds(client: httpx.AsyncClient, feeds: Mapping[str, StatusFeed], deadline: float
                      ) -> dict[str, dict[str, SyncStatus]]:
    """profile -> target -> what its feed says; one request per distinct feed URL."""
    loop = asyncio.get_running_loop()
    by_url = {feed.url: feed for feed in feeds.values()}

    async def read(feed: StatusFeed) -> tuple[bytes | None, Note | None, int]:
        progress = Progress()
        try:
            body = await fetch_feed(client, feed, progress, max(deadline - loop.time(), 0.001))
            return body, None, progress.bytes
        except Failure as failure:
            return None, failure.note, progress.bytes

    answers = dict(zip(by_url, await asyncio.gather(*(read(feed) for feed in by_url.values()))))
    now = time.time()
    found: dict[str, dict[str, SyncStatus]] = {}
    for profile, feed in feeds.items():
        body, problem, spent = answers[feed.url]
        found[profile] = {}
        for kind in TARGETS:
            if body is None:
                parsed = SyncStatus(feed.url, feed.format, None, reason=Note.of("feed_unreadable", why=problem.code
                                                                                if problem else None))
            else:
                parsed = status.parse(feed, body, kind, now=now)
            found[profile][kind] = replace(parsed, bytes=spent)
    return found
