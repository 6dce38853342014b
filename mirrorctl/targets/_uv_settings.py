"""uv's settings files, shared by the uv tool module's read and its rendering (:mod:`._uv_render`): where uv finds
a project's settings (its workspace discovery, as uv 0.13 does it: observed with uv 0.13.9, `uv pip compile
--show-settings -v`; astral-sh/uv ``crates/uv-workspace/src/workspace.rs`` and ``crates/uv-settings/src/lib.rs``
``FilesystemOptions::find``), what uv refuses in one, and which default ``[[index]]`` entries mirrorctl owns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.errors import ConfigParseError, ScopeUnavailable
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import CUSTOM, UPSTREAM, Finding
from mirrorctl.targets.base import Overrides
from mirrorctl.urls import normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "uv"
DEFAULT_INDEX = "https://pypi.org/simple"
PYTHON_MIRROR_KEY = "python-install-mirror"


def _pyproject(folder: Path) -> dict[str, Any] | None:
    """``folder/pyproject.toml`` as plain values; None when there is none (or uv could not parse it either)."""
    path = folder / "pyproject.toml"
    try:
        if not path.is_file():
            return None
        return toml.values(path.read_text("utf-8"), path)
    except (OSError, UnicodeDecodeError, ConfigParseError):
        return None


def _tool_uv(document: dict[str, Any]) -> dict[str, Any] | None:
    tool = document.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return uv if isinstance(uv, dict) else None


def _member_of(project: Path, root: Path, workspace: dict[str, Any]) -> bool:
    def matches(key: str) -> bool:
        patterns = workspace.get(key)
        if not isinstance(patterns, list):
            return False
        return any(project.resolve() == found.resolve() for pattern in patterns if isinstance(pattern, str)
                   for found in root.glob(pattern))

    return matches("members") and not matches("exclude")


def workspace_root(cwd: Path | None = None) -> Path | None:
    """The project uv works on from ``cwd``, as uv 0.13's workspace discovery finds it (observed): the nearest
    folder with a pyproject.toml; that project must have ``[project]`` (or ``[tool.uv.workspace]``); the first
    pyproject.toml above it is its workspace root only if its ``[tool.uv.workspace]`` members include it.
    None: no project (uv then looks for settings from ``cwd`` itself)."""
    folder = (cwd or Path.cwd()).absolute()
    project = next((d for d in (folder, *folder.parents) if (d / "pyproject.toml").is_file()), None)
    if project is None:
        return None
    document = _pyproject(project)
    if document is None:
        return None
    uv = _tool_uv(document) or {}
    if uv.get("managed") is False:
        return None
    if isinstance(uv.get("workspace"), dict):
        return project
    if "project" not in document:
        return None  # uv: "No `project` table found"
    above = next((d for d in project.parents if (d / "pyproject.toml").is_file()), None)
    if above is not None:
        outer = _tool_uv(_pyproject(above) or {}) or {}
        workspace = outer.get("workspace")
        if isinstance(workspace, dict) and _member_of(project, above, workspace):
            return above
    return project


def _settings_in(folder: Path, overrides: Overrides | None = None) -> Path | None:
    """uv's ``FilesystemOptions::from_directory``: uv.toml, else a pyproject.toml with ``[tool.uv]``; a file in
    ``overrides`` (a dry run) counts with the bytes it is about to get."""
    overrides = overrides or {}
    uv_toml, pyproject = folder / "uv.toml", folder / "pyproject.toml"
    exists = overrides[uv_toml] is not None if uv_toml in overrides else uv_toml.is_file()
    if exists:
        return uv_toml
    try:
        if pyproject in overrides:
            data = overrides[pyproject]
            text = data.decode("utf-8", "replace") if data is not None else ""
        else:
            text = pyproject.read_text("utf-8", "replace") if pyproject.is_file() else ""
    except OSError:
        return None
    return pyproject if re.search(r"^[ \t]*\[\[?tool\.uv[\].]", text, re.MULTILINE) else None


def project_file(cwd: Path | None = None, overrides: Overrides | None = None) -> Path | None:
    """The project settings uv uses from ``cwd``: starting at the workspace root (else at ``cwd``), the first
    folder upwards with a uv.toml or a pyproject.toml with ``[tool.uv]`` (uv.toml first in one folder).

    Observed with uv 0.13.9 (`uv pip compile --show-settings -v`): a member of a workspace uses the root's
    settings, a uv.toml below the project root is ignored, and a project without settings inherits those of
    the nearest folder above that has some."""
    folder = (cwd or Path.cwd()).absolute()
    start = workspace_root(folder) or folder
    return next((found for d in (start, *start.parents) if (found := _settings_in(d, overrides)) is not None),
                None)


def ignored_settings(cwd: Path | None = None) -> list[Finding]:
    """A uv.toml between ``cwd`` and the project root: users put one there expecting uv to read it; it does not
    (observed with uv 0.13.9: settings discovery starts at the workspace root)."""
    folder = (cwd or Path.cwd()).absolute()
    root = workspace_root(folder)
    if root is None or root == folder:
        return []
    used = project_file(folder)
    found = []
    for d in (folder, *folder.parents):
        if d == root:
            break
        if (d / "uv.toml").is_file():
            found.append(Finding("uv.ignored-settings", "warning", NAME, d / "uv.toml", params={
                "path": d / "uv.toml", "root": root, "used": used or "no project settings"}))
    return found


def project_write_file(cwd: Path | None = None) -> Path:
    """Where `use --scope project` writes: the settings file uv uses here (:func:`project_file`); without one,
    the project's pyproject.toml (a ``[tool.uv]`` table), found as uv finds the project.

    uv has no virtualenv scope (it reads no settings file inside a venv). ScopeUnavailable without a project.
    """
    folder = (cwd or Path.cwd()).absolute()
    found = project_file(folder)
    if found is not None:
        return found
    root = workspace_root(folder) or next((d for d in (folder, *folder.parents)
                                           if (d / "pyproject.toml").is_file()), None)
    if root is not None:
        return root / "pyproject.toml"
    raise ScopeUnavailable(N_("no uv.toml or pyproject.toml in {folder} or above: run mirrorctl in the project's "
                              "directory"), folder=folder)


# ---------------------------------------------------------------------------------------------------------
# What uv refuses, and what mirrorctl owns


def owner_of(profiles: Sequence[Profile], url: str) -> str:
    from mirrorctl.profiles import pypi_owner

    owner = pypi_owner(profiles, url)
    if owner:
        return owner
    return UPSTREAM if normalize(url) == normalize(DEFAULT_INDEX) else CUSTOM


def owned(profiles: Sequence[Profile], url: object) -> bool:
    return isinstance(url, str) and owner_of(profiles, url) != CUSTOM


def python_mirror_owner(profiles: Sequence[Profile], url: str) -> str:
    for profile in profiles:
        mirror = profile.pypi.python_install_mirror if profile.pypi else None
        if mirror and normalize(mirror) == normalize(url):
            return profile.name
    return CUSTOM


def _line_of(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def validate(document: Any, text: str, path: Path | None) -> None:
    """uv refuses a settings file whose ``index`` is not an array of tables with string URLs."""
    if "index" in document:
        indexes = toml.plain(document["index"])
        if not isinstance(indexes, list) or not all(isinstance(i, dict) for i in indexes):
            raise ConfigParseError(N_("`index` must be an array of tables ([[index]])"), path=path,
                                   line=_line_of(text, r"^[ \t]*index\s*="))
        for entry in indexes:
            if not isinstance(entry.get("url"), str):
                raise ConfigParseError(N_("every [[index]] needs url = \"...\" (a string)"), path=path,
                                       line=_line_of(text, r"^[ \t]*\[\[\s*index\s*\]\]"))
            if "default" in entry and not isinstance(entry["default"], bool):
                raise ConfigParseError(N_("[[index]] default must be true or false"), path=path,
                                       line=_line_of(text, r"^[ \t]*default\s*="))
    for key in ("index-url", PYTHON_MIRROR_KEY):
        if key in document and not isinstance(toml.plain(document[key]), str):
            raise ConfigParseError(N_("{key} must be a string"), key=key, path=path,
                                   line=_line_of(text, rf"^[ \t]*{re.escape(key)}\s*="))


def load(text: str, path: Path | None, *, editable: bool = True) -> Any:
    """The document (tomlkit when it is to be edited, plain values otherwise), validated as uv does."""
    document = toml.load(text, path) if editable else toml.values(text, path)
    validate(document, text, path)
    return document


def default_entries(document: Any) -> list[tuple[int, str]]:
    """(position, url) of every ``[[index]]`` with ``default = true``, in file order."""
    if "index" not in document:
        return []
    return [(i, str(entry["url"])) for i, entry in enumerate(document["index"]) if entry.get("default") is True]


def mine(document: Any, profiles: Sequence[Profile]) -> list[tuple[int, str]]:
    """The default entries mirrorctl may replace: no name (a named index is the user's, whatever its URL, and
    ``[tool.uv.sources]`` may point at it) and a known profile's URL (or pypi.org)."""
    return [(i, url) for i, url in default_entries(document)
            if "name" not in document["index"][i] and owned(profiles, url)]
