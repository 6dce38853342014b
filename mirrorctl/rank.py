"""Judge probe results: which mirrors are stale, how to order them, which to pick. Pure, stdlib only.

Staleness compares like with like: the same PyPI project's serial, or the same conda channel's Last-Modified,
across every mirror that answered (and any upstream answer passed as ``reference``).

* **PyPI**: a project's serial is PyPI's event counter at the project's last change, identical on every mirror
  that has that change. A lower serial than the freshest seen means the mirror has missed a change to the
  project, however recent, so there is no tolerance.
* **conda**: mirrors copy repodata.json keeping upstream's timestamp, but they sync on a schedule (typically
  every few hours), so being some hours behind is the normal cycle and not worth switching away for. A mirror
  is stale when its Last-Modified is more than :data:`CONDA_TOLERANCE_S` (a day, i.e. several missed syncs)
  older than the freshest.

A mirror that does not expose the evidence (no serial, no Last-Modified) is not stale: unknown is not old.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirrorctl.probe import ProbeResult

CONDA_TOLERANCE_S = 24 * 3600.0
_TARGET_ORDER = {"pypi": 0, "conda": 1}


def mark_stale(
    results: Sequence[ProbeResult],
    *,
    reference: Iterable[ProbeResult] = (),
    conda_tolerance_s: float = CONDA_TOLERANCE_S,
) -> list[ProbeResult]:
    """``results`` with ``stale`` set (and the reason in ``detail``) where a mirror lags the freshest answer.

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
            reason = f"stale: serial {result.serial}, newest seen {newest_serial[key]}"
        elif result.ok and result.last_modified is not None:
            lag = newest_modified[key] - result.last_modified
            if lag > conda_tolerance_s:
                reason = f"stale: repodata {_duration(lag)} older than the newest seen"
        if reason:
            result = replace(result, stale=True, detail="; ".join(n for n in (reason, result.detail) if n))
        marked.append(result)
    return marked


def rank(results: Iterable[ProbeResult]) -> list[ProbeResult]:
    """PyPI, then conda; in each, healthy fresh mirrors fastest first, then stale ones, then failures.

    Latency ties (rare, but loopback tests make them possible) fall back to connect time, then the profile
    name, so the order is deterministic.
    """

    def key(result: ProbeResult) -> tuple[int, int, float, float, str]:
        group = 2 if not result.ok else 1 if result.stale else 0
        latency = result.latency_ms if result.latency_ms is not None else float("inf")
        connect = result.connect_ms if result.connect_ms is not None else float("inf")
        return _TARGET_ORDER.get(result.target, len(_TARGET_ORDER)), group, latency, connect, result.profile

    return sorted(results, key=key)


def fastest(results: Iterable[ProbeResult], target: str) -> ProbeResult | None:
    """What ``use --fastest`` picks for ``target`` ("pypi" or "conda"): healthy, not stale, fastest."""
    healthy = [r for r in results if r.target == target and r.ok and not r.stale]
    ranked = rank(healthy)
    return ranked[0] if ranked else None


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} h"
