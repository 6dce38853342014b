"""Small, pure helpers for the URLs mirrorctl writes, compares and prints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from mirrorctl.errors import Sentence

#: The userinfo runs to the LAST @ before the host (urlsplit's rule), so a password with a raw @ or a quote
#: (``user:p@ss@host``) is hidden whole; it never crosses a slash or whitespace, so it stays inside one URL.
_USERINFO = r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s<>]+)@"
#: An anaconda.org-style token in a channel URL, ``https://conda.anaconda.org/t/<token>/conda-forge``: conda
#: 26.7.1 takes the first ``/t/([a-zA-Z0-9-]*)`` of a URL as its token (``conda/common/url.py``
#: ``split_anaconda_token``). Only inside a URL (after ``scheme://``), so a path like ``~/t/x`` is left alone.
_CONDA_TOKEN = r"(?P<before>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*?/t/)(?P<token>[A-Za-z0-9-]+)"


def check_url(url: object) -> Sentence | None:
    """Why ``url`` is not a usable index URL (an English :class:`~mirrorctl.errors.Sentence`), or None."""
    from mirrorctl.errors import Sentence
    from mirrorctl.i18n import N_

    if not isinstance(url, str) or not url.strip():
        return Sentence(N_("must be a non-empty string"))
    if url.split() != [url]:  # str.split() splits at exactly the characters str.isspace() is true for
        return Sentence(N_("must not contain spaces"))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return Sentence(N_("is not a valid URL ({problem})"), {"problem": str(exc)})
    if parts.scheme not in ("http", "https"):
        return Sentence(N_("must start with http:// or https:// (got {url!r})"), {"url": mask_credentials(url)})
    if not parts.hostname:
        return Sentence(N_("has no host (got {url!r})"), {"url": mask_credentials(url)})
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
    text = re.sub(_USERINFO, lambda m: m.group("scheme") + "***@", text)
    return re.sub(_CONDA_TOKEN, lambda m: m.group("before") + "***", text)


def credentials(text: str) -> set[str]:
    """The secrets in the URLs of ``text``: every user:password (or token) before an @, every conda token."""
    found = {m.group("userinfo") for m in re.finditer(_USERINFO, text)}
    return found | {m.group("token") for m in re.finditer(_CONDA_TOKEN, text)}


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
