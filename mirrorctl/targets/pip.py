"""pip: INI files (pip.conf / pip.ini), read with pip's own parser, edited line by line.

What pip does (pip 23.1-26.x, pypa/pip ``src/pip/_internal/configuration.py``: ``Configuration.load`` and
``iter_config_files``): files load global < user < site < PIP_CONFIG_FILE, later files
win; but the section level dominates: every ``[<command>]`` value from any file beats every ``[global]`` value,
and ``PIP_*`` environment variables beat both. mirrorctl writes ``[global] index-url`` into the user file pip
reads last, keeps any per-command ``index-url`` in the user's own files in step with it, and warns about what
it cannot (or should not) change: environment variables, system-wide and virtualenv files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mirrorctl import paths
from mirrorctl.errors import MirrorctlError
from mirrorctl.formats import ini
from mirrorctl.i18n import N_
from mirrorctl.profiles import UPSTREAM_PROFILE
from mirrorctl.results import CUSTOM, Change, EnvPlan, FileEdit, Finding, Label, ScopeFiles, Setting, Source, ToolState
from mirrorctl.targets import data_of, decode, encode, in_scope, load_layers, read_bytes
from mirrorctl.targets._pipconf import _file_name, check_encoding, global_files, load_order, site_files, user_files
from mirrorctl.targets._pipconf import values as _parsed
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import check_url, host_port, is_plain_http, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile
    from mirrorctl.torch.model import Command, Install

NAME = "pip"

INDEX_KEYS = ("index-url", "pypi-url")  # pip accepts --pypi-url as an alias of --index-url
TRUSTED_KEYS = ("trusted-host",)
URL_KEYS = ("index-url", "pypi-url", "extra-index-url", "find-links")
#: Commands that take index options; a value in their section beats [global] for that command.
INDEX_COMMANDS = ("install", "download", "wheel", "index", "list", "lock")
DEFAULT_INDEX = "https://pypi.org/simple"

#: English templates of this tool's own finding codes (generic codes are worded in ``output``).
MESSAGES = {
    "pip.trusted-host-https": N_("trusted-host {host} is set for an https index: it is not needed, and it makes "
                                 "pip accept any certificate from that host"),
    "pip.proxy-configured": N_("pip's [{section}] proxy = {proxy}: every request goes through that proxy"),
    "pip.user-files-disagree": N_("{legacy} says index-url = {legacy_value} but {current} says {value}: pip uses "
                                  "the second, and the first only confuses whoever reads it"),
    "pip.section-beats-global": N_("{path} [{section}] index-url = {value} beats every [global] index-url "
                                "for `pip {section}`"),
    "pip.site-file-wins": N_("{path} (the virtualenv's own pip config) sets index-url and beats {written}"),
    "pip.env-file-unread": N_("{path} is not read while the virtualenv {venv} is active: pip there reads {site} "
                           "instead (deactivate it, or use --scope venv)"),
    "pip.bad-index-url": N_("index-url {url} {problem}: pip reads it, then every install fails (set by {source}; "
                         "`mirrorctl use NAME` replaces it)"),
    "pip.http-untrusted": N_("{url} is plain http and {host} is not in trusted-host: pip will refuse it"),
}


# ---------------------------------------------------------------------------------------------------------
# Locations


def write_path() -> Path:
    return user_files()[-1]


def _section_line(path: Path, section: str) -> int | None:
    """The line of ``section``'s index-url in ``path`` (the file and line findings point at)."""

    try:
        return ini.line_of(path.read_text(encoding="utf-8", errors="replace"), section, ("index-url", "pypi-url"))
    except OSError:
        return None


def scope_files(scope: str) -> list[Path]:
    """The files of one scope, in pip's load order; the last is the one `pip config --<variant>` writes."""
    if scope == "user":
        return user_files()
    if scope == "system":
        return global_files()
    if scope == "venv":
        return [paths.virtualenv_dir() / _file_name()]
    return [paths.conda_env_prefix() / _file_name()]  # "env": core asks only for one of Pip.scopes


#: pip's variants, as scopes: a later one beats an earlier one.
VARIANT_SCOPE = {"global": "system", "user": "user", "site": "venv", "env": "PIP_CONFIG_FILE"}


def _site_scope() -> str:
    """What the site file is: the active virtualenv's, a conda environment's, or mirrorctl's own Python's."""
    if os.environ.get("VIRTUAL_ENV"):
        return "venv"
    return "env" if os.environ.get("CONDA_PREFIX") else "site"


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def _urls_in(text: str) -> list[str]:
    doc_sections = ini.Document(text).sections
    urls: list[str] = []
    for section in doc_sections:
        for key in URL_KEYS:
            urls += ini.get_values(text, section.name, [key]) or []
    return urls


def _mend_trusted_hosts(text: str, replaced: Iterable[str], new_index: str | None) -> str:
    """Drop trusted-host entries for indexes no longer used; trust a new plain-http index.

    An http:// index needs its host in trusted-host or pip refuses it; an entry for an index that is gone is
    clutter that would silently trust a host nobody uses any more. Hosts still named by another URL in the file
    (extra-index-url, find-links) are kept.
    """
    still_used = {host_port(u) for u in _urls_in(text)}
    stale = {host_port(u) for u in replaced} - still_used
    wanted = host_port(new_index) if new_index and is_plain_http(new_index) else None
    trusted_sections = ini.sections_with(text, TRUSTED_KEYS)
    for section in trusted_sections:
        hosts = ini.get_values(text, section, TRUSTED_KEYS) or []
        kept = [h for h in hosts if h not in stale]
        if wanted and wanted not in kept:
            kept.append(wanted)
        if kept != hosts:
            text = ini.set_values(text, section, TRUSTED_KEYS, kept) if kept else ini.remove_option(
                text, section, TRUSTED_KEYS
            )
    if wanted and "global" not in trusted_sections:
        text = ini.set_values(text, "global", TRUSTED_KEYS, [wanted])
    return text


def render_use(text: str, index_url: str, *, primary: bool) -> str:
    """Point every index-url in ``text`` at ``index_url``; the primary file also gets ``[global] index-url``."""
    sections = ini.sections_with(text, INDEX_KEYS)
    replaced = []
    for section in sections:
        replaced += ini.get_values(text, section, INDEX_KEYS) or []
        text = ini.set_values(text, section, INDEX_KEYS, [index_url])
    if primary and "global" not in sections:
        text = ini.set_values(text, "global", INDEX_KEYS, [index_url])
    touched = bool(sections) or primary
    return _mend_trusted_hosts(text, [u for u in replaced if normalize(u) != normalize(index_url)],
                               index_url if touched else None)


def render_reset(text: str) -> str:
    """Take every index-url out (so pip uses pypi.org) with the trusted-host entries that served it."""
    replaced = []
    for section in ini.sections_with(text, INDEX_KEYS):
        replaced += ini.get_values(text, section, INDEX_KEYS) or []
        text = ini.remove_option(text, section, INDEX_KEYS)
    return _mend_trusted_hosts(text, replaced, None)


# ---------------------------------------------------------------------------------------------------------
# Planning: read, validate, render


def _current_text(path: Path, overrides: Overrides | None = None) -> tuple[bytes | None, str]:
    data = data_of(path, overrides)
    check_encoding(data, path)
    text = decode(data)
    ini.parse(text, path, reader=NAME)
    return data, text


def _changes(path: Path, old_text: str, new_text: str) -> tuple[Change, ...]:
    changes = []
    for label, keys in (("index-url", INDEX_KEYS), ("trusted-host", TRUSTED_KEYS)):
        sections = set(ini.sections_with(old_text, keys)) | set(ini.sections_with(new_text, keys))
        for section in sorted(sections):
            before = " ".join(ini.get_values(old_text, section, keys) or []) or None
            after = " ".join(ini.get_values(new_text, section, keys) or []) or None
            if before != after:
                changes.append(Change(NAME, path, f"[{section}] {label}", before, after))
    return tuple(changes)


# ---------------------------------------------------------------------------------------------------------
# What is in effect


Merged = dict[str, dict[str, tuple[str, Path]]]


def _effective(files: list[tuple[str, Path]], overrides: Overrides | None,
               findings: list[Finding]) -> tuple[Merged, list[Path]]:
    """Merge files the way pip's Configuration does: {section: {key: (value, path)}}, later files win."""
    loaded = load_layers(NAME, (path for _variant, path in files), lambda data, _text, path: _parsed(data, path),
                           overrides)
    findings += loaded.findings  # reported, not fatal, when only reading
    merged: Merged = {}
    for layer in loaded.layers:
        for section, options in layer.values.items():
            for key, value in options.items():
                merged.setdefault(section, {})[key] = (value, layer.path)
    return merged, loaded.read


def _listed(merged: Merged, key: str, variable: str) -> tuple[list[str], Source]:
    """A list option as `pip install` sees it: [global] < [install] < the ``PIP_*`` variable."""
    values: list[str] = []
    source = Source()
    for section in ("global", "install"):
        if key in merged.get(section, {}):
            value, path = merged[section][key]
            values, source = value.split(), Source(path=path, section=section)
    if os.environ.get(variable):
        values, source = os.environ[variable].split(), Source(env=variable)
    return values, source


def _index_for(merged: Merged, command: str) -> tuple[str, Source] | None:
    """pip's override order for one command: [global] < [command] < PIP_* environment."""
    found = None
    for section in ("global", command):
        for key in INDEX_KEYS:
            if key in merged.get(section, {}):
                value, path = merged[section][key]
                found = (value.strip(), Source(path=path, section=section))
    for variable in ("PIP_INDEX_URL", "PIP_PYPI_URL"):
        if os.environ.get(variable):
            found = (os.environ[variable].strip(), Source(env=variable))
    return found


def _shadowing(files: list[tuple[str, Path]], merged: Merged, written_files: list[Path], written: Path,
               scope: str) -> list[Finding]:
    """A [global] index-url from a file pip loads after the scope being written beats what is written there."""
    order = {path: number for number, (_, path) in enumerate(files)}
    if not any(p in order for p in written_files):
        return []  # pip does not read that scope at all (PIP_CONFIG_FILE): another finding says so
    top = max((order.get(p, -1) for p in written_files), default=-1)
    variants = {path: variant for variant, path in files}
    findings = []
    for key in INDEX_KEYS:
        entry = merged.get("global", {}).get(key)
        if entry is None or entry[1] in written_files or order.get(entry[1], -1) <= top:
            continue
        path = entry[1]
        if variants[path] == "site" and scope != "venv" and _site_scope() != "env":
            findings.append(Finding("pip.site-file-wins", "warning", NAME, path, _section_line(path, "global"),
                                    params={"path": path, "written": written}))
        else:
            higher = _site_scope() if variants[path] == "site" else VARIANT_SCOPE[variants[path]]
            findings.append(Finding("scope-shadowed", "warning", NAME, path, _section_line(path, "global"),
                                    params={"path": path, "higher": higher, "key": f"[global] {key}",
                                            "value": entry[0], "written": written, "scope": scope}))
    return findings


def _owner(profiles: Sequence[Profile], url: str) -> str:
    from mirrorctl.profiles import pypi_owner

    return pypi_owner(profiles, url) or CUSTOM


class Pip:
    name = NAME
    ecosystems = frozenset({"pypi"})
    #: "env" and "venv" are both pip's site file (``sys.prefix/pip.conf``): a conda env's, or a virtualenv's.
    scopes: tuple[str, ...] = ("system", "user", "env", "venv")
    default_scope = "user"
    order = 10

    def locations(self, scope: str) -> list[Path]:
        return scope_files(scope)

    def present(self) -> bool:
        return on_path("pip", "pip3") or any(p.exists() for _, p in load_order()[0])

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        if profile is None or profile.name == UPSTREAM_PROFILE:  # upstream: no index-url at all, not pypi.org
            return Rendered(render_reset(text))
        assert profile.pypi is not None
        return Rendered(render_use(text, profile.pypi.index_url, primary=context.primary))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        files = scope_files(scope)
        primary = files[-1]
        edits = []
        for path in files:
            old, text = _current_text(path)
            if old is None and path != primary:
                continue
            new_text = self.render(text, profile, RenderContext(path, tuple(profiles), primary=path == primary)).text
            ini.parse(new_text, path, reader=NAME)  # never write a file pip itself would refuse
            new: bytes | None = encode(new_text)
            if not new_text.strip() and (old is None or old.strip()):
                new = None  # nothing but mirror settings was (or would be) in it: no file rather than an empty one
            edits.append(FileEdit(NAME, path, old, new, _changes(path, text, new_text)))
        return edits

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        files, findings = load_order()
        merged, read = _effective(files, overrides, findings)
        found = _index_for(merged, "install")
        index, source = found if found else (DEFAULT_INDEX, Source())
        trusted, trusted_source = _listed(merged, "trusted-host", "PIP_TRUSTED_HOST")
        extra, extra_source = _listed(merged, "extra-index-url", "PIP_EXTRA_INDEX_URL")

        if source.env:
            findings.append(Finding("env-overrides", "warning", NAME,
                                    params={"variable": f"{source.env}={index}", "files": "pip.conf"}))
        scope_paths, notes = in_scope(NAME, scope, scope_files)
        findings += notes
        written_files = scope_paths or []
        written = written_files[-1] if written_files else write_path()
        global_index = merged.get("global", {}).get("index-url")
        for command in INDEX_COMMANDS:
            entry = merged.get(command, {}).get("index-url") or merged.get(command, {}).get("pypi-url")
            if entry and normalize(entry[0]) != normalize(global_index[0] if global_index else index):
                findings.append(Finding("pip.section-beats-global", "warning", NAME, entry[1],
                                        _section_line(entry[1], command),
                                        params={"path": entry[1], "section": command, "value": entry[0],
                                                "global": global_index[0] if global_index else None}))
        findings += _shadowing(files, merged, written_files, written, scope or "user")
        if scope == "env" and written_files and _site_scope() == "venv" and site_files()[-1] != written:
            findings.append(Finding("pip.env-file-unread", "warning", NAME, written, params={
                "path": written, "venv": os.environ["VIRTUAL_ENV"], "site": site_files()[-1]}))
        problem = check_url(index)
        if problem:  # observed: pip reads the file, then `pip install` ends in a ValueError traceback
            findings.append(Finding("pip.bad-index-url", "error", NAME, source.path,
                                    params={"url": index, "problem": problem, "source": source.env or source.path}))
        elif is_plain_http(index) and host_port(index) not in trusted:
            findings.append(Finding("pip.http-untrusted", "warning", NAME,
                                    params={"url": index, "host": host_port(index)}))

        owner = _owner(profiles, index)
        settings = [Setting(NAME, "index-url", index, source, owner=owner)]
        if extra:
            settings.append(Setting(NAME, "extra-index-url", " ".join(extra), extra_source))
        if trusted:
            settings.append(Setting(NAME, "trusted-host", " ".join(trusted), trusted_source))
        broken = any(f.level == "error" for f in findings)
        if any(f.code == "file-refused" for f in findings):
            settings = []  # observed: pip refuses to run at all (exit 2), so it fetches from nowhere
        scopes = [ScopeFiles("system", tuple(global_files())), ScopeFiles("user", tuple(user_files())),
                  ScopeFiles(_site_scope(), tuple(site_files()))]
        scopes += [ScopeFiles("PIP_CONFIG_FILE", (path,)) for variant, path in files if variant == "env"]
        return ToolState(NAME, Label(None if broken else owner), tuple(settings), tuple(read), tuple(findings),
                         written, scopes=tuple(scopes), scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """``PIP_INDEX_URL``, and ``PIP_TRUSTED_HOST`` for plain http (pip reads every option as ``PIP_<NAME>``,
        pip/_internal/configuration.py ``get_environ_vars``)."""
        if profile.pypi is None:
            return EnvPlan(NAME, profile.name)
        variables = {"PIP_INDEX_URL": profile.pypi.index_url}
        if is_plain_http(profile.pypi.index_url):
            variables["PIP_TRUSTED_HOST"] = host_port(profile.pypi.index_url)
        return EnvPlan(NAME, profile.name, variables)

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        """For `doctor`: a trusted-host that only hides certificate errors, a proxy in pip's config, and two user
        files that disagree."""
        findings: list[Finding] = []
        index = state.setting("index-url")
        trusted = state.setting("trusted-host")
        extra = state.setting("extra-index-url")
        urls = [index.value] if index else []
        urls += extra.value.split() if extra else []
        if trusted is not None:
            for host in trusted.value.split():
                served = [u for u in urls if host_port(u) == host or host_port(u).split(":")[0] == host]
                if served and not any(is_plain_http(u) for u in served):
                    fix = (f"mirrorctl reset --only pip && mirrorctl use {index.owner} --only pip"
                           if index and index.owner not in (None, "custom", UPSTREAM_PROFILE)
                           else f"pip config {_config_flag(state, trusted.source.path)} unset global.trusted-host")
                    findings.append(Finding("pip.trusted-host-https", "warning", NAME, trusted.source.path, None,
                                            {"host": host, "fix": fix}))
        merged, _ = _effective(load_order()[0], None, [])
        for section in ("global", "install"):
            proxy = merged.get(section, {}).get("proxy")
            if proxy:
                findings.append(Finding("pip.proxy-configured", "note", NAME, proxy[1], None, {
                    "proxy": proxy[0], "section": section,
                    "fix": f"pip config {_config_flag(state, proxy[1])} unset {section}.proxy"}))
        legacy, current = user_files()[0], user_files()[-1]
        values: dict[Path, str | None] = {}
        for path in (legacy, current):
            data = read_bytes(path)
            try:
                values[path] = _parsed(data, path).get("global", {}).get("index-url") if data else None
            except MirrorctlError:
                values[path] = None
        first, second = values[legacy], values[current]
        if first and second and normalize(first) != normalize(second):
            from mirrorctl.profiles import load_profiles

            owner = _owner(load_profiles().profiles, second)  # the value pip uses from the files
            owner = owner if owner not in (None, "custom", UPSTREAM_PROFILE) else "NAME"
            findings.append(Finding("pip.user-files-disagree", "warning", NAME, legacy, None, {
                "legacy": legacy, "current": current, "legacy_value": first, "value": second,
                "fix": f"mirrorctl reset --only pip && mirrorctl use {owner} --only pip"}))
        return findings

    def hints(self) -> list[Finding]:
        return []


def _config_flag(state: ToolState, path: Path | None) -> str:
    """The `pip config` option that edits ``path``'s file (pip/_internal/configuration.py kinds)."""
    scope = state.scope_of(path)
    return {"system": "--global", "venv": "--site", "env": "--site"}.get(scope or "", "--user")


TARGET: Target = Pip()


# ---------------------------------------------------------------------------------------------------------
# `mirrorctl torch`: the install command (named here because only a tool's module may name the tool)


def torch_commands(install: Install) -> list[Command]:
    """``pip install torch==X+cuNNN torchvision==… --index-url PAGE`` (``-f PAGE`` for a flat page; nothing
    extra when the PyPI mirror in effect serves the build). Exact ``==`` pins with the local tag: a ``+cuNNN``
    version sorts above the plain one, and the pin keeps the CUDA build and its companions in step."""
    from mirrorctl.torch.model import Command

    argv = ["pip", "install", *(f"{name}=={pinned}" for name, pinned in install.pins())]
    source = install.source
    if source.kind == "index" and source.url:
        argv += ["--index-url", source.url]
    elif source.kind == "find-links" and source.url:
        argv += ["-f", source.url]
    return [Command(NAME, "install", tuple(argv))]


def torch_fix_mixture(projects: Sequence[str]) -> list[Command]:
    """Remove stray nvidia-* wheels of another CUDA major (``--check``)."""
    from mirrorctl.torch.model import Command

    return [Command(NAME, "install", ("pip", "uninstall", "-y", *projects))]
