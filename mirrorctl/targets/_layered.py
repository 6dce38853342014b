"""The one read path of a tool that reads several files: find the files of every scope, parse each, merge by the
tool's precedence, note what shadows the file being written.

A tool module parameterises it with its files (lowest precedence first), its parser (bytes -> values; raises
:class:`~mirrorctl.errors.MirrorctlError` when the tool refuses the file) and its merge rule (a fold over the
parsed :class:`Layer` list, in the tool's own module, because every tool merges differently: pip per section and
key, conda lists in front and maps per key, mamba maps whole, pixi per ``[mirrors]`` key, uv's index lists
joined). What is shared is here: reading each file once (a dry run's bytes first), reporting a refused file as a
finding instead of failing, the list of files read, the scope being written (with a note when it does not exist
here), and which later file beats a key of the written one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from mirrorctl.errors import MirrorctlError, ScopeUnavailable
from mirrorctl.results import Finding
from mirrorctl.targets import decode, read_bytes, refused
from mirrorctl.targets.base import Overrides

_T = TypeVar("_T")


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


def data_of(path: Path, overrides: Overrides | None = None) -> bytes | None:
    """A file's bytes as the tool would see them: a dry run's (``overrides``) first, else the disk's."""
    return overrides[path] if overrides and path in overrides else read_bytes(path)


def load(tool: str, files: Iterable[Path], parse: Callable[[bytes, str, Path], Any],
         overrides: Overrides | None = None, *, refuse: Callable[[Path, MirrorctlError], Finding] | None = None,
         refused_counts_as_read: bool = False, unreadable_is_refused: bool = True) -> Layers:
    """Every existing file of ``files`` (lowest precedence first) parsed with ``parse(data, text, path)``.

    A file the tool refuses becomes a finding (``refuse``, by default :func:`mirrorctl.targets.refused`) and no
    layer; the read goes on, as `current` reports every file it can. ``unreadable_is_refused`` False: a file
    mirrorctl itself will not read (a FIFO, over 1 MiB) stops the read instead (core reports it as unread)."""
    layers: list[Layer] = []
    read: list[Path] = []
    findings: list[Finding] = []
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
        layers.append(Layer(path, text, values))
    return Layers(layers, read, findings)


def written(tool: str, scope: str | None, resolve: Callable[[str], _T]) -> tuple[_T | None, list[Finding]]:
    """What ``resolve`` answers for the scope being written (None: the default, "user"), or None with a note when
    that scope does not exist here (`current --scope venv` with none active: say so, and read the rest)."""
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
