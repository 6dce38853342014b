"""A minimal, byte-preserving editor for pip's INI files (pure: old text in, new text out).

Why not configparser or configupdater: configparser drops every comment when it writes, and configupdater
(tried first) rewrites the lines it touches as ``key = value`` with LF endings, turning ``index-url: x`` into
``index-url : x`` inside a CRLF file and appending new keys after the next section's leading comment. This editor
finds sections and options exactly as pip's ``configparser.RawConfigParser`` does and replaces only the lines of
the options it changes; every other byte (comments, blank lines, delimiters, line endings, non-ASCII text) is
kept. Callers validate text with :func:`parse` (pip's own parser) before editing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mirrorctl.errors import ConfigParseError
from mirrorctl.i18n import N_

if TYPE_CHECKING:
    import configparser

_SECTION = r"\[(?P<header>.+)\]"  # configparser.RawConfigParser._SECT_TMPL
_OPTION = r"(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$"  # RawConfigParser._OPT_TMPL
_KEY_LINE = (
    r"^(?P<prefix>[ \t]*(?P<key>.*?)(?P<before>[ \t]*)(?P<vi>[=:])(?P<after>[ \t]*))(?P<value>[^\r\n]*?)"
    r"(?P<eol>\r\n|\n|\r)?$"
)


def normalize_key(key: str) -> str:
    """pip matches option names case-insensitively and treats '_' like '-'."""
    return key.strip().lower().replace("_", "-").lstrip("-")


def parse(text: str, path: Path | None = None, *, reader: str = "configparser") -> configparser.RawConfigParser:
    """Parse ``text`` exactly as pip does; a file pip would refuse raises ConfigParseError with its line.

    ``reader`` names who refuses the file in the message (the calling tool, e.g. "pip").
    """
    import configparser  # here, not at the top: reading cached values never needs it
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path) if path else "<text>")
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigParseError(
            N_("text before the first [section] header: {text!r}"), text=exc.line, path=path, line=exc.lineno
        ) from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else None
        content = text.splitlines()[line - 1].strip() if line else ""
        raise ConfigParseError(
            N_("{reader} cannot parse {text!r} (expected 'key = value' or '[section]')"), reader=reader, text=content,
            path=path, line=line
        ) from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigParseError(
            N_("section [{section}] appears twice ({reader} refuses the whole file)"), section=exc.section,
            reader=reader, path=path, line=exc.lineno
        ) from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigParseError(
            N_("key '{key}' appears twice in [{section}] ({reader} refuses the whole file)"), key=exc.option,
            section=exc.section,
            reader=reader, path=path, line=exc.lineno,
        ) from None
    except configparser.Error as exc:
        raise ConfigParseError(N_("{reader} cannot parse this file: {problem}"), reader=reader, problem=exc.message,
                               path=path) from None
    return parser


class _Option:
    """Where one option sits: ``key`` (normalized) on line ``start``, its value running up to ``end``."""

    __slots__ = ("end", "key", "start")

    def __init__(self, key: str, start: int, end: int) -> None:
        self.key, self.start, self.end = key, start, end

    def multiline(self) -> bool:
        return self.end - self.start > 1


class _Section:
    """A ``[name]`` header on line ``header``, its options, and ``end``: one past its last option line."""

    __slots__ = ("end", "header", "name", "options")

    def __init__(self, name: str, header: int, end: int) -> None:
        self.name, self.header, self.end = name, header, end
        self.options: list[_Option] = []


class Document:
    """Lines of an INI file with the section/option structure RawConfigParser would see."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        match = re.search(r"\r\n|\n|\r", text)
        self.newline = match.group(0) if match else "\n"
        self.sections: list[_Section] = []
        self._scan()

    def _scan(self) -> None:
        section: _Section | None = None
        option: _Option | None = None
        option_indent = 0
        for index, line in enumerate(self.lines):
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", ";")):
                continue  # comments and blank lines neither end nor extend a value by themselves
            indent = len(line) - len(line.lstrip())
            if section is not None and option is not None and indent > option_indent:
                option.end = index + 1
                section.end = index + 1
                continue
            header = re.match(_SECTION, stripped)
            if header:
                section = _Section(header.group("header"), index, end=index + 1)
                self.sections.append(section)
                option = None
                continue
            match = re.match(_OPTION, stripped)
            if section is None or not match:
                option = None  # parse() has already refused such files; stay tolerant here
                continue
            option = _Option(normalize_key(match.group("option")), index, index + 1)
            option_indent = indent
            section.options.append(option)
            section.end = index + 1

    def text(self) -> str:
        return "".join(self.lines)

    def section(self, name: str) -> _Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def _delimiter_style(self) -> str:
        """Write new keys the way this file already writes its keys ("key = v" when there are none)."""
        for section in self.sections:
            for option in section.options:
                match = re.match(_KEY_LINE, self.lines[option.start])
                if match:
                    return match.group("before") + match.group("vi") + match.group("after")
        return " = "

    def _ensure_line_break(self, index: int) -> None:
        if 0 <= index < len(self.lines) and not self.lines[index].endswith(("\n", "\r")):
            self.lines[index] += self.newline


def _render_value_lines(doc: Document, key_line: str, values: list[str], multiline: bool,
                        continuation_indent: str) -> list[str]:
    match = re.match(_KEY_LINE, key_line)
    assert match is not None
    prefix = match.group("prefix")
    if not match.group("value") and not match.group("after") and match.group("before"):
        prefix += " "  # "key =" with an empty value: keep "key = value" readable
    eol = match.group("eol") or doc.newline
    if multiline and values:
        head = prefix.rstrip(" \t")
        return [head + eol] + [continuation_indent + value + doc.newline for value in values]
    return [prefix + " ".join(values) + eol]


def get_values(text: str, section: str, keys: Iterable[str]) -> list[str] | None:
    """Whitespace-split value of the first of ``keys`` written in ``section`` itself (None when absent)."""
    doc = Document(text)
    found = doc.section(section)
    aliases = [normalize_key(k) for k in keys]
    for option in found.options if found else []:
        if option.key in aliases:
            match = re.match(_KEY_LINE, doc.lines[option.start])
            first = match.group("value") if match else ""
            rest = [line for line in doc.lines[option.start + 1:option.end] if not line.strip().startswith(("#", ";"))]
            return " ".join([first, *rest]).split()
    return None


def line_of(text: str, section: str, keys: Iterable[str]) -> int | None:
    """The line number (from 1) of the first of ``keys`` written in ``section`` (the last such section, as
    RawConfigParser lets a later one win), or None."""
    doc = Document(text)
    aliases = [normalize_key(k) for k in keys]
    for found in reversed([s for s in doc.sections if s.name == section]):
        for option in found.options:
            if option.key in aliases:
                return option.start + 1
    return None


def set_values(text: str, section: str, keys: Iterable[str], values: list[str], *, create: bool = True) -> str:
    """Set the option (first name in ``keys``; any of them may already be present) to ``values``.

    The existing option keeps its key spelling, delimiter, and single- or multi-line layout. A missing option
    is added after the section's last option; a missing section is appended at the end (when ``create``).
    """
    keys = tuple(keys)
    doc = Document(text)
    aliases = [normalize_key(k) for k in keys]
    found = doc.section(section)
    if found is None:
        if not create:
            return text
        if doc.lines:
            doc._ensure_line_break(len(doc.lines) - 1)
            if doc.lines[-1].strip():
                doc.lines.append(doc.newline)
        doc.lines.append(f"[{section}]{doc.newline}")
        doc.lines.append(f"{keys[0]}{doc._delimiter_style()}{' '.join(values)}{doc.newline}")
        return doc.text()
    matches = [o for o in found.options if o.key in aliases]
    if not matches:
        if not create:
            return text
        anchor = found.options[-1].end if found.options else found.header + 1
        doc._ensure_line_break(anchor - 1)
        doc.lines.insert(anchor, f"{keys[0]}{doc._delimiter_style()}{' '.join(values)}{doc.newline}")
        return doc.text()
    first, duplicates = matches[0], matches[1:]
    continuation = "    "
    if first.multiline():
        for line in doc.lines[first.start + 1:first.end]:
            if line.strip() and not line.strip().startswith(("#", ";")):
                continuation = line[: len(line) - len(line.lstrip())]
                break
    replacement = _render_value_lines(doc, doc.lines[first.start], values, first.multiline(), continuation)
    # Remove later aliases (e.g. pypi-url next to index-url) bottom-up so indices stay valid.
    for option in sorted(duplicates, key=lambda o: o.start, reverse=True):
        del doc.lines[option.start:option.end]
    doc.lines[first.start:first.end] = replacement
    return doc.text()


def remove_option(text: str, section: str, keys: Iterable[str], *, drop_empty_section: bool = True) -> str:
    """Remove every alias in ``keys`` from ``section``; a section left with nothing in it goes too."""
    doc = Document(text)
    aliases = [normalize_key(k) for k in keys]
    found = doc.section(section)
    if found is None:
        return text
    matches = [o for o in found.options if o.key in aliases]
    if not matches:
        return text
    for option in sorted(matches, key=lambda o: o.start, reverse=True):
        del doc.lines[option.start:option.end]
    if drop_empty_section:
        rescanned = Document(doc.text())
        again = rescanned.section(section)
        if again is not None:
            following = [s.header for s in rescanned.sections if s.header > again.header]
            stop = following[0] if following else len(rescanned.lines)
            body = rescanned.lines[again.header + 1:stop]
        if again is not None and not again.options and all(not line.strip() for line in body):
            del rescanned.lines[again.header:stop]
            if again.header == len(rescanned.lines):  # it was the last section: drop the blank lines before it
                while rescanned.lines and not rescanned.lines[-1].strip():
                    rescanned.lines.pop()
            return rescanned.text()
    return doc.text()


def sections_with(text: str, keys: Iterable[str]) -> list[str]:
    """Names of the sections that set any of ``keys``."""
    doc = Document(text)
    aliases = [normalize_key(k) for k in keys]
    return [s.name for s in doc.sections if any(o.key in aliases for o in s.options)]
