"""Read and edit mirrorctl's parse cache (marshal files) as text, the way a test tampers with it."""

from __future__ import annotations

import ast
import marshal
from pathlib import Path


def cache_text(cache_file: Path) -> str:
    """The cache file as ``repr({path: (key, value)})``: what a test searches and edits."""
    entries = marshal.loads(cache_file.read_bytes())
    return repr({path: (key, marshal.loads(blob)) for path, (key, blob) in entries.items()})


def write_cache_text(cache_file: Path, text: str) -> None:
    """Write back what :func:`cache_text` gave, edited: the values marshalled as mirrorctl stores them."""
    entries = ast.literal_eval(text)
    cache_file.write_bytes(marshal.dumps({path: (key, marshal.dumps(value, 4))
                                          for path, (key, value) in entries.items()}, 4))
