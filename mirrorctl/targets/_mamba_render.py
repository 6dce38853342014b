"""mamba: the pure edit of ``mirrored_channels`` in a ``.mambarc`` (ruamel.yaml round trip), loaded only when a
change is planned. Used by the mamba tool module only (which loads and checks the file, and works out the channels
in use); see its docstring for what mirrorctl writes and owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.formats import yaml
from mirrorctl.formats.yaml import plain, remove_key
from mirrorctl.results import Change, Finding
from mirrorctl.targets import _channels

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "mamba"


def owned(urls: Sequence[str], profiles: Sequence[Profile]) -> bool:
    return bool(urls) and all(_channels.locate(str(u), profiles) is not None for u in urls)


def wanted(profile: Profile | None, channels: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """mirrored_channels entries for the channels in use that ``profile`` carries, and those it does not."""
    if profile is None or profile.name == _channels.UPSTREAM_PROFILE or profile.conda is None:
        return {}, []
    entries: dict[str, list[str]] = {}
    missing: list[str] = []
    for channel in channels:
        place = _channels.Place("cloud", channel, profile.name)
        if _channels.carries(profile, place):
            entries[channel] = [_channels.url_on(profile, place)]
        else:
            missing.append(channel)
    return entries, missing


def render(text: str, data: Any, channels: Sequence[str], profile: Profile | None, profiles: Sequence[Profile],
           path: Path | None) -> tuple[str, list[Finding]]:
    """``text`` (loaded and checked as ``data``, None when empty) with mirrored_channels pointed at ``profile`` for
    ``channels``, the channels in use; ``None`` or official: mirrorctl's entries removed."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    findings: list[Finding] = []
    document = data if data is not None else CommentedMap()
    entries, missing = wanted(profile, channels)
    mirror = profile is not None and profile.name != _channels.UPSTREAM_PROFILE and profile.conda is not None
    if mirror and not channels:
        findings.append(Finding("mamba.no-channels", "note", NAME, path))
    for channel in missing:
        findings.append(Finding("mamba.channel-upstream", "note", NAME, path,
                                params={"channel": channel, "profile": profile.name if profile else ""}))
    current = document.get("mirrored_channels")
    before = plain(current) if current is not None else None
    if current is None and not entries:
        return text, findings
    if current is None:
        current = CommentedMap()
        document["mirrored_channels"] = current
    kept: list[str] = []
    for channel in list(current.keys()):
        urls = [str(u) for u in current[channel]]
        if not owned(urls, profiles):
            kept.append(str(channel))
            entries.pop(str(channel), None)
            continue
        if str(channel) in entries:
            if urls != entries[str(channel)]:
                current[channel] = CommentedSeq(entries[str(channel)])
            del entries[str(channel)]
        else:
            remove_key(current, channel)
    for channel, urls in entries.items():
        current[channel] = CommentedSeq(urls)
    if kept and profile is None:
        findings.append(Finding("mamba.kept-custom", "note", NAME, path, params={"channels": ", ".join(kept)}))
    if not len(current):
        remove_key(document, "mirrored_channels")
    after = plain(document.get("mirrored_channels")) if "mirrored_channels" in document else None
    if after == before:
        return text, findings
    return yaml.dump_keeping(text, data, document), findings


def changes(path: Path, old: dict[str, list[str]], new: dict[str, list[str]]) -> tuple[Change, ...]:
    """One change per mirrored_channels entry that differs between ``old`` and ``new``."""
    changes = []
    for channel in [*old, *(c for c in new if c not in old)]:
        if old.get(channel) != new.get(channel):
            changes.append(Change(NAME, path, f"mirrored_channels {channel}", _short(old.get(channel)),
                                  _short(new.get(channel))))
    return tuple(changes)


def _short(values: list[str] | None) -> str | None:
    return None if values is None else "[" + ", ".join(map(str, values)) + "]"
