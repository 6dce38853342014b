"""One module per tool whose configuration mirrorctl edits; the contract and the registry are in ``base``.

Adding a tool (uv, pdm, pixi ...) is one new file here that defines ``TARGET: Target = ...``.
"""

from __future__ import annotations

from pathlib import Path

from mirrorctl.errors import ConfigParseError


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigParseError("is a directory, not a file", path=path) from None
    except OSError as exc:
        raise ConfigParseError(f"cannot read: {exc.strerror}", path=path) from None


def decode(data: bytes | None) -> str:
    """Text whose unknown bytes survive a round trip (re-encode with :func:`encode`)."""
    return "" if data is None else data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
