"""Run the probe: every mirror at once, one race per tool, a hard deadline, sequential elimination.

The path is profiles -> :func:`targets_for` -> :func:`probe_all` (the only I/O, through :mod:`.sampling`) ->
:mod:`.rank` (pure) -> :mod:`.report`. :func:`run_bench` runs it for the CLI.

**The race** (:class:`Race`, pure, so its error rate is tested on seeded schedules without a network). Each
mirror gets one request until it first answers, as in a one-sample test (so the start costs no more than one,
and a mirror out of the race after its first answer costs one request); a mirror still in the race then keeps
up to :data:`LANES` requests in flight, one after another on each of its kept-alive connections, so a
contender gathers samples several times faster than its latency alone allows, while the slowest mirrors'
first answers, which a bench waits for anyway, are still out. After every answer:

* the *leader* is the mirror with the lowest estimate (the mean of its samples);
* **the elimination rule**: mirror M leaves the race when ``est(M) - est(L) > Z * sqrt(var_L/n_L + var_M/n_M)``
  with ``Z`` = :data:`Z` (3). ``var`` is the pooled variance of every mirror's samples, shrunk towards
  :data:`PRIOR_SD_MS` with :data:`PRIOR_DOF` pseudo-samples (a handful of early samples can look
  deceptively calm), never below :data:`FLOOR_SD_MS`; a mirror's own variance, once it has five samples,
  replaces the pooled one when larger.
* only when ranking by latency for ``use --fastest`` (``settle_only``), a mirror whose first answer is still
  out counts as one sample as slow as the time already waited, once that is more than twice the leader's
  latency plus :data:`CENSOR_MARGIN_MS`: a dead or very slow mirror is then out without waiting for it. (By
  install time a far mirror may still win on bandwidth, and ``bench`` reports every mirror, so both wait.)
* the pick is **settled** when every other mirror is out or failed and the leader has ``samples`` samples,
  or when every remaining contender has ``max_samples`` (20) samples, which drop to :data:`ENOUGH_SAMPLES`
  (8) once every mirror has answered, failed or left (the samples gathered while waiting came free; after
  that, each round of samples costs wall time);
* **the pick rule**, once every mirror has answered, failed or left: only the pick matters, not the order of
  the others, so the race is also settled when the leader has ``samples`` samples and every rival M still in
  it is either ``est(M) - est(L) > Z_PICK * sqrt(var_L/n_L + var_M/n_M)`` behind (:data:`Z_PICK` = 2, the
  same one-sided test against the leader with a looser bound: it only ends sampling, once no more samples
  come free; who leaves mid-race is still the elimination rule's call) or, with the leader, at
  ``max_samples``. The
  rivals the pick rule separated then leave the race too (:meth:`Race.conclude`), so a rival at 60-80 ms
  with one or two answers no longer holds a bench up for another round after the slowest first answer.
  Sampling stops then, and the pick is the lowest mean.

Measured on seeded schedules (tests/test_race.py, 3000 seeds per fleet): with two best means 20 ms apart
under +/-30 ms uniform jitter, neither rule ever dropped the true best; wrong picks: 0 on the 10-220 ms
fleet and 0 on the 20-160 ms one, 2 and 8 when each answer also takes up to 30 ms more than its latency
shows (a busy 2-core machine). The 20-160 ms race settled after the slowest first answer (the wall of a
one-sample test) in 0.2 % of races (6.5 % with that overhead), against 5.4 % and 23.7 % when every
contender had to reach ENOUGH_SAMPLES.

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
import math
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from mirrorctl.probe import http, sampling, status
from mirrorctl.probe import rank as ranking
from mirrorctl.probe.checks import PYPI_PROJECT
from mirrorctl.probe.model import TARGETS, FileProbe, Note, ProbeResult, ProbeTarget, SyncStatus
from mirrorctl.urls import host_port, join

if TYPE_CHECKING:
    import httpx

    from mirrorctl.profiles import Profile, StatusFeed

DEFAULT_SAMPLES = 3
DEFAULT_MAX_SAMPLES = 20
#: Once every mirror has answered (or failed, or left), the contenders need only this many samples each.
ENOUGH_SAMPLES = 8
DEFAULT_TIMEOUT = 5.0
LANES = 5
Z = 3.0
#: Once every mirror has answered, the race stops when each rival is this many spreads behind the leader.
Z_PICK = 2.0
PRIOR_SD_MS = 30.0
PRIOR_DOF = 4
FLOOR_SD_MS = 2.0
#: The most bytes the install-time probe downloads from one mirror.
DOWNLOAD_BUDGET = 2 * 1024 * 1024
DOWNLOAD_CAP_S = 1.0
MAX_DOWNLOADS = 4
#: A first answer still out counts against a mirror only once it is this much more than twice the leader's
#: latency late (the wait includes opening the connection, which samples do not).
CENSOR_MARGIN_MS = 100.0
#: How often the race re-judges mirrors whose first answer is still out.
TICK_S = 0.01

OnResult = Callable[[ProbeResult, int, int], None]


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
    from urllib.parse import urlsplit

    if default_channels:
        channel = default_channels[0]
        parts = [part for part in urlsplit(channel).path.split("/") if part]
        if len(parts) >= 2 and parts[-2] == "pkgs":
            return channel, "/".join(parts[-2:])
        return channel, parts[-1] if parts else channel
    name = "conda-forge" if "conda-forge" in custom_channels else next(iter(custom_channels))
    return join(custom_channels[name], name), name


def feeds_for(profiles: Iterable[Profile]) -> dict[str, StatusFeed]:
    """profile name -> its status feed, for the profiles that declare one."""
    return {profile.name: profile.status for profile in profiles if profile.status is not None}


# ---------------------------------------------------------------------------------------------------------
# The race (pure)


def estimate(samples: Sequence[float]) -> float:
    """The mean of the samples (with the +/-30 ms jitter of the targets, a trimmed mean or the median lost
    races the mean wins; a spike widens the variance, which only slows elimination down)."""
    return statistics.fmean(samples)


def _variance(samples: Sequence[float]) -> float:
    """The sample variance in floats (``statistics.variance`` is exact, with fractions: far too slow to run
    after every answer of every mirror)."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean = math.fsum(samples) / n
    return math.fsum((x - mean) ** 2 for x in samples) / (n - 1)


@dataclass
class Runner:
    """One mirror in a race, as the race sees it."""

    samples: list[float] = field(default_factory=list)
    failed: bool = False
    out: bool = False


class Race:
    """Sequential elimination over the samples of one tool's mirrors (the rule is in the module docstring)."""

    def __init__(self, count: int, *, min_samples: int = DEFAULT_SAMPLES, max_samples: int = DEFAULT_MAX_SAMPLES,
                 z: float = Z) -> None:
        self.runners = [Runner() for _ in range(count)]
        self.min_samples, self.max_samples, self.z = min_samples, max(min_samples, max_samples), z
        self.heard = False

    def add(self, index: int, latency_ms: float) -> None:
        self.runners[index].samples.append(latency_ms)

    def fail(self, index: int) -> None:
        self.runners[index].failed = True

    def live(self, index: int) -> bool:
        runner = self.runners[index]
        return not (runner.out or runner.failed)

    def leader(self) -> int | None:
        scored = [(estimate(r.samples), i) for i, r in enumerate(self.runners) if r.samples and self.live(i)]
        return min(scored)[1] if scored else None

    def pooled_variance(self) -> float:
        weighted, dof = PRIOR_DOF * PRIOR_SD_MS**2, float(PRIOR_DOF)
        for runner in self.runners:
            n = len(runner.samples)
            if n >= 2 and not runner.failed:
                weighted += _variance(runner.samples) * (n - 1)
                dof += n - 1
        return max(weighted / dof, FLOOR_SD_MS**2)

    def _var(self, runner: Runner, pooled: float) -> float:
        return max(_variance(runner.samples), pooled) if len(runner.samples) >= 5 else pooled

    def judge(self, waiting_ms: Mapping[int, float] | None = None) -> list[int]:
        """Apply the elimination rule; ``waiting_ms``: index -> how long its first answer has been awaited.

        Returns the mirrors that left the race now.
        """
        lead = self.leader()
        if lead is None:
            return []
        pooled = self.pooled_variance()
        leader = self.runners[lead]
        best, leader_var = estimate(leader.samples), self._var(leader, pooled) / len(leader.samples)
        out = []
        for index, runner in enumerate(self.runners):
            if index == lead or not self.live(index):
                continue
            if runner.samples:
                gap = estimate(runner.samples) - best
                spread = math.sqrt(leader_var + self._var(runner, pooled) / len(runner.samples))
            elif waiting_ms and index in waiting_ms:
                waited = waiting_ms[index]
                if waited <= 2 * best + CENSOR_MARGIN_MS:
                    continue
                gap, spread = waited - best, math.sqrt(leader_var + pooled)
            else:
                continue
            if gap > self.z * spread:
                runner.out = True
                out.append(index)
        return out

    def _separated(self, lead: int, index: int, z: float, pooled: float) -> bool:
        leader, runner = self.runners[lead], self.runners[index]
        gap = estimate(runner.samples) - estimate(leader.samples)
        spread = math.sqrt(self._var(leader, pooled) / len(leader.samples)
                           + self._var(runner, pooled) / len(runner.samples))
        return gap > z * spread

    @property
    def settled(self) -> bool:
        lead = self.leader()
        if lead is None:
            return all(r.failed for r in self.runners)
        leader = self.runners[lead]
        others = [i for i, r in enumerate(self.runners) if i != lead and self.live(i)]
        if not others and len(leader.samples) >= self.min_samples:
            return True
        if all(len(self.runners[i].samples) >= self.max_samples for i in [lead, *others]):
            return True
        if not self.heard or len(leader.samples) < self.min_samples:
            return False
        # Every mirror has answered: only the pick matters. Each rival must be behind the leader by
        # Z_PICK spreads, or it and the leader must both have max_samples (ENOUGH_SAMPLES by now).
        pooled = self.pooled_variance()
        return all(
            self._separated(lead, i, Z_PICK, pooled)
            or (len(self.runners[i].samples) >= self.max_samples and len(leader.samples) >= self.max_samples)
            for i in others
        )

    def conclude(self) -> list[int]:
        """Once settled: the rivals :data:`Z_PICK` spreads behind the leader leave the race too (they could not
        be the pick). Returns them; the rest still in the race are the pick's close rivals."""
        lead = self.leader()
        if lead is None or not self.settled:
            return []
        pooled = self.pooled_variance()
        out = [i for i, r in enumerate(self.runners)
               if i != lead and self.live(i) and r.samples and self._separated(lead, i, Z_PICK, pooled)]
        for index in out:
            self.runners[index].out = True
        return out

    def all_heard(self) -> None:
        """Every mirror has answered, failed or left: from now on the contenders stop at :data:`ENOUGH_SAMPLES`
        (the samples they gathered while the slowest first answer was awaited came free)."""
        self.max_samples = max(self.min_samples, min(self.max_samples, ENOUGH_SAMPLES))
        self.heard = True

    def heard_all(self) -> bool:
        return all(r.samples or not self.live(i) for i, r in enumerate(self.runners))

    def wanted(self, index: int, in_flight: int, settled: bool | None = None) -> int:
        """How many more requests mirror ``index`` should have in flight now: one until it first answers (as a
        one-sample test sends), then :data:`LANES` while it is in the race. ``settled``: the value of
        :attr:`settled` if the caller has it already."""
        runner = self.runners[index]
        if not self.live(index) or (settled if settled is not None else self.settled):
            return 0
        lanes = LANES if runner.samples else 1
        return max(0, min(lanes - in_flight, self.max_samples - len(runner.samples) - in_flight))


# ---------------------------------------------------------------------------------------------------------
# Probing


@dataclass
class _Mirror:
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
    side: asyncio.Future[None] | None = None
    eliminated: bool = False
    waited_ms: float | None = None
    reported: bool = False

    def cancel(self) -> None:
        for task in self.in_flight:
            task.cancel()


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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    mirrors = [_Mirror(target) for target in targets]
    counter = [0]

    def report(mirror: _Mirror) -> None:
        if mirror.reported:
            return
        mirror.reported = True
        counter[0] += 1
        if on_result is not None:
            on_result(_result(mirror, samples, timeout), counter[0], len(mirrors))

    feed_task = asyncio.ensure_future(_read_feeds(client, feeds or {}, deadline))
    races = []
    for kind in TARGETS:
        group = [m for m in mirrors if m.target.target == kind]
        if group:
            races.append(_run_race(client, group, samples, max_samples, deadline, settle_only,
                                   settle_only and by == "latency", find_files, by == "install", report))
    try:
        await asyncio.gather(*races)
        if by == "install":
            for kind in TARGETS:
                await _downloads(client, [m for m in mirrors if m.target.target == kind], budget, deadline)
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
        result = _result(mirror, samples, timeout)
        if sync and mirror.target.profile in sync:
            found = sync[mirror.target.profile].get(mirror.target.target)
            if found is not None:
                result = replace(result, sync=found, notes=(*result.notes, *_sync_notes(found)))
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


async def _run_race(
    client: httpx.AsyncClient, mirrors: list[_Mirror], samples: int, max_samples: int, deadline: float,
    settle_only: bool, censor: bool, find_files: bool, every_file: bool, report: Callable[[_Mirror], None],
) -> None:
    """One tool's race. File hosts are looked up for the mirrors still in the race after their first answer
    (for every mirror that answered when ``every_file``: ranking by install time needs their files)."""
    loop = asyncio.get_running_loop()
    race = Race(len(mirrors), min_samples=samples, max_samples=max_samples)
    owner: dict[asyncio.Future[sampling.Sample], int] = {}
    try:
        while True:
            now = loop.time()
            waiting = {
                i: (now - min(m.in_flight.values())) * 1000
                for i, m in enumerate(mirrors) if censor and m.in_flight and not m.samples
            }
            for index in race.judge(waiting):
                mirror = mirrors[index]
                mirror.eliminated = True
                mirror.waited_ms = waiting.get(index) if settle_only else None
                if mirror.samples or settle_only:
                    mirror.cancel()
                    report(mirror)
            if race.heard_all():
                race.all_heard()
            if find_files:
                for index, mirror in enumerate(mirrors):
                    if mirror.side is None and mirror.samples and (every_file or race.live(index)):
                        mirror.side = asyncio.ensure_future(_find_file(client, mirror, deadline))
            settled = race.settled
            if settled:
                for index in race.conclude():
                    mirrors[index].eliminated = True
                for mirror in mirrors:
                    if mirror.samples:
                        mirror.cancel()
                if settle_only or all(m.samples or m.error for m in mirrors):
                    break
            for index, mirror in enumerate(mirrors):
                for _ in range(race.wanted(index, len(mirror.in_flight), settled)):
                    first = mirror.samples[0] if mirror.samples else None
                    task = asyncio.ensure_future(sampling.sample(client, mirror.target, mirror.progress,
                                                                 max(deadline - now, 0.001), first))
                    mirror.in_flight[task] = now
                    owner[task] = index
            pending = [task for m in mirrors for task in m.in_flight if not task.done()]
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                break
            # Only a race that judges the waits of unanswered mirrors needs waking up without an answer.
            done, _ = await asyncio.wait(pending, timeout=min(remaining, TICK_S) if censor else remaining,
                                         return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                index = owner.pop(finished)
                mirror = mirrors[index]
                mirror.in_flight.pop(finished, None)
                if finished.cancelled() or mirror.error:
                    continue
                failure = finished.exception()
                if isinstance(failure, http.Failure):
                    mirror.error, mirror.reason = failure.error, failure.note
                    race.fail(index)
                    mirror.cancel()
                    report(mirror)
                    continue
                if failure is not None:
                    raise failure
                sample = finished.result()
                mirror.samples.append(sample)
                if mirror.file_url is None and sample.file_url:
                    mirror.file_url = sample.file_url
                if race.live(index):
                    race.add(index, sample.latency_ms)
        # The files of the mirrors still in the race (the pick and its close rivals) are worth waiting for.
        sides = [m.side for m in mirrors if m.side is not None and m.samples and not m.eliminated]
        if sides:
            await asyncio.wait(sides, timeout=max(deadline - loop.time(), 0.0))
    finally:
        for mirror in mirrors:
            mirror.cancel()
        tasks = list(owner)
        if tasks:
            await asyncio.wait(tasks)
    for index, mirror in enumerate(mirrors):
        if not race.live(index) and not mirror.error:
            mirror.eliminated = True
        report(mirror)


async def _find_file(client: httpx.AsyncClient, mirror: _Mirror, deadline: float) -> None:
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
        mirror.file = await sampling.download(client, mirror.file_url, progress, budget=1,
                                              timeout=max(deadline - loop.time(), 0.001), size=mirror.file_size)
    except http.Failure:
        return


async def _downloads(client: httpx.AsyncClient, mirrors: list[_Mirror], budget: int, deadline: float) -> None:
    """Bandwidth of the leading contenders, one at a time (rule in the module docstring)."""
    loop = asyncio.get_running_loop()
    healthy = [m for m in mirrors if m.samples and not m.error and m.file_url]
    healthy.sort(key=lambda m: estimate([s.latency_ms for s in m.samples]))
    best: float | None = None
    for mirror in healthy[:MAX_DOWNLOADS]:
        latency = estimate([s.latency_ms for s in mirror.samples])
        if best is not None and ranking.TYPICAL.pages * latency / 1000 >= best:
            continue
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        assert mirror.file_url is not None
        probe = await sampling.download(client, mirror.file_url, mirror.progress, budget=budget,
                                        timeout=min(DOWNLOAD_CAP_S, remaining), size=mirror.file_size)
        if probe.ok and mirror.file is not None and probe.final_url is None:
            probe = replace(probe, final_url=mirror.file.final_url, redirects=mirror.file.redirects)
        mirror.file = probe
        if probe.mbps:
            seconds = ranking.TYPICAL.pages * latency / 1000 + ranking.TYPICAL.bytes / (probe.mbps * 1e6)
            best = seconds if best is None else min(best, seconds)


async def _read_feeds(client: httpx.AsyncClient, feeds: Mapping[str, StatusFeed], deadline: float
                      ) -> dict[str, dict[str, SyncStatus]]:
    """profile -> target -> what its feed says; one request per distinct feed URL."""
    loop = asyncio.get_running_loop()
    by_url = {feed.url: feed for feed in feeds.values()}

    async def read(feed: StatusFeed) -> tuple[bytes | None, Note | None, int]:
        progress = http.Progress()
        try:
            body = await sampling.fetch_feed(client, feed, progress, max(deadline - loop.time(), 0.001))
            return body, None, progress.bytes
        except http.Failure as failure:
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


def _sync_notes(sync: SyncStatus) -> tuple[Note, ...]:
    return tuple(Note.of("sync_" + flag, last_success=sync.last_success, repo=sync.repo) for flag in sync.flags)


def _result(mirror: _Mirror, samples: int, timeout: float) -> ProbeResult:
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
