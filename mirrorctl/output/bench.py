"""`bench` and `use --fastest`: the ranked text table, the same results as JSON, progress, what was picked.

The prober words nothing: its results carry :class:`~mirrorctl.probe.model.Note` codes and figures, and
:func:`describe` turns them into text here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Callable, TextIO

from mirrorctl.i18n import N_, _, english, ljust, ngettext, width
from mirrorctl.output.common import COLOURS, RESET, message
from mirrorctl.probe.model import TARGETS, Note, ProbeResult, iso
from mirrorctl.probe.rank import TYPICAL, rank
from mirrorctl.results import BenchResult, FastestChoice
from mirrorctl.urls import host_port, mask_credentials

#: Columns whose values line up on the right (numbers).
_NUMERIC = {"LATENCY", "CONNECT", "SAMPLES", "MB/S", "INSTALL"}
#: The table's headings, translated when shown.
HEADINGS = (N_("TARGET"), N_("PROFILE"), N_("LATENCY"), N_("CONNECT"), N_("SAMPLES"), N_("MB/S"), N_("INSTALL"),
            N_("HOST"), N_("FILES"), N_("STATUS"))


def _looks(value: object) -> str:
    text = str(value or "")
    if text.startswith("title:"):
        return _("an HTML page titled {title}").format(title=repr(text[len("title:"):]))
    if text.startswith("start:"):
        return _("starts with {text}").format(text=repr(text[len("start:"):]))
    return text or _("empty")


def _timeout(phase: object, timeout: object) -> str:
    limit = f"{timeout:g} s" if isinstance(timeout, (int, float)) else _("the time allowed")
    template = {
        "connect": N_("no connection within {limit}"),
        "request": N_("connected, no answer within {limit}"),
        "body": N_("answer not complete within {limit}"),
    }.get(str(phase), N_("no answer within {limit}"))
    return _(template).format(limit=limit)


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return _("{days:.1f} days").format(days=hours / 24) if hours >= 48 else f"{hours:.0f} h"


def _say(template: str, **params: object) -> str:
    return _(template).format(**params)


_TEXT: Mapping[str, Callable[[Note], str]] = {
    "http_status": lambda n: f"HTTP {n.get('status')} {n.get('phrase') or ''}".rstrip(),
    "timeout": lambda n: _timeout(n.get("phase"), n.get("timeout")),
    "timed_out": lambda n: _("connect timed out") if n.get("connect") else _("timed out"),
    "outrun": lambda n: _say(N_("no answer after {ms} ms, far slower than the fastest: left the race"),
                             ms=n.get("waited_ms")),
    "partial_samples": lambda n: _say(N_("{got} of {wanted} samples within {seconds:g} s"), got=n.get("got"),
                                      wanted=n.get("wanted"), seconds=n.get("timeout")),
    "not_a_project_page": lambda n: _say(N_("no files of {project} in the answer ({looks}: a portal or soft-404?)"),
                                         project=n.get("project"), looks=_looks(n.get("looks"))),
    "not_repodata": lambda n: _say(N_("repodata.json does not start like JSON ({looks}: a portal or soft-404?)"),
                                   looks=_looks(n.get("looks"))),
    "too_large": lambda n: _say(N_("answer larger than {mib} MiB: not what was asked for"),
                                mib=int(n.get("limit") or 0) // (1024 * 1024)),
    "too_many_redirects": lambda n: _("too many redirects"),
    "bad_redirect": lambda n: _say(N_("redirected to a {scheme}: URL (only http and https are followed)"),
                                   scheme=n.get("scheme")),
    "bad_encoding": lambda n: _("answer cannot be decoded (bad compression)"),
    "bad_scheme": lambda n: _("unsupported URL scheme"),
    "dns": lambda n: _say(N_("cannot resolve the host ({why})"), why=n.get("why")),
    "refused": lambda n: _("connection refused"),
    "tls_cert": lambda n: _say(N_("TLS certificate rejected ({why})"), why=n.get("why")),
    "tls": lambda n: _say(N_("TLS handshake failed ({why})"), why=n.get("why")),
    "bad_answer": lambda n: _("server closed the connection without a valid answer"),
    "reset": lambda n: _("connection reset"),
    "other": lambda n: str(n.get("text")),
    "stale_serial": lambda n: _say(N_("stale: serial {serial}, newest seen {newest}"), serial=n.get("serial"),
                                   newest=n.get("newest")),
    "stale_repodata": lambda n: _say(N_("stale: repodata {lag} older than the newest seen"),
                                     lag=_duration(float(n.get("lag_s") or 0))),
    "stale_feed": lambda n: _say(N_("stale: its status feed's last successful sync is {when}"),
                                 when=_when(n.get("last_success"))),
    "sync_failed": lambda n: _("status feed: last sync failed"),
    "sync_paused": lambda n: _("status feed: sync paused"),
    "sync_old": lambda n: _say(N_("status feed: last success {when}, later than its usual cycle"),
                               when=_when(n.get("last_success"))),
    "download_cut": lambda n: _say(N_("download cut off at {seconds:g} s"), seconds=n.get("timeout")),
    "download_stopped": lambda n: _("download stopped early: the rate so far settled this mirror's place"),
    "feed_unreadable": lambda n: _("status feed unreadable") + (f" ({n.get('why')})" if n.get("why") else ""),
    "feed_not_json": lambda n: _("status feed is not JSON"),
    "feed_no_repo": lambda n: _say(N_("status feed lists no {target} repo"), target=n.get("target")),
}


def _when(epoch: object) -> str:
    return iso(float(epoch)) or _("unknown") if isinstance(epoch, (int, float)) else _("unknown")


def describe(note: Note) -> str:
    """The sentence for ``note``; unknown codes fall back to the code and its figures."""
    wording = _TEXT.get(note.code)
    if wording is None:
        return note.code + "".join(f" {key}={value}" for key, value in note.params)
    return mask_credentials(wording(note))


def detail(result: ProbeResult) -> str:
    """What the old single ``detail`` string said: the failure reason, or the notes, joined by "; "."""
    notes = ([result.reason] if result.reason else []) + list(result.notes)
    return "; ".join(describe(note) for note in notes)


def format_table(results: Iterable[ProbeResult], in_effect: Collection[tuple[str, str]] = (), *,
                 by: str = "latency", colour: bool = False) -> str:
    """The ranked table: PyPI then conda, best first, failures last with their reason.

    ``in_effect`` holds (profile, target) pairs for the mirrors currently configured; their rows get a ``*``.
    LATENCY is the race's estimate of time to first byte, CONNECT the time to open the first connection,
    SAMPLES how many samples it is over. MB/S and INSTALL (the typical install estimate) appear when a file
    was downloaded, FILES (the host that really serves package files) when one was found.
    """
    ranked = rank(results, by=by)
    if not ranked:
        return _("no mirrors probed")
    with_throughput = any(r.throughput_mbps is not None for r in ranked)
    with_files = any(r.file_host is not None for r in ranked)
    header = ["", "TARGET", "PROFILE", "LATENCY", "CONNECT", "SAMPLES"]
    header += ["MB/S", "INSTALL"] if with_throughput else []
    header += ["HOST"] + (["FILES"] if with_files else []) + ["STATUS"]
    rows = [[_(h) if h else h for h in header]]
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
            mbps = result.throughput_mbps
            found = result.estimate(TYPICAL.name)
            row += [f"{mbps:.1f}" if mbps is not None else "-", f"{found.seconds:.1f} s" if found else "-"]
        row.append(result.host)
        if with_files:
            row.append(result.file_host or "-")
        row.append(_status(result))
        rows.append(row)
    widths = [max(width(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            " " * (columns - width(cell)) + cell if header[column] in _NUMERIC else ljust(cell, columns)
            for column, (cell, columns) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    if colour:  # whole lines, after padding, so the columns stay straight
        winners = {next((r for r in ranked if r.target == t and r.ok and not r.stale), None) for t in TARGETS}
        for index, result in enumerate(ranked, 1):
            tone = ("good" if result in winners else "error" if not result.ok else "warning" if result.stale
                    else "bold" if (result.profile, result.target) in in_effect else None)
            if tone:
                lines[index] = f"{COLOURS[tone]}{lines[index]}{RESET}"
    return "\n".join(lines)


def traffic(results: Iterable[ProbeResult]) -> tuple[int, int]:
    """(body bytes downloaded in all, mirrors probed); a status feed shared by two targets counts once."""
    results = list(results)
    feeds = {r.sync.url: r.sync.bytes for r in results if r.sync is not None}
    return sum(r.bytes_received for r in results) + sum(feeds.values()), len({r.profile for r in results})


def traffic_text(results: Iterable[ProbeResult]) -> str:
    total, mirrors = traffic(results)
    from mirrorctl.fileio import size_text

    return ngettext("downloaded {size} from {count} mirror", "downloaded {size} from {count} mirrors",
                    mirrors).format(size=size_text(total), count=mirrors)


def to_json(results: Iterable[ProbeResult], *, by: str = "latency") -> list[dict[str, Any]]:
    """The ``--json`` list, in the same order as the table, each object with its worded ``detail``."""
    with english():  # scripts read it: never translated
        return [{**result.to_json(), "detail": detail(result)} for result in rank(results, by=by)]


def progress_reporter(stream: TextIO) -> Callable[[ProbeResult, int, int], None] | None:
    """An ``on_result`` callback writing "probing 7/18..." over itself on ``stream``; None if not a terminal.

    Progress goes only to a terminal so that redirected or piped output (and ``--json``) stays clean.
    """
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return None

    def report(result: ProbeResult, done: int, total: int) -> None:
        line = _("probing {done}/{total}...").format(done=done, total=total)
        stream.write("\r" + line if done < total else "\r" + " " * len(line) + "\r")
        stream.flush()

    return report


class LiveRows:
    """An ``on_result`` callback for `bench` on a terminal: one row per mirror as its result is known (the
    fastest come first, as they finish first), erased by :meth:`clear` for the final ranked table."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.lines = stream, 0

    def __call__(self, result: ProbeResult, done: int, total: int) -> None:
        figure = _ms(result.latency_ms) if result.ok else (result.error or "-")
        self.stream.write(mask_credentials(f"  {result.target:<6} {result.profile:<14} {figure:>8}  {result.host}"
                                           f"  ({done}/{total})\n"))
        self.stream.flush()
        self.lines += 1

    def clear(self) -> None:
        if self.lines:
            self.stream.write(f"\x1b[{self.lines}F\x1b[J")  # up to the first live row, erase to the end
            self.stream.flush()
            self.lines = 0


def choice_text(choice: FastestChoice) -> str:
    """What ``use --fastest`` picked for each tool, with the figures it picked on."""
    lines = []
    by = choice.by
    for tool, result in choice.winners.items():
        figures = _("latency {ms:.0f} ms over {count} samples").format(ms=result.latency_ms,
                                                                        count=len(result.samples_ms))
        if result.connect_ms is not None:
            figures += _(", connect {ms:.0f} ms").format(ms=result.connect_ms)
        found = result.estimate(TYPICAL.name)
        if by == "install" and found is not None and result.throughput_mbps is not None:
            figures += _(", {mbps:.1f} MB/s, typical install {seconds:.1f} s").format(mbps=result.throughput_mbps,
                                                                                   seconds=found.seconds)
        host = result.host
        if result.file_host and result.file_host != host:
            host += _(", files from {host}").format(host=result.file_host)
        lines.append(_("fastest for {tool}: {profile} ({figures}, {host})").format(
            tool=tool, profile=result.profile, figures=figures, host=host))
    for tool in choice.skipped:
        lines.append(f"{tool}: " + _("no healthy, up-to-date mirror answered; left unchanged"))
    return "\n".join(lines) + "\n"


def choice_json(choice: FastestChoice) -> dict[str, object]:
    """The figures each tool's pick was made on, for `use --fastest --json`."""
    return {"by": choice.by, "tools": {tool: result.to_json() for tool, result in choice.winners.items()},
            "skipped": list(choice.skipped)}


def bench_text(measured: BenchResult, *, colour: bool = False) -> str:
    """The table, the traffic, and why a mark of what is in effect may be missing."""
    lines = [format_table(measured.results, measured.in_effect, by=measured.by, colour=colour),
             traffic_text(measured.results)]
    lines += findings_lines(measured)
    return "\n".join(lines)


def findings_lines(measured: BenchResult) -> list[str]:
    return [f"{finding.tool}: {message(finding)}" for finding in measured.findings]


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _status(result: ProbeResult) -> str:
    """HTTP status and notes for a healthy mirror; the failure class and reason otherwise."""
    if not result.ok:
        return mask_credentials(f"{result.error}: {detail(result)}")
    notes = [str(result.status)] if result.status is not None else []
    if result.redirects:
        notes.append(_("redirected from {host}").format(host=host_port(result.redirects[0])))
    if result.notes:
        notes.append(detail(result))
    if result.sync is not None and result.sync.last_success is not None:
        notes.append(_("last sync {when}").format(when=iso(result.sync.last_success)))
    return mask_credentials(", ".join(notes))
