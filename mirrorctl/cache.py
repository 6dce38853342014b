"""Parse results of unchanged files, so the read-only commands (`list`, `current`) skip heavy parsers.

Importing ruamel.yaml costs about as much as starting Python; `list` and `current` would pay that on every run.
The cache is an optimisation that must never change an answer:

- an entry is keyed on mirrorctl's version, a schema number, the file's size, mtime_ns and SHA-256, so any change
  to the file, or a new mirrorctl, means a fresh parse;
- a value read back is input like any other: it must have the shape a fresh parse has (the caller's ``valid``),
  or it is parsed again; values are literals read with ast.literal_eval, so a damaged cache can never run code;
- commands that write configuration do not use it at all (:func:`disabled`): what `use` writes always comes from
  the real parser;
- it lives in the user cache directory, and failing to write it has no effect but speed;
- a value holding credentials (``https://user:token@...``) is never cached: such a file is parsed every time.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

from mirrorctl import __version__, paths

#: Bump when the shape of a cached value changes.
SCHEMA = 2
_enabled = True
#: Cache files already read by this process, by their path (another MIRRORCTL_HOME means another cache).
_loaded: dict[Path, dict[str, Any]] = {}


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """For commands that write: every parse inside comes from the real parser."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before


def _entries(cache_file: Path) -> dict[str, Any]:
    if cache_file not in _loaded:
        try:
            value = ast.literal_eval(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
            value = {}
        _loaded[cache_file] = value if isinstance(value, dict) else {}
    return _loaded[cache_file]


def _sha256(data: bytes) -> str:
    # hashlib loads OpenSSL (_hashlib), a few ms on every `list`; CPython's built-in SHA-256 gives the same
    # digest at a fraction of the import cost. Its module name changed in 3.12, and some builds lack it.
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # CPython <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # CPython >= 3.12
        except ImportError:
            from hashlib import sha256
    return str(sha256(data).hexdigest())


def key_for(path: Path, data: bytes) -> str:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return f"{__version__}:{SCHEMA}:{len(data)}:{mtime}:{_sha256(data)}"


def parsed(kind: str, path: Path, data: bytes, parse: Callable[[], Any],
           valid: Callable[[Any], bool] = lambda value: True) -> Any:
    """``parse()``'s result for these exact bytes of ``path``, from the cache when it has a valid one."""
    if not _enabled:
        return parse()
    cache_file = paths.mirrorctl_cache_dir() / f"{kind}.txt"
    entries = _entries(cache_file)
    key = key_for(path, data)
    entry = entries.get(str(path))
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key and valid(entry[1]):
        import copy  # callers may edit what they get: never the cached object itself

        return copy.deepcopy(entry[1])
    value = parse()
    # mirrorctl keeps no copy of a token outside the backups of the user's own file; and only plain literals
    # (no dates, no objects) are kept, so reading the cache back can never build anything else.
    literal, stored = _literal_copy(value)
    if not literal or _has_credentials(value):
        entries.pop(str(path), None)
        return value
    entries[str(path)] = (key, stored)
    _save(cache_file, entries)
    return value


def _literal_copy(value: Any) -> tuple[bool, Any]:
    """(True, ``value`` read back from its repr: a copy the caller cannot change), or (False, None) if ``value``
    is not a plain literal."""
    try:
        copied = ast.literal_eval(repr(value))
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return False, None
    return (True, copied) if copied == value else (False, None)


def _has_credentials(value: Any) -> bool:
    from mirrorctl.urls import mask_credentials

    text = repr(value)
    return mask_credentials(text) != text


def _save(cache_file: Path, entries: dict[str, Any]) -> None:
    text = repr(entries)
    try:
        if ast.literal_eval(text) != entries:  # something repr() cannot round-trip (a date, say): keep no cache
            return
        from mirrorctl.store import atomic_write

        atomic_write(cache_file, text.encode("utf-8"), durable=False)
    except (OSError, ValueError, SyntaxError, MemoryError, RecursionError):
        pass  # a cache that cannot be written (atomic_write raises OSError) only costs speed
