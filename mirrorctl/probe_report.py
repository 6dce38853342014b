"""Render bench results: one ranked text table, the same results as JSON, and progress on a terminal."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, Callable, TextIO

from mirrorctl.rank import rank
from mirrorctl.urls import host_port, mask_credentials

if TYPE_CHECKING:
    from mirrorctl.probe import ProbeResult

#: Columns whose values line up on the right (numbers).
_NUMERIC = {"LATENCY", "CONNECT", "SAMPLES", "MB/S"}


def format_table(results: Iterable[ProbeResult], in_effect: Collection[tuple[str, str]] = ()) -> str:
    """The ranked table: PyPI then conda, fastest first, failures last with their reason.

    ``in_effect`` holds (profile, target) pairs for the mirrors currently configured; their rows get a ``*``.
    LATENCY is the median time to first byte, CONNECT the time to open the first connection (DNS, TCP, TLS),
    SAMPLES how many samples the median is over. The MB/S column appears only when throughput was measured.
    """
    ranked = rank(results)
    if not ranked:
        return "no mirrors probed"
    with_throughput = any(r.throughput_mbps is not None for r in ranked)
    header = ["", "TARGET", "PROFILE", "LATENCY", "CONNECT", "SAMPLES"]
    header += ["MB/S"] if with_throughput else []
    header += ["HOST", "STATUS"]
    rows = [header]
    for result in ranked:
        row = [
            "*" if (result.profile, result.target) in in_effect else "",
            result.target,
            result.profile,
            _ms(result.latency_ms),
            _ms(result.connect_ms),
            str(len(result.samples_ms)) if result.ok else "-",
        ]
        if with_throughput:
            row.append(f"{result.throughput_mbps:.1f}" if result.throughput_mbps is not None else "-")
        row += [result.host, _status(result)]
        rows.append(row)
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if header[column] in _NUMERIC else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def to_json(results: Iterable[ProbeResult]) -> list[dict[str, Any]]:
    """The ``--json`` list, in the same order as the table."""
    return [result.to_json() for result in rank(results)]


def progress_reporter(stream: TextIO) -> Callable[[ProbeResult, int, int], None] | None:
    """An ``on_result`` callback writing "probing 7/18..." over itself on ``stream``; None if not a terminal.

    Progress goes only to a terminal so that redirected or piped output (and ``--json``) stays clean.
    """
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return None

    def report(result: ProbeResult, done: int, total: int) -> None:
        line = f"probing {done}/{total}..."
        stream.write("\r" + line if done < total else "\r" + " " * len(line) + "\r")
        stream.flush()

    return report


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _status(result: ProbeResult) -> str:
    """HTTP status and notes for a healthy mirror; the failure class and reason otherwise."""
    if not result.ok:
        return mask_credentials(f"{result.error}: {result.detail}")
    notes = [str(result.status)] if result.status is not None else []
    if result.redirects:
        notes.append(f"redirected from {host_port(result.redirects[0])}")
    if result.detail:
        notes.append(result.detail)
    return mask_credentials(", ".join(notes))
