"""Run the probe: every mirror at once, one race per tool, a hard deadline.

The path is profiles -> :mod:`.plan` (what to probe) -> :func:`probe_all` (the only I/O, through
:mod:`.sampling`; each tool's mirrors run one :class:`ToolRace`, which asks the pure :class:`.race.Race` what
to do after every answer) -> :mod:`.rank` (pure) -> the output layer. :func:`run_bench` runs it for the core.

**Ending.** ``settle_only`` (``use --fastest``) ends as soon as the pick is settled. Otherwise (``bench``,
whose table reports every mirror) the race also waits for each mirror's first answer, which a one-sample test
has to wait for too. Either way the deadline (``timeout`` from the start) ends everything: a mirror cut off
after at least one good sample still counts, with the samples it managed.

**Files.** The real package file (the page's newest wheel; the largest package in a prefix of repodata) of
each mirror still in the race after its first answer (of every mirror that answered, with ``by="install"``)
is fetched with ``Range: bytes=0-0`` alongside the race, to show the host that really serves files.
With ``by="install"`` the leading contenders then download up to ``budget`` bytes of it, one mirror at a time
(concurrent downloads would only measure the user's own link shared N ways), best latency first, skipping a
mirror whose install estimate could not beat the best one even at infinite bandwidth, at most
:data:`MAX_DOWNLOADS` mirrors, each for at most :data:`DOWNLOAD_CAP_S`.

**Status feeds** are read in parallel with the race (one bounded request per feed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from mirrorctl.probe import http, sampling
from mirrorctl.probe import rank as ranking
from mirrorctl.probe.mirror import TICK_S, Download, Link, Mirror, find_file, stale, sync_notes, to_result
from mirrorctl.probe.model import TARGETS, ProbeResult, ProbeTarget, SyncStatus
from mirrorctl.probe.plan import feeds_for, targets_for
from mirrorctl.probe.race import DEFAULT_MAX_SAMPLES, DEFAULT_SAMPLES, UNMEASURABLE_MS, Race, penalty_ms

if TYPE_CHECKING:
    import httpx

    from mirrorctl.profiles import Profile, StatusFeed

DEFAULT_TIMEOUT = 5.0
#: The most bytes the install-time probe downloads from one mirror.
DOWNLOAD_BUDGET = 2 * 1024 * 1024
DOWNLOAD_CAP_S = 1.0
#: A download runs at least this long before its rate so far may end it (another mirror looks better).
DOWNLOAD_MIN_S = 0.25

OnResult = Callable[[ProbeResult, int, int], None]


async def probe_all(
    targets: Sequence[ProbeTarget],
    *,
    client: httpx.AsyncClient,
    samples: int = DEFAULT_SAMPLES,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    timeout: float = DEFAULT_TIMEOUT,
    settle_only: bool = False,
    by: str = "latency",
    budget: int = DOWNLOAD_BUDGET,
    find_files: bool = True,
    feeds: Mapping[str, StatusFeed] | None = None,
    on_result: OnResult | None = None,
) -> list[ProbeResult]:
    """Probe every target at once; results in the order of ``targets``, not ranked, none stale.

    The caller owns ``client`` (see :func:`http.make_client`). ``on_result(result, done, total)`` is
    called as each mirror's part of the race ends, for progress display. ``feeds``: profile -> status feed.
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if by not in ("latency", "install"):
        raise ValueError(f"by must be 'latency' or 'install', not {by!r}")
    settings = RaceSettings(samples, max_samples, settle_only, by, find_files)
    deadline = asyncio.get_running_loop().time() + timeout
    mirrors = [Mirror(target) for target in targets]
    counter = [0]

    def report(mirror: Mirror) -> None:
        if mirror.reported:
            return
        mirror.reported = True
        counter[0] += 1
        if on_result is not None:
            on_result(to_result(mirror, samples, timeout), counter[0], len(mirrors))

    link = Link()
    feed_task = asyncio.ensure_future(sampling.read_feeds(client, feeds or {}, deadline))
    races = []
    for kind in TARGETS:
        group = [m for m in mirrors if m.target.target == kind]
        if group:
            races.append(ToolRace(client, group, settings, deadline=deadline, report=report, link=link,
                                  budget=budget).run())
    try:
        await asyncio.gather(*races)
        sync = await _until(feed_task, deadline)
    finally:
        feed_task.cancel()
        for mirror in mirrors:
            mirror.cancel()
            if mirror.side is not None:
                mirror.side.cancel()
    results = []
    for mirror in mirrors:
        report(mirror)
        result = to_result(mirror, samples, timeout)
        if sync and mirror.target.profile in sync:
            found = sync[mirror.target.profile].get(mirror.target.target)
            if found is not None:
                result = replace(result, sync=found, notes=(*result.notes, *sync_notes(found)))
        results.append(result)
    return ranking.with_estimates(results)


async def _until(task: asyncio.Future[dict[str, dict[str, SyncStatus]]], deadline: float
                 ) -> dict[str, dict[str, SyncStatus]] | None:
    remaining = deadline - asyncio.get_running_loop().time()
    if remaining <= 0 and not task.done():
        return None
    try:
        return await asyncio.wait_for(asyncio.shield(task), max(remaining, 0.0))
    except asyncio.TimeoutError:
        return None


@dataclass(frozen=True)
class RaceSettings:
    """How a :class:`ToolRace` runs: the samples wanted, whether only the pick matters, the ranking."""

    samples: int = DEFAULT_SAMPLES
    max_samples: int = DEFAULT_MAX_SAMPLES
    #: ``use --fastest``: end as soon as the pick is settled (``bench`` also waits for every first answer).
    settle_only: bool = False
    by: str = "latency"
    #: Look up the host that serves each mirror's package files (a 1-byte Range) alongside the race.
    find_files: bool = True

    @property
    def every_file(self) -> bool:
        """Every mirror that answered needs its file (ranking by install time downloads from them)."""
        return self.by == "install"


class ToolRace:
    """One tool's mirrors raced over HTTP: requests out as :class:`.race.Race` wants them, answers back in.

    File hosts are looked up for the mirrors still in the race after their first answer (for every mirror that
    answered when ``settings.every_file``: ranking by install time needs their files). By install time, the
    mirrors :meth:`.race.Race.to_measure` names are downloaded from, one at a time across every tool's race
    (:class:`mirror.Link`), while the race goes on: each tick the download's elapsed time bounds the mirror's
    bandwidth (its budget cannot arrive faster than all at once), a download whose mirror left the race is
    stopped, and one that has run :data:`DOWNLOAD_MIN_S` stops at its rate so far when that puts it behind
    another mirror still to be measured.
    """

    def __init__(self, client: httpx.AsyncClient, mirrors: list[Mirror], settings: RaceSettings, *,
                 deadline: float, report: Callable[[Mirror], None], link: Link | None = None,
                 budget: int = DOWNLOAD_BUDGET) -> None:
        self.client, self.mirrors, self.settings = client, mirrors, settings
        self.deadline, self.report, self.link, self.budget = deadline, report, link or Link(), budget
        self.race = Race(len(mirrors), min_samples=settings.samples, max_samples=settings.max_samples,
                         install=settings.by == "install")
        self.owner: dict[asyncio.Future[sampling.Sample], int] = {}
        self.download: Download | None = None
        #: Mirrors that left the race on their wait alone (bench: back in if their first answer comes).
        self.censored: set[int] = set()
        self.loop = asyncio.get_running_loop()

    async def run(self) -> None:
        try:
            while True:
                now = self.loop.time()
                self._measured()
                self._judge(now)
                settled = self.race.settled
                if settled and self._conclude():
                    break
                self._launch(now, settled)
                if not settled:
                    self._next_download(now)
                pending: list[asyncio.Future[Any]] = [task for m in self.mirrors for task in m.in_flight
                                                      if not task.done()]
                if self.download is not None:
                    pending.append(self.download.task)
                remaining = self.deadline - self.loop.time()
                if (not pending and not self.race.to_measure()) or remaining <= 0:
                    break
                if not pending:  # a file to download is still being looked up, or another tool's is under way
                    await asyncio.sleep(min(remaining, TICK_S))
                    continue
                # Ticks: unanswered mirrors are judged by their wait, downloads by their time so far.
                done, _ = await asyncio.wait(pending, timeout=min(remaining, TICK_S),
                                             return_when=asyncio.FIRST_COMPLETED)
                for finished in done:
                    if finished in self.owner:
                        self._collect(finished)
            # The files of the mirrors still in the race (the pick and its close rivals) are worth waiting for.
            sides = [m.side for m in self.mirrors if m.side is not None and m.samples and not m.eliminated]
            if sides:
                await asyncio.wait(sides, timeout=max(self.deadline - self.loop.time(), 0.0))
        finally:
            for mirror in self.mirrors:
                mirror.cancel()
            if self.download is not None:
                self.download.stop()
                await asyncio.wait([self.download.task])
                self._measured()
            if self.owner:
                await asyncio.wait(list(self.owner))
        for index, mirror in enumerate(self.mirrors):
            if not self.race.live(index) and not mirror.error:
                mirror.eliminated = True
            self.report(mirror)

    def _judge(self, now: float) -> None:
        """Leave out the stale; apply the elimination rule; start the file look-ups the race has earned."""
        race, mirrors, settings = self.race, self.mirrors, self.settings
        for index in stale(mirrors):
            if race.live(index):
                for revived in race.drop(index):
                    mirrors[revived].eliminated, mirrors[revived].waited_ms = False, None
        waiting = {i: (now - min(m.in_flight.values())) * 1000
                   for i, m in enumerate(mirrors) if m.in_flight and not m.samples}
        for index in race.judge(waiting):
            mirror = mirrors[index]
            mirror.eliminated = True
            # A bench reports every mirror, so it still waits for a first answer; use --fastest need not.
            mirror.waited_ms = waiting.get(index) if settings.settle_only else None
            if not mirror.samples:
                self.censored.add(index)
            if mirror.samples or settings.settle_only:
                mirror.cancel()
                self.report(mirror)
        if race.heard_all():
            race.all_heard()
        if settings.find_files:
            for index, mirror in enumerate(mirrors):
                if mirror.side is None and mirror.samples and (settings.every_file or race.live(index)):
                    mirror.side = asyncio.ensure_future(find_file(self.client, mirror, self.deadline))

    def _measured(self) -> None:
        """Bound the download under way by its time so far; record a finished one; mark the mirrors that
        have no file to download."""
        race = self.race
        if not race.install:
            return
        download = self.download
        if download is not None and download.task.done():
            self.download, self.link.busy = None, False
            mirror = download.mirror
            probe = download.result()
            mirror.progress.bytes += download.progress.bytes
            if probe.ok and mirror.file is not None and probe.final_url is None:
                probe = replace(probe, final_url=mirror.file.final_url, redirects=mirror.file.redirects)
            mirror.file, mirror.downloaded = probe, True
            race.measure(download.index, penalty_ms(probe.transfer_s / probe.bytes)
                         if probe.ok and probe.bytes and probe.transfer_s else UNMEASURABLE_MS,
                         reader_limited=probe.ok and probe.reader_limited)
        elif download is not None:
            elapsed = download.elapsed()
            if elapsed is not None:
                race.bound(download.index, penalty_ms(elapsed / download.budget))
        for index in race.to_measure():
            mirror = self.mirrors[index]
            if mirror.file_url is None and (mirror.side is None or mirror.side.done()) and not (
                    self.settings.find_files and mirror.side is None):
                race.measure(index, UNMEASURABLE_MS)

    def _next_download(self, now: float) -> None:
        """Stop the download whose mirror cannot win or is outrun; start the most promising one."""
        race, download = self.race, self.download
        if download is not None and download.stopped is None:
            elapsed = download.elapsed()
            outrun = (elapsed is not None and elapsed >= DOWNLOAD_MIN_S and download.progress.bytes > 0
                      and race.outrun(download.index, penalty_ms(elapsed / download.progress.bytes)))
            if outrun or not race.live(download.index):
                download.stop()
        if self.download is not None or self.link.busy:
            return
        remaining = self.deadline - now
        for index in race.to_measure():
            mirror = self.mirrors[index]
            if mirror.file_url is not None and remaining > 0:
                self.link.busy = True
                self.download = Download(index, mirror, self.client, budget=self.budget,
                                          timeout=min(DOWNLOAD_CAP_S, remaining))
                return

    def _conclude(self) -> bool:
        """The pick is settled: the rivals it separated leave, samples stop. Whether the race is over."""
        for index in self.race.conclude():
            self.mirrors[index].eliminated = True
        for mirror in self.mirrors:
            if mirror.samples:
                mirror.cancel()
        return self.settings.settle_only or all(m.samples or m.error for m in self.mirrors)

    def _launch(self, now: float, settled: bool) -> None:
        holding = not settled and self.race.holding()
        for index, mirror in enumerate(self.mirrors):
            for _ in range(self.race.wanted(index, len(mirror.in_flight), settled, holding)):
                first = mirror.samples[0] if mirror.samples else None
                task = asyncio.ensure_future(sampling.sample(self.client, mirror.target, mirror.progress,
                                                             max(self.deadline - now, 0.001), first))
                mirror.in_flight[task] = now
                self.owner[task] = index

    def _collect(self, finished: asyncio.Future[Any]) -> None:
        index = self.owner.pop(finished)
        mirror = self.mirrors[index]
        mirror.in_flight.pop(finished, None)
        if finished.cancelled() or mirror.error:
            return
        failure = finished.exception()
        if isinstance(failure, http.Failure):
            mirror.error, mirror.reason = failure.error, failure.note
            self.race.fail(index)
            mirror.cancel()
            self.report(mirror)
            return
        if failure is not None:
            raise failure
        sample = finished.result()
        if index in self.censored and not mirror.samples:  # a bench's late first answer: judged on it after all
            self.censored.discard(index)
            self.race.revive(index)
            mirror.eliminated = False
        mirror.samples.append(sample)
        if mirror.file_url is None and sample.file_url:
            mirror.file_url = sample.file_url
        if self.race.live(index):
            self.race.add(index, sample.latency_ms)


def run_bench(
    profiles: Iterable[Profile],
    *,
    only: str | None = None,
    upstream: Iterable[Profile] = (),
    samples: int = DEFAULT_SAMPLES,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    timeout: float = DEFAULT_TIMEOUT,
    by: str = "latency",
    budget: int = DOWNLOAD_BUDGET,
    settle_only: bool = False,
    find_files: bool = True,
    client_factory: Callable[[], httpx.AsyncClient] = http.make_client,
    on_result: OnResult | None = None,
) -> list[ProbeResult]:
    """Probe ``profiles``, flag stale mirrors and return the results ranked ``by`` latency or install time.

    ``upstream`` profiles (say, the official index when it is not among ``profiles``) are probed alongside,
    once each, as freshness evidence only; their results are not returned. ``find_files=False`` skips the
    file-host requests (the one-sample baseline of benchmarks/probe.py). ``client_factory`` builds the
    client inside the event loop this function runs, and the client is closed at the end.
    """
    profiles = list(profiles)
    targets = targets_for(profiles, only)
    names = {target.profile for target in targets}
    references = [target for target in targets_for(upstream, only) if target.profile not in names]

    async def bench() -> tuple[list[ProbeResult], list[ProbeResult]]:
        async with client_factory() as client:
            measured = probe_all(
                targets, client=client, samples=samples, max_samples=max_samples, timeout=timeout,
                settle_only=settle_only, by=by, budget=budget, find_files=find_files, feeds=feeds_for(profiles),
                on_result=on_result,
            )
            # One sample is enough to read a serial, and the references' speed is not reported.
            evidence = probe_all(references, client=client, samples=1, max_samples=1, timeout=timeout,
                                 find_files=False)
            return await asyncio.gather(measured, evidence)

    measured, evidence = asyncio.run(bench())
    return ranking.rank(ranking.mark_stale(measured, reference=evidence), by=by)
