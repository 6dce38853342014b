"""pip: INI files (pip.conf / pip.ini), read with pip's own parser, edited line by line.

What pip does (pip 23.1-26.x, see REFERENCE.md): files load global < user < site < PIP_CONFIG_FILE, later files
win; but the section level dominates: every ``[<command>]`` value from any file beats every ``[global]`` value,
and ``PIP_*`` environment variables beat both. mirrorctl writes ``[global] index-url`` into the user file pip
reads last, keeps any per-command ``index-url`` in the user's own files in step with it, and warns about what
it cannot (or should not) change: environment variables, system-wide and virtualenv files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mirrorctl import ini, paths
from mirrorctl.errors import MirrorctlError, display_path
from mirrorctl.profiles import Profile, find_pypi_profile
from mirrorctl.targets import FileEdit, Source, TargetState, decode, encode, read_bytes
from mirrorctl.urls import host_port, is_plain_http, normalize

NAME = "pip"
ECOSYSTEM = "pypi"
ORDER = 10

INDEX_KEYS = ("index-url", "pypi-url")  # pip accepts --pypi-url as an alias of --index-url
TRUSTED_KEYS = ("trusted-host",)
URL_KEYS = ("index-url", "pypi-url", "extra-index-url", "find-links")
#: Commands that take index options; a value in their section beats [global] for that command.
INDEX_COMMANDS = ("install", "download", "wheel", "index", "list", "lock")
DEFAULT_INDEX = "https://pypi.org/simple"

Overrides = Mapping[Path, "bytes | None"]


# ---------------------------------------------------------------------------------------------------------
# Locations


def _file_name() -> str:
    return "pip.ini" if paths.platform() == "win32" else "pip.conf"


def user_files() -> list[Path]:
    """The user variant, in pip's load order; the last one is the file pip (and mirrorctl) writes."""
    home, name = paths.home(), _file_name()
    system = paths.platform()
    if system == "win32":
        return [home / "pip" / name, paths.appdata() / "pip" / name]
    legacy = home / ".pip" / name
    if system == "darwin":
        app_support = home / "Library" / "Application Support" / "pip"
        return [legacy, (app_support if app_support.is_dir() else home / ".config" / "pip") / name]
    return [legacy, paths.xdg_config_home() / "pip" / name]


def global_files() -> list[Path]:
    system = paths.platform()
    if system == "win32":
        return [paths.system_path("C:/ProgramData", "pip", "pip.ini")]
    if system == "darwin":
        return [paths.system_path("/Library/Application Support/pip/pip.conf")]
    return [d / "pip" / "pip.conf" for d in paths.xdg_config_dirs()] + [paths.system_path("/etc/pip.conf")]


def site_files() -> list[Path]:
    """The environment the user's pip most likely runs in: an active virtualenv or conda env, else ours."""
    prefix = os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX") or sys.prefix
    return [Path(prefix) / _file_name()]


def write_path() -> Path:
    return user_files()[-1]


def load_order() -> tuple[list[tuple[str, Path]], list[str]]:
    """(variant, path) pairs pip reads, in order, plus warnings about PIP_CONFIG_FILE."""
    notes: list[str] = []
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file and env_file == os.devnull:
        return [], [f"PIP_CONFIG_FILE={env_file}: pip reads no configuration files at all"]
    env_exists = bool(env_file) and Path(str(env_file)).is_file()
    files = [("global", p) for p in global_files()]
    if env_exists:
        notes.append(
            f"PIP_CONFIG_FILE={env_file} is set: pip skips your user files "
            f"({', '.join(display_path(p) for p in user_files())}), so what mirrorctl writes there is not used; "
            "unset PIP_CONFIG_FILE or edit that file"
        )
    else:
        files += [("user", p) for p in user_files()]
    files += [("site", p) for p in site_files()]
    if env_exists:
        files.append(("env", Path(str(env_file))))
    return files, notes


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
    data = overrides[path] if overrides and path in overrides else read_bytes(path)
    text = decode(data)
    ini.parse(text, path)
    return data, text


def _summary(old_text: str, new_text: str) -> tuple[str, ...]:
    changes = []
    for label, keys in (("index-url", INDEX_KEYS), ("trusted-host", TRUSTED_KEYS)):
        sections = set(ini.sections_with(old_text, keys)) | set(ini.sections_with(new_text, keys))
        for section in sorted(sections):
            before = " ".join(ini.get_values(old_text, section, keys) or ["(unset)"])
            after = " ".join(ini.get_values(new_text, section, keys) or ["(unset)"])
            if before != after:
                changes.append(f"[{section}] {label}: {before} -> {after}")
    return tuple(changes)


def _plan(render: Callable[[str, bool], str]) -> list[FileEdit]:
    primary = write_path()
    edits = []
    for path in user_files():
        old, text = _current_text(path)
        if old is None and path != primary:
            continue
        new_text = render(text, path == primary)
        ini.parse(new_text, path)  # never write a file pip itself would refuse
        new: bytes | None = encode(new_text)
        if not new_text.strip() and (old is None or old.strip()):
            new = None  # nothing but mirror settings was (or would be) in it: no file rather than an empty one
        edits.append(FileEdit(NAME, path, old, new, _summary(text, new_text)))
    return edits


def plan_use(profile: Profile, profiles: Iterable[Profile]) -> list[FileEdit]:
    assert profile.pypi is not None
    index = profile.pypi.index_url
    return _plan(lambda text, primary: render_use(text, index, primary=primary))


def plan_reset(profiles: Iterable[Profile]) -> list[FileEdit]:
    return _plan(lambda text, primary: render_reset(text))


# ---------------------------------------------------------------------------------------------------------
# What is in effect


def _effective(files: list[tuple[str, Path]], overrides: Overrides | None, problems: list[str]):
    """Merge files the way pip's Configuration does: {section: {key: (value, path)}}, later files win."""
    merged: dict[str, dict[str, tuple[str, Path]]] = {}
    read = []
    for _variant, path in files:
        try:
            data, text = _current_text(path, overrides)
        except MirrorctlError as exc:  # reported, not fatal, when only reading
            problems.append(f"{exc} (pip refuses to run with this file)")
            continue
        if data is None:
            continue
        read.append(path)
        parser = ini.parse(text, path)
        for section in parser.sections():
            for key, value in parser.items(section):
                if value:  # pip ignores empty values
                    merged.setdefault(section, {})[ini.normalize_key(key)] = (value, path)
    return merged, read


def _index_for(merged, command: str) -> tuple[str, Source] | None:
    """pip's override order for one command: [global] < [command] < PIP_* environment."""
    found = None
    for section in ("global", command):
        for key in INDEX_KEYS:
            if key in merged.get(section, {}):
                value, path = merged[section][key]
                found = (value.strip(), Source(file=display_path(path), section=section))
    for variable in ("PIP_INDEX_URL", "PIP_PYPI_URL"):
        if os.environ.get(variable):
            found = (os.environ[variable].strip(), Source(env=variable))
    return found


def inspect(profiles: Iterable[Profile], overrides: Overrides | None = None) -> TargetState:
    profiles = list(profiles)
    files, warnings = load_order()
    problems: list[str] = []
    merged, read = _effective(files, overrides, problems)
    found = _index_for(merged, "install")
    index, source = found if found else (DEFAULT_INDEX, Source())
    profile = find_pypi_profile(profiles, index)
    trusted = []
    for section in ("global", "install"):
        if "trusted-host" in merged.get(section, {}):
            trusted = merged[section]["trusted-host"][0].split()
    if os.environ.get("PIP_TRUSTED_HOST"):
        trusted = os.environ["PIP_TRUSTED_HOST"].split()
    extra = (merged.get("install", {}).get("extra-index-url") or merged.get("global", {}).get("extra-index-url")
             or ("", None))[0].split()
    if os.environ.get("PIP_EXTRA_INDEX_URL"):
        extra = os.environ["PIP_EXTRA_INDEX_URL"].split()

    if source.env:
        warnings.append(f"{source.env}={index} is set in your environment and beats every pip.conf")
    written = write_path()
    for command in INDEX_COMMANDS:
        value = merged.get(command, {}).get("index-url") or merged.get(command, {}).get("pypi-url")
        if value and normalize(value[0]) != normalize(merged.get("global", {}).get("index-url", (index,))[0]):
            warnings.append(
                f"{display_path(value[1])} [{command}] index-url = {value[0]} beats every [global] index-url "
                f"for `pip {command}`"
            )
    for variant, path in files:
        if variant == "site" and any(k in merged.get("global", {}) and merged["global"][k][1] == path
                                     for k in INDEX_KEYS):
            warnings.append(f"{display_path(path)} (the virtualenv's own pip config) sets index-url and beats "
                            f"{display_path(written)}")
    if is_plain_http(index) and host_port(index) not in trusted:
        warnings.append(f"{index} is plain http and {host_port(index)} is not in trusted-host: pip will refuse it")

    details = {
        "index_url": index,
        "source": source.describe(),
        "trusted_hosts": trusted,
        "extra_index_urls": extra,
        "write_path": display_path(written),
    }
    return TargetState(
        target=NAME,
        profile=profile.name if profile else "custom",
        details=details,
        files=tuple(display_path(p) for p in read),
        warnings=tuple(warnings),
        problems=tuple(problems),
    )


def describe(details: dict[str, Any]) -> list[str]:
    """The lines `mirrorctl current` shows for pip."""
    lines = [f"  index-url     {details['index_url']}", f"    from        {details['source']}"]
    if details.get("extra_index_urls"):
        lines.append(f"  extra-index   {' '.join(details['extra_index_urls'])}")
    if details.get("trusted_hosts"):
        lines.append(f"  trusted-host  {' '.join(details['trusted_hosts'])}")
    return lines
