"""Parse results of unchanged files, so the read-only commands (`list`, `current`) skip heavy parsers.

Importing ruamel.yaml costs about as much as starting Python; `list` and `current` would pay that on every run.
The cache is an optimisation that must never change an answer:

- an entry is keyed on mirrorctl's version, a schema number, the file's size, mtime_ns and SHA-256, so any change
  to the file, or a new mirrorctl, means a fresh parse;
- a value read back is input like any other: it must be made of plain values only (dict, list, tuple, str, int,
  float, bool, None) and have the shape a fresh parse has (the caller's ``valid``), or it is parsed again. Values
  are stored with :mod:`marshal`, which builds data and never runs code (unlike pickle), needs no import, and
  hands out a fresh copy on every read, so a caller that edits what it got never edits the cache;
- commands that write configuration do not use it at all (:func:`disabled`): what `use` writes always comes from
  the real parser;
- it lives in the user cache directory, and failing to write it has no effect but speed;
- a value holding credentials (``https://user:token@...``) is never cached: such a file is parsed every time.
"""

from __future__ import annotations

import contextlib
import marshal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

from mirrorctl import __version__, paths

#: Bump when the shape of a cached value changes.
SCHEMA = 3
#: marshal's format 4 (Python 3.4+): every Python mirrorctl runs on reads what any other one wrote.
MARSHAL_VERSION = 4
#: The only types a cached value may be made of (marshal can also build bytes, sets and code objects: refused).
PLAIN = (str, int, float, bool, type(None))
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
    """The cache file's entries, ``{path: (key, marshalled value)}``; an unreadable or damaged file is empty."""
    if cache_file not in _loaded:
        try:
            value = marshal.loads(cache_file.read_bytes())
        except (OSError, EOFError, ValueError, TypeError, MemoryError, RecursionError):
            value = {}
        _loaded[cache_file] = value if isinstance(value, dict) else {}
    return _loaded[cache_file]


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is made only of plain literals (what a parser of a config file returns)."""
    if depth > 50:
        return False
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


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
    cache_file = paths.mirrorctl_cache_dir() / f"{kind}.bin"
    entries = _entries(cache_file)
    key = key_for(path, data)
    entry = entries.get(str(path))
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key and isinstance(entry[1], bytes):
        try:
            value = marshal.loads(entry[1])  # a fresh copy: callers may edit what they get
        except (EOFError, ValueError, TypeError, MemoryError, RecursionError):
            value = None
        if _cacheable(value) and valid(value):
            return value
    value = parse()
    # mirrorctl keeps no copy of a token outside the backups of the user's own file; and only plain literals
    # (no dates, no objects) are kept, so reading the cache back can never build anything else.
    stored = _marshalled(value)
    if stored is None or _has_credentials(value):
        entries.pop(str(path), None)
        return value
    entries[str(path)] = (key, stored)
    _save(cache_file, entries)
    return value


def _cacheable(value: Any) -> bool:
    """A parse result the cache keeps: a dict, list or tuple made of plain literals only."""
    return type(value) in (dict, list, tuple) and _plain(value)


def _marshalled(value: Any) -> bytes | None:
    """``value`` marshalled, or None when it is not made of plain literals only (a TOML date, an object)."""
    if not _cacheable(value):
        return None
    try:
        return marshal.dumps(value, MARSHAL_VERSION)
    except (ValueError, MemoryError, RecursionError):
        return None


def _has_credentials(value: Any) -> bool:
    from mirrorctl.urls import mask_credentials

    text = repr(value)
    return mask_credentials(text) != text


def _save(cache_file: Path, entries: dict[str, Any]) -> None:
    try:
        data = marshal.dumps(entries, MARSHAL_VERSION)
        from mirrorctl.store.atomic import atomic_write

        atomic_write(cache_file, data, durable=False)
        cache_file.with_suffix(".txt").unlink(missing_ok=True)  # the text cache earlier builds kept (SCHEMA 2)
    except (OSError, ValueError, MemoryError, RecursionError):
        pass  # a cache that cannot be written (atomic_write raises OSError) only costs speed
