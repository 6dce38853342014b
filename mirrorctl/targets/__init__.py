"""One module per tool whose configuration mirrorctl edits.

Each module in this package defines:

- ``NAME`` (what ``--only`` accepts), ``ECOSYSTEM`` (the profile table it reads: "pypi" or "conda"), ``ORDER``;
- ``plan_use(profile, profiles) -> list[FileEdit]`` and ``plan_reset(profiles) -> list[FileEdit]``: read the
  files, validate them the way the tool does, render the new text; pure apart from reading;
- ``inspect(profiles) -> TargetState``: what is really in effect, where it comes from, what overrides it;
- optionally ``AFTER_CHANGE``: a step for the user once the tool's configuration changed.

Modules are discovered (the file name is the tool's NAME, and what ``--only`` accepts), so adding a tool (uv,
pdm, pixi) is one new file here.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

# Value types here and in profiles/core are NamedTuples, not frozen dataclasses: they are just as immutable, and
# defining thirteen frozen dataclasses cost ~8 ms of start-up (dataclass exec()s each method), most of the
# budget `mirrorctl list` has to stay within 6x of a bare Python start.
from mirrorctl.errors import UsageError


class FileEdit(NamedTuple):
    """One file a command will change: its bytes before and after (None: the file does not exist)."""

    target: str
    path: Path
    old: bytes | None
    new: bytes | None
    #: One-line summaries of what changes, for the user ("index-url: pypi.org -> tuna").
    changes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.old != self.new


class Source(NamedTuple):
    """Where a value comes from: a file (with a section for INI files) or an environment variable."""

    file: str | None = None
    section: str | None = None
    env: str | None = None

    def describe(self) -> str:
        if self.env:
            return f"environment variable {self.env}"
        if self.file and self.section:
            return f"{self.file} [{self.section}]"
        return self.file or "built-in default"


class TargetState(NamedTuple):
    """What one tool really uses, for `mirrorctl current` and `list`."""

    target: str
    #: The profile whose URLs are in effect, "custom" for URLs no profile has, or None when nothing is read.
    profile: str | None
    #: Tool-specific details (index URL, channels ...), JSON-ready.
    details: dict[str, Any]
    files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def tool_names() -> list[str]:
    """Every tool, from the file names alone (a module is named after its NAME), without importing any.

    A directory listing rather than pkgutil, whose import alone costs a few ms on every start-up.
    """
    return sorted({
        entry.split(".")[0]
        for directory in __path__
        for entry in os.listdir(directory)
        if entry.endswith((".py", ".pyc")) and not entry.startswith("_")
    })


def all_targets() -> list[ModuleType]:
    modules = [importlib.import_module(f"{__name__}.{name}") for name in tool_names()]
    return sorted(modules, key=lambda m: m.ORDER)


def selected(only: str | None) -> list[ModuleType]:
    modules = all_targets()
    if only is None:
        return modules
    chosen = [m for m in modules if only == m.NAME]
    if not chosen:
        raise UsageError(f"unknown tool {only!r} (choose from {', '.join(m.NAME for m in modules)})")
    return chosen


def read_bytes(path: Path) -> bytes | None:
    """A config file's bytes, None if absent; FIFOs, devices, loops and files over 1 MiB are refused."""
    from mirrorctl.fileio import read_config

    return read_config(path)


def decode(data: bytes | None) -> str:
    """Text whose unknown bytes survive a round trip (re-encode with :func:`encode`)."""
    return "" if data is None else data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
