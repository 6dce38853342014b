"""conda: ``.condarc`` YAML, edited with ruamel.yaml's round-trip mode so comments and layout survive.

mirrorctl writes the form the mirrors recommend: ``channels`` containing ``defaults`` (needed on conda >= 25.9
when no channel is configured at all), ``default_channels`` (what ``defaults`` means), ``custom_channels``
(where named channels such as conda-forge live) and ``show_channel_urls: true``. It reads every file on conda's
search path to explain what is really in effect.

What mirrorctl owns in ``custom_channels``: entries whose URL is one a profile would write for that channel.
Anything else (a private channel, a company mirror) is the user's and is never removed.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError, MirrorctlError, display_path
from mirrorctl.profiles import Profile
from mirrorctl.targets import FileEdit, TargetState, decode, encode, read_bytes
from mirrorctl.urls import join, normalize

NAME = "conda"
ECOSYSTEM = "conda"
ORDER = 20

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
UPSTREAM_DEFAULTS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
BUILTIN_CUSTOM_CHANNELS = {"pkgs/pro": "https://repo.anaconda.com"}
VALID_CONDARC_NAME = re.compile(r"(^|[\\/])(\.?condarc|[^\\/]*\.ya?ml)$")
#: What the user should do after mirrorctl changed this tool's configuration (shown as "next: ...").
AFTER_CHANGE = "run `conda clean -i` so conda forgets the index it cached from the previous mirror"

Overrides = Mapping[Path, "bytes | None"]


# ---------------------------------------------------------------------------------------------------------
# Locations


def write_path() -> Path:
    """$CONDARC when conda would read it (it is loaded last, so it wins), else ~/.condarc."""
    condarc = os.environ.get("CONDARC")
    if condarc and VALID_CONDARC_NAME.search(condarc):
        return Path(condarc)
    return paths.home() / ".condarc"


def _expand(location: Path) -> list[Path]:
    found = [location / ".condarc", location / "condarc"]
    directory = location / "condarc.d"
    if directory.is_dir():
        found += sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    return found


def search_path() -> list[Path]:
    """Every file conda 26 reads, lowest precedence first, each path once."""
    locations: list[Path] = []
    if paths.platform() == "win32":
        locations += _expand(paths.system_path("C:/ProgramData/conda"))
    else:
        locations += _expand(paths.system_path("/etc/conda")) + _expand(paths.system_path("/var/lib/conda"))
    root = os.environ.get("CONDA_ROOT")
    if not root and os.environ.get("CONDA_EXE"):  # conda sets CONDA_ROOT itself; derive it from its executable
        root = str(Path(os.environ["CONDA_EXE"]).parent.parent)
    if root:
        locations += _expand(Path(root))
    if os.environ.get("XDG_CONFIG_HOME"):
        locations += _expand(Path(os.environ["XDG_CONFIG_HOME"]) / "conda")
    home = paths.home()
    locations += _expand(home / ".config" / "conda") + _expand(home / ".conda") + [home / ".condarc"]
    if os.environ.get("CONDA_PREFIX"):
        locations += _expand(Path(os.environ["CONDA_PREFIX"]))
    condarc = os.environ.get("CONDARC")
    if condarc and VALID_CONDARC_NAME.search(condarc):
        locations.append(Path(condarc))
    unique: list[Path] = []
    seen: set[str] = set()
    for path in locations:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


# ---------------------------------------------------------------------------------------------------------
# YAML round trip


def _yaml(text: str = ""):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long URLs
    mapping, sequence, offset = _detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _detect_indent(text: str) -> tuple[int, int, int]:
    """Keep the file's own list style: ``- item`` under its key, or indented ``  - item`` (the common one)."""
    lines = text.splitlines()
    mapping = 2
    for before, after in zip(lines, lines[1:]):
        key = re.match(r"^(\s*)[^\s#-][^:]*:\s*(#.*)?$", before)
        if not key:
            continue
        dash = re.match(r"^(\s*)- ", after)
        nested = re.match(r"^(\s*)[^\s#-]", after)
        if dash:
            offset = len(dash.group(1)) - len(key.group(1))
            return mapping, offset + 2, offset
        if nested and len(nested.group(1)) > len(key.group(1)):
            mapping = len(nested.group(1)) - len(key.group(1))
    return mapping, 4, 2  # what conda's own docs and the mirrors' help pages use


def load(text: str, path: Path | None):
    """The round-trip document (a mapping), or None for an empty file. Raises ConfigParseError with the line."""
    undecodable = re.search("[\udc80-\udcff]", text)  # bytes that were not UTF-8 (see targets.decode)
    if undecodable:
        raise ConfigParseError("is not UTF-8 text, and conda reads .condarc as UTF-8 (it would ignore this file); "
                               "save it as UTF-8", path=path, line=text.count("\n", 0, undecodable.start()) + 1)
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = _yaml(text).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "\\t" in problem:  # ruamel names the tab character it could not start a token with
            problem = "tab used for indentation (YAML allows spaces only)"
        raise ConfigParseError(problem, path=path, line=mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise ConfigParseError(" ".join(str(exc).split()), path=path) from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigParseError("the top level must be a mapping of settings (key: value)", path=path, line=1)
    return data


def dump(data: Any, original: str) -> str:
    stream = io.StringIO()
    _yaml(original).dump(data, stream)
    return stream.getvalue()


def _comment_slot(container: Any) -> int:
    from ruamel.yaml.comments import CommentedMap

    return 2 if isinstance(container, CommentedMap) else 0


def _tail(container: Any, key: Any) -> str:
    """Comment lines that follow an entry (ruamel stores them with it; they usually describe what comes next)."""
    entry = container.ca.items.get(key)
    token = entry[_comment_slot(container)] if entry else None
    if token is None or "\n" not in token.value:
        return ""
    return token.value[token.value.index("\n") + 1 :]


def _add_tail(container: Any, key: Any, tail: str) -> None:
    if not tail:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot = _comment_slot(container)
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    token = entry[slot]
    if token is None:
        entry[slot] = CommentToken("\n" + tail, CommentMark(0), None)
    else:
        own = token.value.split("\n", 1)[0]
        token.value = own + "\n" + tail


def _remove_key(mapping: Any, key: str) -> str:
    """Delete ``key`` but keep the comment block that followed it; returns it if nothing is left to hold it."""
    keys = list(mapping.keys())
    position = keys.index(key)
    tail = _tail(mapping, key)
    del mapping[key]
    mapping.ca.items.pop(key, None)
    if position > 0:
        _add_tail(mapping, keys[position - 1], tail)
        return ""
    if len(keys) > 1 and tail:
        lines = [line.strip()[1:].lstrip() if line.strip().startswith("#") else "" for line in tail.splitlines()]
        mapping.yaml_set_start_comment("\n".join(lines).strip("\n"))
        return ""
    return tail


def _replace_list(container: Any, key: str, values: list[str]) -> None:
    from ruamel.yaml.comments import CommentedSeq

    current = container.get(key)
    if not isinstance(current, CommentedSeq) or not len(current):
        container[key] = CommentedSeq(values)
        return
    tail = _tail(current, len(current) - 1)
    del current[:]
    current.ca.items.clear()
    current.extend(values)
    _add_tail(current, len(current) - 1, tail)


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def _managed_bases(profiles: Iterable[Profile], channel: str) -> set[str]:
    """URLs a profile would write for ``channel``: entries with these values are mirrorctl's to change."""
    return {
        normalize(p.conda.custom_channels[channel]) for p in profiles if p.conda and channel in p.conda.custom_channels
    }


def _known_default_sets(profiles: Iterable[Profile]) -> set[frozenset[str]]:
    return {_defaults_key(p.conda.default_channels) for p in profiles if p.conda and p.conda.default_channels}


def _defaults_key(urls: Iterable[str]) -> frozenset[str]:
    """Compare default_channels ignoring pkgs/msys2 (mirrors list it everywhere, conda adds it on Windows)."""
    return frozenset(normalize(u) for u in urls if not normalize(u).endswith("/pkgs/msys2"))


def render_use(text: str, profile: Profile, profiles: list[Profile], *, path: Path | None = None,
               channels_configured_elsewhere: bool = False) -> tuple[str, list[str]]:
    """Write ``profile``'s conda mirror into ``text``. Returns (new text, notes for the user)."""
    from ruamel.yaml.comments import CommentedMap

    assert profile.conda is not None
    notes: list[str] = []
    data = load(text, path)
    document = data if data is not None else CommentedMap()
    before = _plain(document)

    channels = document.get("channels")
    if channels is None and not channels_configured_elsewhere:
        from ruamel.yaml.comments import CommentedSeq

        document["channels"] = CommentedSeq(["defaults"])
    elif isinstance(channels, list) and "defaults" not in channels and profile.conda.default_channels:
        notes.append("`channels` does not list `defaults`, so default_channels (pkgs/main, pkgs/r) is not used")

    if profile.conda.default_channels:
        if [str(v) for v in document.get("default_channels") or []] != list(profile.conda.default_channels):
            _replace_list(document, "default_channels", list(profile.conda.default_channels))
    else:
        existing = document.get("default_channels")
        if existing is not None and _defaults_key(existing) in _known_default_sets(profiles):
            _remove_key(document, "default_channels")
        if existing is not None and "default_channels" in document:
            notes.append(f"{profile.name} does not mirror pkgs/main or pkgs/r; kept your own default_channels")
        else:
            notes.append(f"{profile.name} does not mirror pkgs/main or pkgs/r: `defaults` uses repo.anaconda.com")

    _write_custom_channels(document, dict(profile.conda.custom_channels), profiles)

    if "show_channel_urls" not in document:
        document["show_channel_urls"] = True
    if _plain(document) == before:
        return text, notes
    return _dump_keeping(text, data, document), notes


def render_reset(text: str, profiles: list[Profile], *, path: Path | None = None) -> tuple[str, list[str]]:
    """Remove the mirror settings: default_channels and every custom_channels entry a profile would write."""
    notes: list[str] = []
    data = load(text, path)
    if data is None:
        return text, notes
    before = _plain(data)
    if "default_channels" in data:
        _remove_key(data, "default_channels")
    kept = _write_custom_channels(data, {}, profiles)
    if kept:
        notes.append(f"kept custom_channels that no profile writes: {', '.join(kept)}")
    if _plain(data) == before:
        return text, notes
    return _dump_keeping(text, data, data), notes


def _write_custom_channels(document: Any, wanted: dict[str, str], profiles: list[Profile]) -> list[str]:
    """Set ``wanted`` entries, drop other entries a profile wrote, keep the user's own; returns those kept."""
    from ruamel.yaml.comments import CommentedMap

    current = document.get("custom_channels")
    if current is None and not wanted:
        return []
    if not isinstance(current, dict):
        if current is not None:
            raise MirrorctlError("custom_channels must be a mapping of channel name to URL")
        current = CommentedMap()
        document["custom_channels"] = current
    kept = []
    for channel in list(current.keys()):
        if channel in wanted:
            continue
        if normalize(str(current[channel])) in _managed_bases(profiles, channel):
            tail = _remove_key(current, channel)
            if not current:
                _add_tail(document, "custom_channels", tail)
        else:
            kept.append(channel)
    for channel, base in wanted.items():
        if str(current.get(channel, "")) != base:
            current[channel] = base
    if not current:
        tail = _remove_key(document, "custom_channels")
        if tail and len(document):
            _add_tail(document, list(document.keys())[-1], tail)
    return kept


def _plain(value: Any) -> Any:
    """A comparable copy without ruamel's comment bookkeeping."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dump_keeping(original: str, loaded: Any, document: Any) -> str:
    """Dump ``document``; a file that held only comments keeps them above the new settings."""
    newline = "\r\n" if "\r\n" in original else "\n"
    body = dump(document, original) if len(document) else ""
    if loaded is None and original.strip():
        head = original.replace("\r\n", "\n")
        body = head + ("" if head.endswith("\n") else "\n") + body
    return body.replace("\n", newline) if newline != "\n" else body


# ---------------------------------------------------------------------------------------------------------
# Planning


def _read(path: Path, overrides: Overrides | None = None) -> tuple[bytes | None, str]:
    data = overrides[path] if overrides and path in overrides else read_bytes(path)
    return data, decode(data)


def _summary(old_text: str, new_text: str) -> tuple[str, ...]:
    old = _plain(load(old_text, None) or {}) if old_text.strip() else {}
    new = _plain(load(new_text, None) or {}) if new_text.strip() else {}
    changes = []
    for key in ("channels", "default_channels", "show_channel_urls"):
        if old.get(key) != new.get(key):
            changes.append(f"{key}: {_short(old.get(key))} -> {_short(new.get(key))}")
    old_custom, new_custom = old.get("custom_channels") or {}, new.get("custom_channels") or {}
    grouped: dict[tuple[str, str], list[str]] = {}  # one line per (before, after), however many channels
    for channel in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(channel) != new_custom.get(channel):
            move = (_short(old_custom.get(channel)), _short(new_custom.get(channel)))
            grouped.setdefault(move, []).append(channel)
    for (before, after), channels in grouped.items():
        changes.append(f"custom_channels {', '.join(channels)}: {before} -> {after}")
    return tuple(changes)


def _short(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _channels_elsewhere(target: Path) -> bool:
    state = _merged([p for p in search_path() if os.path.realpath(p) != os.path.realpath(target)], None, [])
    return bool(state["channels"]) or bool(os.environ.get("CONDA_CHANNELS"))


def plan_use(profile: Profile, profiles: Iterable[Profile]) -> list[FileEdit]:
    path = write_path()
    old, text = _read(path)
    new_text, notes = render_use(text, profile, list(profiles), path=path,
                                 channels_configured_elsewhere=_channels_elsewhere(path))
    new = encode(new_text) if old is not None or new_text else None
    return [FileEdit(NAME, path, old, new, _summary(text, new_text) + tuple(f"note: {n}" for n in notes))]


def plan_reset(profiles: Iterable[Profile]) -> list[FileEdit]:
    path = write_path()
    old, text = _read(path)
    new_text, notes = render_reset(text, list(profiles), path=path)
    return [FileEdit(NAME, path, old, encode(new_text) if old is not None else None,
                     _summary(text, new_text) + tuple(f"note: {n}" for n in notes))]


# ---------------------------------------------------------------------------------------------------------
# What is in effect


#: ``key: value  #!final`` on a top-level key: files loaded after this one cannot change that key.
FINAL_MARK = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[^\n]*#!final[ \t]*\r?$", re.MULTILINE)
#: The only keys `current` and `list` read from a .condarc.
READ_KEYS = ("channels", "default_channels", "custom_channels", "channel_alias", "custom_multichannels")


def _settings(data: bytes, text: str, path: Path) -> dict[str, Any] | None:
    """The READ_KEYS of one file, parsed with ruamel.yaml (or remembered from an earlier parse of these bytes)."""
    from mirrorctl import cache

    def parse() -> dict[str, Any] | None:
        loaded = load(text, path)
        return None if loaded is None else {k: _plain(loaded[k]) for k in READ_KEYS if k in loaded}

    settings = cache.parsed("condarc", path, data, parse)
    return dict(settings) if settings is not None else None  # callers may edit their copy


def _merged(files: list[Path], overrides: Overrides | None, problems: list[str]) -> dict[str, Any]:
    """conda's merge: lists concatenated highest precedence first (deduplicated), maps per key, scalars last."""
    channels: list[tuple[str, str]] = []  # (value, file), highest precedence first
    default_channels: list[tuple[str, str]] = []
    custom: dict[str, tuple[str, str]] = {}
    scalars: dict[str, tuple[Any, str]] = {}
    final: dict[str, str] = {}  # key -> the file that marked it #!final
    shadowed: list[str] = []
    read = []
    for path in files:
        data, text = _read(path, overrides)
        if data is None:
            continue
        try:
            loaded = _settings(data, text, path)
        except MirrorctlError as exc:
            problems.append(f"{exc} (conda ignores this file)")
            continue
        read.append(display_path(path))
        if not loaded:
            continue
        where = display_path(path)
        for key in [k for k in READ_KEYS if k in loaded and k in final]:
            shadowed.append(f"{where} sets {key}, but {final[key]} marks it #!final, so conda ignores it here")
            del loaded[key]
        for key in FINAL_MARK.findall(text):
            final.setdefault(key, where)
        for key, bucket in (("channels", channels), ("default_channels", default_channels)):
            values = loaded.get(key)
            if isinstance(values, list):
                bucket[:0] = [(os.path.expandvars(str(v)), where) for v in values]
        if isinstance(loaded.get("custom_channels"), dict):
            for name, url in loaded["custom_channels"].items():
                custom[str(name)] = (os.path.expandvars(str(url)), where)
        for key in ("channel_alias", "custom_multichannels"):
            if key in loaded:
                scalars[key] = (_plain(loaded[key]), where)
    for variable, bucket in (("CONDA_CHANNELS", channels), ("CONDA_DEFAULT_CHANNELS", default_channels)):
        if os.environ.get(variable):
            bucket[:0] = [(v.strip(), variable) for v in os.environ[variable].split(",") if v.strip()]
    if os.environ.get("CONDA_CHANNEL_ALIAS"):
        scalars["channel_alias"] = (os.environ["CONDA_CHANNEL_ALIAS"], "CONDA_CHANNEL_ALIAS")

    def dedup(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        seen: set[str] = set()
        return [p for p in pairs if not (p[0] in seen or seen.add(p[0]))]  # type: ignore[func-returns-value]

    return {"channels": dedup(channels), "default_channels": dedup(default_channels), "custom": custom,
            "scalars": scalars, "read": read, "shadowed": shadowed}


def inspect(profiles: Iterable[Profile], overrides: Overrides | None = None) -> TargetState:
    profiles = list(profiles)
    problems: list[str] = []
    warnings: list[str] = []
    files = search_path()
    state = _merged(files, overrides, problems)
    alias = str(state["scalars"].get("channel_alias", (DEFAULT_CHANNEL_ALIAS,))[0])
    multichannels = state["scalars"].get("custom_multichannels", ({},))[0] or {}
    custom = {**{k: (v, "built-in") for k, v in BUILTIN_CUSTOM_CHANNELS.items()}, **state["custom"]}

    if isinstance(multichannels, dict) and multichannels.get("defaults"):
        defaults = [str(u) for u in multichannels["defaults"]]
        defaults_from = state["scalars"]["custom_multichannels"][1] + " (custom_multichannels)"
    elif state["default_channels"]:
        defaults = [v for v, _ in state["default_channels"]]
        defaults_from = ", ".join(sorted({w for _, w in state["default_channels"]}))
    else:
        defaults = list(UPSTREAM_DEFAULTS) + (["https://repo.anaconda.com/pkgs/msys2"]
                                              if paths.platform() == "win32" else [])
        defaults_from = "built-in default"

    def resolve(name: str) -> tuple[list[str], str]:
        if name == "defaults":
            return defaults, defaults_from
        if "://" in name:
            return [name], "URL"
        if name in custom:
            return [join(custom[name][0], name)], f"custom_channels in {custom[name][1]}"
        return [join(alias, name)], "channel_alias" + ("" if alias == DEFAULT_CHANNEL_ALIAS else
                                                       f" in {state['scalars']['channel_alias'][1]}")

    channel_rows = []
    for name, where in state["channels"]:
        urls, how = resolve(name)
        channel_rows.append({"name": name, "listed_in": where, "urls": urls, "via": how})
    named = [c for c in custom if c not in BUILTIN_CUSTOM_CHANNELS]
    custom_rows = {c: {"url": join(custom[c][0], c), "from": custom[c][1]} for c in named}

    warnings += state["shadowed"]
    if not state["channels"]:
        warnings.append("no channels are configured: conda >= 26.1 refuses to solve (`mirrorctl use` adds defaults)")
    if len({w for _, w in state["default_channels"]}) > 1:
        warnings.append("default_channels is set in several files and conda merges them all: "
                        + ", ".join(sorted({w for _, w in state["default_channels"]})))
    for variable in ("CONDA_CHANNELS", "CONDA_DEFAULT_CHANNELS", "CONDA_CHANNEL_ALIAS"):
        if os.environ.get(variable):
            warnings.append(f"{variable} is set in your environment and beats every .condarc")
    if alias.rstrip("/") != DEFAULT_CHANNEL_ALIAS:
        warnings.append(f"channel_alias = {alias}: every named channel without a custom_channels entry goes there")
    if multichannels and isinstance(multichannels, dict) and multichannels.get("defaults"):
        warnings.append("custom_multichannels.defaults is set and beats default_channels (conda >= 26.1)")
    target = write_path()
    condarc = os.environ.get("CONDARC")
    if condarc and not VALID_CONDARC_NAME.search(condarc):
        warnings.append(f"CONDARC={condarc} is ignored by conda: the name must be .condarc, condarc, *.yml or *.yaml")

    explicit_defaults = [v for v, _ in state["default_channels"]]
    profile = _matching_profile(profiles, explicit_defaults, {c: custom[c][0] for c in named},
                                [n for n, _ in state["channels"]], alias)
    details = {
        "channels": channel_rows,
        "default_channels": defaults,
        "default_channels_from": defaults_from,
        "custom_channels": custom_rows,
        "channel_alias": alias,
        "write_path": display_path(target),
    }
    return TargetState(NAME, profile, details, tuple(state["read"]), tuple(warnings), tuple(problems))


def _matching_profile(profiles: list[Profile], explicit_defaults: list[str], custom: dict[str, str],
                      channels: list[str], alias: str) -> str:
    """The profile whose URLs conda would use for `defaults` and for every named channel the profile covers."""
    effective_defaults = _defaults_key(explicit_defaults or UPSTREAM_DEFAULTS)
    for profile in profiles:
        if not profile.conda:
            continue
        wanted_defaults = _defaults_key(profile.conda.default_channels or UPSTREAM_DEFAULTS)
        if effective_defaults != wanted_defaults:
            continue
        names = [n for n in set(channels) | set(custom) if n in profile.conda.custom_channels]
        if not names and not profile.conda.default_channels:
            continue  # nothing of this profile is in use: it would match any unconfigured conda
        if all(normalize(custom.get(n, alias)) == normalize(profile.conda.custom_channels[n]) for n in names):
            return profile.name
    return "custom"


def describe(details: dict[str, Any]) -> list[str]:
    """The lines `mirrorctl current` shows for conda: every channel and where it really points."""
    lines = [] if details["channels"] else ["  channels      (none)"]
    for channel in details["channels"]:
        lines.append(f"  channel {channel['name']}  (listed in {channel['listed_in']})")
        lines += [f"      -> {url}" for url in channel["urls"]]
        lines.append(f"      via {channel['via']}")
    listed = {c["name"] for c in details["channels"]}
    if "defaults" not in listed:
        lines.append(f"  defaults would be {', '.join(details['default_channels'])} "
                     f"({details['default_channels_from']})")
    unlisted: dict[tuple[str, str], list[str]] = {}  # one line per base URL, however many channels use it
    for name, entry in details["custom_channels"].items():
        if name not in listed:
            base = entry["url"][: -len(name)].rstrip("/")
            unlisted.setdefault((base, entry["from"]), []).append(name)
    for (base, source), names in unlisted.items():
        lines.append(f"  when used: {', '.join(names)} -> {base}/<name>  (custom_channels in {source})")
    return lines
