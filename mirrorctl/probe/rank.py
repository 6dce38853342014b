"""Judge probe results: which mirrors are stale, what an install would take, how to order them, which to pick.

Pure; imports only :mod:`mirrorctl.probe.model`.

Staleness compares like with like: the same PyPI project's serial, or the same conda channel's Last-Modified,
across every mirror that answered (and any upstream answer passed as ``reference``).

* **PyPI**: a project's serial is PyPI's event counter at the project's last change, identical on every mirror
  that has that change. A lower serial than the freshest seen means the mirror has missed a change to the
  project, however recent, so there is no tolerance.
* **conda**: mirrors copy repodata.json keeping upstream's timestamp, but they sync on a schedule (typically
  every few hours), so being some hours behind is the normal cycle and not worth switching away for. A mirror
  is stale when its Last-Modified is more than :data:`CONDA_TOLERANCE_S` (a day, i.e. several missed syncs)
  older than the freshest.
* **Status feed**: only where a mirror exposes neither serial nor Last-Modified does its own feed decide: a
  repo the feed calls ``old`` is stale. Otherwise feed flags are shown, not acted on.

A mirror that exposes no evidence at all is not stale: unknown is not old.

**Install time** (:func:`estimate`): ``seconds = pages x latency + bytes / bandwidth``, where latency is the
page latency the race measured and bandwidth the ranged download of a real package file (through redirects,
so it is the host that really serves files). :data:`MODELS` states the installs: a typical ``pip install``
(20 index pages, 30 MB of files) and a 2 GB torch install (30 pages). The same models serve conda (its
repodata requests are the pages).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

from mirrorctl.probe.model import Estimate, InstallModel, Note, ProbeResult

CONDA_TOLERANCE_S = 24 * 3600.0
TYPICAL = InstallModel("typical", pages=20, bytes=30 * 10**6)
TORCH = InstallModel("torch", pages=30, bytes=2 * 10**9)
MODELS = (TYPICAL, TORCH)
_TARGET_ORDER = {"pypi": 0, "conda": 1}
#: How far one bounded download's rate strays from the mirror's (relative standard deviation).
BANDWIDTH_REL_SD = 0.2
#: Two rates closer than this ratio cannot be told apart from one download each: 2 standard deviations of
#: the difference of two log rates (``exp(2 x 0.2 x sqrt 2)``, about 1.76).
INDISTINGUISHABLE = math.exp(2 * BANDWIDTH_REL_SD * math.sqrt(2))


def pooled_rates(rates: Sequence[float | None], limited: Sequence[bool]) -> list[float | None]:
    """The bandwidth each mirror's install estimate uses, from one download each (None: no figure).

    A correct estimator does not rank on noise: the best rate measured stands for every mirror that cannot be
    told apart from it, that is a reader-limited download (the link outpaced the prober's reads: its rate is
    only a lower bound) and a rate within :data:`INDISTINGUISHABLE` of the best. Only a mirror measured
    clearly slower keeps its own rate. So on loopback, where every download measures the prober's event loop,
    and on a link every mirror saturates, the install ranking is the latency ranking; a thin mirror (1 MB/s
    beside 50 MB/s) is still told apart.
    """
    known = [rate for rate in rates if rate]
    if not known:
        return list(rates)
    best = max(known)
    return [rate if not rate else best if (flag or rate * INDISTINGUISHABLE >= best) else rate
            for rate, flag in zip(rates, limited)]


def mark_stale(
    results: Sequence[ProbeResult],
    *,
    reference: Iterable[ProbeResult] = (),
    conda_tolerance_s: float = CONDA_TOLERANCE_S,
) -> list[ProbeResult]:
    """``results`` with ``stale`` set (and the reason first in ``notes``) where a mirror lags the freshest.

    ``reference`` results (upstream, probed apart) count as evidence of freshness but are not returned.
    """
    evidence = [r for r in (*results, *reference) if r.ok]
    newest_serial: dict[tuple[str, str], int] = {}
    newest_modified: dict[tuple[str, str], float] = {}
    for result in evidence:
        key = (result.target, result.resource)
        if result.serial is not None:
            newest_serial[key] = max(result.serial, newest_serial.get(key, result.serial))
        if result.last_modified is not None:
            newest_modified[key] = max(result.last_modified, newest_modified.get(key, result.last_modified))
    marked = []
    for result in results:
        key = (result.target, result.resource)
        reason = None
        if result.ok and result.serial is not None and result.serial < newest_serial[key]:
            reason = Note.of("stale_serial", serial=result.serial, newest=newest_serial[key])
        elif result.ok and result.last_modified is not None:
            lag = newest_modified[key] - result.last_modified
            if lag > conda_tolerance_s:
                reason = Note.of("stale_repodata", lag_s=round(lag))
        elif (result.ok and result.serial is None and result.last_modified is None and result.sync is not None
              and "old" in result.sync.flags):
            reason = Note.of("stale_feed", last_success=result.sync.last_success)
        if reason:
            result = replace(result, stale=True, notes=(reason, *result.notes))
        marked.append(result)
    return marked


def estimate(result: ProbeResult, model: InstallModel, mbps: float | None = None) -> Estimate | None:
    """The install time of ``model`` from ``result``'s figures; None without a latency and a bandwidth.
    ``mbps``: the bandwidth to use (:func:`pooled_rates`'), by default the measured one."""
    mbps = mbps if mbps is not None else result.throughput_mbps
    if not result.ok or result.latency_ms is None or not mbps:
        return None
    seconds = model.pages * result.latency_ms / 1000 + model.bytes / (mbps * 1e6)
    return Estimate(model.name, model.pages, model.bytes, seconds)


def _reader_limited(result: ProbeResult) -> bool:
    return result.file is not None and result.file.reader_limited


def with_estimates(results: Iterable[ProbeResult], models: Sequence[InstallModel] = MODELS) -> list[ProbeResult]:
    """``results`` with their install estimates, each tool's bandwidths pooled as :func:`pooled_rates` says."""
    results = list(results)
    rates: dict[int, float | None] = {}
    for target in dict.fromkeys(r.target for r in results):
        group = [i for i, r in enumerate(results) if r.target == target and r.ok]
        pooled = pooled_rates([results[i].throughput_mbps for i in group],
                              [_reader_limited(results[i]) for i in group])
        rates.update(zip(group, pooled))
    out = []
    for index, result in enumerate(results):
        found = tuple(e for e in (estimate(result, model, rates.get(index)) for model in models) if e is not None)
        out.append(replace(result, estimates=found) if found else result)
    return out


def rank(results: Iterable[ProbeResult], *, by: str = "latency") -> list[ProbeResult]:
    """PyPI, then conda; in each, healthy fresh mirrors best first, then stale ones, then failures.

    ``by="latency"``: the race's latency estimate. ``by="install"``: the typical install estimate, mirrors
    without one (no bandwidth figure) after those with one, by latency. Ties fall back to connect time, then
    the profile name, so the order is deterministic.
    """
    if by not in ("latency", "install"):
        raise ValueError(f"by must be 'latency' or 'install', not {by!r}")

    def key(result: ProbeResult) -> tuple[int, int, float, float, float, str]:
        group = 2 if not result.ok else 1 if result.stale else 0
        latency = result.latency_ms if result.latency_ms is not None else float("inf")
        connect = result.connect_ms if result.connect_ms is not None else float("inf")
        install = float("inf")
        if by == "install":
            found = result.estimate(TYPICAL.name)
            install = found.seconds if found is not None else float("inf")
        return _TARGET_ORDER.get(result.target, len(_TARGET_ORDER)), group, install, latency, connect, result.profile

    return sorted(results, key=key)


def fastest(results: Iterable[ProbeResult], target: str, *, by: str = "latency") -> ProbeResult | None:
    """What ``use --fastest`` picks for ``target`` ("pypi" or "conda"): healthy, not stale, best ``by``."""
    healthy = [r for r in results if r.target == target and r.ok and not r.stale]
    ranked = rank(healthy, by=by)
    return ranked[0] if ranked else None


def fastest_for_all(results: Iterable[ProbeResult], targets: Iterable[str], *,
                    by: str = "latency") -> ProbeResult | None:
    """One profile for a tool that takes every table in ``targets`` from it (pixi: PyPI and conda at once).

    Only profiles healthy and fresh in every target count; among them, the one whose worst position across the
    targets' rankings is best (then the best total, then the name), so no table is sent to a bad mirror for
    the sake of the other. Returns that profile's result for the first target.
    """
    wanted = list(dict.fromkeys(targets))
    results = list(results)
    positions: dict[str, list[int]] = {}
    first: dict[str, ProbeResult] = {}
    for target in wanted:
        healthy = rank([r for r in results if r.target == target and r.ok and not r.stale], by=by)
        for position, result in enumerate(healthy):
            positions.setdefault(result.profile, []).append(position)
            if target == wanted[0]:
                first[result.profile] = result
    everywhere = [p for p, found in positions.items() if len(found) == len(wanted) and p in first]
    if not everywhere:
        return None
    best = min(everywhere, key=lambda p: (max(positions[p]), sum(positions[p]), p))
    return first[best]
