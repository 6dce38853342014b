"""The bench table, its JSON and the progress line, from hand-made results (exact output)."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from mirrorctl.output.bench import format_table, progress_reporter, to_json, traffic_text
from mirrorctl.probe.model import FileProbe, Note, ProbeResult
from mirrorctl.probe.rank import with_estimates


def result(profile: str, target: str, latency: float | None, **fields: Any) -> ProbeResult:
    ok = latency is not None
    base = ProbeResult(
        profile=profile, target=target, url=f"https://{profile}.example/simple/pip/", resource="pip", ok=ok,
        latency_ms=latency, samples_ms=(latency,) * 3 if ok else (), connect_ms=12.4 if ok else None,
        status=200 if ok else None, final_url=None, final_host=f"{profile}.example" if ok else None,
        redirects=(), error=None if ok else "timeout",
        reason=None if ok else Note.of("timeout", phase="request", timeout=5.0),
    )
    return replace(base, **fields)


RESULTS = [
    result("dead", "pypi", None),
    result("ustc", "pypi", 63.2, redirects=("https://ustc.example/simple/pip/",), final_host="tuna.example",
           samples_ms=(63.2,) * 20),
    result("tuna", "pypi", 41.0),
    result("old", "pypi", 8.44, stale=True, notes=(Note.of("stale_serial", serial=99, newest=100),)),
    result("tuna", "conda", 35.0, status=206),
    result("portal", "conda", None, error="invalid", reason=Note.of("not_repodata", looks="empty")),
]


def test_table_is_ranked_marks_what_is_in_effect_and_lists_failures_last() -> None:
    assert format_table(RESULTS, in_effect={("tuna", "pypi")}) == "\n".join([
        "   TARGET  PROFILE  LATENCY  CONNECT  SAMPLES  HOST            STATUS",
        "*  pypi    tuna       41 ms    12 ms        3  tuna.example    200",
        "   pypi    ustc       63 ms    12 ms       20  tuna.example    200, redirected from ustc.example",
        "   pypi    old       8.4 ms    12 ms        3  old.example     200, stale: serial 99, newest seen"
        " 100",
        "   pypi    dead           -        -        -  dead.example    timeout: connected, no answer within"
        " 5 s",
        "   conda   tuna       35 ms    12 ms        3  tuna.example    206",
        "   conda   portal         -        -        -  portal.example  invalid: repodata.json does not start"
        " like JSON (empty: a portal or soft-404?)",
    ])


def test_bandwidth_install_and_file_host_columns_appear_only_when_measured() -> None:
    wheel = FileProbe("https://tuna.example/packages/pip.whl", ok=True, final_url="https://cdn.example/pip.whl",
                      bytes=2 * 10**6, transfer_s=2 / 12.345)
    table = format_table(with_estimates([result("tuna", "pypi", 41.0, file=wheel), result("b", "pypi", 50.0)]),
                         by="install")
    assert table.splitlines() == [
        "  TARGET  PROFILE  LATENCY  CONNECT  SAMPLES  MB/S  INSTALL  HOST          FILES        STATUS",
        "  pypi    tuna       41 ms    12 ms        3  12.3    3.3 s  tuna.example  cdn.example  200",
        "  pypi    b          50 ms    12 ms        3     -        -  b.example     -            200",
    ]
    assert format_table([]) == "no mirrors probed"


def test_traffic_is_reported() -> None:
    results = [result("a", "pypi", 10.0, bytes_received=3_000), result("b", "pypi", 20.0, bytes_received=2_120)]
    assert traffic_text(results) == "downloaded 5.0 KiB from 2 mirrors"


def test_json_is_ranked_like_the_table_and_carries_the_worded_detail() -> None:
    assert to_json(RESULTS)[2]["detail"] == "stale: serial 99, newest seen 100"
    assert to_json(RESULTS)[2]["notes"] == [{"code": "stale_serial", "serial": 99, "newest": 100}]
    assert [(o["profile"], o["target"]) for o in to_json(RESULTS)] == [
        ("tuna", "pypi"), ("ustc", "pypi"), ("old", "pypi"), ("dead", "pypi"),
        ("tuna", "conda"), ("portal", "conda"),
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal() -> None:
    assert progress_reporter(io.StringIO()) is None
    stream = Terminal()
    report = progress_reporter(stream)
    assert report is not None
    for done in (1, 2, 3):
        report(RESULTS[0], done, 3)
    assert stream.getvalue() == "\rprobing 1/3...\rprobing 2/3...\r" + " " * len("probing 3/3...") + "\r"


def test_bench_rows_appear_as_known_on_a_terminal_then_give_way_to_the_ranked_table() -> None:
    from mirrorctl.output import progress

    assert progress.rows(io.StringIO()) is None  # piped: the final table only
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    live = progress.rows(stream)
    assert live is not None
    fast, dead = result("fast", "pypi", 12.0), result("dead", "pypi", None)
    live(fast, 1, 2)
    assert stream.getvalue() == "  pypi   fast              12 ms  fast.example  (1/2)\n"
    live(dead, 2, 2)
    assert stream.getvalue().splitlines()[1] == "  pypi   dead            timeout  dead.example  (2/2)"
    live.clear()
    assert stream.getvalue().endswith("\x1b[2F\x1b[J")  # back to the first row, erased for the final table
