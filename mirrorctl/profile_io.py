"""Profiles that travel: export as TOML, import from TOML (one profile or a catalogue) or from a mirror site's
mirrorz description. Pure apart from reading the source; writing goes through the core like any change.

A catalogue is the profile tables under ``[[profiles]]``; one profile is the same TOML a file in
``profiles/`` holds. Imports are validated by the same rules as local files (:func:`mirrorctl.profiles.parse_profile`)
and their errors name the imported file and the key.

mirrorz (https://github.com/mirrorz-org/mirrorz, "Data Format v1.7") is the JSON that CERNET mirror sites publish:
``site.url`` and ``site.abbr``, and ``mirrors[]`` with ``cname`` and ``url`` per repository. It says where a
repository lives, not the path of the PyPI simple index under it, which differs between sites (TUNA, BFSU and
SUSTech serve ``/pypi/web/simple``, USTC ``/pypi/simple``), so both are tried and the one that answers as an index
is kept. Every profile made from it is ``verified = false`` with the source recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mirrorctl.errors import MirrorctlError, ProfileError
from mirrorctl.i18n import N_
from mirrorctl.profiles import DEFAULT_CLOUD_CHANNELS, NAME_PATTERN, Profile, parse_profile, toml_loads
from mirrorctl.urls import join

#: The largest profile file or mirrorz document read (a real site's mirrorz.json is about 60 KB).
MAX_IMPORT_BYTES = 2 * 1024 * 1024
#: Where, under a mirrorz ``pypi`` repository, sites serve the simple index, most common first.
MIRRORZ_PYPI_PATHS = ("web/simple", "simple")


class Incoming(NamedTuple):
    """One profile an import would write: its name, the TOML text for its file, and the parsed profile."""

    name: str
    text: str
    profile: Profile


def export_text(profiles: Sequence[Profile]) -> str:
    """One profile: its file as it is (comments kept). Several: a catalogue, one ``[[profiles]]`` table each."""
    if len(profiles) == 1:
        return profiles[0].path.read_text(encoding="utf-8")
    import tomlkit

    document = tomlkit.document()
    document.add(tomlkit.comment("mirrorctl profiles: `mirrorctl profile import FILE` adds each one."))
    catalogue = tomlkit.aot()
    for profile in profiles:
        data = toml_loads(profile.path.read_text(encoding="utf-8"), profile.path)
        data.setdefault("name", profile.name)
        catalogue.append(tomlkit.item(data))
    document["profiles"] = catalogue
    return tomlkit.dumps(document)


def parse_import(text: str, origin: str, *, verify_pypi: Callable[[str], bool] | None = None,
                 verify_conda: Callable[[str], bool] | None = None, name: str | None = None) -> list[Incoming]:
    """The profiles ``text`` (from ``origin``, a file, URL or ``-``) holds: TOML or mirrorz JSON.

    For mirrorz only: ``verify_pypi(url)`` says whether a URL answers as a PyPI simple index, and
    ``verify_conda(url)`` whether a conda channel URL serves ``noarch/repodata.json``; ``name`` names the profile
    (default: the site's abbreviation).
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ProfileError(N_("invalid JSON: {problem}"), problem=exc.msg, path=origin, line=exc.lineno) from None
        return [from_mirrorz(document, origin, verify_pypi=verify_pypi, verify_conda=verify_conda, name=name)]
    data = toml_loads(text, Path(origin))
    if "profiles" in data:
        entries = data["profiles"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ProfileError(N_("key 'profiles': must be an array of tables ([[profiles]])"), path=origin)
        import tomlkit

        return [_incoming(entry, tomlkit.dumps(entry), origin, f"profiles[{i}].")
                for i, entry in enumerate(entries, 1)]
    if name is not None:  # a copy under another name: the original's aliases stay the original's
        data["name"] = name
        data.pop("aliases", None)
        import tomlkit

        text = tomlkit.dumps(data)
    return [_incoming(data, text, origin, "")]


def _incoming(data: Mapping[str, Any], text: str, origin: str, where: str) -> Incoming:
    name = str(data.get("name", "")).strip().lower()
    if not name:
        raise ProfileError(N_("key '{key}': a profile to import needs a name"), key=f"{where}name", path=origin)
    if not re.match(NAME_PATTERN, name):
        raise ProfileError(N_("key '{key}': {name!r} must be lower-case letters, digits, '.', '_' or '-'"),
                           key=f"{where}name", name=name, path=origin)
    from mirrorctl.profiles import user_profile_path

    try:
        profile = parse_profile(user_profile_path(name), data, builtin=False)
    except ProfileError as error:  # the same rule as a local file, said of the file being imported
        params: dict[str, Any] = dict(error.params)
        if "key" in params:  # the key as it is in the imported file: profiles[2].pypi.index
            params["key"] = f"{where}{params['key']}"
        raise ProfileError(error.template, path=origin, **params) from None
    return Incoming(name, text if text.endswith("\n") else text + "\n", profile)


# ---------------------------------------------------------------------------------------------------------
# mirrorz


def from_mirrorz(document: Any, origin: str, *, verify_pypi: Callable[[str], bool] | None,
                 verify_conda: Callable[[str], bool] | None = None, name: str | None = None) -> Incoming:
    """The site's PyPI and Anaconda repositories as one profile (``verified = false``, the source recorded)."""
    if not isinstance(document, dict) or not isinstance(document.get("site"), dict) \
            or not isinstance(document.get("mirrors"), list):
        raise ProfileError(N_("not a mirrorz document (it needs 'site' and 'mirrors')"), path=origin)
    site = document["site"]
    base = str(site.get("url", "")).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ProfileError(N_("key 'site.url': {url!r} is not an http(s) URL"), url=base or "(missing)",
                           path=origin)
    abbr = str(site.get("abbr", "")).strip()
    wanted = (name or re.sub(r"[^a-z0-9._-]+", "-", abbr.lower()).strip("-.")).lower()
    if not wanted:
        raise ProfileError(N_("key 'site.abbr': missing; name the profile with --name"), path=origin)
    repos = {str(m.get("cname", "")).lower(): m for m in document["mirrors"] if isinstance(m, dict)}
    source = f"mirrorz description {origin}"
    data: dict[str, Any] = {
        "name": wanted,
        "title": f"{abbr} ({site['name']})" if site.get("name") and abbr else str(site.get("name") or abbr),
        "homepage": base + "/",
    }
    pypi = repos.get("pypi")
    if pypi is not None:
        root = join(base, str(pypi.get("url", "/pypi")).strip("/"))
        candidates = [join(root, path) for path in MIRRORZ_PYPI_PATHS]
        index = next((url for url in candidates if verify_pypi is None or verify_pypi(url)), None)
        if index is None:
            raise MirrorctlError(N_("{site}: no PyPI simple index answered at {urls}; add the right URL with "
                                    "`mirrorctl profile add NAME --pypi URL`"), site=abbr or base,
                                 urls=" or ".join(candidates), path=origin)
        data["pypi"] = {"index": index, "verified": False, "source": source}
    anaconda = repos.get("anaconda")
    if anaconda is not None:
        # Not every Anaconda mirror carries every channel (USTC has no pkgs/main): keep the ones that answer.
        root = join(base, str(anaconda.get("url", "/anaconda")).strip("/"))
        answers = verify_conda or (lambda url: True)
        defaults = [join(root, "pkgs", sub) for sub in ("main", "r", "msys2") if answers(join(root, "pkgs", sub))]
        cloud = {channel: join(root, "cloud") for channel in DEFAULT_CLOUD_CHANNELS
                 if answers(join(root, "cloud", channel))}
        if defaults or cloud:
            data["conda"] = {"verified": False, "source": source, "default_channels": defaults,
                             "custom_channels": cloud}
    if "pypi" not in data and "conda" not in data:
        raise ProfileError(N_("{site} mirrors neither PyPI nor Anaconda (no 'pypi' or 'anaconda' in 'mirrors')"),
                           site=abbr or base, path=origin)
    data["status"] = {"url": origin, "format": "mirrorz"} if origin.startswith(("https://", "http://")) else None
    if data["status"] is None:
        del data["status"]
    import tomlkit

    text = "# Made by `mirrorctl profile import` from a mirrorz description: check the URLs, then set verified.\n"
    return _incoming(data, text + tomlkit.dumps(data), origin, "")


# ---------------------------------------------------------------------------------------------------------
# Reading a source


def is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def download(url: str, *, timeout: float = 10.0, limit: int = MAX_IMPORT_BYTES) -> bytes:
    """The body at ``url`` (see :func:`download_with_type`)."""
    return download_with_type(url, timeout=timeout, limit=limit)[0]


def download_with_type(url: str, *, timeout: float = 10.0, limit: int = MAX_IMPORT_BYTES) -> tuple[bytes, str]:
    """GET ``url`` over https (plain http only to this machine, for tests and local mirrors), with the bench's
    TLS settings (httpx's default context, proxies from the environment), at most ``limit`` bytes, at most 5
    redirects, each hop checked again."""
    import httpx

    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=True,
                      headers={"User-Agent": "mirrorctl"}) as client:
        for _ in range(6):
            _check_scheme(current, url)
            try:
                with client.stream("GET", current) as response:
                    location = response.headers.get("Location")
                    if response.is_redirect and location:
                        current = str(response.url.join(location))
                        continue
                    if response.status_code != 200:
                        raise MirrorctlError(N_("{url}: HTTP {status} {reason}"), url=current,
                                             status=response.status_code, reason=response.reason_phrase)
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise MirrorctlError(N_("{url}: larger than {kib} KiB; not a profile"), url=current,
                                                 kib=limit // 1024)
                    return bytes(body), response.headers.get("Content-Type", "")
            except httpx.HTTPError as exc:
                raise MirrorctlError(N_("{url}: {kind}: {problem}"), url=current, kind=type(exc).__name__,
                                     problem=str(exc)) from None
    raise MirrorctlError(N_("{url}: more than 5 redirects"), url=url)


def _check_scheme(current: str, original: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(current)
    host = (parts.hostname or "").lower()
    local = host in ("localhost", "::1") or host.startswith("127.")
    if parts.scheme == "https" or (parts.scheme == "http" and local):
        return
    raise MirrorctlError(N_("{url}: profiles are fetched over https only ({current} is not)"), url=original,
                         current=current)


def answers_as_index(url: str, *, timeout: float = 10.0) -> bool:
    """Whether ``url`` is a PEP 503 simple index: its page for the project the bench samples lists its files."""
    from mirrorctl.probe.checks import PYPI_PROJECT

    try:
        body, content_type = download_with_type(join(url, PYPI_PROJECT) + "/", timeout=timeout)
    except MirrorctlError:
        return False
    # pip skips a page of any other type ("Skipping page ... got Content-Type: Unknown", seen with pip 26 here):
    # pip/_internal/index/collector.py _ensure_api_header
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("text/html", "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.v1+json"):
        return False
    text = body.decode("utf-8", "replace").lower()
    return f"{PYPI_PROJECT}-" in text and ("<a " in text or '"files"' in text)


def serves_repodata(channel: str, *, timeout: float = 10.0) -> bool:
    """Whether the conda channel URL ``channel`` serves ``noarch/repodata.json`` (asked with HEAD: it is large)."""
    import httpx

    url = join(channel, "noarch", "repodata.json")
    try:
        _check_scheme(url, url)
        with httpx.Client(timeout=timeout, follow_redirects=True, trust_env=True,
                          headers={"User-Agent": "mirrorctl"}) as client:
            return client.head(url).status_code == 200
    except (httpx.HTTPError, MirrorctlError):
        return False
