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
from mirrorctl.errors import ConfigParseError, ScopeUnavailable, UsageError
from mirrorctl.formats import toml
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
from mirrorctl.targets import _channels, decode, encode, read_bytes, refused
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import join, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "pixi"
PYPI_INDEX = "https://pypi.org/simple"
PYPI_FILES = "https://files.pythonhosted.org/packages"

MESSAGES = {
    "pixi.env-no-variable": "pixi reads [mirrors] only from its config.toml, never from the environment: run "
                            "`mirrorctl use {profile} --only pixi` instead",
    "pixi.lock-urls": "pixi.lock records the URLs packages were resolved from: run `pixi update` (or `pixi lock`) "
                      "in each workspace to re-resolve through the new mirror",
    "pixi.no-files-mirror": "{profile} has no known host for PyPI package files: files.pythonhosted.org is not "
                            "mirrored (add `files = URL` to the profile's [pypi] table)",
    "pixi.kept-own": "kept [mirrors] entries that no profile writes: {keys}",
    "pixi.no-config": "PIXI_NO_CONFIG is set: pixi reads no config file, so no [mirrors] entry is used",
    "pixi.config-file": "PIXI_CONFIG_FILE={value}: pixi loads that file too; mirrorctl writes {write_path}",
    "pixi.shadowed": "{path} maps {key} too and is read after {write_path}, so its entry wins",
}


# ---------------------------------------------------------------------------------------------------------
# Locations (pixi's ``docs/reference/pixi_configuration.md``, the Linux and macOS tables; lowest priority first)


def write_path() -> Path:
    """The user file: ``$XDG_CONFIG_HOME/pixi/config.toml`` (``~/.config`` when unset; APPDATA on Windows)."""
    system = paths.platform()
    if system == "win32":
        return paths.appdata() / "pixi" / "config.toml"
    if system == "darwin" and not os.environ.get("XDG_CONFIG_HOME"):
        return paths.home() / "Library" / "Application Support" / "pixi" / "config.toml"
    return paths.xdg_config_home() / "pixi" / "config.toml"


def system_file() -> Path:
    """The first file pixi reads: ``/etc/pixi/config.toml`` (``C:\\ProgramData\\pixi`` on Windows)."""
    if paths.platform() == "win32":
        return paths.system_path("C:/ProgramData/pixi/config.toml")
    return paths.system_path("/etc/pixi/config.toml")


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


def scope_file(scope: str) -> Path:
    if scope == "user":
        return write_path()
    if scope == "system":
        return system_file()
    if scope == "project":
        found = project_file()
        if found is None:
            raise ScopeUnavailable(f"no pixi.toml (or pyproject.toml with [tool.pixi]) in {Path.cwd()}: run "
                                   "mirrorctl in the pixi workspace's directory")
        return found
    raise UsageError(f"pixi has no {scope} scope (it has {', '.join(Pixi.scopes)})")


def search_path() -> list[Path]:
    """Every config file pixi reads, lowest priority first, each once (the workspace's own last)."""
    system = paths.platform()
    home = paths.home()
    found: list[Path] = []
    if system == "win32":
        found += [paths.system_path("C:/ProgramData/pixi/config.toml"), paths.appdata() / "pixi" / "config.toml"]
    elif system == "darwin":
        found.append(paths.system_path("/etc/pixi/config.toml"))
        if os.environ.get("XDG_CONFIG_HOME"):
            found.append(Path(os.environ["XDG_CONFIG_HOME"]) / "pixi" / "config.toml")
        found.append(home / "Library" / "Application Support" / "pixi" / "config.toml")
    else:
        found += [paths.system_path("/etc/pixi/config.toml"), home / ".config" / "pixi" / "config.toml"]
        if os.environ.get("XDG_CONFIG_HOME"):
            found.append(Path(os.environ["XDG_CONFIG_HOME"]) / "pixi" / "config.toml")
    found.append(home / ".pixi" / "config.toml")
    if os.environ.get("PIXI_HOME"):
        found.append(Path(os.environ["PIXI_HOME"]) / "config.toml")
    project = project_file()
    if project is not None:
        found.append(project)
    if os.environ.get("PIXI_CONFIG_FILE"):
        found.append(Path(os.environ["PIXI_CONFIG_FILE"]))
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
        raise ConfigParseError("mirrors must be a table of URL = [mirror URLs] (pixi refuses this file)",
                               path=path, line=_line_of(text, "mirrors"))
    for key, value in mirrors.items():
        values = toml.plain(value)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigParseError(f"mirrors.{key} must be a list of URLs (pixi refuses this file)", path=path,
                                   line=_line_of(text, str(key)))
    return document


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def render(text: str, profile: Profile | None, profiles: Sequence[Profile], *,
           path: Path | None = None) -> tuple[str, list[Finding]]:
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
        if not owned(str(key), values, profiles):
            if any(normalize(str(key)) == normalize(k) for k in entries):
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
    for key, url in entries.items():
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


def _read(path: Path, overrides: Overrides | None) -> bytes | None:
    return overrides[path] if overrides and path in overrides else read_bytes(path)


def merge(files: Sequence[Path], overrides: Overrides | None = None
          ) -> tuple[dict[str, Entry], list[Path], list[Finding], dict[str, list[Path]]]:
    """pixi's merge of [mirrors]: per key, the later file wins. Also: which files set each key."""
    merged: dict[str, Entry] = {}
    setters: dict[str, list[Path]] = {}
    read: list[Path] = []
    findings: list[Finding] = []
    for path in files:
        try:
            data = _read(path, overrides)
            if data is None:
                continue
            text = decode(data)
            entries = _entries(text, path)
        except ConfigParseError as exc:
            findings.append(refused(NAME, path, exc))
            continue
        read.append(path)
        for key, mirrors in entries.items():
            identity = normalize(key)
            merged[identity] = Entry(key, mirrors, Source(path=path, line=_line_of(text, key)))
            setters.setdefault(identity, []).append(path)
    return merged, read, findings, setters


def label(entries: Sequence[Entry], profiles: Sequence[Profile]) -> Label:
    """A profile's name only when every mirror entry is that profile's (or upstream's for what it lacks)."""
    counts: dict[str, int] = {}
    upstream_keys: list[str] = []
    for entry in entries:
        owner = owner_of(entry.key, entry.mirrors[0], profiles) if entry.mirrors else CUSTOM
        counts[owner] = counts.get(owner, 0) + 1
        if owner == UPSTREAM:
            upstream_keys.append(entry.key)
    parts = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    if not counts or set(counts) == {UPSTREAM}:
        return Label(_channels.UPSTREAM_PROFILE, parts)
    if set(counts) == {CUSTOM}:
        return Label(CUSTOM, parts)
    mirrors = [owner for owner in counts if owner not in (UPSTREAM, CUSTOM)]
    if len(mirrors) == 1 and CUSTOM not in counts:
        profile = next(p for p in profiles if p.name == mirrors[0])
        if not any(normalize(k) in {normalize(w) for w in wanted(profile)} for k in upstream_keys):
            return Label(profile.name, parts)
    return Label(MIXED, parts)


class Pixi:
    name = NAME
    ecosystems = frozenset({"pypi", "conda"})
    scopes: tuple[str, ...] = ("system", "user", "project")
    order = 40

    def locations(self, scope: str) -> list[Path]:
        return [scope_file(scope)]

    def present(self) -> bool:
        return on_path("pixi") or any(p.exists() for p in search_path())

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        new, findings = render(text, profile, context.profiles, path=context.path)
        return Rendered(new, tuple(findings))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        path = scope_file(scope)
        old = read_bytes(path)
        text = decode(old)
        rendered = self.render(text, profile, RenderContext(path, tuple(profiles)))
        new = encode(rendered.text) if old is not None or rendered.text else None
        return [FileEdit(NAME, path, old, new, _changes(path, text, rendered.text), rendered.findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        files = search_path()
        merged, read, findings, setters = merge(files, overrides)
        try:
            target = scope_file(scope or "user")
        except ScopeUnavailable as exc:
            findings.append(Finding("scope-unavailable", "note", NAME, params={"scope": scope, "reason": str(exc)}))
            target = write_path()
        if os.environ.get("PIXI_NO_CONFIG"):
            findings.append(Finding("pixi.no-config", "warning", NAME, params={}))
            merged = {}
        if os.environ.get("PIXI_CONFIG_FILE"):
            findings.append(Finding("pixi.config-file", "warning", NAME,
                                    params={"value": os.environ["PIXI_CONFIG_FILE"], "write_path": target}))
        written = os.path.realpath(target)
        for identity, where in setters.items():  # files are read in order: the last setter wins
            if written in {os.path.realpath(p) for p in where} and os.path.realpath(where[-1]) != written:
                findings.append(Finding("pixi.shadowed", "warning", NAME, where[-1], params={
                    "path": where[-1], "key": merged[identity].key if identity in merged else identity,
                    "write_path": target}))
        settings = tuple(Setting(NAME, "mirror", e.key, e.source, e.mirrors,
                                 owner_of(e.key, e.mirrors[0], profiles) if e.mirrors else CUSTOM, "mirrors")
                         for e in merged.values())
        broken = any(f.level == "error" for f in findings)
        state_label = Label(None) if broken else label(list(merged.values()), profiles)
        project = project_file()
        system = system_file()
        scopes = [ScopeFiles("system", (system,)),
                  ScopeFiles("user", tuple(p for p in files if p not in (system, project)))]
        if project is not None:
            scopes.append(ScopeFiles("project", (project,)))
        return ToolState(NAME, state_label, settings, tuple(read), tuple(findings), target, scopes=tuple(scopes),
                         scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """Nothing: pixi reads ``[mirrors]`` only from its config files and command-line arguments
        (prefix-dev/pixi docs/reference/pixi_configuration.md, the load order); of its variables only
        ``PIXI_HOME`` names a config file, and it moves pixi's global environments too."""
        return EnvPlan(NAME, profile.name, unexpressed=(Finding("pixi.env-no-variable", "warning", NAME,
                                                                params={"profile": profile.name}),))

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        return [Finding("pixi.lock-urls", "hint", NAME)]


TARGET: Target = Pixi()
