"""Ranking by install time, status feeds and hostile answers, against loopback mirrors only."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from loopback_mirrors import Fleet, MirrorSpec

from mirrorctl.output.bench import detail
from mirrorctl.probe import http, sampling, status
from mirrorctl.probe.fanout import run_bench
from mirrorctl.probe.model import ProbeResult
from mirrorctl.probe.race import LANES
from mirrorctl.probe.rank import fastest
from mirrorctl.profiles import StatusFeed

MB = 10**6


def bench(fleet: Fleet, **options: Any) -> list[ProbeResult]:
    return run_bench(fleet.profiles(), client_factory=lambda: http.make_client(trust_env=False), **options)


def pick(results: list[ProbeResult], target: str, by: str) -> str | None:
    found = fastest(results, target, by=by)
    return found.profile if found else None


def test_a_near_thin_mirror_loses_to_a_far_wide_one_by_install_time() -> None:
    """10 ms at 1 MB/s against 60 ms at 50 MB/s: latency picks the first, a typical install the second."""
    specs = [MirrorSpec("near", delay=0.010, rate=1 * MB, wheel_bytes=4 * MB),
             MirrorSpec("far", delay=0.060, rate=50 * MB, wheel_bytes=4 * MB)]
    with Fleet(specs) as fleet:
        results = bench(fleet, only="pypi", by="install", timeout=4.0)

    assert pick(results, "pypi", "latency") == "near"
    assert pick(results, "pypi", "install") == "far"
    found = {r.profile: r for r in results}
    near, far = found["near"].throughput_mbps, found["far"].throughput_mbps
    assert near is not None and far is not None and near < 2 and far > 5 * near, (near, far)
    assert found["far"].file is not None and found["far"].file.bytes <= 2 * 1024 * 1024
    typical = found["far"].estimate("typical")
    assert typical is not None and typical.seconds < found["near"].estimate("typical").seconds  # type: ignore[union-attr]


def test_a_fast_page_whose_files_come_from_a_slow_host_loses() -> None:
    specs = [MirrorSpec("front", delay=0.005, files_to="slowfiles"), MirrorSpec("slowfiles", rate=1 * MB),
             MirrorSpec("honest", delay=0.040, rate=40 * MB, wheel_bytes=4 * MB)]
    with Fleet(specs) as fleet:
        profiles = [fleet.profile("front"), fleet.profile("honest")]
        results = run_bench(profiles, only="pypi", by="install", timeout=4.0,
                            client_factory=lambda: http.make_client(trust_env=False))
        slow_host = fleet.base_url("slowfiles")[len("http://"):]

    found = {r.profile: r for r in results}
    assert found["front"].file_host == slow_host  # the host that really serves its files, after the redirect
    assert found["front"].host != slow_host
    assert pick(results, "pypi", "latency") == "front"
    assert pick(results, "pypi", "install") == "honest"


def test_plain_bench_downloads_no_file_and_reports_its_traffic() -> None:
    with Fleet([MirrorSpec("m", wheel_bytes=4 * MB)]) as fleet:
        [result] = bench(fleet, only="pypi")
    assert result.file is not None and result.file.bytes == 1 and result.throughput_mbps is None
    assert 0 < result.bytes_received < 16 * 1024


# ---------------------------------------------------------------------------------------------------------
# Status feeds

NOW = 1_800_000_000.0
HOUR = 3600.0


def tunasync(state: str, *, success_age: float, cycle: float = HOUR) -> bytes:
    last_run = NOW - min(success_age, HOUR / 2)
    entries = [
        {"name": "pypi", "is_master": True, "status": state, "last_update_ts": int(NOW - success_age),
         "last_started_ts": int(last_run), "last_ended_ts": int(last_run + 60),
         "next_schedule_ts": int(last_run + 60 + cycle), "upstream": "https://pypi.org/", "size": "10T"},
        {"name": "anaconda", "status": "success", "last_update_ts": int(NOW - 600), "last_started_ts": int(NOW - 900),
         "last_ended_ts": int(NOW - 600), "next_schedule_ts": int(NOW + 3 * HOUR)},
    ]
    return json.dumps(entries).encode()


def mirrorz(code: str) -> bytes:
    return json.dumps({"version": 1.7, "site": {"abbr": "X"}, "mirrors": [
        {"cname": "pypi", "url": "/pypi", "status": code},
        {"cname": "anaconda", "url": "/anaconda", "status": f"S{int(NOW - 600)}X{int(NOW + HOUR)}"},
    ]}).encode()


@pytest.mark.parametrize(("body", "state", "flags"), [
    (tunasync("success", success_age=600), "success", ()),
    (tunasync("failed", success_age=600), "failed", ("failed",)),
    (tunasync("syncing", success_age=1200), "syncing", ()),
    (tunasync("paused", success_age=600), "paused", ("paused",)),
    (tunasync("success", success_age=3 * 86_400), "success", ("old",)),
])
def test_tunasync_feed(body: bytes, state: str, flags: tuple[str, ...]) -> None:
    found = status.parse(StatusFeed("https://m.example/static/tunasync.json", "tunasync"), body, "pypi", now=NOW)
    assert (found.repo, found.state, found.flags) == ("pypi", state, flags)
    assert found.last_success is not None and found.last_success < NOW


@pytest.mark.parametrize(("code", "state", "flags", "success"), [
    (f"S{int(NOW - 600)}X{int(NOW + HOUR)}", "success", (), NOW - 600),
    (f"F{int(NOW - 60)}O{int(NOW - 7200)}X{int(NOW + HOUR)}", "failed", ("failed",), NOW - 7200),
    (f"Y{int(NOW - 60)}O{int(NOW - 600)}", "syncing", (), NOW - 600),
    (f"P{int(NOW - 60)}", "paused", ("paused",), None),
    (f"S{int(NOW - 10 * 86_400)}", "success", ("old",), NOW - 10 * 86_400),
    # Last success five days ago and the next sync in an hour: an inferred "cycle" of five days must not hide it.
    (f"S{int(NOW - 5 * 86_400)}X{int(NOW + HOUR)}", "success", ("old",), NOW - 5 * 86_400),
])
def test_mirrorz_feed(code: str, state: str, flags: tuple[str, ...], success: float | None) -> None:
    found = status.parse(StatusFeed("https://m.example/mirrorz.json", "mirrorz"), mirrorz(code), "pypi", now=NOW)
    assert (found.repo, found.state, found.flags, found.last_success) == ("pypi", state, flags, success)
    conda = status.parse(StatusFeed("https://m.example/mirrorz.json", "mirrorz"), mirrorz(code), "conda", now=NOW)
    assert (conda.repo, conda.state, conda.flags) == ("anaconda", "success", ())


def test_feed_is_read_alongside_the_probe_and_flags_the_result() -> None:
    now = time.time()
    failed = json.dumps([{"name": "pypi", "status": "failed", "last_update_ts": int(now - 4 * 86_400),
                          "last_started_ts": int(now - 600), "last_ended_ts": int(now - 300),
                          "next_schedule_ts": int(now + 3000)}]).encode()
    with Fleet([MirrorSpec("m", feed=failed)]) as fleet:
        profile = fleet.profile("m", feed_format="tunasync")
        results = run_bench([profile], only="pypi", client_factory=lambda: http.make_client(trust_env=False))
        feed_requests = [r for r in fleet.requests("m") if r.path.startswith("/status/")]

    [result] = results
    assert len(feed_requests) == 1
    assert result.ok and result.sync is not None and result.sync.flags == ("failed", "old")
    assert "status feed: last sync failed" in detail(result)
    # The page's serial is the primary evidence: the mirror exposes one, so the feed alone does not make it stale.
    assert result.serial is not None and not result.stale
    assert result.to_json()["sync"]["state"] == "failed"


# ---------------------------------------------------------------------------------------------------------
# Hostile answers (issue 8): bounded reads, only http(s) redirects, all within --timeout


@pytest.mark.parametrize(("behaviour", "error"), [
    ("huge", "invalid"), ("trickle", "timeout"), ("badheaders", "error"), ("ftp-redirect", "invalid"),
])
def test_hostile_mirrors_fail_within_the_timeout(behaviour: str, error: str) -> None:
    with Fleet([MirrorSpec("evil", behaviour=behaviour), MirrorSpec("good")]) as fleet:
        started = time.perf_counter()
        results = bench(fleet, timeout=1.5)
        elapsed = time.perf_counter() - started

    # A hostile mirror would hold on for up to 60 s (MAX_HANG_S): the timeout plus 10 s shows the deadline held.
    assert elapsed < 1.5 + 10, elapsed
    evil = [r for r in results if r.profile == "evil"]
    assert [r.ok for r in evil] == [False, False]
    assert {r.error for r in evil} <= {error, "invalid", "timeout"}, [(r.error, detail(r)) for r in evil]
    pypi = next(r for r in evil if r.target == "pypi")
    assert pypi.error == error, detail(pypi)
    assert pypi.bytes_received <= LANES * (sampling.MAX_PAGE_BYTES + 65536)  # each request in flight is bounded
    assert all(r.ok for r in results if r.profile == "good")
    if behaviour == "ftp-redirect":
        assert detail(pypi) == "redirected to a ftp: URL (only http and https are followed)"
