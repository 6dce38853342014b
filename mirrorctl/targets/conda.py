"""conda: ``.condarc`` YAML, edited with ruamel.yaml's round-trip mode so comments and layout survive.

mirrorctl writes the form the mirrors recommend: ``channels`` containing ``defaults`` (needed on conda >= 25.9
when no channel is configured at all), ``default_channels`` (what ``defaults`` means), ``custom_channels``
(where named channels such as conda-forge live) and ``show_channel_urls: true``. It reads every file on conda's
search path to explain what is really in effect.

What mirrorctl owns in ``custom_channels``: entries whose URL is one a profile would write for that channel.
Anything else (a private channel, a company mirror) is the user's and is never removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError, MirrorctlError
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
from mirrorctl.targets import _channels, data_of, decode, encode, in_scope, iter_layers, refused, shadows
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import join, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile
    from mirrorctl.torch.model import Command, Install

NAME = "conda"

VALID_CONDARC_NAME = r"(^|[\\/])(\.?condarc|[^\\/]*\.ya?ml)$"
#: English templates of this tool's own finding codes (generic codes are worded in ``output``).
MESSAGES = {
    "conda.ssl-verify-off": N_("ssl_verify is off: conda accepts any certificate, so a hijacked or wrong mirror "
                               "goes unnoticed"),
    "conda.strict-priority-upstream": N_("channel_priority is strict and {channels} still come from upstream: "
                                         "conda takes each package only from the first channel that has it, so a "
                                         "mirror's newer builds can be hidden or a slow upstream channel decides"),
    "conda.stale-index-cache": N_("conda's index cache still holds repodata from {hosts} (the mirror before): "
                                  "conda may answer from it until it is cleaned"),
    "conda.env-custom-channels": N_("{profile}'s channels {channels} live on different bases: custom_channels is a "
                                 "map, which conda reads only from a file, so they stay upstream here (`mirrorctl "
                                 "run` and `mirrorctl use` can set them)"),
    "conda.run-merged-defaults": N_("conda merges lists from every file: the default_channels in {paths} stay in "
                                 "effect after {profile}'s"),
    "conda.run-replaces-condarc": N_("CONDARC={path} is not read during this command (CONDARC names the temporary "
                                  "file)"),
    "conda.clean-index": N_("run `conda clean -i` so conda forgets the index it cached from the previous mirror"),
    "conda.defaults-unlisted": N_("`channels` does not list `defaults`, so default_channels (pkgs/main, pkgs/r) "
                               "is not used"),
    "conda.kept-own-defaults": N_("{profile} does not mirror pkgs/main or pkgs/r; kept your own default_channels"),
    "conda.defaults-upstream": N_("{profile} does not mirror pkgs/main or pkgs/r: `defaults` uses repo.anaconda.com"),
    "conda.kept-custom": N_("kept custom_channels that no profile writes: {channels}"),
    "conda.final-shadowed": N_("{path} sets {key}, but {final_path} marks it #!final, so conda ignores it here"),
    "conda.no-channels": N_("no channels are configured: conda >= 26.1 refuses to solve (`mirrorctl use` adds "
                         "defaults)"),
    "conda.merged-defaults": N_("default_channels is set in several files and conda merges them all: {paths}"),
    "conda.channel-alias": N_("channel_alias = {alias}: every named channel without a custom_channels entry goes "
                           "there"),
    "conda.multichannel-defaults": N_("custom_multichannels.defaults is set and beats default_channels "
                                   "(conda >= 26.1)"),
    "conda.channel-upstream": N_("{channel}: {profile} does not carry it; it now comes from upstream ({url})"),
    "conda.channel-legacy": N_("{channel} is legacy: Anaconda dropped it from `defaults` long ago"),
    "conda.merged-duplicate": N_("{key}: {value} was listed twice after the switch; kept the first"),
    "conda.alias-removed": N_("channel_alias pointed at {alias}; removed it, so named channels come from "
                           "custom_channels or upstream"),
    "conda.condarc-name-ignored": N_("CONDARC={value} is ignored by conda: the name must be .condarc, condarc, "
                                  "*.yml or *.yaml"),
}


# ---------------------------------------------------------------------------------------------------------
# Locations


def write_path() -> Path:
    """$CONDARC when conda would read it (it is loaded last, so it wins), else ~/.condarc."""
    condarc = os.environ.get("CONDARC")
    if condarc and re.search(VALID_CONDARC_NAME, condarc):
        return Path(condarc)
    return paths.home() / ".condarc"


def _expand(location: Path) -> list[Path]:
    found = [location / ".condarc", location / "condarc"]
    directory = location / "condarc.d"
    if directory.is_dir():
        found += sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    return found


def scoped_locations() -> list[tuple[str, list[Path]]]:
    """conda's search path (conda/base/constants.py SEARCH_PATH) grouped by scope, lowest precedence first."""
    groups: list[tuple[str, list[Path]]] = [("system", [p for d in _channels.system_dirs() for p in _expand(d)])]
    root = os.environ.get("CONDA_ROOT")
    if not root and os.environ.get("CONDA_EXE"):  # conda sets CONDA_ROOT itself; derive it from its executable
        root = str(Path(os.environ["CONDA_EXE"]).parent.parent)
    if root:
        groups.append(("installation", _expand(Path(root))))
    user: list[Path] = []
    if os.environ.get("XDG_CONFIG_HOME"):
        user += _expand(Path(os.environ["XDG_CONFIG_HOME"]) / "conda")
    home = paths.home()
    user += _expand(home / ".config" / "conda") + _expand(home / ".conda") + [home / ".condarc"]
    groups.append(("user", user))
    if os.environ.get("CONDA_PREFIX"):
        groups.append(("env", _expand(Path(os.environ["CONDA_PREFIX"]))))
    condarc = os.environ.get("CONDARC")
    if condarc and re.search(VALID_CONDARC_NAME, condarc):
        groups.append(("CONDARC", [Path(condarc)]))
    return groups


def search_path() -> list[Path]:
    """Every file conda 26 reads, lowest precedence first, each path once."""
    return _channels.unique_paths(p for _, group in scoped_locations() for p in group)


def scope_write_path(scope: str) -> Path:
    """The file `use --scope` writes: what `conda config` writes (``--env``: ``$CONDA_PREFIX/.condarc``); for
    system, the first file of conda's search path, ``/etc/conda/.condarc`` (what `micromamba config --system`
    writes: `conda config --system` writes the installation's ``sys.prefix/.condarc`` instead)."""
    if scope == "user":
        return write_path()
    if scope == "env":
        return paths.conda_env_prefix() / ".condarc"
    return _channels.system_dirs()[0] / ".condarc"  # "system": core asks only for one of Conda.scopes


def scope_files(scope: str) -> list[Path]:
    if scope == "env":
        return _expand(paths.conda_env_prefix())
    if scope == "system":
        return [p for d in _channels.system_dirs() for p in _expand(d)]
    written = scope_write_path(scope)
    return [*(p for name, group in scoped_locations() if name == "user" for p in group if p != written), written]


def load(text: str, path: Path | None) -> Any:
    """A .condarc as conda's YAML reader reads it (:func:`mirrorctl.targets._channels.load_condarc`)."""
    return _channels.load_condarc(text, path)


def validate(data: Any, path: Path | None, text: str) -> None:
    _channels.validate_condarc(data, path, text)


def load_checked(text: str, path: Path | None) -> Any:
    data = load(text, path)
    validate(data, path, text)
    return data


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure): in _conda_render, loaded when a change is planned (`current` never needs it)


def render(text: str, profile: Profile | None, profiles: Sequence[Profile], *, path: Path | None = None,
           channels_configured_elsewhere: bool = False) -> tuple[str, list[Finding]]:
    """Point every channel setting a mirror or upstream owns at ``profile``; ``None`` (reset): back upstream
    (:func:`mirrorctl.targets._conda_render.render`)."""
    from mirrorctl.targets import _conda_render

    return _conda_render.render(text, profile, profiles, path=path,
                                channels_configured_elsewhere=channels_configured_elsewhere)


# ---------------------------------------------------------------------------------------------------------
# Planning


def _read(path: Path, overrides: Overrides | None = None) -> tuple[bytes | None, str]:
    data = data_of(path, overrides)
    return data, decode(data)


# ---------------------------------------------------------------------------------------------------------
# What is in effect


#: ``key: value  #!final`` on a top-level key: files loaded after this one cannot change that key.
FINAL_MARK = r"(?m)^([A-Za-z_][\w-]*)[ \t]*:[^\n]*#!final[ \t]*\r?$"
#: The only keys `current` and `list` read from a .condarc.
READ_KEYS = ("channels", "default_channels", "custom_channels", "channel_alias", "custom_multichannels")


class Merged(NamedTuple):
    """conda's merge of every file and variable: lists highest precedence first, maps per key, scalars last."""

    channels: list[tuple[str, Source]]
    default_channels: list[tuple[str, Source]]
    custom_channels: dict[str, tuple[str, Source]]
    multichannels: dict[str, tuple[list[str], Source]]
    alias: tuple[str, Source] | None
    read: list[Path]
    findings: list[Finding]
    #: "custom_channels.<name>" / "channel_alias" -> every (file, value) that sets it, lowest precedence first
    setters: dict[str, list[tuple[Path, str]]]


def _settings(data: bytes, text: str, path: Path) -> dict[str, Any] | None:
    """The READ_KEYS of one file, parsed with ruamel.yaml (or remembered from an earlier parse of these bytes)."""
    from mirrorctl import cache

    def parse() -> dict[str, Any] | None:
        loaded = load_checked(text, path)
        return None if loaded is None else {k: plain(loaded[k]) for k in READ_KEYS if k in loaded}

    settings = cache.parsed("condarc", path, data, parse, valid=_valid_settings)
    return dict(settings) if settings is not None else None  # callers may edit their copy


def _valid_settings(value: Any) -> bool:
    """A cached parse is input too: it must have the shape a fresh parse has."""
    if value is None:
        return True
    if not isinstance(value, dict) or set(value) - set(READ_KEYS):
        return False
    for key, (kind, _) in _channels.CONDARC_TYPES.items():
        if key in value and not isinstance(value[key], kind):
            return False
    return all(isinstance(v, str) for k in ("channels", "default_channels") for v in value.get(k, []))


def merge(files: Sequence[Path], overrides: Overrides | None = None) -> Merged:
    channels: list[tuple[str, Source]] = []
    default_channels: list[tuple[str, Source]] = []
    custom: dict[str, tuple[str, Source]] = {}
    multichannels: dict[str, tuple[list[str], Source]] = {}
    alias: tuple[str, Source] | None = None
    final: dict[str, Path] = {}  # key -> the file that marked it #!final
    setters: dict[str, list[tuple[Path, str]]] = {}
    findings: list[Finding] = []
    read: list[Path] = []
    for path, text, loaded in iter_layers(NAME, files, lambda data, text, path: _settings(data, text, path),
                                          overrides, findings=findings, read=read, refuse=_refuse,
                                          unreadable_is_refused=False):
        if not loaded:
            continue
        for key in [k for k in READ_KEYS if k in loaded and k in final]:
            line = next((n for n, text_line in enumerate(text.splitlines(), 1)
                         if re.match(rf"{re.escape(key)}\s*:", text_line)), None)
            # the fix removes the setting conda ignores (the #!final file is the administrator's to change)
            findings.append(Finding("conda.final-shadowed", "warning", NAME, path, line, params={
                "path": path, "key": key, "final_path": final[key],
                "fix": f"conda config --file {path} --remove-key {key}"}))
            del loaded[key]
        for key in re.findall(FINAL_MARK, text):
            final.setdefault(key, path)
        source = Source(path=path)
        for key, bucket in (("channels", channels), ("default_channels", default_channels)):
            values = loaded.get(key)
            if isinstance(values, list):
                bucket[:0] = [(os.path.expandvars(str(v)), source) for v in values]
        for name, url in (loaded.get("custom_channels") or {}).items():
            custom[str(name)] = (os.path.expandvars(str(url)), source)
            setters.setdefault(f"custom_channels.{name}", []).append((path, custom[str(name)][0]))
        for name, items in (loaded.get("custom_multichannels") or {}).items():
            multichannels[str(name)] = ([os.path.expandvars(str(i)) for i in items], source)
        if "channel_alias" in loaded:
            alias = (os.path.expandvars(str(loaded["channel_alias"])), source)
            setters.setdefault("channel_alias", []).append((path, alias[0]))
    for variable, bucket in (("CONDA_CHANNELS", channels), ("CONDA_DEFAULT_CHANNELS", default_channels)):
        if os.environ.get(variable):
            bucket[:0] = [(v.strip(), Source(env=variable)) for v in os.environ[variable].split(",") if v.strip()]
    if os.environ.get("CONDA_CHANNEL_ALIAS"):
        alias = (os.environ["CONDA_CHANNEL_ALIAS"], Source(env="CONDA_CHANNEL_ALIAS"))

    unique = _channels.first_of_each
    return Merged(unique(channels), unique(default_channels), custom, multichannels, alias, read, findings, setters)


def _refuse(path: Path, exc: MirrorctlError) -> Finding:
    """conda catches only ruamel's ScannerError/ReaderError, and skips the file; anything else stops it."""
    if isinstance(exc, ConfigParseError) and exc.scanner:
        return refused(NAME, path, exc, code="file-ignored", level="warning")
    return refused(NAME, path, exc)


def shadowing(merged: Merged, files: Sequence[Path], written: Path, scope: str,
              scope_of: dict[str, str]) -> list[Finding]:
    """Maps merge per key and scalars take the last file: a key of the written file that a file conda reads
    later sets to another value is shadowed. (Lists such as ``channels`` merge: nothing is shadowed there.)"""
    return [Finding("scope-shadowed", "warning", NAME, path, params={
        "path": path, "higher": scope_of.get(os.path.realpath(path), "?"), "key": key, "value": value,
        "written": written, "scope": scope}) for key, path, value in shadows(merged.setters, files, written)]


def resolve_channels(merged: Merged, profiles: Sequence[Profile]) -> list[Setting]:
    """Every entry of ``channels`` with the URLs conda fetches it from and who owns them."""
    alias = merged.alias[0] if merged.alias else _channels.DEFAULT_CHANNEL_ALIAS
    custom = {k: v for k, (v, _) in merged.custom_channels.items()}
    multi = {k: v for k, (v, _) in merged.multichannels.items()}
    defaults = [v for v, _ in merged.default_channels]
    settings = []
    for name, where in merged.channels:
        found = _channels.resolve(name, default_channels=defaults, custom_channels=custom, multichannels=multi,
                                  alias=alias, windows=paths.platform() == "win32")
        via_source: Source | None = None
        if found.via == "custom_channels" and found.entry in merged.custom_channels:
            via_source = merged.custom_channels[found.entry][1]
        elif found.via == "custom_multichannels" and found.entry in merged.multichannels:
            via_source = merged.multichannels[found.entry][1]
        elif found.via == "defaults" and merged.default_channels:
            via_source = merged.default_channels[0][1]
        elif found.via == "channel_alias" and merged.alias:
            via_source = merged.alias[1]
        owners = {_channels.owner_of(url, profiles) for url in found.urls}
        owner = owners.pop() if len(owners) == 1 else MIXED
        settings.append(Setting(NAME, "channel", name, where, found.urls, owner, found.via, via_source))
    return settings


class Conda:
    name = NAME
    ecosystems = frozenset({"conda"})
    scopes: tuple[str, ...] = ("system", "user", "env")
    default_scope = "user"
    order = 20

    def locations(self, scope: str) -> list[Path]:
        return scope_files(scope)

    def present(self) -> bool:
        return on_path("conda", "mamba", "micromamba") or any(p.exists() for p in search_path())

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        new, findings = render(text, profile, context.profiles, path=context.path,
                               channels_configured_elsewhere="channels" in context.inherited)
        return Rendered(new, tuple(findings))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        from mirrorctl.targets import _conda_render

        path = scope_write_path(scope)
        old, text = _read(path)
        others = [p for p in search_path() if os.path.realpath(p) != os.path.realpath(path)]
        elsewhere = merge(others)
        inherited = frozenset({"channels"}) if elsewhere.channels else frozenset()
        rendered = self.render(text, profile, RenderContext(path, tuple(profiles), inherited=inherited))
        new = encode(rendered.text) if old is not None or rendered.text else None
        return [FileEdit(NAME, path, old, new, _conda_render.changes(path, text, rendered.text), rendered.findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        files = search_path()
        merged = merge(files, overrides)
        findings = list(merged.findings)
        groups = scoped_locations()
        scope_of: dict[str, str] = {}
        for name, group in groups:
            for p in group:
                scope_of.setdefault(os.path.realpath(p), name)  # a file counts at its first place, as conda reads it
        scope_path, notes = in_scope(NAME, scope, scope_write_path)
        findings += notes
        if scope_path is not None:
            findings += shadowing(merged, files, scope_path, scope or "user", scope_of)
        written = scope_path or write_path()
        settings = resolve_channels(merged, profiles)
        alias = merged.alias[0] if merged.alias else _channels.DEFAULT_CHANNEL_ALIAS
        if not merged.channels:
            findings.append(Finding("conda.no-channels", "warning", NAME))
        if len({where for _, where in merged.default_channels}) > 1:
            findings.append(Finding("conda.merged-defaults", "warning", NAME, params={
                "paths": sorted({where.path or where.env for _, where in merged.default_channels}, key=str)}))
        for variable in ("CONDA_CHANNELS", "CONDA_DEFAULT_CHANNELS", "CONDA_CHANNEL_ALIAS"):
            if os.environ.get(variable):
                findings.append(Finding("env-overrides", "warning", NAME,
                                        params={"variable": variable, "files": ".condarc"}))
        if alias.rstrip("/") != _channels.DEFAULT_CHANNEL_ALIAS:
            findings.append(Finding("conda.channel-alias", "warning", NAME, params={"alias": alias}))
        if merged.multichannels.get("defaults"):
            findings.append(Finding("conda.multichannel-defaults", "warning", NAME))
        condarc = os.environ.get("CONDARC")
        if condarc and not re.search(VALID_CONDARC_NAME, condarc):
            findings.append(Finding("conda.condarc-name-ignored", "warning", NAME, params={"value": condarc}))
        listed = {s.value for s in settings}
        if "defaults" not in listed:
            found = _channels.resolve("defaults", default_channels=[v for v, _ in merged.default_channels],
                                      custom_channels={}, multichannels={k: v for k, (v, _) in
                                                                         merged.multichannels.items()},
                                      alias=alias, windows=paths.platform() == "win32")
            source = merged.default_channels[0][1] if merged.default_channels else Source()
            settings.append(Setting(NAME, "default_channels", "defaults", source, found.urls,
                                    _channels.owner_of(found.urls[0], profiles) if found.urls else None))
        for entry, (base, source) in merged.custom_channels.items():
            if entry not in listed:
                url = join(base, entry)
                settings.append(Setting(NAME, "custom_channel", entry, source, (url,),
                                        _channels.owner_of(url, profiles)))
        broken = any(f.level == "error" or f.code == "file-ignored" for f in findings)
        channel_settings = [s for s in settings if s.key == "channel"]
        state_label = Label(None) if broken else _channels.label(channel_settings, profiles)
        grouped = [ScopeFiles(name, tuple(p for p in group if scope_of[os.path.realpath(p)] == name))
                   for name, group in groups]
        scopes = tuple(entry for entry in grouped if entry.paths)
        return ToolState(NAME, state_label, tuple(settings), tuple(merged.read), tuple(findings), written,
                         scopes=scopes, scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """What conda 26.7.1 takes from the environment (measured, shared/clients/README.md): ``CONDA_CHANNELS``
        and ``CONDA_DEFAULT_CHANNELS`` (comma-separated lists) and ``CONDA_CHANNEL_ALIAS``.

        ``custom_channels`` is a map, which conda refuses from a variable (``InvalidTypeError ... declared in
        envvars has type str``): channels that share one base go through ``CONDA_CHANNEL_ALIAS``; channels on
        different bases cannot be expressed, and ``unexpressed`` says which.
        """
        if profile.conda is None:
            return EnvPlan(NAME, profile.name)
        variables = {}
        if profile.conda.default_channels:
            variables["CONDA_CHANNELS"] = "defaults"
            variables["CONDA_DEFAULT_CHANNELS"] = ",".join(profile.conda.default_channels)
        bases = sorted(set(profile.conda.custom_channels.values()))
        unexpressed: tuple[Finding, ...] = ()
        if len(bases) == 1:
            variables["CONDA_CHANNEL_ALIAS"] = bases[0]
        elif bases:
            unexpressed = (Finding("conda.env-custom-channels", "warning", NAME,
                                   params={"profile": profile.name,
                                           "channels": sorted(profile.conda.custom_channels)}),)
        return EnvPlan(NAME, profile.name, variables, unexpressed=unexpressed)

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        """A private condarc named by ``CONDARC``, the highest-precedence file conda reads (conda/base/constants.py
        ``SEARCH_PATH``; only under a name ``.condarc``, ``condarc`` or ``*.yml``, which conda checks).

        conda merges lists from every file, so ``default_channels`` that the user's files set stay in effect
        after the profile's: ``unexpressed`` says so. A ``CONDARC`` the user had set is not read meanwhile.
        """
        if profile.conda is None:
            return EnvPlan(NAME, profile.name)
        name = "condarc.yml"
        groups = scoped_locations()
        others = _channels.unique_paths(p for scope, group in groups if scope != "CONDARC" for p in group)
        elsewhere = merge(others)
        inherited = frozenset({"channels"}) if elsewhere.channels else frozenset()
        rendered = self.render("", profile, RenderContext(Path(name), tuple(profiles), inherited=inherited))
        unexpressed: list[Finding] = []
        wanted = {normalize(u) for u in profile.conda.default_channels}
        kept = [where for url, where in elsewhere.default_channels if normalize(url) not in wanted]
        if kept:
            paths_ = sorted({str(where.path) for where in kept if where.path is not None})
            unexpressed.append(Finding("conda.run-merged-defaults", "warning", NAME,
                                       params={"paths": paths_, "profile": profile.name}))
        replaced = [p for scope, group in groups if scope == "CONDARC" for p in group if p not in others]
        if replaced:
            unexpressed.append(Finding("conda.run-replaces-condarc", "note", NAME,
                                       params={"path": replaced[0]}))
        return EnvPlan(NAME, profile.name, files=(EnvFile("CONDARC", name, rendered.text),),
                       unexpressed=tuple(unexpressed))

    def checks(self, state: ToolState) -> list[Finding]:
        """For `doctor`: TLS verification turned off, a strict priority that hides packages, and an index cache
        left from another mirror."""
        findings: list[Finding] = []
        strict: Path | None = None
        for path in state.files_read:
            data, text = _read(path)
            try:
                loaded = load_checked(text, path) if data is not None else None
            except ConfigParseError:
                continue  # read() already reported it
            if not isinstance(loaded, dict):
                continue
            verify = loaded.get("ssl_verify")
            if verify is False or str(verify).lower() in ("false", "no"):
                findings.append(Finding("conda.ssl-verify-off", "warning", NAME, path, _line(loaded, "ssl_verify"),
                                        {"fix": f"conda config --file {path} --remove-key ssl_verify"}))
            if str(loaded.get("channel_priority", "")).lower() == "strict":
                strict = path
        mirrored = {s.owner for s in state.settings if s.key == "channel" and s.owner not in (None, "upstream",
                                                                                             "custom")}
        upstream_only = [s.value for s in state.settings if s.key == "channel" and s.owner == "upstream"]
        if strict is not None and mirrored and upstream_only:
            # conda/resolve.py Resolve._get_strict_channel: with strict priority a package is taken only from the
            # highest-priority channel that has it, so a channel left on upstream decides which builds exist
            findings.append(Finding("conda.strict-priority-upstream", "warning", NAME, strict, None, {
                "channels": upstream_only, "fix": f"conda config --file {strict} --set channel_priority flexible"}))
        findings += _stale_index_cache(state)
        return findings

    def hints(self) -> list[Finding]:
        return [Finding("conda.clean-index", "hint", NAME)]


def _line(document: Any, key: str) -> int | None:
    try:
        return int(document.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def index_cache_dirs() -> list[Path]:
    """Where conda keeps its index cache (``pkgs/cache``): the active environment's root, and the user's
    ``~/.conda/pkgs`` (conda/base/context.py ``pkgs_dirs``)."""
    roots = [Path(os.environ[v]) for v in ("CONDA_PREFIX", "CONDA_ROOT", "MAMBA_ROOT_PREFIX") if os.environ.get(v)]
    found = [root / "pkgs" / "cache" for root in roots] + [paths.home() / ".conda" / "pkgs" / "cache"]
    return [d for d in _channels.unique_paths(found) if d.is_dir()]


def _stale_index_cache(state: ToolState) -> list[Finding]:
    """conda keeps each channel's repodata in ``pkgs/cache/<hash>.json`` and the URL it came from in
    ``<hash>.info.json`` (``url``; older conda: ``_url`` in the .json itself, conda/gateways/repodata/__init__.py
    RepodataState); after a switch, entries of another host stay until `conda clean -i`."""
    from urllib.parse import urlsplit

    wanted = {urlsplit(url).hostname for s in state.settings for url in s.resolved}
    old: set[str] = set()
    for directory in index_cache_dirs():
        for entry in sorted(directory.glob("*.json"))[:500]:
            try:
                with open(entry, "rb") as handle:
                    head = handle.read(4096).decode("utf-8", "replace")
            except OSError:
                continue
            match = re.search(r'"_?url"\s*:\s*"([^"]+)"', head)
            host = urlsplit(match.group(1)).hostname if match else None
            if host and host not in wanted:
                old.add(host)
    if not old or not wanted:
        return []
    return [Finding("conda.stale-index-cache", "note", NAME, params={"hosts": sorted(old), "fix": "conda clean -i"})]


TARGET: Target = Conda()


# ---------------------------------------------------------------------------------------------------------
# `mirrorctl torch`: conda-forge's pytorch (named here because only a tool's module may name the tool).
# The `pytorch` channel froze at 2.5.1 (pytorch/pytorch#138506); conda-forge's CUDA builds depend on __cuda and
# `cuda-version=X.Y` pins the CUDA libraries (conda-forge/cuda-version-feedstock recipe/meta.yaml).


def torch_commands(install: Install) -> list[Command]:
    from mirrorctl.torch.model import Command

    plan = install.conda
    if plan is None:
        return []
    specs = [f"pytorch={plan.pytorch}" + (f"={plan.build}" if plan.build else ""), "torchvision"]
    if plan.cuda_version:
        specs.append(f"cuda-version={plan.cuda_version}")
    env = {"CONDA_OVERRIDE_CUDA": plan.override} if plan.override is not None else {}
    return [Command(NAME, "conda", ("conda", "install", "-c", "conda-forge", *specs), env=env)]
