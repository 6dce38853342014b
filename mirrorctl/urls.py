"""Small, pure helpers for the URLs mirrorctl writes, compares and prints."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

#: The userinfo runs to the LAST @ before the host (urlsplit's rule), so a password with a raw @ or a quote
#: (``user:p@ss@host``) is hidden whole; it never crosses a slash or whitespace, so it stays inside one URL.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s<>]+)@")
#: An anaconda.org-style token in a channel URL, ``https://conda.anaconda.org/t/<token>/conda-forge``: conda
#: 26.7.1 takes the first ``/t/([a-zA-Z0-9-]*)`` of a URL as its token (``conda/common/url.py``
#: ``split_anaconda_token``). Only inside a URL (after ``scheme://``), so a path like ``~/t/x`` is left alone.
_CONDA_TOKEN = re.compile(r"(?P<before>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*?/t/)(?P<token>[A-Za-z0-9-]+)")


def check_url(url: object) -> str | None:
    """Why ``url`` is not a usable index URL, or None when it is fine."""
    if not isinstance(url, str) or not url.strip():
        return "must be a non-empty string"
    if any(ch.isspace() for ch in url):
        return "must not contain spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"must start with http:// or https:// (got {mask_credentials(url)!r})"
    if not parts.hostname:
        return f"has no host (got {mask_credentials(url)!r})"
    return None


def normalize(url: str) -> str:
    """A comparable form: lower-case scheme and host, no credentials, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.strip().rstrip("/")
    if port and not ((parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), host.lower(), path, parts.query, ""))


def host_port(url: str) -> str:
    """The host[:port] form pip expects in ``trusted-host`` ("" for a URL that does not parse)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a bad port or an unclosed IPv6 bracket: it serves nothing, so it trusts nothing
        return ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def is_plain_http(url: str) -> bool:
    return url.strip().lower().startswith("http://")


def mask_credentials(text: str) -> str:
    """Hide user:password@ (or a bare token@) and conda's ``/t/<token>/`` in every URL inside ``text``."""
    text = _USERINFO.sub(lambda m: m.group("scheme") + "***@", text)
    return _CONDA_TOKEN.sub(lambda m: m.group("before") + "***", text)


def credentials(text: str) -> set[str]:
    """The secrets in the URLs of ``text``: every user:password (or token) before an @, every conda token."""
    found = {m.group("userinfo") for m in _USERINFO.finditer(text)}
    return found | {m.group("token") for m in _CONDA_TOKEN.finditer(text)}


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
