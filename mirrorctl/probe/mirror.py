"""One mirror's probe as it goes: what it has learnt (outliving the tasks the deadline cancels), its
bounded download, its file's host, and the :class:`~.model.ProbeResult` it comes to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mirrorctl.probe import http, sampling
from mirrorctl.probe import rank as ranking
from mirrorctl.probe.model import FileProbe, Note, ProbeResult, ProbeTarget, SyncStatus
from mirrorctl.probe.race import estimate
from mirrorctl.urls import host_port

if TYPE_CHECKING:
    import httpx

#: How often a file look-up checks whether the page gave its file yet.
TICK_S = 0.01


@dataclass
class Mirror:
    """What one mirror's probe has learnt so far; it outlives the tasks the deadline cancels."""

    target: ProbeTarget
    progress: http.Progress = field(default_factory=http.Progress)
    samples: list[sampling.Sample] = field(default_factory=list)
    in_flight: dict[asyncio.Future[sampling.Sample], float] = field(default_factory=dict)
    error: str | None = None
    reason: Note | None = None
    file_url: str | None = None
    file_size: int | None = None
    file: FileProbe | None = None
    #: The bounded download's result has replaced the 1-byte probe's in ``file``.
    downloaded: bool = False
    side: asyncio.Future[None] | None = None
    eliminated: bool = False
    waited_ms: float | None = None
    reported: bool = False

    def cancel(self) -> None:
        for task in self.in_flight:
            task.cancel()


class Link:
    """The user's own link, shared by every tool's race: one download at a time (concurrent downloads would
    only measure it shared N ways)."""

    busy: bool = False


class Download:
    """A bounded download from one mirror under way; its rate so far bounds the mirror's bandwidth."""

    def __init__(self, index: int, mirror: Mirror, client: httpx.AsyncClient, *, budget: int,
                 timeout: float) -> None:
        assert mirror.file_url is not None
        self.index, self.mirror, self.timeout = index, mirror, timeout
        #: What the download can deliver: the budget, or the whole file when smaller.
        self.budget = min(budget, mirror.file_size or budget)
        self.progress = http.Progress()
        self.task = asyncio.ensure_future(sampling.download(client, mirror.file_url, self.progress, budget=budget,
                                                            timeout=timeout, size=mirror.file_size))
        self.stopped: FileProbe | None = None

    def elapsed(self) -> float | None:
        """Seconds since the file's headers arrived (None before)."""
        answered = self.progress.answered_at
        return None if answered is None else time.perf_counter() - answered

    def stop(self) -> None:
        """End it now: the bytes received so far are its figure."""
        assert self.mirror.file_url is not None
        self.stopped = sampling.cut_short(self.mirror.file_url, self.progress, self.progress.bytes,
                                          self.mirror.file_size, Note.of("download_stopped"),
                                          Note.of("download_stopped"))
        self.task.cancel()

    def result(self) -> FileProbe:
        """Once the task is done: what it measured."""
        if self.stopped is not None:
            return self.stopped
        return self.task.result()


def stale(mirrors: Sequence[Mirror]) -> list[int]:
    """The mirrors whose answers already show them stale against the freshest seen (as :func:`.rank.mark_stale`
    will judge them): a stale mirror is never the pick, so it races no further, however fast."""
    serials = {i: min(s.serial for s in m.samples if s.serial is not None)
               for i, m in enumerate(mirrors) if any(s.serial is not None for s in m.samples)}
    modified = {i: min(s.last_modified for s in m.samples if s.last_modified is not None)
                for i, m in enumerate(mirrors) if any(s.last_modified is not None for s in m.samples)}
    stale = [i for i, serial in serials.items() if serial < max(serials.values())]
    if modified:
        newest = max(modified.values())
        stale += [i for i, value in modified.items() if newest - value > ranking.CONDA_TOLERANCE_S]
    return stale


async def find_file(client: httpx.AsyncClient, mirror: Mirror, deadline: float) -> None:
    """Find the mirror's real package file and who serves it (a 1-byte Range), alongside the race."""
    loop = asyncio.get_running_loop()
    progress = mirror.progress
    try:
        if mirror.target.target == "conda":
            found = await sampling.find_conda_package(client, mirror.target.url, progress,
                                                      max(deadline - loop.time(), 0.001))
            if found is None:
                return
            mirror.file_url, mirror.file_size = found
        while mirror.file_url is None:
            if mirror.error or loop.time() >= deadline:
                return
            await asyncio.sleep(TICK_S)
        host = await sampling.download(client, mirror.file_url, progress, budget=1,
                                       timeout=max(deadline - loop.time(), 0.001), size=mirror.file_size)
        if not mirror.downloaded:  # the bounded download, when it came first, already knows the host
            mirror.file = host
    except http.Failure:
        return


def sync_notes(sync: SyncStatus) -> tuple[Note, ...]:
    return tuple(Note.of("sync_" + flag, last_success=sync.last_success, repo=sync.repo) for flag in sync.flags)


def to_result(mirror: Mirror, samples: int, timeout: float) -> ProbeResult:
    target = mirror.target
    latencies = [s.latency_ms for s in mirror.samples]
    error, reason = mirror.error, mirror.reason
    notes: list[Note] = []
    if error is None and not latencies:
        if mirror.eliminated and mirror.waited_ms is not None:
            error, reason = "timeout", Note.of("outrun", waited_ms=round(mirror.waited_ms))
        else:
            error, reason = "timeout", Note.of("timeout", phase=mirror.progress.phase, timeout=timeout)
    elif error is None and len(latencies) < samples and not mirror.eliminated:
        notes.append(Note.of("partial_samples", got=len(latencies), wanted=samples, timeout=timeout))
    ok = error is None
    first = mirror.samples[0] if mirror.samples else None
    serials = [s.serial for s in mirror.samples if s.serial is not None]
    modified = [s.last_modified for s in mirror.samples if s.last_modified is not None]
    connects = [s.connect_ms for s in mirror.samples if s.connect_ms is not None]
    last = mirror.samples[-1] if mirror.samples else None
    return ProbeResult(
        profile=target.profile,
        target=target.target,
        url=target.url,
        resource=target.resource,
        ok=ok,
        latency_ms=estimate(latencies) if ok else None,
        samples_ms=tuple(latencies),
        connect_ms=connects[0] if connects else None,
        status=last.status if last else _status_of(reason),
        final_url=last.final_url if last else None,
        final_host=host_port(last.final_url) if last else None,
        redirects=first.redirects if first else (),
        error=error,
        reason=reason,
        notes=tuple(notes),
        serial=min(serials) if ok and serials else None,
        last_modified=min(modified) if ok and modified else None,
        eliminated=mirror.eliminated and ok,
        bytes_received=mirror.progress.bytes,
        file=mirror.file,
    )


def _status_of(reason: Note | None) -> int | None:
    value = reason.get("status") if reason is not None and reason.code == "http_status" else None
    return value if isinstance(value, int) else None
