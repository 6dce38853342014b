"""What to probe: the URL of each profile's index for each tool, and each profile's status feed. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from mirrorctl.probe.checks import PYPI_PROJECT
from mirrorctl.probe.model import TARGETS, ProbeTarget
from mirrorctl.urls import join

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile, StatusFeed


def targets_for(profiles: Iterable[Profile], only: str | None = None) -> list[ProbeTarget]:
    """The URL to probe for each profile and each tool it covers (``only``: "pypi" or "conda").

    conda probes the first default channel (``pkgs/main``) when the profile carries ``defaults``; otherwise
    conda-forge, the channel most people use; otherwise the profile's first custom channel.
    """
    if only not in (None, *TARGETS):
        raise ValueError(f"only must be one of {TARGETS}, not {only!r}")
    targets = []
    for profile in profiles:
        if profile.pypi and only in (None, "pypi"):
            url = join(profile.pypi.index_url, PYPI_PROJECT) + "/"
            targets.append(ProbeTarget(profile.name, "pypi", url, PYPI_PROJECT))
        if profile.conda and only in (None, "conda"):
            channel, resource = _conda_channel(profile.conda.default_channels, profile.conda.custom_channels)
            url = join(channel, "noarch", "repodata.json")
            targets.append(ProbeTarget(profile.name, "conda", url, resource))
    return targets


def _conda_channel(default_channels: Sequence[str], custom_channels: Mapping[str, str]) -> tuple[str, str]:
    from urllib.parse import urlsplit

    if default_channels:
        channel = default_channels[0]
        parts = [part for part in urlsplit(channel).path.split("/") if part]
        if len(parts) >= 2 and parts[-2] == "pkgs":
            return channel, "/".join(parts[-2:])
        return channel, parts[-1] if parts else channel
    name = "conda-forge" if "conda-forge" in custom_channels else next(iter(custom_channels))
    return join(custom_channels[name], name), name


def feeds_for(profiles: Iterable[Profile]) -> dict[str, StatusFeed]:
    """profile name -> its status feed, for the profiles that declare one."""
    return {profile.name: profile.status for profile in profiles if profile.status is not None}
