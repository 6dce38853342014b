"""conda: the pure rendering of a ``.condarc`` (ruamel.yaml round trip) and the changes it makes, loaded only when
a change is planned. Used by the conda tool module only; see its docstring for what mirrorctl writes and owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.formats import yaml
from mirrorctl.formats.yaml import add_tail, plain, remove_key, replace_list
from mirrorctl.results import Change, Finding
from mirrorctl.targets import _channels
from mirrorctl.targets._channels import load_condarc as load
from mirrorctl.targets._channels import load_condarc_checked as load_checked
from mirrorctl.urls import join, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "conda"


def _keep_style(old: Any, new: str) -> Any:
    """A replacement scalar quoted the way the old one was."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    for kind in (DoubleQuotedScalarString, SingleQuotedScalarString):
        if isinstance(old, kind):
            return kind(new)
    return new


def _retarget_list(items: Any, profile: Profile, profiles: Sequence[Profile], key: str, path: Path | None,
                   findings: list[Finding]) -> None:
    """Point every known channel URL in ``items`` at ``profile`` (or upstream); merge entries that become equal."""
    seen: set[str] = set()
    index = 0
    while index < len(items):
        value = str(items[index])
        moved = _channels.retarget(value, profile, profiles) if "://" in value else None
        if moved is not None:
            if moved.url != value:
                items[index] = _keep_style(items[index], moved.url)
            _note_place(moved, profile, key, path, findings)
        identity = normalize(str(items[index])) if "://" in str(items[index]) else str(items[index])
        if identity in seen:
            findings.append(Finding("conda.merged-duplicate", "note", NAME, path,
                                    params={"key": key, "value": str(items[index])}))
            yaml.remove_item(items, index)
            continue
        seen.add(identity)
        index += 1


def _note_place(moved: _channels.Retarget, profile: Profile, key: str, path: Path | None,
                findings: list[Finding]) -> None:
    channel = ("pkgs/" if moved.place.kind == "pkgs" else "") + moved.place.channel
    if not moved.carried:
        findings.append(Finding("conda.channel-upstream", "note", NAME, path,
                                params={"channel": channel, "profile": profile.name, "url": moved.url}))
    if moved.place.kind == "pkgs" and moved.place.channel in _channels.LEGACY_PKGS:
        findings.append(Finding("conda.channel-legacy", "note", NAME, path, params={"channel": channel}))


def render(text: str, profile: Profile | None, profiles: Sequence[Profile], *, path: Path | None = None,
           channels_configured_elsewhere: bool = False) -> tuple[str, list[Finding]]:
    """Point every channel setting a mirror or upstream owns at ``profile``; ``None`` (reset): back upstream.

    The user's own channels and URLs are never touched. ``official`` is upstream: like a reset, it removes the
    mirror keys instead of writing upstream values, and makes sure some channel is configured.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    upstream = _channels.upstream_profile(profiles)
    mirror = profile if profile is not None and profile.name != _channels.UPSTREAM_PROFILE else None
    destination = mirror or upstream
    findings: list[Finding] = []
    data = load_checked(text, path)
    if data is None and profile is None:
        return text, findings
    document = data if data is not None else CommentedMap()
    before = plain(document)

    channels = document.get("channels")
    if channels is None:
        if profile is not None and not channels_configured_elsewhere:
            document["channels"] = CommentedSeq(["defaults"])
    else:
        _retarget_list(channels, destination, profiles, "channels", path, findings)
        if mirror and "defaults" not in channels and mirror.conda and mirror.conda.default_channels:
            findings.append(Finding("conda.defaults-unlisted", "note", NAME, path))

    # default_channels: the mirror's own list, or (reset, official, a mirror without pkgs/) upstream's.
    existing = document.get("default_channels")
    wanted_defaults = list(mirror.conda.default_channels) if mirror and mirror.conda else []
    if existing is not None:
        own = [str(u) for u in existing if _channels.locate(str(u), profiles) is None]
        if own:
            _retarget_list(existing, destination, profiles, "default_channels", path, findings)
            findings.append(Finding("conda.kept-own-defaults", "note", NAME, path,
                                    params={"profile": destination.name}))
        elif wanted_defaults:
            if [str(v) for v in existing] != wanted_defaults:
                replace_list(document, "default_channels", wanted_defaults)
        else:
            remove_key(document, "default_channels")
    elif wanted_defaults:
        document["default_channels"] = CommentedSeq(wanted_defaults)
    if mirror and not wanted_defaults and "default_channels" not in document:
        findings.append(Finding("conda.defaults-upstream", "note", NAME, path, params={"profile": mirror.name}))

    kept = _write_custom_channels(document, dict(mirror.conda.custom_channels) if mirror and mirror.conda else {},
                                  profiles)
    if kept and profile is None:
        findings.append(Finding("conda.kept-custom", "note", NAME, path, params={"channels": ", ".join(kept)}))

    multichannels = document.get("custom_multichannels")
    if isinstance(multichannels, dict):
        for name in list(multichannels.keys()):
            _retarget_list(multichannels[name], destination, profiles, f"custom_multichannels.{name}", path,
                           findings)

    alias = document.get("channel_alias")
    if alias is not None and _channels.is_known_root(str(alias), profiles):
        remove_key(document, "channel_alias")
        if _channels.locate(join(str(alias), "x"), profiles) != _channels.Place("cloud", "x", "upstream"):
            findings.append(Finding("conda.alias-removed", "note", NAME, path, params={"alias": str(alias)}))

    if mirror and "show_channel_urls" not in document:
        document["show_channel_urls"] = True
    unique = list({(f.code, repr(sorted(f.params.items()))): f for f in findings}.values())
    if plain(document) == before:
        return text, unique
    return yaml.dump_keeping(text, data, document), unique


def _write_custom_channels(document: Any, wanted: dict[str, str], profiles: Sequence[Profile]) -> list[str]:
    """Set ``wanted`` entries; drop other entries that point at a known mirror or upstream; keep the user's own.

    Returns the names of the entries kept because they are the user's own.
    """
    from ruamel.yaml.comments import CommentedMap

    current = document.get("custom_channels")
    if current is None and not wanted:
        return []
    if current is None:
        current = CommentedMap()
        document["custom_channels"] = current
    kept = []
    for channel in list(current.keys()):
        if channel in wanted:
            continue
        if _channels.is_known_root(str(current[channel]), profiles):
            tail = remove_key(current, channel)
            if not current:
                add_tail(document, "custom_channels", tail)
        else:
            kept.append(str(channel))
    for channel, base in wanted.items():
        if str(current.get(channel, "")) != base:
            current[channel] = base
    if not current:
        tail = remove_key(document, "custom_channels")
        if tail and len(document):
            add_tail(document, list(document.keys())[-1], tail)
    return kept


def changes(path: Path, old_text: str, new_text: str) -> tuple[Change, ...]:
    old = plain(load(old_text, None) or {}) if old_text.strip() else {}
    new = plain(load(new_text, None) or {}) if new_text.strip() else {}
    changes = []
    for key in ("channels", "default_channels", "channel_alias", "show_channel_urls"):
        if old.get(key) != new.get(key):
            changes.append(Change(NAME, path, key, _short(old.get(key)), _short(new.get(key))))
    old_custom, new_custom = old.get("custom_channels") or {}, new.get("custom_channels") or {}
    grouped: dict[tuple[str | None, str | None], list[str]] = {}  # one change per (before, after)
    for channel in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(channel) != new_custom.get(channel):
            move = (_short(old_custom.get(channel)), _short(new_custom.get(channel)))
            grouped.setdefault(move, []).append(channel)
    for (before, after), channels in grouped.items():
        changes.append(Change(NAME, path, f"custom_channels {', '.join(channels)}", before, after))
    old_multi, new_multi = old.get("custom_multichannels") or {}, new.get("custom_multichannels") or {}
    for name in sorted(set(old_multi) | set(new_multi)):
        if old_multi.get(name) != new_multi.get(name):
            changes.append(Change(NAME, path, f"custom_multichannels {name}", _short(old_multi.get(name)),
                                  _short(new_multi.get(name))))
    return tuple(changes)


def _short(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
