"""Does the mirror really carry the Anaconda channels in use, for this machine's platform subdir? (`doctor`)

conda asks every channel for ``<channel>/<subdir>/repodata.json`` and ``<channel>/noarch/repodata.json``. Seen
with conda 26.7.1 against a loopback channel (tests/test_doctor.py): a 404 on ``noarch`` stops conda
(``UnavailableInvalidChannel: HTTP 404 Not Found for channel``), while a 404 on the platform subdir is taken
as an empty subdir and nothing is said (conda 26.7.1 conda/gateways/repodata/__init__.py L235-246 turns it into
``RepodataIsEmpty``, logged at info level): ``conda search`` then lists only the noarch packages. So a mirror
that never synced ``osx-arm64`` (SJTUG's ``pkgs/*``) silently hides every package built for an Apple-silicon Mac.

Two sources, the second confirming the first:

1. the profiles' data (``[[conda.coverage]]``: which channels and subdirs a mirror syncs, each fact with its
   source and whether it is verified), read offline;
2. with the network: a request for ``noarch`` and for the platform subdir of each channel URL on a known
   mirror, in parallel, bounded by the timeout. A 404 (or a page that is not JSON) confirms a gap and makes it
   an error; a good answer overrules the data; no answer leaves the data's word.

Pure except :func:`confirm` (the requests). Each gap is data; ``doctor`` turns it into a finding.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mirrorctl.errors import Sentence
from mirrorctl.i18n import N_
from mirrorctl.results import UPSTREAM, Finding, Setting, ToolState

if TYPE_CHECKING:
    import httpx

    from mirrorctl.profiles import ChannelCoverage, Profile

#: How much of a repodata.json is read to know it is one (its first bytes are ``{``).
HEAD_BYTES = 512


def platform_subdir() -> str:
    """This machine's conda subdir: ``CONDA_SUBDIR`` when set (conda reads it as its ``subdir`` setting), else
    what conda derives from the OS and the machine (conda/base/context.py ``Context.subdir``)."""
    forced = os.environ.get("CONDA_SUBDIR", "").strip()
    if forced:
        return forced
    machine = platform.machine().lower()
    if sys.platform.startswith("win"):
        return {"arm64": "win-arm64", "x86": "win-32"}.get(machine, "win-64")
    system = "osx" if sys.platform == "darwin" else "linux"
    arch = {"x86_64": "64", "amd64": "64", "i386": "32", "i686": "32", "arm64": "arm64" if system == "osx" else
            "aarch64", "aarch64": "arm64" if system == "osx" else "aarch64"}.get(machine, machine)
    return f"{system}-{arch}"


class Gap(NamedTuple):
    """One channel URL in use that lacks what conda asks of it, or (``kind`` None) that was checked."""

    tool: str
    setting: Setting
    url: str
    #: The channel's name on the mirror (``pkgs/main``, ``conda-forge``) and the profile whose mirror it is.
    channel: str
    profile: str
    #: "channel" (not on the mirror), "elsewhere" (not on it, but sent on to another mirror), "subdir".
    kind: str
    fact: ChannelCoverage | None


def _place(url: str, profiles: Sequence[Profile]) -> tuple[str, str] | None:
    """(channel name on the mirror, profile) for a URL on a known mirror other than upstream."""
    from mirrorctl.targets import _channels

    place = _channels.locate(url, profiles)
    if place is None or place.owner == UPSTREAM:
        return None
    channel = "pkgs/" + place.channel if place.kind == "pkgs" else place.channel.split("/")[0]
    return channel, place.owner


def channel_urls(state: ToolState, profiles: Sequence[Profile]) -> list[tuple[Setting, str, str, str]]:
    """(setting, URL, channel, profile) for every channel URL of ``state`` on a known mirror."""
    found = []
    seen: set[str] = set()
    for setting in state.settings:
        if setting.key != "channel":
            continue
        for url in setting.resolved:
            where = _place(url, profiles)
            if where is not None and url not in seen:
                seen.add(url)
                found.append((setting, url, *where))
    return found


def gaps(state: ToolState, profiles: Sequence[Profile], subdir: str) -> list[Gap]:
    """What the profiles' data says is missing for ``subdir`` among ``state``'s channels."""
    by_name = {p.name: p for p in profiles}
    found = []
    for setting, url, channel, owner in channel_urls(state, profiles):
        profile = by_name.get(owner)
        fact = profile.conda.fact(channel) if profile is not None and profile.conda is not None else None
        kind = fact.gap(subdir) if fact is not None else None
        if kind is not None and fact is not None:
            kind = "elsewhere" if kind == "channel" and fact.redirects_to else kind
            found.append(Gap(state.tool, setting, url, channel, owner, kind, fact))
    return found


# ---------------------------------------------------------------------------------------------------------
# With the network


class Answer(NamedTuple):
    """What the mirror said of one ``<channel>/<subdir>/repodata.json``: ``present`` True/False, or None when
    it could not be told (no answer, an error, a 401)."""

    url: str
    present: bool | None
    status: int | None = None
    host: str | None = None


def confirm(urls: Iterable[str], subdir: str, timeout: float,
            client_factory: object | None = None) -> dict[tuple[str, str], Answer]:
    """(channel URL, subdir) -> the mirror's answer, for ``noarch`` and ``subdir`` of each URL, in parallel."""
    from mirrorctl.probe import http

    wanted = [(url, part) for url in dict.fromkeys(urls) for part in dict.fromkeys(("noarch", subdir))]
    if not wanted:
        return {}
    factory = client_factory or http.make_client

    async def ask_all() -> list[Answer]:
        async with factory() as client:  # type: ignore[operator]
            return list(await asyncio.gather(*(_ask(client, url, part, timeout) for url, part in wanted)))

    return dict(zip(wanted, asyncio.run(ask_all())))


async def _ask(client: httpx.AsyncClient, channel: str, subdir: str, timeout: float) -> Answer:
    from urllib.parse import urlsplit

    from mirrorctl.probe import http
    from mirrorctl.urls import join

    url = join(channel, subdir, "repodata.json")
    headers = {"User-Agent": http.USER_AGENT, "Range": f"bytes=0-{HEAD_BYTES - 1}", "Accept-Encoding": "identity"}
    try:
        answer = await asyncio.wait_for(http.fetch(client, url, headers, http.Progress(), limit=HEAD_BYTES,
                                                   strict=False, timeout=timeout), timeout)
    except (http.Failure, asyncio.TimeoutError):
        return Answer(url, None)
    host = urlsplit(answer.url).netloc
    if answer.status in (200, 206):
        return Answer(url, answer.body.lstrip()[:1] == b"{", answer.status, host)  # a page is a soft 404
    if answer.status in (404, 410):
        return Answer(url, False, answer.status, host)
    return Answer(url, None, answer.status, host)


# ---------------------------------------------------------------------------------------------------------
# Findings


def findings(state: ToolState, profiles: Sequence[Profile], subdir: str,
             answers: Mapping[tuple[str, str], Answer] | None = None, prefer: str | None = None) -> list[Finding]:
    """The gaps of ``state`` as findings: from the data, and (``answers``: online) confirmed or overruled, plus
    gaps the data did not know of. The fix moves the tool to a mirror without a known gap (``prefer``: the one
    the other tools use, when it qualifies)."""
    by_url = {gap.url: gap for gap in gaps(state, profiles, subdir)}
    found: list[tuple[str, str, Setting, str, str, str, Sentence, Gap | None]] = []
    for setting, url, channel, owner in channel_urls(state, profiles):
        gap = by_url.get(url)
        kind, level, evidence = (gap.kind, _level(gap), _from_data(gap.fact)) if gap and gap.fact else (None, "", None)
        if answers is not None:
            noarch, own = answers.get((url, "noarch")), answers.get((url, subdir))
            if noarch is not None and noarch.present is False:
                kind, level, evidence = "channel", "error", _answered(noarch)
            elif own is not None and own.present is False and subdir != "noarch":
                kind, level, evidence = "subdir", "error", _answered(own)
            elif noarch is not None and noarch.present and own is not None and own.present and kind != "elsewhere":
                kind = None  # the mirror has it: it synced since the data was written
        if kind is not None and evidence is not None:
            found.append((kind, level, setting, url, channel, owner, evidence, gap))
    fix = _fix(state, profiles, subdir, avoid={owner for *_, owner, _, _ in found}, prefer=prefer) if found else None
    result = []
    for kind, level, setting, url, channel, owner, evidence, gap in found:
        path, line = entry_line(state, setting, url, channel)
        params: dict[str, object] = {"channel": channel, "profile": owner, "url": url, "subdir": subdir,
                                     "evidence": evidence, "verified": bool(gap and gap.fact and gap.fact.verified)}
        if gap is not None and gap.fact is not None and gap.fact.redirects_to:
            params["redirects_to"] = gap.fact.redirects_to
        if fix:
            params["fix"] = fix
        result.append(Finding(CODES[kind], level, state.tool, path, line, params))
    return result


CODES = {"channel": "doctor.channel-missing", "elsewhere": "doctor.channel-elsewhere",
         "subdir": "doctor.subdir-missing"}


def _level(gap: Gap) -> str:
    """From the data alone: a warning for a verified fact, information for an UNVERIFIED one (and for a channel
    that is sent on to another mirror: it works)."""
    if gap.kind == "elsewhere" or gap.fact is None or not gap.fact.verified:
        return "info"
    return "warning"


def _from_data(fact: ChannelCoverage | None) -> Sentence | None:
    if fact is None:
        return None
    if fact.verified:
        return Sentence(N_("per {source}"), {"source": fact.source})
    return Sentence(N_("per {source}; UNVERIFIED"), {"source": fact.source})


def _answered(answer: Answer) -> Sentence:
    if answer.status in (200, 206):
        return Sentence(N_("{url} answered with a page that is not repodata"), {"url": answer.url})
    return Sentence(N_("{url} answered {status}"), {"url": answer.url, "status": answer.status})


def _fix(state: ToolState, profiles: Sequence[Profile], subdir: str, *, avoid: set[str],
         prefer: str | None) -> str | None:
    """`mirrorctl use P` for the profile whose mirror has no known gap for any channel in use (the ones it does
    not carry go to upstream, which has them all), carrying the most of them: ``prefer`` first, then the user's
    own profiles (a mirror they chose to add), then verified data. ``avoid``: the mirrors found lacking."""
    from mirrorctl.profiles import UPSTREAM_PROFILE
    from mirrorctl.targets import _channels

    in_use = [(_channels.locate(url, profiles), channel) for _, url, channel, _ in channel_urls(state, profiles)]
    best: tuple[tuple[int, bool, bool, bool, str], str] | None = None
    for profile in profiles:
        if profile.name == UPSTREAM_PROFILE or profile.conda is None or profile.name in avoid:
            continue
        carried = 0
        for place, channel in in_use:
            if place is None or not _channels.carries(profile, place):
                continue
            fact = profile.conda.fact(channel)
            if fact is not None and fact.gap(subdir) is not None:
                break
            carried += 1
        else:
            key = (-carried, profile.name != prefer, profile.builtin, not profile.conda.verified, profile.name)
            if best is None or key < best[0]:
                best = (key, profile.name)
    return f"mirrorctl use {best[1]} --only {state.tool}" if best else None


def entry_line(state: ToolState, setting: Setting, url: str, channel: str) -> tuple[Path | None, int | None]:
    """The file and line that put ``url`` in use: the ``default_channels`` or ``custom_channels`` entry it came
    through (``setting.via``), else the ``channels`` entry itself. Found by its text: the URL, or the entry's
    name as a key."""
    from mirrorctl.urls import normalize

    base = url.rstrip("/")
    if setting.via == "custom_channels" and setting.via_source is not None and setting.via_source.path is not None:
        pattern = re.compile(rf"^\s*['\"]?{re.escape(channel)}['\"]?\s*:")
        return setting.via_source.path, _line(setting.via_source.path, pattern)
    candidates = [s.path for s in (setting.via_source, setting.source) if s is not None and s.path is not None]
    candidates += [p for p in state.files_read if p not in candidates]
    wanted = normalize(base)
    url_text = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"#,\]]+", re.IGNORECASE)
    for path in candidates:
        number = _line(path, url_text, lambda found: normalize(found.rstrip("/")) == wanted)
        if number is not None:
            return path, number
    return (candidates[0], None) if candidates else (None, None)


def _line(path: Path, pattern: re.Pattern[str], accept: Callable[[str], bool] | None = None) -> int | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for number, line in enumerate(text.splitlines(), 1):
        for match in pattern.finditer(line):
            if accept is None or accept(match.group(0)):
                return number
    return None
