"""Parse results of files that have not changed, so `list` and `current` skip heavy parsers.

Importing ruamel.yaml costs about as much as starting Python, and tomllib plus nine profiles a few ms more;
`list` and `current` would pay that on every run. Each entry is keyed by the file's exact size and CRC-32, so
any change to its bytes means a fresh parse. Only values that parsed cleanly are stored, so an error always
comes from the real parser. Values are plain literals written with repr() and read with ast.literal_eval
(ast is already loaded by then; json would be one more import), so a damaged cache can cost speed but never
run code or change an answer.
"""

from __future__ import annotations

import ast
import zlib
from pathlib import Path
from typing import Any, Callable

from mirrorctl import paths

#: Cache files already read by this process, by their path (a new MIRRORCTL_HOME means another cache).
_loaded: dict[Path, dict[str, Any]] = {}


def _entries(cache_file: Path) -> dict[str, Any]:
    if cache_file not in _loaded:
        try:
            value = ast.literal_eval(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, SyntaxError, MemoryError, RecursionError):
            value = {}
        _loaded[cache_file] = value if isinstance(value, dict) else {}
    return _loaded[cache_file]


def parsed(kind: str, path: Path, data: bytes, parse: Callable[[], Any]) -> Any:
    """``parse()``'s result for these exact bytes of ``path``, from the cache when it has them."""
    cache_file = paths.mirrorctl_state_dir() / "cache" / f"{kind}.txt"
    entries = _entries(cache_file)
    key = f"{len(data)}:{zlib.crc32(data):08x}"
    entry = entries.get(str(path))
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key:
        return entry[1]
    value = parse()
    entries[str(path)] = (key, value)
    _save(cache_file, entries)
    return value


def _save(cache_file: Path, entries: dict[str, Any]) -> None:
    text = repr(entries)
    try:
        if ast.literal_eval(text) != entries:  # something repr() cannot round-trip (a date, say): keep no cache
            return
        from mirrorctl.store import atomic_write

        atomic_write(cache_file, text.encode("utf-8"), durable=False)
    except (OSError, ValueError, SyntaxError):
        pass  # a cache that cannot be written only costs speed
