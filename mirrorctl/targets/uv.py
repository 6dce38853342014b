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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl import paths
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import (
    CUSTOM,
    MIXED,
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
from mirrorctl.targets._uv_settings import (
    DEFAULT_INDEX,
    PYTHON_MIRROR_KEY,
    ignored_settings,
    load,
    owned,
    owner_of,
    project_file,
    project_write_file,
    python_mirror_owner,
    validate,
    workspace_root,
)
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile
    from mirrorctl.torch.model import Command, Install

NAME = "uv"

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
        from mirrorctl.targets._uv_render import render_text

        return Rendered(render_text(text, profile, context.profiles, context.path, context.force))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        from mirrorctl.targets._uv_render import changes, settings_of

        path = scope_file(scope)
        old = read_bytes(path)
        text = decode(old)
        new_text = self.render(text, profile, RenderContext(path, tuple(profiles), force=force)).text
        settings_of(new_text, path)  # never write a file uv itself would refuse
        if path.name == "pyproject.toml":
            validate(settings_of(new_text, path), new_text, path)
        else:
            load(new_text, path)
        new: bytes | None = encode(new_text)
        if not new_text.strip() and (old is None or old.strip()):
            new = None
        findings: tuple[Finding, ...] = ()
        if path.name == "pyproject.toml" and profile and profile.pypi and profile.pypi.python_install_mirror:
            findings = (Finding("uv.python-mirror-uv-toml-only", "note", NAME, path, params={"path": path}),)
        return [FileEdit(NAME, path, old, new, changes(path, text, new_text, profiles), findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
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
            theirs = owner_of(profiles, index) == CUSTOM or index in named
            if theirs and any(owned(profiles, u) and u not in named for _, u in defaults[1:]):
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

        owner = owner_of(profiles, index)
        settings = [Setting(NAME, "index", index, index_source, owner=owner)]
        parts = {owner: 1}
        if mirror:
            mirror_owner = python_mirror_owner(profiles, mirror)
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
