"""One module per tool whose configuration mirrorctl edits; the contract and the registry are in ``base``, the read
path they share is here.

Adding a tool (uv, pdm, pixi ...) is one new file here that defines ``TARGET: Target = ...``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from mirrorctl.errors import MirrorctlError
    from mirrorctl.results import Finding

_T = TypeVar("_T")


#: Bytes another tool's edit in the same change is about to give a file (uv and poetry both edit one
#: pyproject.toml): the next tool renders on top of them, so neither edit undoes the other.
_PENDING: contextvars.ContextVar[Mapping[Path, bytes | None] | None] = contextvars.ContextVar("pending",
                                                                                           default=None)


@contextlib.contextmanager
def pending(files: Mapping[Path, bytes | None]) -> Iterator[None]:
    token = _PENDING.set(files)
    try:
        yield
    finally:
        _PENDING.reset(token)


def read_bytes(path: Path) -> bytes | None:
    """A config file's bytes, None if absent; FIFOs, devices, loops and files over 1 MiB are refused.

    Inside :func:`pending`, a file another edit of the same change is about to write reads as those bytes."""
    files = _PENDING.get()
    if files is not None and path in files:
        return files[path]
    from mirrorctl.fileio import read_config

    return read_config(path)


def decode(data: bytes | None) -> str:
    """Text whose unknown bytes survive a round trip (re-encode with :func:`encode`)."""
    return "" if data is None else data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def refused(tool: str, path: Path, error: MirrorctlError, *, code: str = "file-refused",
            level: str = "error") -> Finding:
    """The finding for a file ``tool`` cannot use (``error`` says why and where), as ``read`` reports it."""
    from mirrorctl.results import Finding

    return Finding(code, level, tool, path, error.line, {"reason": error.sentence, "tool": tool})


# ---------------------------------------------------------------------------------------------------------
# The read path of a tool that reads several files: find the files of every scope, parse each, merge by the
# tool's precedence, note what shadows the file being written.
#
# A tool module parameterises it with its files (lowest precedence first), its parser (bytes -> values; raises
# MirrorctlError when the tool refuses the file) and its merge rule: a fold over the parsed Layer list, in the
# tool's own module, because every tool merges differently (pip per section and key, conda lists in front and
# maps per key, mamba maps whole, pixi per [mirrors] key, uv's index lists joined, pdm the last url). What is
# shared is here: reading each file once (a dry run's bytes first), reporting a refused file as a finding instead
# of failing, the list of files read, the scope being written (a note when it does not exist here), and which
# later file beats a key of the written one. It lives in this package module, which every tool imports anyway,
# so it costs `current` no module of its own.


class Layer(NamedTuple):
    """One file the tool read: where it is, its text and what the tool's parser made of it."""

    path: Path
    text: str
    values: Any


class Layers(NamedTuple):
    layers: list[Layer]
    #: The files read, lowest precedence first (a refused one too when the tool counts it as read).
    read: list[Path]
    #: A finding for every file the tool refuses.
    findings: list[Finding]


def data_of(path: Path, overrides: Mapping[Path, bytes | None] | None = None) -> bytes | None:
    """A file's bytes as the tool would see them: a dry run's (``overrides``) first, else the disk's."""
    return overrides[path] if overrides and path in overrides else read_bytes(path)


def iter_layers(tool: str, files: Iterable[Path], parse: Callable[[bytes, str, Path], Any],
                overrides: Mapping[Path, bytes | None] | None = None, *, findings: list[Finding], read: list[Path],
                refuse: Callable[[Path, MirrorctlError], Finding] | None = None,
                refused_counts_as_read: bool = False, unreadable_is_refused: bool = True) -> Iterator[Layer]:
    """Every existing file of ``files`` (in the order given) parsed with ``parse(data, text, path)``, one at a time.

    A file the tool refuses is appended to ``findings`` (``refuse``, by default :func:`refused`) and yields no
    layer; the read goes on, as `current` reports every file it can. The files read are appended to ``read``. A
    merge that adds findings of its own to the same list while it folds keeps them in file order with these.
    ``unreadable_is_refused`` False: a file mirrorctl itself will not read (a FIFO, over 1 MiB) stops the read
    instead (core reports it as unread)."""
    from mirrorctl.errors import MirrorctlError

    for path in files:
        if not unreadable_is_refused:
            data = data_of(path, overrides)
        try:
            if unreadable_is_refused:
                data = data_of(path, overrides)
            if data is None:
                continue
            if refused_counts_as_read:
                read.append(path)
            text = decode(data)
            values = parse(data, text, path)
        except MirrorctlError as exc:
            findings.append(refuse(path, exc) if refuse else refused(tool, path, exc))
            continue
        if not refused_counts_as_read:
            read.append(path)
        yield Layer(path, text, values)


def load_layers(tool: str, files: Iterable[Path], parse: Callable[[bytes, str, Path], Any],
                overrides: Mapping[Path, bytes | None] | None = None, **options: Any) -> Layers:
    """:func:`iter_layers` all at once: the layers, the files read and a finding for every file refused."""
    findings: list[Finding] = []
    read: list[Path] = []
    layers = list(iter_layers(tool, files, parse, overrides, findings=findings, read=read, **options))
    return Layers(layers, read, findings)


def in_scope(tool: str, scope: str | None, resolve: Callable[[str], _T]) -> tuple[_T | None, list[Finding]]:
    """What ``resolve`` answers for the scope being written (None: the default, "user"), or None with a note when
    that scope does not exist here (`current --scope venv` with none active: say so, and read the rest)."""
    from mirrorctl.errors import ScopeUnavailable
    from mirrorctl.results import Finding

    try:
        return resolve(scope or "user"), []
    except ScopeUnavailable as exc:
        return None, [Finding("scope-unavailable", "note", tool, params={"scope": scope, "reason": str(exc)})]


def same_file(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def shadows(setters: Mapping[str, Sequence[tuple[Path, _T]]], files: Sequence[Path],
            target: Path) -> list[tuple[str, Path, _T]]:
    """(key, file, value) for every key the ``target`` file sets whose winning setter is a file read after it
    with another value. ``setters``: key -> every (file, value) that sets it, in reading order; ``files``: the
    reading order (realpaths compared, so a symlinked file counts once)."""
    order = {os.path.realpath(p): number for number, p in enumerate(files)}
    mine = order.get(os.path.realpath(target))
    if mine is None:
        return []
    found = []
    for key, entries in setters.items():
        ours = [value for path, value in entries if same_file(path, target)]
        if not ours:
            continue
        path, value = entries[-1]
        if order.get(os.path.realpath(path), -1) > mine and value != ours[-1]:
            found.append((key, path, value))
    return found
