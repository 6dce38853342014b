"""conda channels as conda sees them, shared by every tool that reads ``.condarc`` (conda, mamba).

Two jobs, both pure:

- **where a channel URL belongs**: ``https://mirrors.ustc.edu.cn/anaconda/pkgs/main/`` is the ``pkgs/main``
  channel on USTC's Anaconda mirror; ``https://conda.anaconda.org/conda-forge`` is conda-forge upstream. A URL on
  no known mirror is the user's own ("custom") and is never touched.
- **what conda fetches from** (:func:`resolve`): the ``channels`` list expanded the way conda 26 does it
  (``defaults`` through ``custom_multichannels.defaults`` or ``default_channels``; names through
  ``custom_channels`` or ``channel_alias``; URLs as they are). Checked against the real conda in the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError, Sentence
from mirrorctl.formats import yaml
from mirrorctl.formats.yaml import plain
from mirrorctl.i18n import N_
from mirrorctl.profiles import UPSTREAM_PROFILE
from mirrorctl.results import CUSTOM, MIXED, UPSTREAM, Label
from mirrorctl.urls import join

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile
    from mirrorctl.results import Setting

_T = TypeVar("_T")

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
REPO = "https://repo.anaconda.com"
UPSTREAM_DEFAULTS_UNIX = (f"{REPO}/pkgs/main", f"{REPO}/pkgs/r")
UPSTREAM_DEFAULTS_WIN = (*UPSTREAM_DEFAULTS_UNIX, f"{REPO}/pkgs/msys2")
#: conda's own custom_channels entry (conda/base/constants.py DEFAULT_CUSTOM_CHANNELS).
BUILTIN_CUSTOM_CHANNELS = {"pkgs/pro": REPO}
#: pkgs/ channels Anaconda dropped from `defaults` long ago; still synced by some mirrors.
LEGACY_PKGS = frozenset({"free"})


class Place(NamedTuple):
    """A channel on a known host: ``kind`` "pkgs" (``<root>/pkgs/<channel>``) or "cloud" (``<root>/<channel>``)."""

    kind: str
    channel: str
    owner: str


def _bare(url: str) -> str:
    """Scheme-less, lower-case host, no trailing slash: http and https spellings of a mirror are one place."""
    text = url.strip()
    if "://" in text:
        rest = text.split("://", 1)[1]
        host, _, path = rest.partition("/")
        text = host.lower() + ("/" + path if path else "")
    return text.rstrip("/")


def pkgs_roots(profile: Profile) -> list[str]:
    """Anaconda roots whose ``/pkgs/<name>`` URLs are this profile's mirror (served or not).

    From its default_channels, and from its cloud base (``<root>/cloud``): USTC carries no pkgs/ channel, but a
    ``mirrors.ustc.edu.cn/anaconda/pkgs/main`` URL in a cheat-sheet file is still USTC's, not the user's own.
    The first root is where the profile serves pkgs/ channels, when it does.
    """
    roots: list[str] = []
    if profile.name == UPSTREAM_PROFILE:
        roots.append(REPO)
    for url in profile.conda.default_channels if profile.conda else ():
        head, sep, _name = url.rstrip("/").rpartition("/pkgs/")
        if sep and head not in roots:
            roots.append(head)
    for base in (profile.conda.custom_channels.values() if profile.conda else ()):
        head, sep, _ = base.rstrip("/").rpartition("/cloud")
        if sep and not _ and head not in roots:
            roots.append(head)
    return roots


def cloud_roots(profile: Profile) -> list[str]:
    roots: list[str] = [DEFAULT_CHANNEL_ALIAS] if profile.name == UPSTREAM_PROFILE else []
    for base in (profile.conda.custom_channels.values() if profile.conda else ()):
        if base.rstrip("/") not in roots:
            roots.append(base.rstrip("/"))
    return roots


def pkgs_channels(profile: Profile) -> frozenset[str]:
    """The pkgs/ channels the profile's mirror carries."""
    if profile.name == UPSTREAM_PROFILE:
        return frozenset({"main", "r", "msys2"}) | LEGACY_PKGS
    names = {url.rstrip("/").rpartition("/pkgs/")[2] for url in (profile.conda.default_channels if profile.conda
                                                                  else ()) if "/pkgs/" in url}
    return frozenset(names) | frozenset(profile.conda.legacy_pkgs if profile.conda else ())


def locate(url: str, profiles: Iterable[Profile]) -> Place | None:
    """Which known channel ``url`` is (the longest matching root wins), or None for a URL of the user's own."""
    bare = _bare(url)
    best: tuple[int, Place] | None = None
    for profile in profiles:
        for kind, roots in (("pkgs", pkgs_roots(profile)), ("cloud", cloud_roots(profile))):
            for root in roots:
                prefix = _bare(root) + ("/pkgs/" if kind == "pkgs" else "/")
                if bare.startswith(prefix) and len(bare) > len(prefix) and (best is None or len(prefix) > best[0]):
                    owner = UPSTREAM if profile.name == UPSTREAM_PROFILE else profile.name
                    best = (len(prefix), Place(kind, bare[len(prefix):], owner))
    return best[1] if best else None


def carries(profile: Profile, place: Place) -> bool:
    if place.kind == "pkgs":
        return place.channel in pkgs_channels(profile)
    if profile.name == UPSTREAM_PROFILE:
        return True  # anaconda.org hosts every channel
    return bool(profile.conda) and place.channel.split("/")[0] in profile.conda.custom_channels  # type: ignore[union-attr]


def url_on(profile: Profile, place: Place) -> str:
    """The URL of ``place``'s channel on ``profile``'s mirror (which must carry it)."""
    if place.kind == "pkgs":
        return join(pkgs_roots(profile)[0], "pkgs", place.channel)
    if profile.name == UPSTREAM_PROFILE:
        return join(DEFAULT_CHANNEL_ALIAS, place.channel)
    assert profile.conda is not None
    return join(profile.conda.custom_channels[place.channel.split("/")[0]], place.channel)


class Retarget(NamedTuple):
    url: str
    place: Place
    #: False when the profile does not carry the channel and upstream serves it instead.
    carried: bool


def retarget(url: str, profile: Profile, profiles: Sequence[Profile]) -> Retarget | None:
    """Where ``url`` (a known channel) goes when switching to ``profile``; None for the user's own URLs.

    The user's style is kept: a trailing slash stays.
    """
    place = locate(url, profiles)
    if place is None:
        return None
    carried = carries(profile, place)
    target = profile if carried else upstream_profile(profiles)
    new = url_on(target, place)
    if url.rstrip() != url.rstrip().rstrip("/"):
        new += "/"
    return Retarget(new, place, carried)


def upstream_profile(profiles: Sequence[Profile]) -> Profile:
    for profile in profiles:
        if profile.name == UPSTREAM_PROFILE:
            return profile
    raise LookupError(f"the built-in profile {UPSTREAM_PROFILE!r} is missing")


def is_known_root(url: str, profiles: Iterable[Profile]) -> bool:
    """Whether ``url`` is the cloud root of a known mirror or upstream (a channel_alias or custom_channels base)."""
    bare = _bare(url)
    return any(bare == _bare(root) for p in profiles for root in cloud_roots(p))


# ---------------------------------------------------------------------------------------------------------
# What conda fetches from


class Resolved(NamedTuple):
    urls: tuple[str, ...]
    #: "URL", "defaults", "custom_multichannels", "custom_channels", "channel_alias"
    via: str
    #: The name of the custom_channels / multichannel entry used, if any.
    entry: str | None = None


def _strip(url: str) -> str:
    return url.strip().rstrip("/")


def resolve(name: str, *, default_channels: Sequence[str], custom_channels: Mapping[str, str],
            multichannels: Mapping[str, Sequence[str]], alias: str, windows: bool = False) -> Resolved:
    """The channel URLs conda 26 fetches ``name`` from (without the /<subdir> it appends)."""
    if name in multichannels:
        via = "custom_multichannels"
        return Resolved(tuple(u for item in multichannels[name] for u in _resolve_one(
            str(item), default_channels, custom_channels, alias).urls), via, name)
    if name == "defaults":
        defaults = default_channels or (UPSTREAM_DEFAULTS_WIN if windows else UPSTREAM_DEFAULTS_UNIX)
        return Resolved(tuple(u for item in defaults for u in _resolve_one(
            str(item), default_channels, custom_channels, alias).urls), "defaults")
    return _resolve_one(name, default_channels, custom_channels, alias)


def _resolve_one(name: str, default_channels: Sequence[str], custom_channels: Mapping[str, str],
                 alias: str) -> Resolved:
    if "://" in name:
        return Resolved((_strip(name),), "URL")
    # conda also knows every default channel by its name (pkgs/main -> its default_channels URL).
    known = {**BUILTIN_CUSTOM_CHANNELS}
    for url in default_channels or UPSTREAM_DEFAULTS_UNIX:
        head, sep, tail = _strip(url).rpartition("/pkgs/")
        if sep:
            known[f"pkgs/{tail}"] = head
        else:
            location, _, last = _strip(url).rpartition("/")
            known[last] = location
    known.update({str(k): str(v) for k, v in custom_channels.items()})
    parts = name.strip("/").split("/")
    for length in range(len(parts), 0, -1):  # the longest custom channel name that prefixes ``name`` wins
        candidate = "/".join(parts[:length])
        if candidate in known:
            return Resolved((join(known[candidate], name.strip("/")),), "custom_channels", candidate)
    return Resolved((join(alias, name.strip("/")),), "channel_alias")


def first_of_each(pairs: Iterable[tuple[str, _T]]) -> list[tuple[str, _T]]:
    """conda's list merge: keep the first (highest-precedence) occurrence of each value."""
    seen: set[str] = set()
    unique = []
    for value, where in pairs:
        if value not in seen:
            seen.add(value)
            unique.append((value, where))
    return unique


def unique_paths(paths: Iterable[Path]) -> list[Path]:
    """A file on the search path is read once, at its first position (symlinks resolved)."""
    seen: set[str] = set()
    unique: list[Path] = []
    for path in paths:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def owner_of(url: str, profiles: Iterable[Profile]) -> str:
    place = locate(url, profiles)
    return place.owner if place else CUSTOM


def system_dirs() -> list[Path]:
    if paths.platform() == "win32":
        return [paths.system_path("C:/ProgramData/conda")]
    return [paths.system_path("/etc/conda"), paths.system_path("/var/lib/conda")]


def label(settings: Sequence[Setting], profiles: Sequence[Profile]) -> Label:
    """A profile's name only if every URL conda fetches from is that profile's, or upstream's for channels
    that profile does not carry; otherwise "upstream", "custom" or "mixed" with a count per owner."""
    counts: dict[str, int] = {}
    places: list[tuple[str, Place | None]] = []
    for setting in settings:
        for url in setting.resolved:
            place = locate(url, profiles)
            owner = place.owner if place else CUSTOM
            counts[owner] = counts.get(owner, 0) + 1
            places.append((owner, place))
    if not counts:
        return Label(None)
    parts = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    mirrors = [owner for owner in counts if owner not in (UPSTREAM, CUSTOM)]
    if set(counts) == {UPSTREAM}:
        return Label(UPSTREAM_PROFILE, parts)
    if set(counts) == {CUSTOM}:
        return Label(CUSTOM, parts)
    if len(mirrors) == 1 and CUSTOM not in counts:
        profile = next(p for p in profiles if p.name == mirrors[0])
        if all(place is not None and not carries(profile, place) for owner, place in places
               if owner == UPSTREAM):
            return Label(profile.name, parts)
    return Label(MIXED, parts)


# ---------------------------------------------------------------------------------------------------------
# A .condarc as conda reads it, and what conda itself refuses (the conda tool's read and render both use it)


def load_condarc(text: str, path: Path | None) -> Any:
    return yaml.load(text, path, encoding_advice=N_("conda reads .condarc as UTF-8 and cannot read this file "
                                                     "(it crashes); save it as UTF-8"))


#: key -> (type conda requires, words for the error)
CONDARC_TYPES: dict[str, tuple[type, str]] = {
    "channels": (list, N_("a list of channel names or URLs")),
    "default_channels": (list, N_("a list of channel URLs")),
    "custom_channels": (dict, N_("a mapping of channel name to base URL")),
    "custom_multichannels": (dict, N_("a mapping of name to a list of channels")),
    "channel_alias": (str, N_("a URL")),
}


def validate_condarc(data: Any, path: Path | None, text: str) -> None:
    """conda refuses (InvalidTypeError) a channel setting of the wrong type: so does mirrorctl, naming the line."""
    if data is None:
        return
    for key, (kind, words) in CONDARC_TYPES.items():
        if key not in data:
            continue
        value = data[key]
        bad = not isinstance(value, kind)
        if not bad and kind is list:
            bad = not all(isinstance(v, str) for v in value)
        if not bad and kind is dict:
            bad = not all(isinstance(v, list if key == "custom_multichannels" else str) for v in value.values())
        if bad:
            line = data.lc.key(key)[0] + 1 if hasattr(data, "lc") else None
            shown = " ".join(str(plain(value)).split())[:60]
            raise ConfigParseError(N_("{key} must be {words}, not {shown!r} (conda refuses this file)"), key=key,
                                   words=Sentence(words), shown=shown,
                                   path=path, line=line)


def load_condarc_checked(text: str, path: Path | None) -> Any:
    data = load_condarc(text, path)
    validate_condarc(data, path, text)
    return data
