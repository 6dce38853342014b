"""poetry 2.x: one ``[[tool.poetry.source]]`` in the ``pyproject.toml`` of the project in the current directory.

poetry has no user-wide or global source (python-poetry/poetry#1632, #2940): its sources live in each
project's ``pyproject.toml``. So this tool has the "project" scope only, and the project is deliberately simple to
find: ``pyproject.toml`` in the current directory, when it has a ``[tool.poetry...]`` table (no search upward, and
a PEP 621 ``[project]`` without any ``[tool.poetry]`` table is not taken for a poetry project).

mirrorctl owns exactly one source, the one named ``mirrorctl``: ``use`` writes ``name = "mirrorctl"``, the profile's
index as ``url`` and ``priority = "primary"`` (what ``poetry source add --priority=primary`` writes; any primary
source turns the implicit PyPI off); ``reset`` removes it, so the implicit PyPI returns. A fixed name rather than
the profile's: switching tuna -> ustc finds and replaces the same source, and a source the user added under the
name ``tuna`` is never taken for ours. Every other source is the user's: never removed or renamed. Where one
of theirs would still be asked first (a primary source: poetry 2.5 asks every primary source, in file order),
``use`` writes nothing and says so, and core exits 1; ``use --force`` removes it (or makes it ``explicit``
when a dependency names it) and says which. ``use official`` (pypi.org itself) is a reset: poetry reaches PyPI
through its implicit source, not through a source whose URL is pypi.org. Observed with poetry 2.5
(tests/data/sources_observed.json): PyPI is implicit and primary when no source is primary (only supplemental or
explicit ones); a supplemental source is asked only for what no primary source has.

Core reaches poetry only with ``--scope project`` or when it is named with ``--only``: a plain ``use`` (user
scope) never edits a project file. With no project, ``locations`` raises ScopeUnavailable (an error, said once).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mirrorctl.errors import ConfigParseError, MirrorctlError, ScopeUnavailable
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import CUSTOM, MIXED, Change, EnvPlan, FileEdit, Finding, Label, Setting, Source, ToolState
from mirrorctl.targets import decode, encode, read_bytes, refused
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target
from mirrorctl.urls import normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "poetry"
SOURCE_NAME = "mirrorctl"
PYPI = "https://pypi.org/simple"
PRIORITIES = ("primary", "supplemental", "explicit")
#: The table header or dotted key that makes a pyproject.toml a poetry project (checked on bytes: cheap).
_MARKER = rb"(?m)^\s*\[{1,2}\s*tool\s*\.\s*poetry\b"

MESSAGES = {
    "poetry.env-no-variable": N_("poetry reads its package sources only from pyproject.toml, never from the "
                              "environment: run `mirrorctl use {profile} --only poetry --scope project` in the "
                              "project instead"),
    "poetry.no-project": N_("no pyproject.toml with [tool.poetry] in {cwd}: poetry has no user-wide source, so "
                         "there is nothing to change (run mirrorctl in the project's directory)"),
    "poetry.lock-records-source": N_("poetry.lock records the sources: run `poetry lock` in {project} to refresh it"),
    "poetry.source-kept": N_("[[tool.poetry.source]] {name} ({priority}) = {url} is yours: poetry asks it "
                          "for every package (all primary sources are asked, in file order)"),
    "poetry.supplemental-kept": N_("[[tool.poetry.source]] {name} (supplemental) = {url} is yours: asked only for "
                                "a package no primary source has"),
    "poetry.own-source-wins": N_("[[tool.poetry.source]] {name} = {url} is yours and poetry asks it first: left as "
                              "it is and nothing written (add --force to replace it)"),
}


# ---------------------------------------------------------------------------------------------------------
# Locations


def project_file() -> Path:
    return Path.cwd() / "pyproject.toml"


def is_poetry_project(data: bytes | None) -> bool:
    return bool(data) and re.search(_MARKER, data or b"") is not None


# ---------------------------------------------------------------------------------------------------------
# Rendering (pure)


def _line_of(text: str, pattern: str, nth: int = 0) -> int | None:
    found = list(re.finditer(pattern, text, re.MULTILINE))
    if len(found) <= nth:
        return None
    return text.count("\n", 0, found[nth].start()) + 1


def _sources(document: Any, text: str, path: Path | None) -> list[Any]:
    """The ``[[tool.poetry.source]]`` tables, validated the way poetry's schema does (what we rely on)."""
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict) or "source" not in poetry:
        return []
    sources = poetry["source"]
    header = r"^[ \t]*\[\[\s*tool\.poetry\.source\s*\]\]"
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        line = _line_of(text, r"^[ \t]*source\s*=|^[ \t]*\[\s*tool\.poetry\.source\s*\]")
        raise ConfigParseError(N_("tool.poetry.source must be an array of tables ([[tool.poetry.source]])"),
                               path=path, line=line)
    for number, source in enumerate(sources):
        line = _line_of(text, header, number)
        name = source.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigParseError(N_("[[tool.poetry.source]] needs a name"), path=path, line=line)
        if "url" in source and not isinstance(source["url"], str):
            raise ConfigParseError(N_("[[tool.poetry.source]] {name}: url must be a string"), name=name, path=path,
                                   line=line)
        priority = source.get("priority", "primary")
        if priority not in PRIORITIES:
            raise ConfigParseError(N_("[[tool.poetry.source]] {name}: priority must be one of {priorities}"), name=name,
                                   priorities=", ".join(PRIORITIES),
                                   path=path, line=line)
    return list(sources)


def _ours(source: Any) -> bool:
    return str(source.get("name", "")).lower() == SOURCE_NAME


def _named_by_dependency(name: str, text: str) -> bool:
    return re.search(r"\bsource\s*=\s*[\"']" + re.escape(name) + r"[\"']", text) is not None


def winning_sources(sources: Sequence[Any]) -> list[Any]:
    """The user's sources poetry asks before or beside ours: every primary one (poetry 2.5 asks all primary
    sources, in file order; observed: tests/data/sources_observed.json). Supplemental ones are asked only for
    a package no primary source has, explicit ones only by a dependency that names them."""
    return [s for s in sources if not _ours(s) and s.get("priority", "primary") == "primary"]


def _dump(text: str, document: Any) -> str:
    rendered = toml.dump(document).replace("\r\n", "\n")
    if rendered.endswith("\n\n") and not text.replace("\r\n", "\n").endswith("\n\n"):
        rendered = rendered.rstrip("\n") + "\n"  # the blank line `use` put before a table now removed
    elif not rendered.endswith("\n"):
        rendered += "\n"
    return toml.keep_newlines(text, rendered)


class PoetryRender(NamedTuple):
    text: str
    #: (name, url, what happened: "removed" / "explicit") for each of the user's sources --force replaced.
    replaced: tuple[tuple[str, str, str], ...] = ()
    #: (name, url) of the user's sources that still win, left alone (no --force): nothing was written.
    winning: tuple[tuple[str, str], ...] = ()


def render_text(text: str, index_url: str | None, path: Path | None = None,
                profiles: Sequence[Profile] = (), *, force: bool = False) -> PoetryRender:
    """Point the ``mirrorctl`` source at ``index_url`` (None: remove it). Raises ConfigParseError.

    A source the user wrote is never removed or renamed. Where one of theirs would still be asked first (a
    primary source), nothing is written and ``winning`` names it, unless ``force``: then it is removed, or made
    ``explicit`` when a dependency names it (so the lock file stays valid), and ``replaced`` says which."""
    import tomlkit

    if index_url is not None and normalize(index_url) == normalize(PYPI):
        index_url = None  # PyPI is poetry's implicit source: no source at all is how poetry spells it
    document = toml.load(text, path)
    sources = _sources(document, text, path)
    replaced: list[tuple[str, str, str]] = []
    if index_url is not None:
        theirs = [s for s in winning_sources(sources)
                  if normalize(str(s.get("url", PYPI))) != normalize(index_url)]
        if theirs and not force:
            return PoetryRender(text, winning=tuple((str(s["name"]), str(s.get("url", PYPI))) for s in theirs))
        if not theirs and winning_sources(sources) and not any(_ours(s) for s in sources):
            return PoetryRender(text)  # a source of the user's already points there
        for source in theirs:
            array = document["tool"]["poetry"]["source"]
            name, url = str(source["name"]), str(source.get("url", PYPI))
            if _named_by_dependency(name, text):
                source["priority"] = "explicit"
                replaced.append((name, url, "explicit"))
            else:
                position = next(i for i, s in enumerate(array) if s is source or s.get("name") == name)
                del array[position]
                replaced.append((name, url, "removed"))
        sources = _sources(document, toml.dump(document), path)
    owned = [i for i, s in enumerate(sources) if _ours(s)]
    if not owned and index_url is None:
        return PoetryRender(text)
    if owned:
        poetry = document["tool"]["poetry"]
        array = poetry["source"]
        first = array[owned[0]]
        if index_url is not None:  # ours already: update it in place, drop any duplicate
            owned = owned[1:]
            if first.get("url") != index_url:
                first["url"] = index_url
            if first.get("priority") != "primary":
                first["priority"] = "primary"
            index_url = None
        for number in reversed(owned):
            del array[number]
        if not len(array):
            del poetry["source"]
    elif "tool" in document and "poetry" in document["tool"] and "source" in document["tool"]["poetry"] \
            and not len(document["tool"]["poetry"]["source"]):
        del document["tool"]["poetry"]["source"]
    if index_url is not None:
        table = tomlkit.table()
        table.add("name", SOURCE_NAME)
        table.add("url", index_url)
        table.add("priority", "primary")
        table.trivia.indent = "\n"  # a blank line before the header, as `poetry source add` writes it
        if "tool" not in document:
            document.add("tool", tomlkit.table(is_super_table=True))
        if "poetry" not in document["tool"]:
            document["tool"].add("poetry", tomlkit.table())
        poetry = document["tool"]["poetry"]
        if "source" not in poetry:
            poetry.add("source", tomlkit.aot())
        poetry["source"].append(table)
    return PoetryRender(_dump(text, document), tuple(replaced))


def _our_url(text: str, path: Path | None) -> str | None:
    document = toml.load(text, path)
    return next((str(s["url"]) for s in _sources(document, text, path) if _ours(s) and "url" in s), None)


# ---------------------------------------------------------------------------------------------------------
# The target


def _owner(profiles: Sequence[Profile], url: str) -> str:
    from mirrorctl.profiles import pypi_owner

    return pypi_owner(profiles, url) or CUSTOM


def _label(owners: list[str]) -> Label:
    counts: dict[str, int] = {}
    for owner in owners:
        counts[owner] = counts.get(owner, 0) + 1
    parts = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return Label(owners[0] if len(counts) == 1 else MIXED, parts if len(counts) > 1 else ())


class Poetry:
    name = NAME
    ecosystems = frozenset({"pypi"})
    scopes: tuple[str, ...] = ("project",)
    default_scope = "project"
    order = 50

    def locations(self, scope: str) -> list[Path]:
        path = project_file()
        try:
            found = is_poetry_project(read_bytes(path))
        except MirrorctlError:
            found = True  # there is a file, and `plan` will say what is wrong with it
        if not found:
            raise ScopeUnavailable(N_("no pyproject.toml with [tool.poetry] in {folder}: poetry has no "
                                      "user-wide source; run mirrorctl in the project's directory"), folder=path.parent)
        return [path]

    def present(self) -> bool:
        """A poetry project in the current directory: poetry on PATH alone gives mirrorctl no file to write."""
        try:
            return is_poetry_project(read_bytes(project_file()))
        except MirrorctlError:
            return True  # there is a file, and `read` will say what is wrong with it

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        url = profile.pypi.index_url if profile is not None and profile.pypi is not None else None
        return Rendered(render_text(text, url, context.path, context.profiles, force=context.force).text)

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "project",
             force: bool = False) -> list[FileEdit]:
        """The project in the current directory (core reaches poetry only with --scope project or --only)."""
        path = self.locations("project")[0]
        old = read_bytes(path)
        text = decode(old)
        url = profile.pypi.index_url if profile is not None and profile.pypi is not None else None
        rendered = render_text(text, url, path, profiles, force=force)
        new_text = rendered.text
        toml.load(new_text, path)  # never write a file poetry would refuse
        before, after = _our_url(text, path), _our_url(new_text, path)
        changes = [Change(NAME, path, f"[[tool.poetry.source]] {SOURCE_NAME}", before, after)] if before != after \
            else []
        for name, source_url, what in rendered.replaced:
            changes.append(Change(NAME, path, f"[[tool.poetry.source]] {name}", source_url,
                                  None if what == "removed" else f"{source_url} (priority = \"explicit\")"))
        findings = tuple(Finding("poetry.own-source-wins", "warning", NAME, path,
                                 params={"name": name, "url": source_url, "path": path})
                         for name, source_url in rendered.winning)
        return [FileEdit(NAME, path, old, encode(new_text), tuple(changes), findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        path = project_file()
        try:
            data = overrides[path] if overrides and path in overrides else read_bytes(path)
        except MirrorctlError as exc:
            return ToolState(NAME, Label(None), (), (), (refused(NAME, path, exc),), path)
        if not is_poetry_project(data):
            return ToolState(NAME, Label(None), findings=(
                Finding("poetry.no-project", "note", NAME, params={"cwd": Path.cwd()}),), present=False)
        text = decode(data)
        try:
            sources = _sources(toml.values(text, path), text, path)
        except MirrorctlError as exc:
            return ToolState(NAME, Label(None), (), (path,), (refused(NAME, path, exc),), path)
        settings: list[Setting] = []
        findings: list[Finding] = []
        fetched: list[str] = []  # owners of every URL poetry looks in for a package that names no source
        primary = [s for s in sources if s.get("priority", "primary") == "primary"]
        header = r"^[ \t]*\[\[\s*tool\.poetry\.source\s*\]\]"
        for number, source in enumerate(sources):
            name, priority = str(source["name"]), str(source.get("priority", "primary"))
            url = str(source["url"]) if "url" in source else PYPI  # a source without url is PyPI by name
            owner = _owner(profiles, url)
            where = Source(path=path, section=f"tool.poetry.source {name}", line=_line_of(text, header, number))
            settings.append(Setting(NAME, f"source {name}", url, where, owner=owner, via=priority))
            if priority == "primary":  # supplemental: only for what no primary source has (observed)
                fetched.append(owner)
            if not _ours(source) and priority != "explicit":
                findings.append(Finding("poetry.source-kept" if priority == "primary" else "poetry.supplemental-kept",
                                        "note", NAME, path, where.line, {"name": name, "priority": priority,
                                                                         "url": url}))
        if not primary:  # no primary source: the implicit PyPI is the primary one (observed with poetry 2.5)
            settings.insert(0, Setting(NAME, "source PyPI (implicit)", PYPI, Source(), owner=_owner(profiles, PYPI),
                                       via="primary"))
            fetched.insert(0, _owner(profiles, PYPI))
        return ToolState(NAME, _label(fetched), tuple(settings), (path,), tuple(findings), path)

    def env(self, profile: Profile) -> EnvPlan:
        """Nothing: poetry takes its package sources only from the project (poetry 2.5.1 poetry/factory.py
        ``Factory.create_pool`` gets them from ``[[tool.poetry.source]]``); ``POETRY_REPOSITORIES_<NAME>_URL``
        (poetry/config/config.py) names repositories to publish to, not to install from."""
        if profile.pypi is None:
            return EnvPlan(NAME, profile.name)
        return EnvPlan(NAME, profile.name, unexpressed=(Finding("poetry.env-no-variable", "warning", NAME,
                                                                params={"profile": profile.name}),))

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        return [Finding("poetry.lock-records-source", "hint", NAME, Path.cwd() / "poetry.lock",
                        params={"project": Path.cwd()})]


TARGET: Target = Poetry()
