"""pixi: the ``[mirrors]`` table of pixi's own ``config.toml`` (tomlkit round trip), for conda channels and PyPI.

pixi does not read ``.condarc`` or ``pip.conf``. A ``[mirrors]`` key is a URL prefix and its value an ordered list
of mirrors (the first is used for repodata); the tables of every config file are merged per key. PyPI needs two
keys: ``https://pypi.org/simple`` (the index) and ``https://files.pythonhosted.org/packages`` (the files)
(prefix-dev/pixi ``docs/reference/pixi_configuration.md``, v0.77.0+).

What mirrorctl owns: a key whose every mirror is a known mirror's or upstream's URL for that key. A key pointing
anywhere else (prefix.dev, ``oci://ghcr.io/channel-mirrors/...``, a company proxy) is the user's and is never
touched.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError, ScopeUnavailable
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import (
    CUSTOM,
    MIXED,
    UPSTREAM,
    Change,
    EnvPlan,
    FileEdit,
    Finding,
    Label,
    ScopeFiles,
    Setting,
    Source,
    ToolState,
)
from mirrorctl.targets import _channels, data_of, decode, encode, in_scope, load_layers, read_bytes, shadows
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import join, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "pixi"
PYPI_INDEX = "https://pypi.org/simple"
PYPI_FILES = "https://files.pythonhosted.org/packages"

MESSAGES = {
    "pixi.env-no-variable": N_("pixi reads [mirrors] only from its config.toml, never from the environment: run "
                            "`mirrorctl use {profile} --only pixi` instead"),
    "pixi.lock-urls": N_("pixi.lock records the URLs packages were resolved from: run `pixi update` (or `pixi lock`) "
                      "in each workspace to re-resolve through the new mirror"),
    "pixi.no-files-mirror": N_("{profile} has no known host for PyPI package files: files.pythonhosted.org is not "
                            "mirrored (add `files = URL` to the profile's [pypi] table)"),
    "pixi.kept-own": N_("kept [mirrors] entries that no profile writes: {keys}"),
    "pixi.no-config": N_("PIXI_NO_CONFIG is set: pixi reads no system or user config file (only a workspace's "
                      ".pixi/config.toml), so {write_path} is not used"),
    "pixi.config-file": N_("PIXI_CONFIG_FILE={value}: pixi reads that file instead of the system and user ones, so "
                        "{write_path} is not used"),
    "pixi.manifest-index": N_("{path} sets [pypi-options] index-url = {url}: pixi resolves PyPI packages there, not "
                           "through [mirrors] https://pypi.org/simple"),
    "pixi.shadowed": N_("{path} maps {key} too and is read after {write_path}, so its entry wins"),
}


# ---------------------------------------------------------------------------------------------------------
# Locations, from pixi's source (prefix-dev/pixi 2b25fc7, crates/pixi_config/src/lib.rs), not its docs: the docs
# table lists ~/.config/pixi and $XDG_CONFIG_HOME/pixi, ~/.pixi and $PIXI_HOME as four files, but pixi reads one
# of each pair.

#: ``PIXI_NO_CONFIG`` is parsed by clap's ``BoolishValueParser`` (lib.rs L168-175).
TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")


def config_dir() -> Path:
    """``dirs::config_dir()``: ``$XDG_CONFIG_HOME`` when absolute, else ``~/.config`` (Linux); ``~/Library/
    Application Support`` (macOS); ``%APPDATA%`` (Windows)."""
    system = paths.platform()
    if system == "win32":
        return paths.appdata()
    if system == "darwin":
        return paths.home() / "Library" / "Application Support"
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else paths.home() / ".config"


def pixi_home() -> Path:
    """``pixi_home()`` (lib.rs L211-217): ``$PIXI_HOME``, else ``~/.pixi``."""
    return paths.env_path("PIXI_HOME") or paths.home() / ".pixi"


def global_files() -> list[Path]:
    """``config_path_global()`` (lib.rs L2534-2550), in the order pixi merges them (a later one wins per key):
    on macOS ``$XDG_CONFIG_HOME/pixi/config.toml`` when set, then ``config_dir()/pixi/config.toml``, then
    ``pixi_home()/config.toml``."""
    found: list[Path] = []
    if paths.platform() == "darwin" and os.environ.get("XDG_CONFIG_HOME") is not None:
        found.append(Path(os.environ["XDG_CONFIG_HOME"]) / "pixi" / "config.toml")
    found += [config_dir() / "pixi" / "config.toml", pixi_home() / "config.toml"]
    return found


def write_path() -> Path:
    """The user file, chosen as ``pixi config set --global`` chooses it (crates/pixi_cli/src/config.rs L243-266,
    ``determine_config_write_path``): the first of ``config_path_global()`` but the last that exists, else the
    last (``~/.pixi/config.toml``, or ``$PIXI_HOME/config.toml``)."""
    *earlier, last = global_files()
    return next((p for p in earlier if p.exists()), last)


def system_file() -> Path:
    """``config_path_system()`` (lib.rs L2522-2531): ``/etc/pixi/config.toml`` (``C:\\ProgramData\\pixi``)."""
    if paths.platform() == "win32":
        return paths.system_path("C:/ProgramData/pixi/config.toml")
    return paths.system_path("/etc/pixi/config.toml")


def no_config() -> bool:
    return os.environ.get("PIXI_NO_CONFIG", "").strip().lower() in TRUE_WORDS


def project_file(cwd: Path | None = None) -> Path | None:
    """The workspace's own config, ``<workspace>/.pixi/config.toml``, when the current directory is a pixi
    workspace (``pixi.toml``, or ``pyproject.toml`` with ``[tool.pixi]``). [mirrors] is a config key: the
    manifest itself has no place for it."""
    import re

    folder = cwd or Path.cwd()
    if (folder / "pixi.toml").is_file():
        return folder / ".pixi" / "config.toml"
    pyproject = folder / "pyproject.toml"
    try:
        if pyproject.is_file() and re.search(r"^[ \t]*\[\[?tool\.pixi[\].]",
                                             pyproject.read_text("utf-8", "replace"), re.MULTILINE):
            return folder / ".pixi" / "config.toml"
    except OSError:
        return None
    return None


def manifest_index(overrides: Overrides | None = None) -> Entry | None:
    """The workspace manifest's own PyPI index: top-level ``[pypi-options] index-url`` of ``pixi.toml``, or
    ``[tool.pixi.pypi-options]`` of ``pyproject.toml`` (prefix-dev/pixi crates/pixi_manifest/src/toml/manifest.rs
    L988; pypi/pypi_options.rs L155-159 "the primary pypi index"). pixi resolves PyPI packages there, so the
    ``https://pypi.org/simple`` key of [mirrors] is not used for them. None: not a workspace, or no such key."""
    folder = Path.cwd()
    for name, table in (("pixi.toml", ()), ("pyproject.toml", ("tool", "pixi"))):
        path = folder / name
        try:
            data = data_of(path, overrides)
            if data is None:
                continue
            text = decode(data)
            values: Any = toml.values(text, path)
        except (ConfigParseError, OSError):
            continue  # pixi's own manifest errors are pixi's to report
        for key in table:
            values = values.get(key) if isinstance(values, dict) else None
        options = values.get("pypi-options") if isinstance(values, dict) else None
        url = options.get("index-url") if isinstance(options, dict) else None
        if isinstance(url, str):
            return Entry(PYPI_INDEX, (url,), Source(path=path, section="pypi-options", line=_line_of(text,
                                                                                                   "index-url")))
    return None


def scope_file(scope: str) -> Path:
    if scope == "user":
        return write_path()
    if scope == "system":
        return system_file()
    found = project_file()  # "project": core asks only for one of Pixi.scopes
    if found is None:
        raise ScopeUnavailable(N_("no pixi.toml (or pyproject.toml with [tool.pixi]) in {folder}: run "
                                  "mirrorctl in the pixi workspace's directory"), folder=Path.cwd())
    return found


def search_path() -> list[Path]:
    """Every config file pixi reads, lowest priority first, each once (``Config::load_with``, lib.rs L1722-1815):
    the global layer (``/etc/pixi/config.toml`` and :func:`global_files`; only ``PIXI_CONFIG_FILE`` when it is
    set; nothing when ``PIXI_NO_CONFIG`` is true), then the workspace's ``.pixi/config.toml`` on top."""
    found: list[Path] = []
    if no_config():
        pass
    elif os.environ.get("PIXI_CONFIG_FILE"):
        found.append(Path(os.environ["PIXI_CONFIG_FILE"]))
    else:
        found += [system_file(), *global_files()]
    project = project_file()
    if project is not None:
        found.append(project)
    return _channels.unique_paths(found)


# ---------------------------------------------------------------------------------------------------------
# Ownership


class Entry(NamedTuple):
    key: str
    mirrors: tuple[str, ...]
    source: Source


def _files_of(profile: Profile) -> str | None:
    return profile.pypi.files if profile.pypi else None


def owner_of(key: str, mirror: str, profiles: Sequence[Profile]) -> str:
    """Whose URL ``mirror`` is as a mirror of ``key``: a profile's name, "upstream", or "custom"."""
    def name(profile: Profile) -> str:
        return UPSTREAM if profile.name == _channels.UPSTREAM_PROFILE else profile.name

    if normalize(key) == normalize(PYPI_INDEX):
        return next((name(p) for p in profiles if p.pypi and p.pypi.matches(mirror)), CUSTOM)
    if normalize(key) == normalize(PYPI_FILES):
        return next((name(p) for p in profiles if _files_of(p) and normalize(_files_of(p) or "") ==
                     normalize(mirror)), CUSTOM)
    key_place = _channels.locate(key, profiles)
    place = _channels.locate(mirror, profiles)
    if key_place is None or place is None or place.channel != key_place.channel:
        return CUSTOM
    return place.owner


def owned(key: str, mirrors: Sequence[str], profiles: Sequence[Profile]) -> bool:
    return bool(mirrors) and all(owner_of(key, m, profiles) != CUSTOM for m in mirrors)


def wanted(profile: Profile | None) -> dict[str, str]:
    """The [mirrors] entries ``profile`` needs (key -> its one mirror); nothing for a reset or upstream."""
    if profile is None or profile.name == _channels.UPSTREAM_PROFILE:
        return {}
    entries: dict[str, str] = {}
    for channel, base in (profile.conda.custom_channels.items() if profile.conda else ()):
        entries[join(_channels.DEFAULT_CHANNEL_ALIAS, channel)] = join(base, channel)
    if profile.pypi:
        entries[PYPI_INDEX] = profile.pypi.index_url
        if profile.pypi.files:
            entries[PYPI_FILES] = profile.pypi.files
    return entries


# ---------------------------------------------------------------------------------------------------------
# Parsing and validation (pixi refuses a config whose [mirrors] is not a table of URL -> list of URLs)


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith((needle, f'"{needle}"', f"'{needle}'")):
            return number
    return None


def load(text: str, path: Path | None, *, editable: bool = True) -> Any:
    """The document (tomlkit when it is to be edited, plain values otherwise), validated as pixi does."""
    document = toml.load(text, path) if editable else toml.values(text, path)
    mirrors = document.get("mirrors")
    if mirrors is None:
        return document
    if not isinstance(mirrors, dict):
        raise ConfigParseError(N_("mirrors must be a table of URL = [mirror URLs] (pixi refuses this file)"),
                               path=path, line=_line_of(text, "mirrors"))
    for key, value in mirrors.items():
        values = toml.plain(value)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigParseError(N_("mirrors.{key} must be a list of URLs (pixi refuses this file)"), key=key,
                                   path=path,
                                   line=_line_of(text, str(key)))
    return document


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def render(text: str, profile: Profile | None, profiles: Sequence[Profile], *, path: Path | None = None,
           add: bool = True, force: bool = False) -> tuple[str, list[Finding]]:
    """``profile``'s [mirrors] entries in ``text``; entries of the user's own (a URL no profile has) are kept,
    unless ``force`` and the profile maps the same key. ``add`` False: only entries already there change (a
    later file of the same scope, whose entries would beat the written file's)."""
    import tomlkit

    document = load(text, path)
    findings: list[Finding] = []
    entries = wanted(profile)
    if profile is not None and profile.name != _channels.UPSTREAM_PROFILE and profile.pypi and \
            not profile.pypi.files:
        findings.append(Finding("pixi.no-files-mirror", "note", NAME, path, params={"profile": profile.name}))
    mirrors = document.get("mirrors")
    before = toml.plain(mirrors) if mirrors is not None else None
    if mirrors is None and not entries:
        return text, findings
    if mirrors is None:
        mirrors = tomlkit.table()
        document["mirrors"] = mirrors
    kept: list[str] = []
    for key in list(mirrors.keys()):
        values = [str(v) for v in toml.plain(mirrors[key])]
        wanted_here = any(normalize(str(key)) == normalize(k) for k in entries)
        if not owned(str(key), values, profiles) and not (force and wanted_here):
            if wanted_here:
                entries = {k: v for k, v in entries.items() if normalize(k) != normalize(str(key))}
            kept.append(str(key))
            continue
        match = next((k for k in entries if normalize(k) == normalize(str(key))), None)
        if match is None:
            del mirrors[key]
        else:
            if values != [entries[match]]:
                mirrors[key] = [entries[match]]
            del entries[match]
    for key, url in entries.items() if add else ():
        mirrors[key] = [url]
    if kept and profile is None:
        findings.append(Finding("pixi.kept-own", "note", NAME, path, params={"keys": ", ".join(kept)}))
    removed = not len(mirrors) and bool(before)
    if removed:  # mirrorctl emptied the table: remove its header too
        del document["mirrors"]
    if (toml.plain(document.get("mirrors")) if "mirrors" in document else None) == before:
        return text, findings
    new = toml.dump(document)
    if removed and new.strip():  # the blank line that separated the table goes with it
        new = new.rstrip("\r\n") + "\n"
    elif removed:
        new = ""
    return toml.keep_newlines(text, new), findings


def _entries(text: str, path: Path | None) -> dict[str, tuple[str, ...]]:
    if not text.strip():
        return {}
    mirrors = load(text, path, editable=False).get("mirrors") or {}
    return {str(k): tuple(str(v) for v in toml.plain(mirrors[k])) for k in mirrors}


def _changes(path: Path, old_text: str, new_text: str) -> tuple[Change, ...]:
    old, new = _entries(old_text, None), _entries(new_text, None)
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        if old.get(key) != new.get(key):
            changes.append(Change(NAME, path, f"mirrors {key}", _short(old.get(key)), _short(new.get(key))))
    return tuple(changes)


def _short(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else "[" + ", ".join(values) + "]"


# ---------------------------------------------------------------------------------------------------------
# What is in effect


def merge(files: Sequence[Path], overrides: Overrides | None = None
          ) -> tuple[dict[str, Entry], list[Path], list[Finding], dict[str, list[tuple[Path, tuple[str, ...]]]]]:
    """pixi's merge of [mirrors]: per key, the later file wins (lib.rs L1866). Also: which files set each key,
    to what."""
    merged: dict[str, Entry] = {}
    setters: dict[str, list[tuple[Path, tuple[str, ...]]]] = {}
    loaded = load_layers(NAME, files, lambda _data, text, path: _entries(text, path), overrides)
    for path, text, entries in loaded.layers:
        for key, mirrors in entries.items():
            identity = normalize(key)
            merged[identity] = Entry(key, mirrors, Source(path=path, line=_line_of(text, key)))
            setters.setdefault(identity, []).append((path, mirrors))
    return merged, loaded.read, loaded.findings, setters


def label(entries: Sequence[Entry], profiles: Sequence[Profile]) -> Label:
    """A profile's name when every entry that profile writes is its own (upstream for what it lacks). A user's
    entry for a URL the profile does not map (a private channel) competes with nothing, so it does not count;
    one for a URL the profile maps wins over it, and the label says "mixed"."""
    counts: dict[str, int] = {}
    upstream_keys: list[str] = []
    custom_keys: list[str] = []
    for entry in entries:
        owner = owner_of(entry.key, entry.mirrors[0], profiles) if entry.mirrors else CUSTOM
        counts[owner] = counts.get(owner, 0) + 1
        if owner == UPSTREAM:
            upstream_keys.append(entry.key)
        elif owner == CUSTOM:
            custom_keys.append(entry.key)
    parts = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    if not counts or set(counts) == {UPSTREAM}:
        return Label(_channels.UPSTREAM_PROFILE, parts)
    if set(counts) == {CUSTOM}:
        return Label(CUSTOM, parts)
    mirrors = [owner for owner in counts if owner not in (UPSTREAM, CUSTOM)]
    if len(mirrors) == 1:
        profile = next(p for p in profiles if p.name == mirrors[0])
        written = {normalize(w) for w in wanted(profile)}
        if not any(normalize(k) in written for k in [*upstream_keys, *custom_keys]):
            return Label(profile.name, parts)
    return Label(MIXED, parts)


class Pixi:
    name = NAME
    ecosystems = frozenset({"pypi", "conda"})
    scopes: tuple[str, ...] = ("system", "user", "project")
    default_scope = "user"
    order = 40

    def locations(self, scope: str) -> list[Path]:
        return [scope_file(scope)]

    def present(self) -> bool:
        return on_path("pixi") or any(p.exists() for p in search_path())

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        new, findings = render(text, profile, context.profiles, path=context.path, force=context.force)
        return Rendered(new, tuple(findings))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        """The scope's file; for the user scope also the user files pixi reads after it (``~/.pixi/config.toml``
        after ``~/.config/pixi/config.toml``), whose entries for the same keys would win: mirrorctl's are
        switched there too, the user's own are reported (replaced with ``force``)."""
        path = scope_file(scope)
        edits = [self._edit(path, profile, profiles, add=True, force=force)]
        if scope == "user" and not no_config() and not os.environ.get("PIXI_CONFIG_FILE"):
            files = global_files()
            later = files[files.index(path) + 1:] if path in files else []
            edits += [e for e in (self._edit(p, profile, profiles, add=False, force=force) for p in later
                                  if p.exists()) if e.changed]
        return edits

    def _edit(self, path: Path, profile: Profile | None, profiles: Sequence[Profile], *, add: bool,
              force: bool) -> FileEdit:
        old = read_bytes(path)
        text = decode(old)
        new_text, findings = render(text, profile, profiles, path=path, add=add, force=force)
        new = encode(new_text) if old is not None or new_text else None
        return FileEdit(NAME, path, old, new, _changes(path, text, new_text), tuple(findings))

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        files = search_path()
        merged, read, findings, setters = merge(files, overrides)
        found, notes = in_scope(NAME, scope, scope_file)
        findings += notes
        target = found or write_path()
        global_target = target != project_file()
        if no_config() and global_target:
            findings.append(Finding("pixi.no-config", "warning", NAME, params={"write_path": target}))
        elif os.environ.get("PIXI_CONFIG_FILE") and global_target and \
                os.path.realpath(os.environ["PIXI_CONFIG_FILE"]) != os.path.realpath(target):
            findings.append(Finding("pixi.config-file", "warning", NAME,
                                    params={"value": os.environ["PIXI_CONFIG_FILE"], "write_path": target}))
        for identity, last, _winning in shadows(setters, files, target):  # the last setter wins
            findings.append(Finding("pixi.shadowed", "warning", NAME, last, params={
                "path": last, "key": merged[identity].key if identity in merged else identity, "write_path": target}))
        settings = [Setting(NAME, "mirror", e.key, e.source, e.mirrors,
                            owner_of(e.key, e.mirrors[0], profiles) if e.mirrors else CUSTOM, "mirrors")
                    for e in merged.values()]
        entries = list(merged.values())
        index = manifest_index(overrides)
        if index is not None:  # the workspace's own index beats the pypi.org/simple mirror key
            entries = [e for e in entries if normalize(e.key) != normalize(PYPI_INDEX)] + [index]
            settings.append(Setting(NAME, "index-url", index.mirrors[0], index.source,
                                    owner=owner_of(PYPI_INDEX, index.mirrors[0], profiles)))
            if normalize(PYPI_INDEX) in merged and normalize(index.mirrors[0]) != normalize(PYPI_INDEX):
                findings.append(Finding("pixi.manifest-index", "warning", NAME, index.source.path,
                                        index.source.line, params={"path": index.source.path,
                                                                   "url": index.mirrors[0]}))
        broken = any(f.level == "error" for f in findings)
        state_label = Label(None) if broken else label(entries, profiles)
        project = project_file()
        system = system_file()
        scopes = [ScopeFiles("system", (system,)),
                  ScopeFiles("user", tuple(global_files()))]
        if project is not None:
            scopes.append(ScopeFiles("project", (project,)))
        return ToolState(NAME, state_label, tuple(settings), tuple(read), tuple(findings), target, scopes=tuple(scopes),
                         scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """Nothing: pixi reads ``[mirrors]`` only from its config files and command-line arguments
        (prefix-dev/pixi docs/reference/pixi_configuration.md, the load order); of its variables ``PIXI_HOME``
        names a config file but moves pixi's global environments too, and ``PIXI_CONFIG_FILE`` (lib.rs L176-188)
        replaces every system and user file, the user's own [mirrors] with them."""
        return EnvPlan(NAME, profile.name, unexpressed=(Finding("pixi.env-no-variable", "warning", NAME,
                                                                params={"profile": profile.name}),))

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        return [Finding("pixi.lock-urls", "hint", NAME)]


TARGET: Target = Pixi()
