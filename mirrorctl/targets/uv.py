"""uv: ``uv.toml`` (TOML), edited with tomlkit so comments and every other key survive.

What uv does (0.13; astral-sh/uv ``crates/uv/src/lib.rs`` L323-357, ``crates/uv-settings/src/lib.rs`` L52-123):
it reads the system file, then the user file, then the project's ``uv.toml`` (or ``pyproject.toml``
``[tool.uv]``); the project beats the user file, which beats the system file, and environment variables beat all
three. ``UV_CONFIG_FILE`` replaces every discovered file and ``UV_NO_CONFIG`` disables them. The default index is
the first ``[[index]]`` entry with ``default = true`` (seen
here with uv 0.13.9: of two such entries the first wins, and either beats the deprecated top-level ``index-url``).

mirrorctl writes ``[[index]] url = "<index, no trailing slash>" default = true``. A default entry without a name
whose URL is a known profile's index (or pypi.org's) is mirrorctl's to replace or remove; every other
``[[index]]`` entry is the user's and is kept (``use --force`` makes a default one of theirs in the written file
``explicit``, or removes it when it has no name). Observed with uv 0.13.9 (tests/data/sources_observed.json):
the index lists of all files are joined, the higher-precedence file's first; the first default entry is the
default index and any default entry beats every file's ``index-url``; a non-default, non-explicit entry is asked
before the default; ``UV_DEFAULT_INDEX`` beats ``UV_INDEX_URL``, which beats every file.
``python-install-mirror`` (uv.toml only) is written when the profile has one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl import paths
from mirrorctl.errors import ConfigParseError
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
from mirrorctl.targets import decode, encode, in_scope, iter_layers, read_bytes
from mirrorctl.targets._uv_workspace import (
    ignored_settings,
    project_file,
    project_write_file,
    workspace_root,
)
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile
    from mirrorctl.torch.model import Command, Install

NAME = "uv"
DEFAULT_INDEX = "https://pypi.org/simple"
PYTHON_MIRROR_KEY = "python-install-mirror"

#: English templates of this tool's own finding codes (generic codes are worded in ``output``).
MESSAGES = {
    "uv.project-wins": N_("{path} (this project's uv settings) sets {key} and beats {written}"),
    "uv.env-index": N_("UV_INDEX={value} is set: uv looks in these indexes before the default index"),
    "uv.env-python-mirror": N_("UV_PYTHON_INSTALL_MIRROR={value} is set and beats python-install-mirror in {written}"),
    "uv.own-default-wins": N_("{path} has your own default [[index]] {url} before mirrorctl's: uv uses yours (left "
                           "as it is; `use --force` in its scope replaces it)"),
    "uv.index-first": N_("{path} has [[index]] {url} (not default, not explicit): uv asks it before the default "
                      "index, for the packages it has"),
    "uv.deprecated-index-url": N_("{path} sets the deprecated top-level index-url = {url}; uv uses "
                               "[[index]] default = true instead when both are set"),
    "uv.lock-refresh": N_("{path} records the old index URL of every package: run `uv lock` to refresh it"),
    "uv.ignored-settings": N_("{path} is below the project root {root}: uv ignores it (it reads {used})"),
    "uv.python-mirror-uv-toml-only": N_("python-install-mirror can be set in uv.toml only, not in {path}: left as it "
                                     "is"),
}


# ---------------------------------------------------------------------------------------------------------
# Locations


def user_file() -> Path:
    if paths.platform() == "win32":
        return paths.appdata() / "uv" / "uv.toml"
    return paths.xdg_config_home() / "uv" / "uv.toml"


def system_file() -> Path:
    """The first ``$XDG_CONFIG_DIRS/uv/uv.toml`` that exists, else ``/etc/uv/uv.toml`` (uv writes nothing here)."""
    if paths.platform() == "win32":
        return paths.system_path("C:/ProgramData", "uv", "uv.toml")
    for directory in paths.xdg_config_dirs():
        candidate = directory / "uv" / "uv.toml"
        if candidate.is_file():
            return candidate
    return paths.system_path("/etc/uv/uv.toml")


def scope_file(scope: str) -> Path:
    if scope == "user":
        return user_file()
    if scope == "system":
        return system_file()
    return project_write_file()  # "project": core asks only for one of Uv.scopes


# ---------------------------------------------------------------------------------------------------------
# Ownership and validation


def _owner(profiles: Sequence[Profile], url: str) -> str:
    from mirrorctl.profiles import pypi_owner

    owner = pypi_owner(profiles, url)
    if owner:
        return owner
    return UPSTREAM if normalize(url) == normalize(DEFAULT_INDEX) else CUSTOM


def _owned(profiles: Sequence[Profile], url: object) -> bool:
    return isinstance(url, str) and _owner(profiles, url) != CUSTOM


def _python_mirror_owner(profiles: Sequence[Profile], url: str) -> str:
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


def _default_entries(document: Any) -> list[tuple[int, str]]:
    """(position, url) of every ``[[index]]`` with ``default = true``, in file order."""
    if "index" not in document:
        return []
    return [(i, str(entry["url"])) for i, entry in enumerate(document["index"]) if entry.get("default") is True]


def _mine(document: Any, profiles: Sequence[Profile]) -> list[tuple[int, str]]:
    """The default entries mirrorctl may replace: no name (a named index is the user's, whatever its URL, and
    ``[tool.uv.sources]`` may point at it) and a known profile's URL (or pypi.org)."""
    return [(i, url) for i, url in _default_entries(document)
            if "name" not in document["index"][i] and _owned(profiles, url)]


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def _uv_table(document: Any, create: bool) -> Any:
    """pyproject.toml's ``[tool.uv]`` table (created as needed, as a super table: no empty headers)."""
    import tomlkit

    if "tool" not in document:
        if not create:
            return None
        document.add(tomlkit.nl()) if toml.dump(document).strip() and not toml.dump(document).endswith("\n\n") \
            else None
        document["tool"] = tomlkit.table(is_super_table=True)
    tool = document["tool"]
    if "uv" not in tool:
        if not create:
            return None
        tool["uv"] = tomlkit.table(is_super_table=True)
    return tool["uv"]


def render_pyproject(text: str, profile: Profile | None, profiles: Sequence[Profile], path: Path | None,
                     force: bool = False) -> str:
    """``[[tool.uv.index]]`` in a pyproject.toml: the same rules as uv.toml's ``[[index]]`` (no Python mirror)."""
    document = toml.load(text, path)
    wanted = bool(profile and profile.pypi)
    table = _uv_table(document, create=wanted)
    if table is None:
        return text
    validate(table, text, path)
    _render_index(table, profile, profiles, force)
    if not len(table):
        del document["tool"]["uv"]
        if not len(document["tool"]):
            del document["tool"]
    rendered = toml.dump(document)
    if not text.startswith(("\n", "\r\n")):
        rendered = rendered.lstrip("\r\n")
    if rendered.endswith("\n\n") and not text.endswith("\n\n"):  # the blank line before a removed table
        rendered = rendered.rstrip("\n") + "\n"
    if wanted and profile is not None and profile.pypi is not None:  # a blank line after the new [[tool.uv.index]]
        ours = f'url = "{profile.pypi.index_url.rstrip("/")}"\ndefault = true\n'  # when a table follows it
        at = rendered.replace("\r\n", "\n").find(ours)
        if at >= 0 and ours not in text.replace("\r\n", "\n"):
            end = at + len(ours)
            plain = rendered.replace("\r\n", "\n")
            if plain[end:end + 1] == "[":
                rendered = plain[:end] + "\n" + plain[end:]
    return toml.keep_newlines(text, rendered)


def render_text(text: str, profile: Profile | None, profiles: Sequence[Profile], path: Path | None,
                force: bool = False) -> str:
    if path is not None and path.name == "pyproject.toml":
        return render_pyproject(text, profile, profiles, path, force)
    document = load(text, path)
    wanted = profile.pypi.python_install_mirror if profile and profile.pypi else None
    current = document.get(PYTHON_MIRROR_KEY)
    if wanted:
        if current is None or normalize(str(current)) != normalize(wanted):
            document[PYTHON_MIRROR_KEY] = wanted  # tomlkit puts a new bare key before the first table
    elif current is not None and _python_mirror_owner(profiles, str(current)) != CUSTOM:
        del document[PYTHON_MIRROR_KEY]
    _render_index(document, profile, profiles, force)
    rendered = toml.dump(document)
    if not text.startswith(("\n", "\r\n")):  # a removed first key leaves tomlkit's blank line behind
        rendered = rendered.lstrip("\r\n")
    return toml.keep_newlines(text, rendered)


def _render_index(document: Any, profile: Profile | None, profiles: Sequence[Profile], force: bool = False) -> None:
    """The default ``[[index]]`` of a uv.toml document or a ``[tool.uv]`` table, pointed at ``profile``.

    A default ``[[index]]`` of the user's (a URL no profile has) is kept, and wins over mirrorctl's after it;
    with ``force`` it is replaced: removed, or, when it has a name (``[tool.uv.sources]`` may name it), made
    ``explicit`` so only the packages that name it use it."""
    import tomlkit

    new_url = profile.pypi.index_url.rstrip("/") if profile and profile.pypi else None
    if force and new_url and "index" in document:
        indexes = document["index"]
        mine = {i for i, _ in _mine(document, profiles)}
        for position in reversed([i for i, _ in _default_entries(document) if i not in mine]):
            if "name" in indexes[position]:
                del indexes[position]["default"]
                indexes[position]["explicit"] = True
            else:
                del indexes[position]
        if not len(indexes):
            del document["index"]
    if "index-url" in document and _owned(profiles, document["index-url"]):
        del document["index-url"]  # deprecated; mirrorctl's [[index]] replaces it
    owned = _mine(document, profiles)
    if owned:
        indexes = document["index"]
        keep = owned[0][0] if new_url else None
        for position, _url in reversed(owned):
            if position != keep:
                del indexes[position]
        if keep is not None:
            indexes[keep]["url"] = new_url
        if not len(indexes):
            del document["index"]
    elif new_url:
        entry = tomlkit.table()
        entry["url"] = new_url
        entry["default"] = True
        if "index" in document:
            entry.trivia.indent = "\n"  # a blank line before the new [[index]], as before the others
            document["index"].append(entry)
        else:
            array = tomlkit.aot()
            array.append(entry)
            if toml.dump(document).strip() and not toml.dump(document).endswith("\n\n"):
                document.add(tomlkit.nl())
            document.append("index", array)


def _settings_of(text: str, path: Path) -> Any:
    """The uv settings in a file's text: the whole uv.toml, or pyproject.toml's ``[tool.uv]``."""
    document = toml.load(text, path)
    if path.name == "pyproject.toml":
        return toml.plain(document).get("tool", {}).get("uv", {})
    return document


def _changes(path: Path, old_text: str, new_text: str, profiles: Sequence[Profile]) -> tuple[Change, ...]:
    old, new = _settings_of(old_text, path), _settings_of(new_text, path)

    def index(document: Any) -> str | None:
        defaults = _default_entries(document)
        return defaults[0][1] if defaults else None

    changes = []
    kept = {url for _, url in _default_entries(new)}
    mine = {url for _, url in _mine(old, profiles)} if "index" in old else set()
    for _, url in _default_entries(old):
        if url not in mine and url not in kept:  # one of the user's, replaced with --force
            changes.append(Change(NAME, path, "[[index]] default (yours)", url, None))
    for key, before, after in (
        ("[[index]] default", index(old), index(new)),
        ("index-url", old.get("index-url"), new.get("index-url")),
        (PYTHON_MIRROR_KEY, old.get(PYTHON_MIRROR_KEY), new.get(PYTHON_MIRROR_KEY)),
    ):
        b = None if before is None else str(before)
        a = None if after is None else str(after)
        if b != a:
            changes.append(Change(NAME, path, key, b, a))
    return tuple(changes)


# ---------------------------------------------------------------------------------------------------------
# What is in effect


def _uv_settings(data: bytes, text: str, path: Path) -> Any:
    """The uv settings of one file, as plain values: the whole uv.toml, or pyproject.toml's ``[tool.uv]`` (its
    ``index`` only, when it has one; validated by the caller)."""
    document = load(text, path, editable=False)
    if path.name == "pyproject.toml":
        document = toml.plain(document).get("tool", {}).get("uv", {})
        document = {"index": document.get("index", [])} if "index" in document else document
    return document


def _plain_defaults(document: Any) -> list[str]:
    indexes = toml.plain(document.get("index", [])) if document else []
    return [str(i["url"]) for i in indexes if isinstance(i, dict) and i.get("default") is True]


def _named_defaults(document: Any) -> set[str]:
    indexes = toml.plain(document.get("index", [])) if document else []
    return {str(i["url"]) for i in indexes if isinstance(i, dict) and i.get("default") is True and "name" in i}


class Uv:
    name = NAME
    ecosystems = frozenset({"pypi"})
    #: No "venv": uv reads no settings file inside a virtualenv (astral-sh/uv ``crates/uv-settings/src/lib.rs``:
    #: ``FilesystemOptions::user``, ``::system`` and ``::find``, from the working directory upwards, are all).
    scopes: tuple[str, ...] = ("system", "user", "project")
    default_scope = "user"
    order = 20

    def locations(self, scope: str) -> list[Path]:
        return [scope_file(scope)]

    def present(self) -> bool:
        return on_path("uv") or user_file().exists() or system_file().exists()

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        return Rendered(render_text(text, profile, context.profiles, context.path, context.force))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        path = scope_file(scope)
        old = read_bytes(path)
        text = decode(old)
        new_text = self.render(text, profile, RenderContext(path, tuple(profiles), force=force)).text
        _settings_of(new_text, path)  # never write a file uv itself would refuse
        if path.name == "pyproject.toml":
            validate(_settings_of(new_text, path), new_text, path)
        else:
            load(new_text, path)
        new: bytes | None = encode(new_text)
        if not new_text.strip() and (old is None or old.strip()):
            new = None
        findings: tuple[Finding, ...] = ()
        if path.name == "pyproject.toml" and profile and profile.pypi and profile.pypi.python_install_mirror:
            findings = (Finding("uv.python-mirror-uv-toml-only", "note", NAME, path, params={"path": path}),)
        return [FileEdit(NAME, path, old, new, _changes(path, text, new_text, profiles), findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        findings: list[Finding] = []
        found, findings = in_scope(NAME, scope, scope_file)
        written = found or user_file()
        findings += ignored_settings()
        files: list[Path] = []
        if os.environ.get("UV_NO_CONFIG"):
            findings.append(Finding("config-env-disables-files", "warning", NAME,
                                    params={"variable": "UV_NO_CONFIG", "value": os.environ["UV_NO_CONFIG"]}))
        elif os.environ.get("UV_CONFIG_FILE"):
            findings.append(Finding("config-env-skips-user-files", "warning", NAME,
                                    params={"variable": "UV_CONFIG_FILE", "value": os.environ["UV_CONFIG_FILE"],
                                            "paths": [system_file(), written]}))
            files = [Path(os.environ["UV_CONFIG_FILE"])]
        else:
            project = project_file(overrides=overrides)
            files = [system_file(), user_file()] + ([project] if project else [])
        index, index_source = DEFAULT_INDEX, Source()
        mirror: str | None = None
        mirror_source = Source()
        rank = files.index(written) if written in files else len(files)  # files after it beat it
        read: list[Path] = []
        defaults: list[tuple[Path, str]] = []  # every default [[index]], highest precedence first
        named: set[str] = set()
        index_urls: list[tuple[Path, str]] = []
        for path, text, document in iter_layers(NAME, reversed(files), _uv_settings, overrides, findings=findings,
                                                read=read, refused_counts_as_read=True):
            if path.name == "pyproject.toml":
                validate(document, text, path)  # raises: [[tool.uv.index]] uv refuses stops the read
            if not document:
                continue
            here = _plain_defaults(document)
            defaults += [(path, url) for url in here]
            for entry in toml.plain(document.get("index", [])):  # observed: asked before the default index
                if isinstance(entry, dict) and entry.get("default") is not True and entry.get("explicit") is not True:
                    findings.append(Finding("uv.index-first", "note", NAME, path,
                                            params={"path": path, "url": entry.get("url")}))
            extra = document.get("extra-index-url")
            for url in (extra if isinstance(extra, list) else []):
                findings.append(Finding("uv.index-first", "note", NAME, path, params={"path": path, "url": url}))
            named |= _named_defaults(document)
            if isinstance(document.get("index-url"), str):
                index_urls.append((path, document["index-url"]))
                if here:
                    findings.append(Finding("uv.deprecated-index-url", "note", NAME, path,
                                            params={"path": path, "url": document["index-url"]}))
            if isinstance(document.get(PYTHON_MIRROR_KEY), str) and path.name != "pyproject.toml" and not mirror:
                mirror, mirror_source = document[PYTHON_MIRROR_KEY], Source(path=path)
        read.reverse()
        # Observed with uv 0.13.9 (tests/data/sources_observed.json): the index lists of all files are joined,
        # the higher-precedence file's first; the first default [[index]] of that list is the default index, and
        # any default [[index]] (even the user file's) beats every file's deprecated index-url.
        if defaults:
            winner, index = defaults[0]
            index_source = Source(path=winner, section="[[index]]")
            theirs = _owner(profiles, index) == CUSTOM or index in named
            if theirs and any(_owned(profiles, u) and u not in named for _, u in defaults[1:]):
                findings.append(Finding("uv.own-default-wins", "warning", NAME, winner,
                                        params={"path": winner, "url": index}))
        elif index_urls:
            winner, index = index_urls[0]
            index_source = Source(path=winner)
        if index_source.path is not None and index_source.path in files and files.index(index_source.path) > rank:
            path = index_source.path
            if path not in (user_file(), system_file()):
                findings.append(Finding("uv.project-wins", "warning", NAME, path,
                                        params={"path": path, "key": "the default index", "written": written}))
            else:
                findings.append(Finding("scope-shadowed", "warning", NAME, path, params={
                    "path": path, "higher": "user", "key": "the default index", "value": index, "written": written,
                    "scope": scope or "user"}))
        for variable in ("UV_INDEX_URL", "UV_DEFAULT_INDEX"):  # UV_DEFAULT_INDEX beats the deprecated one
            if os.environ.get(variable):
                index, index_source = os.environ[variable].strip(), Source(env=variable)
        if index_source.env:
            findings.append(Finding("env-overrides", "warning", NAME,
                                    params={"variable": f"{index_source.env}={index}", "files": "uv.toml"}))
        if os.environ.get("UV_INDEX"):
            findings.append(Finding("uv.env-index", "warning", NAME, params={"value": os.environ["UV_INDEX"]}))
        if os.environ.get("UV_PYTHON_INSTALL_MIRROR"):
            mirror, mirror_source = os.environ["UV_PYTHON_INSTALL_MIRROR"], Source(env="UV_PYTHON_INSTALL_MIRROR")
            findings.append(Finding("uv.env-python-mirror", "warning", NAME,
                                    params={"value": mirror, "written": written}))

        owner = _owner(profiles, index)
        settings = [Setting(NAME, "index", index, index_source, owner=owner)]
        parts = {owner: 1}
        if mirror:
            mirror_owner = _python_mirror_owner(profiles, mirror)
            settings.append(Setting(NAME, PYTHON_MIRROR_KEY, mirror, mirror_source, owner=mirror_owner))
            parts[mirror_owner] = parts.get(mirror_owner, 0) + 1
        label = Label(owner) if len(parts) == 1 else Label(MIXED, tuple(sorted(parts.items())))
        if any(f.level == "error" for f in findings):
            label = Label(None)
        scopes = [ScopeFiles("system", (system_file(),)), ScopeFiles("user", (user_file(),))]
        project = project_file(overrides=overrides)
        if project is not None:
            scopes.append(ScopeFiles("project", (project,)))
        if os.environ.get("UV_CONFIG_FILE"):
            scopes = [ScopeFiles("UV_CONFIG_FILE", (Path(os.environ["UV_CONFIG_FILE"]),))]
        return ToolState(NAME, label, tuple(settings), tuple(read), tuple(findings), written,
                         scopes=tuple(scopes), scope=scope or "user")

    def env(self, profile: Profile) -> EnvPlan:
        """``UV_DEFAULT_INDEX`` (and ``UV_PYTHON_INSTALL_MIRROR`` where the mirror carries Python builds).

        No ``UV_INSECURE_HOST`` for plain http: uv 0.13.9 installs from an http index without it (observed in
        tests/test_env_run.py); it only turns off certificate checks, which http has none of.
        """
        if profile.pypi is None:
            return EnvPlan(NAME, profile.name)
        variables = {"UV_DEFAULT_INDEX": profile.pypi.index_url.rstrip("/")}
        if profile.pypi.python_install_mirror:
            variables["UV_PYTHON_INSTALL_MIRROR"] = profile.pypi.python_install_mirror
        return EnvPlan(NAME, profile.name, variables)

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        """A uv.lock in the current project records the old index URLs: say how to refresh it."""
        lock = (workspace_root() or Path.cwd()) / "uv.lock"
        if not lock.is_file():
            return []
        return [Finding("uv.lock-refresh", "hint", NAME, lock, params={"path": lock})]


TARGET: Target = Uv()


# ---------------------------------------------------------------------------------------------------------
# `mirrorctl torch`: the project form and the pip interface (named here because only a tool's module may name it;
# the project form's rules are in _uv_torch, loaded by that command only)


def render_torch_project(text: str, install: Install, path: Path | None) -> str:
    """Pure: pyproject.toml text -> the same with the torch pins, the index and the sources (comments and every
    other key kept; an older entry of the same index name is replaced, other indexes are kept)."""

    document = load(text, path)
    before = document.unwrap()
    from mirrorctl.targets._uv_torch import render_torch

    new = render_torch(document, install, path)
    return text if load(new, path).unwrap() == before else new  # the same data: keep the user's layout


def torch_commands(install: Install) -> list[Command]:
    """``uv pip install … --index PAGE`` (``--find-links`` for a flat page), and the project form."""
    from mirrorctl.torch.model import Command

    pins = [f"{name}=={pinned}" for name, pinned in install.pins()]
    argv = ["uv", "pip", "install", *pins]
    source = install.source
    if source.kind == "index" and source.url:
        argv += ["--index", source.url]
    elif source.kind == "find-links" and source.url:
        argv += ["--find-links", source.url]
    example = '[project]\nname = "example"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = []\n'
    snippet = render_torch_project(example, install, None)
    snippet = snippet[snippet.index("dependencies"):]
    return [Command(NAME, "pip-interface", tuple(argv)),
            Command(NAME, "project", ("uv", "sync"), files={"pyproject.toml": snippet})]


def torch_project_file(cwd: Path | None = None) -> Path:
    """The pyproject.toml that ``mirrorctl torch --write`` edits: the one in the current directory."""
    return (cwd or Path.cwd()) / "pyproject.toml"


def torch_sync_argv() -> list[str]:
    return ["uv", "sync"]
