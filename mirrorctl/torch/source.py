"""Pure: where to install the chosen build from, and why.

1. When PyPI's own ``torch`` is the chosen variant on this platform, the PyPI mirror already in effect serves it
   (every PyPI mirror carries torch), pinned without a local tag.
2. Else the fastest profile that carries the variant, as the profile declares it (an index or a find-links page).
   A mirror whose pages link back upstream serves nothing itself and does not count, nor does a frozen page older
   than the release. Without timings (``--refresh`` measures them) the profile in effect comes first, then verified
   profiles, then the rest by name.
3. Else download.pytorch.org.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from mirrorctl.profiles import UPSTREAM_PROFILE, Profile
from mirrorctl.results import Finding
from mirrorctl.torch.choose import Choice
from mirrorctl.torch.data import version

TOOL = "torch"
UPSTREAM_WHL = "https://download.pytorch.org/whl/{variant}"


class InEffect(NamedTuple):
    """The PyPI mirror the installers use now: a profile name ("official" for pypi.org), its index, and the
    tool whose configuration says so."""

    profile: str
    url: str
    tool: str


class WheelSource(NamedTuple):
    #: "pypi" (the PyPI mirror in effect, no extra flag), "index" (--index-url) or "find-links" (-f).
    kind: str
    #: The page to name in the command; None for "pypi".
    url: str | None
    profile: str
    #: Why this source (a message code) and its parameters.
    reason: str
    params: Mapping[str, Any] = {}
    verified: bool = True
    #: The local version tag to pin ("+cu126"); "" when the plain version is the right build.
    local: str = ""
    #: The PyPI index in effect, for a flat find-links page that needs an index beside it.
    pypi_index: str | None = None


def _carries(profile: Profile, variant: str, release: str) -> tuple[str | None, str | None]:
    """(page, why-not): the page that serves ``variant`` of ``release``, or the reason this mirror does not count."""
    index = profile.pytorch
    if index is None:
        return None, None
    page = index.page(variant)
    if page is None:
        return None, None
    if index.links == "upstream":
        return None, "torch.mirror-links-upstream"
    if index.frozen_at and version(release)[:2] > version(index.frozen_at)[:2]:
        return None, "torch.mirror-frozen"
    return page, None


def pick(choice: Choice, profiles: Sequence[Profile], in_effect: InEffect | None, *,
         timings: Mapping[str, float] | None = None,
         links: Mapping[str, str] | None = None) -> tuple[WheelSource | None, list[Finding]]:
    """The source for ``choice`` (None when nothing fits), and notes on mirrors passed over.

    ``timings``: profile -> seconds its variant page took (``--refresh``); ``links``: profile -> "mirror" or
    "upstream" as that page showed, which beats what the profile declares.
    """
    variant = choice.variant
    if variant is None:
        return None, []
    findings: list[Finding] = []
    release = choice.release.version
    current = in_effect or InEffect(UPSTREAM_PROFILE, "https://pypi.org/simple", "")
    if variant == choice.pypi_variant:
        return WheelSource("pypi", None, current.profile, "torch.source-pypi",
                           {"variant": variant, "tool": current.tool, "index": current.url},
                           pypi_index=current.url), findings
    local = "" if choice.platform.startswith("macos-") else "+" + variant
    candidates: list[tuple[Profile, str]] = []
    for profile in profiles:
        if profile.name == UPSTREAM_PROFILE or profile.pytorch is None:
            continue
        seen = (links or {}).get(profile.name)
        if seen is not None:
            profile = profile._replace(pytorch=profile.pytorch._replace(links=seen))
        page, why_not = _carries(profile, variant, release)
        if why_not:
            frozen = profile.pytorch.frozen_at if profile.pytorch else None
            findings.append(Finding(why_not, "note", TOOL, params={
                "profile": profile.name, "variant": variant, "frozen_at": frozen or "",
                "torch": release}))
        elif page:
            candidates.append((profile, page))
    if candidates:
        def rank(item: tuple[Profile, str]) -> tuple[float, int, int, str]:
            profile = item[0]
            timed = (timings or {}).get(profile.name)
            return (timed if timed is not None else float("inf"), profile.name != current.profile,
                    not (profile.pytorch and profile.pytorch.verified), profile.name)

        candidates.sort(key=rank)
        profile, page = candidates[0]
        assert profile.pytorch is not None
        timed = (timings or {}).get(profile.name)
        if timed is not None:
            reason = "torch.source-fastest"
        elif profile.name == current.profile:
            reason = "torch.source-in-effect"
        else:
            reason = "torch.source-carries"
        return WheelSource(profile.pytorch.kind, page, profile.name, reason,
                           {"variant": variant, "pypi": choice.pypi_variant or "-", "ms": round((timed or 0) * 1000),
                            "others": ", ".join(p.name for p, _ in candidates[1:]) or "-"},
                           verified=profile.pytorch.verified and profile.pytorch.links == "mirror", local=local,
                           pypi_index=current.url), findings
    upstream = next((p for p in profiles if p.name == UPSTREAM_PROFILE and p.pytorch), None)
    page = upstream.pytorch.page(variant) if upstream and upstream.pytorch else None
    return WheelSource("index", page or UPSTREAM_WHL.format(variant=variant), UPSTREAM_PROFILE,
                       "torch.source-upstream", {"variant": variant, "pypi": choice.pypi_variant or "-"},
                       local=local, pypi_index=current.url), findings
