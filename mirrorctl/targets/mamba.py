"""mamba / micromamba 2.x: ``mirrored_channels`` in ``~/.mambarc`` (ruamel.yaml round trip).

mamba reads conda's files and its own ``.mambarc`` files (mamba 2.8.1, mamba-org/mamba
``libmamba/src/api/configuration.cpp`` ``Configuration::compute_default_rc_sources``, L2145):

- order, lowest first (:func:`search_path`, from libmamba's ``compute_default_rc_sources``): system
  (``/etc/conda``, ``/var/lib/conda``), the root prefix, conda's user files (the active environment's
  ``.condarc`` among them), mamba's user files (``${XDG_CONFIG_HOME:-~/.config}/mamba``, ``~/.mamba``,
  ``~/.mambarc``, ``$MAMBARC``), and the target prefix's ``.mambarc`` (``$CONDA_PREFIX``), which beats everything;
- lists are merged (highest precedence first), but **maps are not**: the highest-precedence file's whole map
  wins (libmamba/include/mamba/api/configuration_impl.hpp L104-113 ``Source<T>::merge`` takes
  ``values.at(sources.front())``; unlike conda, which merges ``custom_channels`` per key);
- ``mirrored_channels: {name: [urls]}``: every key is loaded as an active channel, before ``channels``
  (libmamba/src/api/channel_loader.cpp L241-268: the mirrored keys first, then each ``channels`` entry that is
  not one of them), so mirrorctl writes a key only for a channel that is in use (listed in the ``channels``
  mamba sees).

mamba shares ``.condarc`` with conda; the conda target edits it. This target never writes a ``.condarc``: it reads
them to know which channels are in use, and writes only ``.mambarc``, so the two never plan edits of one file.
What mirrorctl owns in ``mirrored_channels``: entries whose every URL is a known mirror's or upstream's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError
from mirrorctl.formats import yaml
from mirrorctl.formats.yaml import plain
from mirrorctl.i18n import N_
from mirrorctl.results import (
    MIXED,
    EnvFile,
    EnvPlan,
    FileEdit,
    Finding,
    Label,
    ScopeFiles,
    Setting,
    Source,
    ToolState,
)
from mirrorctl.targets import _channels, decode, encode, in_scope, load_layers, read_bytes
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "mamba"
#: mamba/micromamba drop it from `channels` wherever it comes from (``channels_hook``,
#: ``libmamba/src/api/install.cpp`` L1176-1189).
NO_DEFAULTS = "nodefaults"

MESSAGES = {
    "mamba.env-no-variable": N_("mirrorctl points mamba at mirrors with mirrored_channels in a file, not a variable: "
                             "use `mirrorctl run {profile} -- mamba ...` or `mirrorctl use {profile} --only mamba`"),
    "mamba.run-replaces-mambarc": N_("MAMBARC={path} is not read during this command (MAMBARC names the temporary "
                                  "file)"),
    "mamba.channel-upstream": N_("{channel}: {profile} does not carry it; mamba fetches it from upstream"),
    "mamba.no-channels": N_("no channel is listed in `channels`, so mirrorctl wrote no mirrored_channels (mamba "
                         "activates every key); add e.g. `channels: [conda-forge]` and run `mirrorctl use` again"),
    "mamba.unused-mirrored": N_("mirrored_channels has {channel}, which is not in `channels`: mamba 2.x adds it to "
                             "every solve"),
    "mamba.map-ignored": N_("{path} sets {key}, but mamba does not merge maps: only the one in {winner} is used"),
    "mamba.map-shadowed": N_("{path} sets {key} too and beats {write_path}: mamba uses only the highest file's map"),
    "mamba.kept-custom": N_("kept mirrored_channels entries that no profile writes: {channels}"),
    "mamba.env-invalid": N_("{variable} cannot be read as mamba reads it ({reason}): mamba stops with an error"),
    "mamba.clean-index": N_("run `mamba clean -i` (or `micromamba clean -i`) so mamba forgets the index it cached "
                         "from the previous mirror"),
}

#: Keys `current` reads; the maps among them are taken whole from the highest-precedence file.
LIST_KEYS = ("channels", "default_channels")
MAP_KEYS = ("custom_channels", "custom_multichannels", "mirrored_channels")
READ_KEYS = (*LIST_KEYS, *MAP_KEYS, "channel_alias")


# ---------------------------------------------------------------------------------------------------------
# Locations


def write_path() -> Path:
    """``$MAMBARC`` when set (mamba's highest user file), else ``~/.mambarc``."""
    return Path(os.environ["MAMBARC"]) if os.environ.get("MAMBARC") else paths.home() / ".mambarc"


def scope_write_path(scope: str) -> Path:
    """The ``.mambarc`` of a scope: the user's, the active environment's (the target prefix, which beats every
    other file), or the system one in ``/etc/conda`` (``compute_default_rc_sources``). Never a ``.condarc``: that is
    conda's."""
    if scope == "user":
        return write_path()
    if scope == "env":
        return paths.conda_env_prefix() / ".mambarc"
    return _channels.system_dirs()[0] / ".mambarc"  # "system": core asks only for one of Mamba.scopes


def _expand(location: Path, *, condarc: bool = True, mambarc: bool = True) -> list[Path]:
    found: list[Path] = []
    if condarc:
        found += [location / ".condarc", location / "condarc", *_dir(location / "condarc.d")]
    if mambarc:
        found += [location / ".mambarc"]
    return found


def _dir(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))


def user_config_dir() -> Path:
    """libmamba ``util::user_config_dir`` (mamba-org/mamba 03564bf, libmamba/src/util/environment.cpp L295-302,
    Windows L173-180): ``$XDG_CONFIG_HOME`` when set and not empty, else ``~/.config`` (``%APPDATA%``)."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg)
    return paths.appdata() if paths.platform() == "win32" else paths.home() / ".config"


def search_path(*, mambarc: bool = True) -> list[Path]:
    """Every file mamba 2.x reads, lowest precedence first, each once at its first (lowest) place.

    libmamba/src/api/configuration.cpp L2144-2250 ``compute_default_rc_sources`` (mamba-org/mamba 03564bf):
    system, the root prefix, then conda's user files (``user_config_dir()/conda``, ``~/.conda``, ``~/.condarc``,
    ``$XDG_CONFIG_HOME/conda``, **the active environment's ``$CONDA_PREFIX`` .condarc / condarc / condarc.d**,
    ``$CONDARC``), then mamba's (``user_config_dir()/mamba``, ``~/.mamba``, ``~/.mambarc``, ``$MAMBARC``), then the
    target prefix (``$CONDA_PREFIX`` when no -n/-p, L544-549). A file is kept at its first place (L2229-2240), so
    of the environment only its ``.mambarc`` beats the user's files; its ``.condarc`` ranks below ``$CONDARC`` and
    every ``.mambarc`` of the user. ``mambarc`` False: without the one ``$MAMBARC`` names.
    """
    home = paths.home()
    if paths.platform() == "win32":
        found = _expand(paths.system_path("C:/ProgramData/conda"))
    else:
        found = _expand(paths.system_path("/etc/conda")) + _expand(paths.system_path("/var/lib/conda"))
    root = os.environ.get("MAMBA_ROOT_PREFIX") or os.environ.get("CONDA_ROOT")
    if root:
        found += _expand(Path(root))
    config = user_config_dir()
    found += _expand(config / "conda", mambarc=False) + _expand(home / ".conda", mambarc=False)
    found.append(home / ".condarc")
    if os.environ.get("XDG_CONFIG_HOME"):
        found += _expand(Path(os.environ["XDG_CONFIG_HOME"]) / "conda", mambarc=False)
    prefix = os.environ.get("CONDA_PREFIX")
    if prefix:
        found += _expand(Path(prefix), mambarc=False)
    if os.environ.get("CONDARC"):
        found.append(Path(os.environ["CONDARC"]))
    for folder in (config / "mamba", home / ".mamba"):
        found += [folder / ".mambarc", folder / "mambarc", *_dir(folder / "mambarc.d")]
    found.append(home / ".mambarc")
    if os.environ.get("MAMBARC") and mambarc:
        found.append(Path(os.environ["MAMBARC"]))
    if prefix:
        found += _expand(Path(prefix))
    return _channels.unique_paths(found)


def is_condarc(path: Path) -> bool:
    """A file conda reads too (the conda target's to edit, never this one's)."""
    name = path.name
    return name in (".condarc", "condarc") or path.parent.name == "condarc.d"


# ---------------------------------------------------------------------------------------------------------
# Parsing and validation


def load(text: str, path: Path | None) -> Any:
    data = yaml.load(text, path, encoding_advice=N_("mamba reads its files as UTF-8; save it as UTF-8"))
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigParseError(N_("must be a mapping of settings"), path=path, line=1)

    def line(key: str) -> int | None:
        return data.lc.key(key)[0] + 1 if hasattr(data, "lc") else None

    channels = data.get("channels")
    if channels is not None and (not isinstance(channels, list) or not all(isinstance(c, str) for c in channels)):
        raise ConfigParseError(N_("channels must be a list of channel names or URLs (mamba refuses this file)"),
                               path=path, line=line("channels"))
    mirrored = data.get("mirrored_channels")
    if mirrored is not None:
        good = isinstance(mirrored, dict) and all(
            isinstance(v, list) and all(isinstance(u, str) for u in v) for v in mirrored.values())
        if not good:
            raise ConfigParseError(N_("mirrored_channels must map each channel name to a list of URLs (mamba refuses "
                                      "this file)"), path=path, line=line("mirrored_channels"))
    return data


def in_use(names: Sequence[str]) -> list[str]:
    """Named channels a mirrored_channels key can stand for (not URLs, not the defaults multichannel)."""
    seen: list[str] = []
    for name in names:
        name = str(name).strip()
        if name and "://" not in name and name not in (NO_DEFAULTS, "defaults") and name not in seen:
            seen.append(name)
    return seen


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure): the mirrored_channels edit is in _mamba_render, loaded when a change is planned


def render(text: str, profile: Profile | None, profiles: Sequence[Profile], *, path: Path | None = None,
           channels_elsewhere: Sequence[str] = ()) -> tuple[str, list[Finding]]:
    """Point mirrored_channels at ``profile`` for the channels in use; ``None`` or official: remove mirrorctl's."""
    from mirrorctl.targets import _mamba_render

    data = load(text, path)
    listed = [str(c) for c in (data.get("channels") if data is not None else None) or []]
    return _mamba_render.render(text, data, in_use([*listed, *channels_elsewhere]), profile, profiles, path)


def _mirrored(text: str) -> dict[str, list[str]]:
    data = load(text, None) if text.strip() else None
    return plain(data.get("mirrored_channels") or {}) if data is not None else {}


# ---------------------------------------------------------------------------------------------------------
# What is in effect


class Merged(NamedTuple):
    channels: list[tuple[str, Source]]
    default_channels: list[tuple[str, Source]]
    #: key -> (the whole map, the one file it comes from)
    maps: dict[str, tuple[dict[str, Any], Source]]
    alias: tuple[str, Source] | None
    read: list[Path]
    findings: list[Finding]
    #: key -> every file that sets that map, lowest first
    map_files: dict[str, list[Path]]


def _settings(data: bytes, path: Path) -> dict[str, Any] | None:
    """READ_KEYS of one file, validated as mamba does (or remembered from an earlier parse of these bytes)."""
    from mirrorctl import cache

    def parse() -> dict[str, Any] | None:
        loaded = load(decode(data), path)
        return None if loaded is None else {k: plain(loaded[k]) for k in READ_KEYS if k in loaded}

    settings = cache.parsed("mambarc", path, data, parse, valid=_valid_settings)
    return dict(settings) if settings is not None else None


def _valid_settings(value: Any) -> bool:
    """A cached parse is input too: it must have the shape ``load`` lets through."""
    if value is None:
        return True
    if not isinstance(value, dict) or set(value) - set(READ_KEYS):
        return False
    def strings(item: Any) -> bool:
        return isinstance(item, list) and all(isinstance(v, str) for v in item)

    if not all(strings(value.get(k, [])) for k in LIST_KEYS):
        return False
    if not isinstance(value.get("channel_alias", ""), str):
        return False
    custom = value.get("custom_channels", {})
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        return False
    return all(isinstance(value.get(k, {}), dict) and all(strings(v) for v in value.get(k, {}).values())
               for k in ("custom_multichannels", "mirrored_channels"))


def merge(files: Sequence[Path], overrides: Overrides | None = None) -> Merged:
    channels: list[tuple[str, Source]] = []
    default_channels: list[tuple[str, Source]] = []
    maps: dict[str, tuple[dict[str, Any], Source]] = {}
    map_files: dict[str, list[Path]] = {}
    alias: tuple[str, Source] | None = None
    loaded_files = load_layers(NAME, files, lambda data, _text, path: _settings(data, path), overrides)
    findings = loaded_files.findings
    for path, _text, loaded in loaded_files.layers:
        if not loaded:
            continue
        source = Source(path=path)
        for key, bucket in (("channels", channels), ("default_channels", default_channels)):
            values = loaded.get(key)
            if isinstance(values, list):
                bucket[:0] = [(os.path.expandvars(str(v)), source) for v in values]
        for key in MAP_KEYS:
            value = loaded.get(key)
            if isinstance(value, dict):
                maps[key] = (plain(value), source)  # not merged: this file's whole map replaces the earlier one
                map_files.setdefault(key, []).append(path)
        if isinstance(loaded.get("channel_alias"), str):
            alias = (os.path.expandvars(loaded["channel_alias"]), source)

    for variable, key, value in environment():  # above every file (lists: first; maps and alias: whole)
        source = Source(env=variable)
        if key in LIST_KEYS:
            bucket = channels if key == "channels" else default_channels
            bucket[:0] = [(str(v), source) for v in value]
        elif key in MAP_KEYS:
            maps[key] = (value, source)
        else:
            alias = (str(value), source)
        if key not in LIST_KEYS:  # a list from the environment is merged in front, not instead
            findings.append(Finding("env-overrides", "warning", NAME, params={
                "variable": f"{variable}={os.environ[variable]}", "files": f"{key} of .mambarc / .condarc"}))
    findings += _environment_problems()

    unique = _channels.first_of_each
    return Merged(unique(channels), unique(default_channels), maps, alias, loaded_files.read, findings, map_files)


#: The variables libmamba reads for these keys (configuration.cpp L1409-1466: ``channels`` from
#: ``CONDA_CHANNELS``; the others from ``MAMBA_<KEY>``, the default of ``set_env_var_names()`` at L219;
#: ``custom_multichannels`` has none). Lists are parsed as YAML ``[<value>]``, the rest as YAML
#: (configuration_impl.hpp L117-128, L164-167).
ENV_KEYS = (("CONDA_CHANNELS", "channels"), ("MAMBA_DEFAULT_CHANNELS", "default_channels"),
            ("MAMBA_CHANNEL_ALIAS", "channel_alias"), ("MAMBA_CUSTOM_CHANNELS", "custom_channels"),
            ("MAMBA_MIRRORED_CHANNELS", "mirrored_channels"))


def _parse_variable(variable: str, key: str) -> Any:
    value = os.environ[variable]
    text = f"v: [{value}]\n" if key in LIST_KEYS else f"v: {value}\n"
    loaded = plain((yaml.load(text, None) or {}).get("v"))
    good = (isinstance(loaded, list) and all(isinstance(v, str) for v in loaded) if key in LIST_KEYS else
            isinstance(loaded, str) if key == "channel_alias" else
            isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values()) if key == "custom_channels"
            else isinstance(loaded, dict) and all(isinstance(v, list) and all(isinstance(u, str) for u in v)
                                                  for v in loaded.values()))
    if not good:
        raise ConfigParseError(f"{variable} is not a valid {key} value")
    return loaded


def environment() -> list[tuple[str, str, Any]]:
    """(variable, key, parsed value) for each of :data:`ENV_KEYS` that is set and valid."""
    found = []
    for variable, key in ENV_KEYS:
        if os.environ.get(variable):
            try:
                found.append((variable, key, _parse_variable(variable, key)))
            except ConfigParseError:
                continue
    return found


def _environment_problems() -> list[Finding]:
    problems = []
    for variable, key in ENV_KEYS:
        if os.environ.get(variable):
            try:
                _parse_variable(variable, key)
            except ConfigParseError as exc:
                problems.append(Finding("mamba.env-invalid", "error", NAME,
                                        params={"variable": variable, "reason": exc.message}))
    return problems


def resolve(merged: Merged, profiles: Sequence[Profile]) -> list[Setting]:
    """Every channel mamba loads: the mirrored_channels keys first, then ``channels`` (same name skipped)."""
    alias = merged.alias[0] if merged.alias else _channels.DEFAULT_CHANNEL_ALIAS
    custom = {str(k): str(v) for k, v in merged.maps.get("custom_channels", ({}, Source()))[0].items()}
    multi = {str(k): [str(i) for i in v] for k, v in merged.maps.get("custom_multichannels", ({}, Source()))[0].items()}
    mirrored, mirrored_source = merged.maps.get("mirrored_channels", ({}, Source()))
    defaults = [v for v, _ in merged.default_channels]
    settings = []
    for name, urls in mirrored.items():
        resolved = tuple(str(u).rstrip("/") for u in urls)
        owners = {_channels.owner_of(u, profiles) for u in resolved}
        settings.append(Setting(NAME, "channel", str(name), mirrored_source, resolved,
                                owners.pop() if len(owners) == 1 else MIXED, "mirrored_channels", mirrored_source))
    for name, where in merged.channels:
        if name in mirrored or name == NO_DEFAULTS:
            continue
        found = _channels.resolve(name, default_channels=defaults, custom_channels=custom, multichannels=multi,
                                  alias=alias, windows=paths.platform() == "win32")
        owners = {_channels.owner_of(url, profiles) for url in found.urls}
        via = merged.maps.get(found.via, (None, None))[1] if found.via in MAP_KEYS else None
        settings.append(Setting(NAME, "channel", name, where, found.urls, owners.pop() if len(owners) == 1 else
                                MIXED, found.via, via))
    return settings


def _scopes(files: Sequence[Path]) -> tuple[ScopeFiles, ...]:
    """mamba's files grouped by scope, in its order: system, the root prefix, the user's, the target prefix."""
    system = {os.path.realpath(p) for d in _channels.system_dirs() for p in _expand(d)}
    prefix = os.environ.get("CONDA_PREFIX")
    env = {os.path.realpath(p) for p in _expand(Path(prefix))} if prefix else set()
    root = os.environ.get("MAMBA_ROOT_PREFIX") or os.environ.get("CONDA_ROOT")
    installation = {os.path.realpath(p) for p in _expand(Path(root))} if root else set()
    groups: dict[str, list[Path]] = {"system": [], "installation": [], "user": [], "env": []}
    for path in files:
        real = os.path.realpath(path)
        name = "system" if real in system else "installation" if real in installation else "env" if real in env \
            else "user"
        groups[name].append(path)
    return tuple(ScopeFiles(name, tuple(group)) for name, group in groups.items() if group)


class Mamba:
    name = NAME
    #: micromamba is the same libmamba reading the same files (libmamba/src/api/configuration.cpp,
    #: compute_default_rc_sources): --only micromamba means this tool.
    aliases = ("micromamba",)
    ecosystems = frozenset({"conda"})
    scopes: tuple[str, ...] = ("system", "user", "env")
    default_scope = "user"
    order = 25

    def locations(self, scope: str) -> list[Path]:
        return [scope_write_path(scope)]

    def present(self) -> bool:
        return on_path("mamba", "micromamba") or any(p.name in (".mambarc", "mambarc") and p.exists()
                                                      for p in search_path())

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        new, findings = render(text, profile, context.profiles, path=context.path,
                               channels_elsewhere=context.inherited_channels)
        return Rendered(new, tuple(findings))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        from mirrorctl.targets import _mamba_render

        path = scope_write_path(scope)
        if is_condarc(path):
            raise ConfigParseError(N_("MAMBARC names a .condarc: conda reads it too, so mirrorctl edits it only "
                                      "for conda (point MAMBARC at a .mambarc)"), path=path)
        old = read_bytes(path)
        text = decode(old)
        written = os.path.realpath(path)
        others = merge([p for p in search_path() if os.path.realpath(p) != written])
        inherited = tuple(sorted({name for name, _ in others.channels}))
        rendered = self.render(text, profile, RenderContext(path, tuple(profiles), inherited_channels=inherited))
        new = encode(rendered.text) if old is not None or rendered.text else None
        changes = _mamba_render.changes(path, _mirrored(text), _mirrored(rendered.text))
        return [FileEdit(NAME, path, old, new, changes, rendered.findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        files = search_path()
        merged = merge(files, overrides)
        findings = list(merged.findings)
        found, notes = in_scope(NAME, scope, scope_write_path)
        findings += notes
        target = found or write_path()
        for key, setters in merged.map_files.items():
            winner = setters[-1]
            for path in setters[:-1]:
                if os.path.realpath(path) == os.path.realpath(target):
                    findings.append(Finding("mamba.map-shadowed", "warning", NAME, winner,
                                            params={"path": winner, "key": key, "write_path": target}))
                else:
                    findings.append(Finding("mamba.map-ignored", "note", NAME, path,
                                            params={"path": path, "key": key, "winner": winner}))
        settings = resolve(merged, profiles)
        listed = {name for name, _ in merged.channels}
        for name in merged.maps.get("mirrored_channels", ({}, Source()))[0]:
            if name not in listed:
                findings.append(Finding("mamba.unused-mirrored", "warning", NAME,
                                        merged.maps["mirrored_channels"][1].path, params={"channel": name}))
        broken = any(f.level == "error" for f in findings)
        state_label = Label(None) if broken else _channels.label(settings, profiles)
        if not broken and not settings:
            state_label = Label(_channels.UPSTREAM_PROFILE)
        return ToolState(NAME, state_label, tuple(settings), tuple(merged.read), tuple(findings), target,
                         scopes=_scopes(files), scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """Nothing here (``run`` writes a private ``.mambarc``, :meth:`run_env`). libmamba does read a map from
        the environment, ``MAMBA_MIRRORED_CHANNELS`` as YAML (configuration.cpp L1458-1466, L219;
        configuration_impl.hpp L117-128), which `current` reports; mirrorctl does not set it."""
        if profile.conda is None:
            return EnvPlan(NAME, profile.name)
        return EnvPlan(NAME, profile.name, unexpressed=(Finding("mamba.env-no-variable", "warning", NAME,
                                                                params={"profile": profile.name}),))

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        """A private ``.mambarc`` named by ``MAMBARC``: mamba's highest user file (below only the target prefix,
        ``compute_default_rc_sources``), and since mamba takes a map whole from the highest file, its
        ``mirrored_channels`` is the one in effect. Not ``CONDARC``, which ranks below ``~/.mambarc``. Channels in
        use are read from the user's files, as :meth:`plan` does."""
        if profile.conda is None:
            return EnvPlan(NAME, profile.name)
        name = ".mambarc"
        files = search_path(mambarc=False)
        replaced = [p for p in search_path() if p not in files]
        others = merge(files)
        inherited = tuple(sorted({channel for channel, _ in others.channels}))
        rendered = self.render("", profile, RenderContext(Path(name), tuple(profiles), inherited_channels=inherited))
        unexpressed = [f for f in rendered.findings if f.level in ("warning", "error")]
        if replaced:
            unexpressed.append(Finding("mamba.run-replaces-mambarc", "note", NAME, params={"path": replaced[0]}))
        return EnvPlan(NAME, profile.name, files=(EnvFile("MAMBARC", name, rendered.text),),
                       unexpressed=tuple(unexpressed))

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        return [Finding("mamba.clean-index", "hint", NAME)]


TARGET: Target = Mamba()
