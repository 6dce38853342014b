"""One module per tool whose configuration mirrorctl edits; the contract and the registry are in ``base``.

Adding a tool (uv, pdm, pixi ...) is one new file here that defines ``TARGET: Target = ...``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirrorctl.errors import MirrorctlError
    from mirrorctl.results import Finding


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

    return Finding(code, level, tool, path, error.line, {"reason": error.message, "tool": tool})
