"""TOML, the one place mirrorctl parses it.

tomlkit round trips for the TOML-configured tools (uv, pdm, pixi, poetry, pipenv): comments, order and
formatting of everything not touched survive. Pure: text in, text out; each document is parsed once per render.

Reading plain values (what is in effect, and the profiles) uses the standard library's ``tomllib`` where Python
has it (3.11+) and ``tomli``, the same parser from PyPI, before that: :func:`plain_parser` is the only import of
either, so no module can import ``tomllib`` unguarded on Python 3.9/3.10.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from mirrorctl.errors import ConfigParseError
from mirrorctl.i18n import N_

_UNDECODABLE = "[\udc80-\udcff]"


def load(text: str, path: Path | None) -> Any:
    """The tomlkit document for ``text``. Raises ConfigParseError naming the line, as the tool would refuse it."""
    undecodable = re.search(_UNDECODABLE, text)
    if undecodable:
        raise ConfigParseError(N_("is not UTF-8 text (TOML files must be UTF-8)"), path=path,
                               line=text.count("\n", 0, undecodable.start()) + 1)
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        message = re.sub(r"\s*at line \d+ col \d+$", "", str(exc))
        raise ConfigParseError(N_("invalid TOML: {problem}"), problem=message, path=path, line=exc.line) from None
    except TOMLKitError as exc:
        raise ConfigParseError(N_("invalid TOML: {problem}"), problem=exc, path=path) from None


def values(text: str, path: Path | None) -> dict[str, Any]:
    """Plain values of ``text``, for reading what is in effect: remembered from an earlier parse of the same
    bytes of ``path`` (mirrorctl.cache), else parsed with the stdlib parser, a fraction of tomlkit's import.

    A file the stdlib refuses goes through :func:`load`, so an error names the line exactly as an edit would (and
    a file only tomlkit accepts reads as it edits).
    """
    if path is None:
        return _values(text, path)
    from mirrorctl import cache

    parsed: dict[str, Any] = cache.parsed("toml", path, text.encode("utf-8", "surrogateescape"),
                                          lambda: _values(text, path), valid=lambda value: isinstance(value, dict))
    return parsed


def plain_parser() -> Any:
    """The plain-value TOML parser module: ``tomllib`` (Python 3.11+) or ``tomli`` (a dependency before 3.11).
    Both have ``loads`` and ``TOMLDecodeError`` and word their errors alike ("... (at line N, column M)")."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised by .ci/run under the oldest Python
        import tomli as tomllib
    return tomllib


def _values(text: str, path: Path | None) -> dict[str, Any]:
    parser = plain_parser()
    try:
        parsed: dict[str, Any] = parser.loads(text)
    except (parser.TOMLDecodeError, ValueError, RecursionError):
        return dict(plain(load(text, path)))
    return parsed


def dump(document: Any) -> str:
    import tomlkit

    return str(tomlkit.dumps(document))


def plain(value: Any) -> Any:
    """Plain Python values (dict, list, str ...) from a tomlkit item, for comparisons."""
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def keep_newlines(original: str, rendered: str) -> str:
    """tomlkit writes LF for new lines; a CRLF file stays CRLF."""
    if "\r\n" in original:
        return rendered.replace("\r\n", "\n").replace("\n", "\r\n")
    return rendered
