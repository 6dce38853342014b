"""What probing finds, as frozen data: every figure a report or ``--json`` shows, and no wording.

Reasons and remarks are :class:`Note` objects (a code and parameters); :mod:`mirrorctl.output.bench` is the
only place that turns them into sentences. Times are milliseconds (``*_ms``) or seconds (``*_s``), instants
are epoch seconds, sizes are bytes, bandwidth is MB/s (10**6 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Union

from mirrorctl.urls import host_port, mask_credentials

TARGETS = ("pypi", "conda")
#: Failure classes of a probe (``ProbeResult.error``).
ERRORS = ("timeout", "refused", "dns", "tls", "http", "invalid", "error")

Param = Union[str, int, float, None]


@dataclass(frozen=True)
class Note:
    """A reason or remark: ``code`` says what, ``params`` the figures (see output.bench for the wording)."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Param) -> Note:
        return cls(code, tuple(params.items()))

    def get(self, key: str) -> Param:
        return dict(self.params).get(key)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, **{key: _mask(value) for key, value in self.params}}


@dataclass(frozen=True)
class ProbeTarget:
    """One URL to probe for one profile and one tool."""

    profile: str
    target: str  # "pypi" or "conda"
    url: str  # the exact URL requested
    #: What the URL is about, so that only like is compared with like for freshness: the PyPI project, or the
    #: conda channel ("pkgs/main", "conda-forge").
    resource: str


@dataclass(frozen=True)
class FileProbe:
    """A real package file fetched through its redirects: who serves it, and how fast.

    ``bytes`` is what the ranged download received, ``transfer_s`` the time from the final answer's headers to
    its last byte (so latency stays out of the bandwidth figure).
    """

    url: str  # the file link found on the page / in repodata
    ok: bool
    final_url: str | None = None
    redirects: tuple[str, ...] = ()
    status: int | None = None
    ttfb_ms: float | None = None
    bytes: int = 0
    transfer_s: float | None = None
    #: How large the file is (Content-Range / Content-Length / repodata "size"), when known.
    size: int | None = None
    reason: Note | None = None
    #: Most bytes were waiting for the reader when read (full reads): the link was faster than the prober read,
    #: so ``mbps`` is a lower bound on the mirror's bandwidth, not a measure of it (see rank.effective_mbps).
    reader_limited: bool = False

    #: Fewer bytes than this say more about slow start than about bandwidth: no MB/s figure from them.
    MIN_BANDWIDTH_BYTES = 32 * 1024

    @property
    def host(self) -> str:
        return host_port(self.final_url or self.url)

    @property
    def mbps(self) -> float | None:
        if self.bytes < self.MIN_BANDWIDTH_BYTES or not self.transfer_s:
            return None
        return self.bytes / self.transfer_s / 1e6

    def to_json(self) -> dict[str, Any]:
        return {
            "url": mask_credentials(self.url),
            "ok": self.ok,
            "final_url": mask_credentials(self.final_url) if self.final_url else None,
            "host": self.host,
            "redirects": [mask_credentials(url) for url in self.redirects],
            "status": self.status,
            "ttfb_ms": _round(self.ttfb_ms),
            "bytes": self.bytes,
            "transfer_s": _round(self.transfer_s, 4),
            "size": self.size,
            "mbps": _round(self.mbps, 2),
            "reader_limited": self.reader_limited,
            "reason": self.reason.to_json() if self.reason else None,
        }


@dataclass(frozen=True)
class SyncStatus:
    """What a mirror's status feed says about the repo behind one target.

    ``state`` is one of success, syncing, failed, paused, pending, proxy, disabled, unknown; ``flags`` holds
    the findings that count against the mirror (failed, paused, old), empty when all is well or unknown.
    ``reason`` is set (and the rest empty) when the feed could not be read or had no such repo.
    """

    url: str
    format: str
    repo: str | None
    state: str | None = None
    last_success: float | None = None
    last_attempt: float | None = None
    next_sync: float | None = None
    #: The repo's usual sync cycle in seconds, as the feed implies it (None when it does not).
    cycle_s: float | None = None
    flags: tuple[str, ...] = ()
    reason: Note | None = None
    bytes: int = 0  # body bytes of the feed (one request, shared by the profile's targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": mask_credentials(self.url),
            "format": self.format,
            "bytes": self.bytes,
            "repo": self.repo,
            "state": self.state,
            "last_success": iso(self.last_success),
            "last_attempt": iso(self.last_attempt),
            "next_sync": iso(self.next_sync),
            "cycle_s": self.cycle_s,
            "flags": list(self.flags),
            "reason": self.reason.to_json() if self.reason else None,
        }


@dataclass(frozen=True)
class InstallModel:
    """A stated install: ``pages`` index requests (each costs one latency) and ``bytes`` of package files."""

    name: str
    pages: int
    bytes: int


@dataclass(frozen=True)
class Estimate:
    """``seconds = pages x latency + bytes / bandwidth`` for one :class:`InstallModel` on one mirror."""

    model: str
    pages: int
    bytes: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "pages": self.pages, "bytes": self.bytes, "seconds": _round(self.seconds, 2)}


@dataclass(frozen=True)
class ProbeResult:
    """What probing one :class:`ProbeTarget` found. ``error`` (and ``reason``) is None exactly when ``ok``."""

    profile: str
    target: str
    url: str
    resource: str
    ok: bool
    latency_ms: float | None  # the race's estimate of time to first byte (mean of samples); None when failed
    samples_ms: tuple[float, ...]
    connect_ms: float | None  # DNS + TCP + TLS of the first new connection; None if not observed
    status: int | None
    final_url: str | None
    final_host: str | None
    redirects: tuple[str, ...]  # URLs that answered with a redirect, in order
    error: str | None  # one of ERRORS
    reason: Note | None = None  # why it failed
    notes: tuple[Note, ...] = ()  # remarks on a result, failed or not (partial samples, stale, sync flags)
    serial: int | None = None  # PyPI: the project's last serial (lowest seen across samples)
    last_modified: float | None = None  # conda: repodata Last-Modified, epoch seconds (oldest seen)
    stale: bool = False  # set by rank.mark_stale
    #: Left the race early: its answers showed it could not be the fastest (see race.Race).
    eliminated: bool = False
    #: Body bytes received from this mirror for this target, every request counted (pages, files).
    bytes_received: int = 0
    file: FileProbe | None = None
    sync: SyncStatus | None = None
    estimates: tuple[Estimate, ...] = ()

    @property
    def host(self) -> str:
        """The host that answered, or the one asked when nothing answered."""
        return self.final_host or host_port(self.url)

    @property
    def file_host(self) -> str | None:
        """The host that really serves this mirror's package files (after redirects), when a file was fetched."""
        return self.file.host if self.file is not None and self.file.ok else None

    @property
    def throughput_mbps(self) -> float | None:
        return self.file.mbps if self.file is not None and self.file.ok else None

    def estimate(self, model: str) -> Estimate | None:
        return next((e for e in self.estimates if e.model == model), None)

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` object, minus the worded ``detail`` (output.bench adds it); credentials masked."""
        return {
            "profile": self.profile,
            "target": self.target,
            "resource": self.resource,
            "url": mask_credentials(self.url),
            "ok": self.ok,
            "latency_ms": _round(self.latency_ms),
            "samples_ms": [_round(sample) for sample in self.samples_ms],
            "connect_ms": _round(self.connect_ms),
            "status": self.status,
            "final_url": mask_credentials(self.final_url) if self.final_url else None,
            "final_host": self.final_host,
            "redirects": [mask_credentials(url) for url in self.redirects],
            "error": self.error,
            "reason": self.reason.to_json() if self.reason else None,
            "notes": [note.to_json() for note in self.notes],
            "serial": self.serial,
            "last_modified": iso(self.last_modified),
            "stale": self.stale,
            "eliminated": self.eliminated,
            "bytes_received": self.bytes_received,
            "file_host": self.file_host,
            "throughput_mbps": _round(self.throughput_mbps, 2),
            "file": self.file.to_json() if self.file else None,
            "sync": self.sync.to_json() if self.sync else None,
            "estimates": [estimate.to_json() for estimate in self.estimates],
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _mask(value: Param) -> Param:
    return mask_credentials(value) if isinstance(value, str) else value


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
