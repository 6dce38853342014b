"""Read a mirror's own sync status feed (tunasync JSON, mirrorz JSON) for its PyPI or Anaconda repo. Pure.

Formats (MIRROR-FACTS section 4):

* **tunasync** (TUNA, BFSU, NJU): a JSON array of ``{name, status, last_update_ts, last_started_ts,
  last_ended_ts, next_schedule_ts, ...}``; ``status`` is none, failed, success, syncing, pre-syncing, paused,
  disabled (NJU adds proxy, cache). ``last_update_ts`` is the last *successful* sync.
* **mirrorz** (USTC, SJTUG, SUSTech): ``{"mirrors": [{"cname", "status"}]}`` where ``status`` is codes
  ``[A-Z]\\d*``: one main code (S success, Y syncing, F failed, P paused, D pending, C/R proxy, U unknown),
  optionally with a unix time, plus auxiliaries X (next sync) and O (last success, while syncing or failed).

The rule (:func:`judge`): a repo is flagged ``failed`` when its last sync failed, ``paused`` when it is paused
or disabled, and ``old`` when its last success is older than twice its usual cycle (the feed's next sync
minus its last run), never less than :data:`MIN_OLD_S` and never more than :data:`DEFAULT_OLD_S`; without a
cycle in the feed, older than :data:`DEFAULT_OLD_S`. A feed is an explanation: the serial / Last-Modified
comparison stays the primary test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mirrorctl.probe.model import Note, SyncStatus

if TYPE_CHECKING:
    from mirrorctl.profiles import StatusFeed

#: Repo names that carry each target, in the order they are looked for.
REPO_NAMES: Mapping[str, tuple[str, ...]] = {
    "pypi": ("pypi", "pypi-packages"),
    "conda": ("anaconda",),
}
MIN_OLD_S = 6 * 3600.0
DEFAULT_OLD_S = 2 * 86_400.0

_TUNASYNC_STATES = {
    "success": "success", "syncing": "syncing", "pre-syncing": "syncing", "failed": "failed",
    "paused": "paused", "disabled": "disabled", "none": "unknown", "proxy": "proxy", "cache": "proxy",
}
_MIRRORZ_STATES = {
    "S": "success", "Y": "syncing", "F": "failed", "P": "paused", "D": "pending", "C": "proxy", "R": "proxy",
    "U": "unknown",
}
_MIRRORZ_CODE = re.compile(r"([A-Z])(\d*)")


def parse(feed: StatusFeed, body: bytes, target: str, *, now: float) -> SyncStatus:
    """The status of ``target``'s repo in ``body`` (the feed's bytes), judged at ``now``."""
    try:
        document = json.loads(body)
    except ValueError:
        return SyncStatus(feed.url, feed.format, None, reason=Note.of("feed_not_json"))
    if feed.format == "tunasync":
        status = _tunasync(feed, document, target)
    elif feed.format == "mirrorz":
        status = _mirrorz(feed, document, target)
    else:
        raise ValueError(f"unknown feed format {feed.format!r}")
    return judge(status, now=now) if status.reason is None else status


def _entry(entries: Any, key: str, target: str) -> tuple[str, Mapping[str, Any]] | None:
    if not isinstance(entries, list):
        return None
    found = {str(e.get(key, "")).lower(): e for e in entries if isinstance(e, dict)}
    for name in REPO_NAMES.get(target, ()):
        if name in found:
            return name, found[name]
    return None


def _ts(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _tunasync(feed: StatusFeed, document: Any, target: str) -> SyncStatus:
    found = _entry(document, "name", target)
    if found is None:
        return SyncStatus(feed.url, feed.format, None, reason=Note.of("feed_no_repo", target=target))
    name, entry = found
    started, ended = _ts(entry.get("last_started_ts")), _ts(entry.get("last_ended_ts"))
    next_sync = _ts(entry.get("next_schedule_ts"))
    last_run = max((t for t in (started, ended) if t is not None), default=None)
    cycle = next_sync - last_run if next_sync is not None and last_run is not None and next_sync > last_run else None
    return SyncStatus(
        feed.url, feed.format, name, state=_TUNASYNC_STATES.get(str(entry.get("status", "")), "unknown"),
        last_success=_ts(entry.get("last_update_ts")), last_attempt=ended or started, next_sync=next_sync,
        cycle_s=cycle,
    )


def _mirrorz(feed: StatusFeed, document: Any, target: str) -> SyncStatus:
    mirrors = document.get("mirrors") if isinstance(document, dict) else None
    found = _entry(mirrors, "cname", target)
    if found is None:
        return SyncStatus(feed.url, feed.format, None, reason=Note.of("feed_no_repo", target=target))
    name, entry = found
    state, success, attempt, next_sync = "unknown", None, None, None
    for code, digits in _MIRRORZ_CODE.findall(str(entry.get("status", ""))):
        stamp = float(digits) if digits else None
        if code in _MIRRORZ_STATES and state == "unknown":
            state = _MIRRORZ_STATES[code]
            if code == "S":
                success = stamp
            elif code in "YF":
                attempt = stamp
        elif code == "O":
            success = stamp
        elif code == "X":
            next_sync = stamp
    last_run = attempt if attempt is not None else success
    cycle = next_sync - last_run if next_sync is not None and last_run is not None and next_sync > last_run else None
    return SyncStatus(feed.url, feed.format, name, state=state, last_success=success, last_attempt=attempt,
                      next_sync=next_sync, cycle_s=cycle)


def judge(status: SyncStatus, *, now: float) -> SyncStatus:
    """``status`` with its flags set by the rule in the module docstring."""
    flags = []
    if status.state == "failed":
        flags.append("failed")
    if status.state in ("paused", "disabled"):
        flags.append("paused")
    if status.state not in ("proxy",) and status.last_success is not None:
        # The cycle is inferred (next sync minus last run), so a mirror whose last run is days old and whose
        # next sync is near would infer a cycle of days: a limit never above DEFAULT_OLD_S keeps it flagged.
        limit = min(max(2 * status.cycle_s, MIN_OLD_S), DEFAULT_OLD_S) if status.cycle_s else DEFAULT_OLD_S
        if now - status.last_success > limit:
            flags.append("old")
    return replace(status, flags=tuple(flags))
