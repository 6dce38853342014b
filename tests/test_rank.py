"""Staleness, ranking and the choice of the fastest mirror: pure functions over hand-made results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mirrorctl.output.bench import detail
from mirrorctl.probe.model import FileProbe, Note, ProbeResult
from mirrorctl.probe.rank import CONDA_TOLERANCE_S, TORCH, TYPICAL, fastest, mark_stale, rank, with_estimates

DAY = 86_400.0


def result(profile: str, target: str = "pypi", latency: float | None = 50.0, **fields: Any) -> ProbeResult:
    ok = fields.pop("ok", latency is not None)
    resource = fields.pop("resource", "pip" if target == "pypi" else "pkgs/main")
    base = ProbeResult(
        profile=profile, target=target, url=f"https://{profile}.example/x", resource=resource, ok=ok,
        latency_ms=latency if ok else None, samples_ms=(latency,) * 3 if ok and latency is not None else (),
        connect_ms=10.0 if ok else None, status=200 if ok else None, final_url=None, final_host=None,
        redirects=(), error=None if ok else "timeout",
        reason=None if ok else Note.of("timeout", phase=None, timeout=5.0),
    )
    return replace(base, **fields)


def stale_names(results: list[ProbeResult]) -> list[str]:
    return [f"{r.profile}/{r.target}" for r in results if r.stale]


def test_pypi_serial_lower_than_the_newest_is_stale() -> None:
    marked = mark_stale([result("a", serial=100), result("b", serial=99), result("c", serial=None)])
    assert stale_names(marked) == ["b/pypi"]
    assert detail(marked[1]) == "stale: serial 99, newest seen 100"
    assert marked[2].stale is False  # no serial: unknown, not old


def test_conda_last_modified_has_a_tolerance_of_a_day() -> None:
    now = 1_800_000_000.0
    marked = mark_stale([
        result("fresh", "conda", last_modified=now),
        result("synced-hours-ago", "conda", last_modified=now - 6 * 3600),
        result("days-behind", "conda", last_modified=now - 3 * DAY),
        result("just-inside", "conda", last_modified=now - CONDA_TOLERANCE_S),
    ])
    assert stale_names(marked) == ["days-behind/conda"]
    assert detail(marked[2]) == "stale: repodata 3.0 days older than the newest seen"
    strict = mark_stale(marked, conda_tolerance_s=3600)
    assert stale_names(strict) == ["synced-hours-ago/conda", "days-behind/conda", "just-inside/conda"]


def test_only_like_is_compared_with_like() -> None:
    """pkgs/main changes far less often than conda-forge: comparing the two would flag pkgs/main as stale."""
    marked = mark_stale([
        result("main", "conda", last_modified=1_000.0, resource="pkgs/main"),
        result("forge", "conda", last_modified=1_000.0 + 30 * DAY, resource="conda-forge"),
        result("pypi", "pypi", serial=5),
    ])
    assert stale_names(marked) == []


def test_failures_are_neither_evidence_nor_stale() -> None:
    marked = mark_stale([result("ok", serial=10), result("dead", latency=None, serial=50)])
    assert stale_names(marked) == []


def test_reference_counts_as_evidence_but_is_not_returned() -> None:
    upstream = result("official", serial=200)
    marked = mark_stale([result("mirror", serial=199)], reference=[upstream])
    assert [(r.profile, r.stale) for r in marked] == [("mirror", True)]


def test_rank_orders_targets_then_health_then_latency() -> None:
    results = [
        result("c-slow", "conda", 90.0),
        result("dead", "pypi", None),
        result("stale-fast", "pypi", 5.0, stale=True),
        result("slow", "pypi", 80.0),
        result("fast", "pypi", 20.0),
        result("c-fast", "conda", 30.0),
        result("c-dead", "conda", None),
        result("also-dead", "pypi", None),
    ]
    assert [r.profile for r in rank(results)] == [
        "fast", "slow", "stale-fast", "also-dead", "dead", "c-fast", "c-slow", "c-dead",
    ]


def test_rank_breaks_latency_ties_by_connect_time_then_name() -> None:
    results = [result("b", connect_ms=5.0), result("c", connect_ms=1.0), result("a", connect_ms=5.0)]
    assert [r.profile for r in rank(results)] == ["c", "a", "b"]


def test_fastest_skips_stale_and_broken() -> None:
    results = [
        result("stale", latency=1.0, stale=True),
        result("broken", latency=None),
        result("good", latency=40.0),
        result("better", latency=30.0),
        result("conda-only", "conda", latency=2.0),
    ]
    choice = fastest(results, "pypi")
    assert choice is not None and choice.profile == "better"
    assert fastest([result("stale", stale=True), result("broken", latency=None)], "pypi") is None
    assert fastest(results, "conda") is not None


def fetched(mbps: float) -> FileProbe:
    """A file probe that moved 1 MB at ``mbps``."""
    return FileProbe("https://files.example/f.whl", ok=True, bytes=10**6, transfer_s=1 / mbps)


def test_install_estimate_is_pages_times_latency_plus_bytes_over_bandwidth() -> None:
    [estimated] = with_estimates([result("m", latency=50.0, file=fetched(10.0))])
    typical, torch = estimated.estimate("typical"), estimated.estimate("torch")
    assert typical is not None and torch is not None
    assert typical.seconds == TYPICAL.pages * 0.050 + TYPICAL.bytes / 10e6
    assert torch.seconds == TORCH.pages * 0.050 + TORCH.bytes / 10e6
    assert with_estimates([result("no-file")])[0].estimates == ()


def test_install_ranking_disagrees_with_latency_when_bandwidth_differs() -> None:
    results = with_estimates([
        result("near-but-thin", latency=10.0, file=fetched(1.0)),
        result("far-but-wide", latency=60.0, file=fetched(50.0)),
        result("unmeasured", latency=5.0),
    ])
    assert [r.profile for r in rank(results)] == ["unmeasured", "near-but-thin", "far-but-wide"]
    assert [r.profile for r in rank(results, by="install")] == ["far-but-wide", "near-but-thin", "unmeasured"]
    choice = fastest(results, "pypi", by="install")
    assert choice is not None and choice.profile == "far-but-wide"


def test_one_profile_for_a_tool_that_takes_both_tables_is_the_best_worst_case() -> None:
    from mirrorctl.probe.rank import fastest_for_all

    results = [
        result("a", "pypi", 10.0), result("b", "pypi", 20.0), result("c", "pypi", 30.0),
        result("a", "conda", 90.0), result("b", "conda", 40.0), result("c", "conda", 30.0),
        result("d", "pypi", 5.0), result("d", "conda", 5.0, stale=True),  # fastest, but stale for conda
        result("e", "conda", 1.0),  # no PyPI at all
    ]
    # positions (pypi, conda) among the healthy: a (1, 3), b (2, 2), c (3, 1)... d and e are out.
    chosen = fastest_for_all(results, ["pypi", "conda"])
    assert chosen is not None and (chosen.profile, chosen.target) == ("b", "pypi")
    assert fastest(results, "pypi").profile == "d" and fastest(results, "conda").profile == "e"
    assert fastest_for_all([r for r in results if r.target == "pypi"], ["pypi", "conda"]) is None
    same = [result("a", "pypi", 10.0), result("a", "conda", 10.0), result("b", "pypi", 20.0),
            result("b", "conda", 20.0)]
    assert fastest_for_all(same, ["pypi", "conda"]).profile == "a"


def test_bandwidths_that_cannot_be_told_apart_share_the_best() -> None:
    """One download each cannot tell 100 from 150 MB/s (within INDISTINGUISHABLE), nor a reader-limited rate
    (a lower bound) from any other: they share the best; a mirror clearly slower keeps its own rate."""
    from mirrorctl.probe.rank import INDISTINGUISHABLE, pooled_rates

    assert 1.5 < INDISTINGUISHABLE < 2.0
    assert pooled_rates([100.0, 150.0, 20.0, None], [False, False, False, False]) == [150.0, 150.0, 20.0, None]
    assert pooled_rates([20.0, 700.0, 1.0], [True, True, False]) == [700.0, 700.0, 1.0]
    assert pooled_rates([None, None], [False, False]) == [None, None]


def test_reader_limited_downloads_rank_by_latency_and_a_thin_mirror_is_still_told_apart() -> None:
    """On loopback every download measures the prober's own reads (20-700 MB/s for the same link): the
    install ranking is then the latency ranking, not an order of the prober's hiccups. A link-paced 1 MB/s
    mirror is still behind a reader-limited one."""
    def limited(mbps: float) -> FileProbe:
        return replace(fetched(mbps), reader_limited=True)

    results = with_estimates([
        result("near", latency=20.0, file=limited(20.0)),
        result("next", latency=40.0, file=limited(700.0)),
        result("thin", latency=5.0, file=fetched(1.0)),
    ])
    assert [r.profile for r in rank(results, by="install")] == ["near", "next", "thin"]
    near, following = (r.estimate("typical") for r in results[:2])
    assert near is not None and following is not None
    assert following.seconds - near.seconds == pytest.approx(TYPICAL.pages * 0.020)
    # Measured, the figure stays what it was: only the estimate pools it.
    assert results[0].throughput_mbps == pytest.approx(20.0)
