"""pdm: ``<user_config_dir>/pdm/config.toml`` ``[pypi] url`` (TOML), edited with tomlkit.

What pdm 2.29 does (``pdm/project/core.py``, ``pdm/project/config.py``): the global file is
``platformdirs.user_config_path("pdm") / "config.toml"`` (Linux ``${XDG_CONFIG_HOME:-~/.config}/pdm``, macOS
``~/Library/Application Support/pdm``, Windows ``%LOCALAPPDATA%\\pdm\\pdm``), or ``$PDM_CONFIG_FILE``; the site
file is ``platformdirs.site_config_path("pdm") / "config.toml"``; a project's ``pdm.toml`` beats both, and
``PDM_PYPI_URL`` beats every file; a ``[[tool.pdm.source]]`` named ``pypi`` in the project's pyproject.toml
beats them all (observed, see :func:`pyproject_sources`). mirrorctl writes ``[pypi] url`` and, for a plain-http
index only, ``verify_ssl = false``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError, MirrorctlError, ScopeUnavailable
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import CUSTOM, Change, EnvPlan, FileEdit, Finding, Label, ScopeFiles, Setting, Source, ToolState
from mirrorctl.targets import data_of, decode, encode, in_scope, iter_layers, read_bytes, refused
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import is_plain_http

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "pdm"
DEFAULT_INDEX = "https://pypi.org/simple"

#: English templates of this tool's own finding codes (generic codes are worded in ``output``).
MESSAGES = {
    "pdm.project-wins": N_("{path} (this project's pdm.toml) sets pypi.url and beats {written}"),
    "pdm.config-file-env": N_("PDM_CONFIG_FILE={value}: pdm reads and writes this file instead of {default}"),
    "pdm.pyproject-source-wins": N_("{path} has [[tool.pdm.source]] name = \"pypi\" url = {url}: it replaces pypi.url "
                                 "of every config file and PDM_PYPI_URL, so pdm fetches from it (yours, left as "
                                 "it is; `use --scope project --force` replaces its url)"),
    "pdm.extra-source": N_("{path} has [[tool.pdm.source]] {name} = {url}: pdm asks it besides pypi.url"),
    "pdm.lock-refresh": N_("{path} records the old index URLs: run `pdm lock --update-reuse` (or `pdm lock`) "
                        "to refresh it"),
}


def default_user_file() -> Path:
    if paths.platform() == "linux":  # what platformdirs answers on Linux, without importing it
        return paths.xdg_config_home() / "pdm" / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_path("pdm")) / "config.toml"


def user_file() -> Path:
    return paths.env_path("PDM_CONFIG_FILE") or default_user_file()


def site_file() -> Path:
    if paths.platform() == "linux":
        return paths.xdg_config_dirs()[0] / "pdm" / "config.toml"
    import platformdirs

    return Path(platformdirs.site_config_path("pdm")) / "config.toml"


def project_file() -> Path:
    """``pdm.toml`` at the project root (what `pdm config --local` writes); here: the current directory."""
    return Path.cwd() / "pdm.toml"


def scope_file(scope: str) -> Path:
    if scope == "user":
        return user_file()
    if scope == "system":
        return site_file()
    path = project_file()  # "project": core asks only for one of Pdm.scopes
    if not path.is_file() and not (path.parent / "pyproject.toml").is_file():
        raise ScopeUnavailable(N_("no pyproject.toml or pdm.toml in {folder}: run mirrorctl in the pdm "
                                  "project's directory"), folder=path.parent)
    return path


def _line_of(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load(text: str, path: Path | None, *, editable: bool = True) -> Any:
    """The document (tomlkit when it is to be edited, plain values otherwise), validated as pdm does."""
    document = toml.load(text, path) if editable else toml.values(text, path)
    pypi = document.get("pypi")
    if pypi is not None and not isinstance(pypi, dict):
        raise ConfigParseError(N_("`pypi` must be a table ([pypi])"), path=path,
                               line=_line_of(text, r"^[ \t]*pypi\s*="))
    if pypi is not None:
        if "url" in pypi and not isinstance(toml.plain(pypi["url"]), str):
            raise ConfigParseError(N_("pypi.url must be a string"), path=path, line=_line_of(text, r"^[ \t]*url\s*="))
        if "verify_ssl" in pypi and not isinstance(toml.plain(pypi["verify_ssl"]), bool):
            raise ConfigParseError(N_("pypi.verify_ssl must be true or false"), path=path,
                                   line=_line_of(text, r"^[ \t]*verify_ssl\s*="))
    return document


def _settings(data: bytes, text: str, path: Path) -> Any:
    return load(text, path, editable=False)


def render_text(text: str, profile: Profile | None) -> str:
    import tomlkit

    document = load(text, None)
    new_url = profile.pypi.index_url if profile and profile.pypi else None
    pypi = document.get("pypi")
    old_url = str(pypi["url"]) if pypi is not None and "url" in pypi else None
    if new_url:
        if pypi is None:
            pypi = tomlkit.table()
            if toml.dump(document).strip() and not toml.dump(document).endswith("\n\n"):
                document.add(tomlkit.nl())
            document["pypi"] = pypi
        pypi["url"] = new_url
    elif pypi is not None and "url" in pypi:
        del pypi["url"]
    if pypi is not None:
        if new_url and is_plain_http(new_url):
            pypi["verify_ssl"] = False
        elif pypi.get("verify_ssl") is False and old_url and is_plain_http(old_url):
            del pypi["verify_ssl"]  # it was there for the old http index only
        if not len(pypi):
            del document["pypi"]
    rendered = toml.dump(document)
    if not text.startswith(("\n", "\r\n")):
        rendered = rendered.lstrip("\r\n")
    return toml.keep_newlines(text, rendered)


def _get(document: Any, key: str) -> str | None:
    pypi = document.get("pypi") if document is not None else None
    value = pypi.get(key) if pypi is not None else None
    return None if value is None else str(toml.plain(value))


def pyproject_file() -> Path:
    return Path.cwd() / "pyproject.toml"


def pyproject_sources(data: bytes | None, path: Path) -> list[dict[str, Any]]:
    """``[[tool.pdm.source]]`` of a pyproject.toml (plain values; entries without a string url are skipped).

    Observed with pdm 2.29 (tests/data/sources_observed.json): a source named ``pypi`` replaces ``pypi.url`` of
    every config file and ``PDM_PYPI_URL``; one with another name is asked besides it."""
    if not data:
        return []
    document = toml.values(decode(data), path)
    tool = document.get("tool")
    pdm = tool.get("pdm") if isinstance(tool, dict) else None
    sources = pdm.get("source") if isinstance(pdm, dict) else None
    if not isinstance(sources, list):
        return []
    return [s for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str)]


def render_pyproject_source(text: str, url: str, path: Path | None) -> str:
    """``use --scope project --force``: the url of the ``pypi`` source of ``[[tool.pdm.source]]`` replaced."""
    document = toml.load(text, path)
    for source in document["tool"]["pdm"]["source"]:
        if source.get("name") == "pypi":
            source["url"] = url
            if is_plain_http(url):
                source["verify_ssl"] = False
    return toml.keep_newlines(text, toml.dump(document))


def _owner(profiles: Sequence[Profile], url: str) -> str:
    from mirrorctl.profiles import pypi_owner

    return pypi_owner(profiles, url) or CUSTOM


class Pdm:
    name = NAME
    ecosystems = frozenset({"pypi"})
    #: pdm's site file, its global (user) file, the project's pdm.toml, lowest precedence first.
    scopes: tuple[str, ...] = ("system", "user", "project")
    default_scope = "user"
    order = 30

    def locations(self, scope: str) -> list[Path]:
        return [scope_file(scope)]

    def present(self) -> bool:
        return on_path("pdm") or user_file().exists()

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        load(text, context.path)
        return Rendered(render_text(text, profile))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        path = scope_file(scope)
        old = read_bytes(path)
        text = decode(old)
        new_text = self.render(text, profile, RenderContext(path, tuple(profiles))).text
        before, after = load(text, path), load(new_text, path)
        changes = tuple(Change(NAME, path, f"pypi.{key}", _get(before, key), _get(after, key))
                        for key in ("url", "verify_ssl") if _get(before, key) != _get(after, key))
        new: bytes | None = encode(new_text)
        if not new_text.strip() and (old is None or old.strip()):
            new = None
        edits = [FileEdit(NAME, path, old, new, changes)]
        if force and scope == "project" and profile is not None and profile.pypi is not None:
            edits += self._force_pyproject(profile.pypi.index_url)
        return edits

    def _force_pyproject(self, url: str) -> list[FileEdit]:
        path = pyproject_file()
        old = read_bytes(path)
        theirs = [s for s in pyproject_sources(old, path) if s.get("name") == "pypi"]
        if not theirs or theirs[0]["url"] == url:
            return []
        new_text = render_pyproject_source(decode(old), url, path)
        return [FileEdit(NAME, path, old, encode(new_text),
                         (Change(NAME, path, "[[tool.pdm.source]] pypi", str(theirs[0]["url"]), url),))]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        found, findings = in_scope(NAME, scope, scope_file)
        written = found or user_file()
        if os.environ.get("PDM_CONFIG_FILE"):
            findings.append(Finding("pdm.config-file-env", "note", NAME,
                                    params={"value": os.environ["PDM_CONFIG_FILE"], "default": default_user_file()}))
        project = project_file()
        url, source = DEFAULT_INDEX, Source()
        verify: str | None = None
        files = [site_file(), user_file(), project]  # lowest precedence first
        rank = files.index(written) if written in files else len(files)
        read: list[Path] = []
        for path, _text, document in iter_layers(NAME, files, _settings, overrides, findings=findings, read=read,
                                                 refused_counts_as_read=True):
            if _get(document, "url"):
                url, source = str(_get(document, "url")), Source(path=path, section="pypi")
                if files.index(path) > rank and path == project:
                    findings.append(Finding("pdm.project-wins", "warning", NAME, path,
                                            params={"path": path, "written": written}))
                elif files.index(path) > rank:
                    findings.append(Finding("scope-shadowed", "warning", NAME, path, params={
                        "path": path, "higher": "user", "key": "pypi.url", "value": url, "written": written,
                        "scope": scope or "user"}))
            if _get(document, "verify_ssl") is not None:
                verify = _get(document, "verify_ssl")
        if os.environ.get("PDM_PYPI_URL"):
            url, source = os.environ["PDM_PYPI_URL"].strip(), Source(env="PDM_PYPI_URL")
            findings.append(Finding("env-overrides", "warning", NAME,
                                    params={"variable": f"PDM_PYPI_URL={url}", "files": "config.toml"}))
        pyproject = pyproject_file()
        try:
            data = data_of(pyproject, overrides)
            sources = pyproject_sources(data, pyproject)
        except MirrorctlError as exc:
            findings.append(refused(NAME, pyproject, exc))
            sources = []
        for entry in sources:
            if entry.get("name") == "pypi":
                url, source = str(entry["url"]), Source(path=pyproject, section="tool.pdm.source pypi")
                findings.append(Finding("pdm.pyproject-source-wins", "warning", NAME, pyproject,
                                        params={"path": pyproject, "url": url}))
            else:
                findings.append(Finding("pdm.extra-source", "note", NAME, pyproject,
                                        params={"path": pyproject, "name": entry.get("name"), "url": entry["url"]}))
        owner = _owner(profiles, url)
        settings = [Setting(NAME, "pypi.url", url, source, owner=owner)]
        if verify is not None:
            settings.append(Setting(NAME, "pypi.verify_ssl", verify.lower(), Source()))
        broken = any(f.level == "error" for f in findings)
        scopes = (ScopeFiles("system", (site_file(),)), ScopeFiles("user", (user_file(),)),
                  ScopeFiles("project", (project,)))
        return ToolState(NAME, Label(None if broken else owner), tuple(settings), tuple(read), tuple(findings),
                         written, scopes=scopes, scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """``PDM_PYPI_URL``, and ``PDM_PYPI_VERIFY_SSL=false`` for plain http (pdm/project/config.py:
        ``pypi.url`` and ``pypi.verify_ssl`` with their ``env_var``)."""
        if profile.pypi is None:
            return EnvPlan(NAME, profile.name)
        variables = {"PDM_PYPI_URL": profile.pypi.index_url}
        if is_plain_http(profile.pypi.index_url):
            variables["PDM_PYPI_VERIFY_SSL"] = "false"
        return EnvPlan(NAME, profile.name, variables)

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        lock = Path.cwd() / "pdm.lock"
        if not lock.is_file():
            return []
        return [Finding("pdm.lock-refresh", "hint", NAME, lock, params={"path": lock})]


TARGET: Target = Pdm()
