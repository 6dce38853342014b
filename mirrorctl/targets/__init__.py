"""One module per tool whose configuration mirrorctl edits; the contract and the registry are in ``base``.

Adding a tool (uv, pdm, pixi ...) is one new file here that defines ``TARGET: Target = ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirrorctl.errors import MirrorctlError
    from mirrorctl.results import Finding


def read_bytes(path: Path) -> bytes | None:
    """A config file's bytes, None if absent; FIFOs, devices, loops and files over 1 MiB are refused."""
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
