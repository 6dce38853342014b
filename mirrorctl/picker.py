"""The profile picker `mirrorctl use` opens on a terminal when no NAME is given (part of the CLI layer).

A list, not a form, so no prompt library: prompt_toolkit alone costs more to import than all of mirrorctl, and
this needs four keys. The terminal is put in cbreak mode (``tty.setcbreak``: keys arrive one at a time, Ctrl-C
still raises KeyboardInterrupt) and the list is redrawn in place with ANSI cursor moves. Latency figures arrive
from a bench running in a background thread while the user looks; the list never waits for it.

Keys: Up/Down (or Ctrl-P/Ctrl-N) move, typing filters by name or alias, Backspace edits the filter, Enter
picks, Esc or Ctrl-C cancels.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, NamedTuple


class Row(NamedTuple):
    name: str
    aliases: tuple[str, ...]
    covers: str
    title: str
    #: Tools whose configuration is this profile now.
    in_effect: tuple[str, ...] = ()


class Cancelled(Exception):
    """Esc or Ctrl-C in the picker: nothing was chosen."""


#: A bench to run while the user looks: it calls ``report(profile, figure)`` as each result arrives.
Measure = Callable[[Callable[[str, str], None]], None]


class Picker:
    """The state of the list (pure: keys in, lines out), so it can be tested without a terminal."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)
        self.filter = ""
        self.cursor = 0
        self.figures: dict[str, str] = {}
        self.lock = threading.Lock()
        #: Why the background bench stopped early, shown under the list.
        self.bench_error: str | None = None

    def visible(self) -> list[Row]:
        typed = self.filter.lower()
        if not typed:
            return self.rows
        return [r for r in self.rows if typed in r.name or any(typed in alias for alias in r.aliases)]

    def key(self, key: str) -> str | None:
        """Apply one key; returns the chosen profile's name on Enter. Raises Cancelled on Esc."""
        shown = self.visible()
        if key in ("\r", "\n"):
            return shown[self.cursor].name if shown else None
        if key == "\x1b":
            raise Cancelled
        if key in ("\x1b[A", "\x1bOA", "\x10"):
            self.cursor = max(0, self.cursor - 1)
        elif key in ("\x1b[B", "\x1bOB", "\x0e"):
            self.cursor = min(max(0, len(shown) - 1), self.cursor + 1)
        elif key in ("\x7f", "\x08"):
            self.filter = self.filter[:-1]
            self.cursor = 0
        elif len(key) == 1 and key.isprintable():
            self.filter += key
            self.cursor = 0
        return None

    def report(self, profile: str, figure: str) -> None:
        with self.lock:
            self.figures[profile] = figure

    def lines(self, width: int) -> list[str]:
        shown = self.visible()
        name_width = max([len(r.name) for r in self.rows] + [4])
        covers_width = max([len(r.covers) for r in self.rows] + [6])
        with self.lock:
            figures = dict(self.figures)
        out = [f"Switch to which mirror?  ↑/↓ move, type to filter, Enter switch, Esc cancel   filter: {self.filter}"]
        for index, row in enumerate(shown):
            pointer = ">" if index == self.cursor else " "
            mark = "*" if row.in_effect else " "
            figure = figures.get(row.name, "…")
            line = f"{pointer} {mark} {row.name:<{name_width}}  {figure:>8}  {row.covers:<{covers_width}}  {row.title}"
            out.append(line[:width])
        if not shown:
            out.append("  (no profile matches)")
        if self.bench_error:
            note = f"   (no latency figures: {self.bench_error})"
        else:
            note = "" if figures else "   (measuring latency in the background ...)"
        out.append("* in effect now" + note)
        return out


def pick(rows: Sequence[Row], *, measure: Measure | None = None, stdin: IO[str] | None = None,
         stdout: IO[str] | None = None) -> str:
    """Run the picker on the terminal; returns the chosen profile's name. Raises Cancelled."""
    import select
    import termios
    import tty

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    state = Picker(rows)
    if measure is not None:
        threading.Thread(target=_measure, args=(measure, state), name="picker-bench", daemon=True).start()
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    drawn = 0
    last: list[str] = []
    try:
        tty.setcbreak(fd)
        stdout.write("\x1b[?25l")  # hide the cursor while the list is up
        while True:
            width = _width(stdout)
            lines = state.lines(width)
            if lines != last:
                stdout.write((f"\x1b[{drawn}F" if drawn else "") + "\x1b[J" + "\n".join(lines) + "\n")
                stdout.flush()
                drawn, last = len(lines), lines
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            chosen = state.key(_read_key(fd))
            if chosen is not None:
                return chosen
    except KeyboardInterrupt:
        raise Cancelled from None
    finally:
        stdout.write("\x1b[?25h")
        stdout.flush()
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_key(fd: int) -> str:
    """One key: a byte, or an escape sequence (arrow keys send ESC [ A) read whole if it arrives together."""
    import select

    data = os.read(fd, 1)
    if data == b"\x1b":
        while len(data) < 3 and select.select([fd], [], [], 0.05)[0]:
            data += os.read(fd, 1)
    return data.decode("utf-8", "replace")


def _width(stdout: IO[str]) -> int:
    try:
        return os.get_terminal_size(stdout.fileno()).columns
    except (OSError, ValueError):
        return 100


def _measure(measure: Measure, state: Picker) -> None:
    """The background bench. A failure is shown under the list: an exception left to the thread would print a
    traceback over it, and the list is still usable without figures."""
    try:
        measure(state.report)
    except Exception as error:  # any failure of the optional figures, said in one line
        state.bench_error = f"{type(error).__name__}: {error}"[:80]
