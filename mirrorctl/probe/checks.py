"""Is an answer the real thing? Per-ecosystem validation of bytes already read, pure (no I/O, no httpx).

* **PyPI**: the simple page of :data:`PYPI_PROJECT` (PEP 503 HTML or PEP 691 JSON) must list that project's
  files; its serial (``<!--SERIAL n-->``, ``meta._last-serial`` or ``X-PyPI-Last-Serial``) is freshness
  evidence, and its newest wheel is the real package file the install-time probe downloads.
* **conda**: ``repodata.json`` must start like JSON; ``Last-Modified`` is freshness evidence. A longer prefix of
  the same file names real packages with their sizes: the largest complete entry seen is the file to fetch.

A captive portal or a soft-404 that answers 200 fails here, with a :class:`~.model.Note` saying what it looked
like.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin

from mirrorctl.probe.model import Note

#: The project whose simple page is fetched: small, always present, and what every pip user downloads first.
PYPI_PROJECT = "pip"

_ANCHOR = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_SERIAL = re.compile(r"<!--\s*SERIAL\s+(\d+)\s*-->")
#: One repodata entry: ``"name-1.0-h0_0.tar.bz2": { ... "size": 1234 ... }`` (entries hold no nested objects).
_REPODATA_ENTRY = re.compile(rb'"([^"/\\]+\.(?:tar\.bz2|conda))"\s*:\s*\{([^{}]*)\}')
_SIZE = re.compile(rb'"size"\s*:\s*(\d+)')


class Invalid(Exception):
    """The answer is not what was asked for; ``note`` says what it looked like."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.code)
        self.note = note


@dataclass(frozen=True)
class PageFacts:
    serial: int | None
    file_url: str  # absolute, without fragment


def check_pypi_page(body: bytes, *, content_type: str, encoding: str | None, url: str,
                    headers: Mapping[str, str]) -> PageFacts:
    """The serial and newest file of a valid simple page for :data:`PYPI_PROJECT`; :class:`Invalid` if not."""
    text = body.decode(encoding or "utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        serial, file_url = _parse_pypi_json(text)
    else:
        serial, file_url = _parse_pypi_html(text)
    if file_url is None:
        raise Invalid(Note.of("not_a_project_page", project=PYPI_PROJECT, looks=looks_like(body)))
    header = headers.get("X-PyPI-Last-Serial", "")
    if serial is None and header.isdigit():
        serial = int(header)
    return PageFacts(serial, urldefrag(urljoin(url, file_url))[0])


def check_pypi_tail(body: bytes, *, headers: Mapping[str, str], size: int | None,
                    expected_size: int | None) -> int | None:
    """The serial, if any, of a short tail of a simple page already validated whole; :class:`Invalid` if the
    tail is not that page's end.

    It is when the page has the size the first answer had (``Content-Range: bytes a-b/size``), or, the page
    having changed since (a sync landed mid-bench), when the tail still looks like the end of a simple page.
    """
    text = body.decode("utf-8", errors="replace")
    match = _SERIAL.search(text)
    if (size is None or size != expected_size) and not (match or "</a>" in text.lower()):
        raise Invalid(Note.of("not_a_project_page", project=PYPI_PROJECT, looks=looks_like(body)))
    header = headers.get("X-PyPI-Last-Serial", "")
    if match:
        return int(match.group(1))
    return int(header) if header.isdigit() else None


def _parse_pypi_html(text: str) -> tuple[int | None, str | None]:
    files = [
        (href, name) for href, label in _ANCHOR.findall(text)
        for name in [re.sub(r"<[^>]*>", "", label).strip()]
        if _is_project_file(name) or _is_project_file(urldefrag(href)[0].rsplit("/", 1)[-1])
    ]
    match = _SERIAL.search(text)
    return (int(match.group(1)) if match else None), _pick_file(files)


def _parse_pypi_json(text: str) -> tuple[int | None, str | None]:
    try:
        document = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(document, dict) or normalize_name(str(document.get("name", ""))) != PYPI_PROJECT:
        return None, None
    entries = [entry for entry in document.get("files") or [] if isinstance(entry, dict)]
    files = [
        (entry["url"], str(entry.get("filename", "")))
        for entry in entries
        if isinstance(entry.get("url"), str) and _is_project_file(str(entry.get("filename", "")))
    ]
    meta = document.get("meta")
    serial = meta.get("_last-serial") if isinstance(meta, dict) else None
    return (serial if isinstance(serial, int) else None), _pick_file(files)


def _pick_file(files: list[tuple[str, str]]) -> str | None:
    """Pages list files oldest first; the newest wheel is what pip would download."""
    wheels = [href for href, name in files if name.endswith(".whl")]
    if wheels:
        return wheels[-1]
    return files[-1][0] if files else None


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_project_file(filename: str) -> bool:
    """``pip-24.0.tar.gz`` or ``pip-24.0-py3-none-any.whl`` (names as pip and PEP 625 spell them)."""
    name = normalize_name(filename)
    prefix = PYPI_PROJECT + "-"
    return name.startswith(prefix) and name[len(prefix) : len(prefix) + 1].isdigit()


def check_repodata(body: bytes, headers: Mapping[str, str]) -> float | None:
    """The repodata's Last-Modified (epoch seconds) if ``body`` starts like JSON; :class:`Invalid` if not."""
    if not body.lstrip().startswith(b"{"):
        raise Invalid(Note.of("not_repodata", looks=looks_like(body)))
    return parse_http_date(headers.get("Last-Modified"))


def repodata_package(prefix: bytes, repodata_url: str) -> tuple[str, int | None] | None:
    """The URL and size of the largest package among the complete entries in a prefix of repodata.json."""
    best: tuple[int, str] | None = None
    for match in _REPODATA_ENTRY.finditer(prefix):
        size = _SIZE.search(match.group(2))
        value = int(size.group(1)) if size else 0
        if best is None or value > best[0]:
            best = (value, match.group(1).decode("utf-8", errors="replace"))
    if best is None:
        return None
    return urljoin(repodata_url, best[1]), best[0] or None


def parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def looks_like(body: bytes) -> str:
    """A short, data-only description of an unexpected answer: "empty", an HTML title, or its first bytes."""
    start = body.lstrip()[:40].decode("utf-8", errors="replace")
    if not start:
        return "empty"
    title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    if title:
        return "title:" + title.group(1).decode("utf-8", errors="replace").strip()[:60]
    return "start:" + start[:20]
