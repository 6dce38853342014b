"""``mirrorctl torch --refresh``: read the variant pages of the sources that carry the chosen variant.

Each page is fetched once (timed, bounded), and tells three things: whether it answers at all, whether its wheel
links stay on the mirror (an absolute link to another host means every download goes back upstream, as
ustclug/ustcmirror-images#154 found), and which torch versions it has, so a release newer than the shipped data
can be planned with the data's rules (torchvision 0.(minor+15).patch; TORCH-FACTS 9.5).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from mirrorctl.profiles import UPSTREAM_PROFILE, Profile
from mirrorctl.results import Finding
from mirrorctl.torch.choose import choose
from mirrorctl.torch.data import Data, Release, version, with_releases
from mirrorctl.torch.detect import Machine
from mirrorctl.torch.source import InEffect

TOOL = "torch"
HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
WHEEL = re.compile(r"(?:^|/)torch-(\d+\.\d+\.\d+)(?:\+([A-Za-z0-9.]+))?-[^/]*\.whl")
MAX_BYTES = 8 * 1024 * 1024


def page_url(profile: Profile, variant: str) -> str | None:
    index = profile.pytorch
    if index is None:
        return None
    page = index.page(variant)
    if page is None:
        return None
    return page.rstrip("/") + "/torch/" if index.kind == "index" else page


def read_page(text: str, url: str, variant: str) -> tuple[set[str], str]:
    """(torch versions of ``variant`` on the page, "mirror" or "upstream" for where its wheel links point)."""
    versions, hosts = set(), set()
    own = urlsplit(url).netloc.lower()
    for href in HREF.findall(text):
        match = WHEEL.search(href)
        if not match:
            continue
        local = match.group(2)
        if local in (None, variant) or local.startswith(variant):
            versions.add(match.group(1))
        hosts.add(urlsplit(urljoin(url, href)).netloc.lower())
    links = "upstream" if hosts and own not in hosts else "mirror"
    return versions, links


def _synthesised(newest: Release, number: str, variant: str) -> Release:
    major, minor, patch = (*version(number), 0, 0, 0)[:3]
    return newest._replace(series=f"{major}.{minor}", date="", version=number,
                           torchvision=f"0.{minor + 15}.{patch}" if major == 2 else "",
                           torchaudio=newest.torchaudio)


def refresh(data: Data, machine: Machine, profiles: Sequence[Profile], in_effect: InEffect | None, *,
            torch: str | None, variant: str | None,
            timeout: float) -> tuple[Data, Mapping[str, float], Mapping[str, str], list[Finding]]:
    import httpx

    first = choose(data, machine, torch=torch, variant=variant)
    wanted = first.variant or variant
    findings: list[Finding] = []
    timings: dict[str, float] = {}
    links: dict[str, str] = {}
    if wanted is None:
        return data, timings, links, findings
    newest: set[str] = set()
    with httpx.Client(timeout=timeout, follow_redirects=True, trust_env=False) as client:
        for profile in profiles:
            url = page_url(profile, wanted)
            if url is None:
                continue
            started = time.perf_counter()
            try:
                response = client.get(url)
                body = response.content[:MAX_BYTES]
            except httpx.HTTPError as exc:
                findings.append(Finding("torch.refresh-failed", "note", TOOL,
                                        params={"url": url, "problem": type(exc).__name__}))
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                findings.append(Finding("torch.refresh-failed", "note", TOOL,
                                        params={"url": url, "problem": f"HTTP {response.status_code}"}))
                continue
            versions, where = read_page(body.decode("utf-8", "replace"), str(response.url), wanted)
            if str(response.url).split("//")[-1].split("/")[0] != url.split("//")[-1].split("/")[0]:
                where = "upstream"  # redirected away: the mirror serves nothing itself
            links[profile.name] = where
            if profile.name != UPSTREAM_PROFILE and where == "mirror":
                timings[profile.name] = elapsed
            newest |= versions
    known = version(data.releases[0].version)
    extra = [_synthesised(data.releases[0], v, wanted) for v in sorted(newest, key=version) if version(v) > known]
    for release in extra:
        findings.append(Finding("torch.refresh-newer", "note", TOOL,
                                params={"variant": wanted, "torch": release.version}))
    return with_releases(data, extra), timings, links, findings
