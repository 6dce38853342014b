"""Progress of a bench while it runs, on a terminal only, loading the bench renderer only once the first
mirror's result is in: by then every request is on the wire, and the import costs the probe nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TextIO

if TYPE_CHECKING:
    from mirrorctl.probe.model import ProbeResult

OnResult = Callable[["ProbeResult", int, int], None]


def _terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


class Lazy:
    """``on_result`` that builds its renderer (``make(stream)``, from :mod:`mirrorctl.output.bench`) on first use."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.renderer: Any = None

    def __call__(self, result: ProbeResult, done: int, total: int) -> None:
        if self.renderer is None:
            from mirrorctl.output import bench

            self.renderer = bench.LiveRows(self.stream) if self.name == "rows" else bench.progress_reporter(self.stream)
        if self.renderer is not None:
            self.renderer(result, done, total)

    def clear(self) -> None:
        """Erase the live rows (before the final table), if any were written."""
        if self.renderer is not None and hasattr(self.renderer, "clear"):
            self.renderer.clear()


def rows(stream: TextIO) -> Lazy | None:
    """`bench`: a row per mirror as it is known, on a terminal; None when piped (the final table only)."""
    return Lazy(stream, "rows") if _terminal(stream) else None


def counter(stream: TextIO) -> Lazy | None:
    """`use --fastest`: "probing 7/18..." over itself, on a terminal; None otherwise."""
    return Lazy(stream, "counter") if _terminal(stream) else None
