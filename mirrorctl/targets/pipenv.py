"""pipenv: the ``[[source]]`` tables of the project's ``Pipfile`` (``$PIPENV_PIPFILE``, else ./Pipfile).

What real pipenv 2026.10 does, observed against two loopback indexes (``tests/data/observe_pipenv.py``, its table
in ``tests/data/pipenv_observed.md``) and read in its source (``pipenv/utils/indexes.py``
``prepare_pip_source_args``, ``pipenv/utils/sources.py`` ``pipfile_sources``, ``pipenv/project.py``
``_parse_pip_conf_indexes``):

- The **first** ``[[source]]`` is the index: every package that names no ``index = "..."`` (and every package
  they pull in) is resolved from it alone; a later source serves only the packages keyed to it by name. A first
  source that is down fails the lock even when a later one has the package. Names and order are all that count;
  ``verify_ssl = false`` only adds ``--trusted-host``.
- A Pipfile without ``[[source]]`` (and a Pipfile pipenv creates) takes pip's configuration: the ``index-url`` of
  pip's files and ``PIP_INDEX_URL``, named ``pip_conf_index_<section>`` (the first found, or the one that is PyPI).
- ``PIPENV_PYPI_MIRROR`` replaces the URL of every source that is exactly PyPI
  (``^https?://pypi(\\.python)?\\.org/simple/?$``), and with no ``[[source]]`` the default one whatever it is.

So mirrorctl's source is the ``[[source]]`` named ``mirrorctl``, and only that one: ``use`` points it at the
mirror (``verify_ssl`` false only for plain http) and puts it first, where pipenv takes it as the index. A source
with any other name is the user's (the ``pypi`` one pipenv writes too): it is never removed, renamed or pointed
elsewhere, and it stays where it was, now after mirrorctl's; packages keyed to it by name keep coming from it,
which ``current`` reports. ``reset`` removes mirrorctl's source (the Pipfile is back as it was), or, where it is
the only one, gives it pipenv's own default form (``url = "https://pypi.org/simple"``, ``verify_ssl = true``,
``name = "pypi"``), so the index stays PyPI rather than falling back to pip's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mirrorctl.errors import ConfigParseError, MirrorctlError, ScopeUnavailable, display_path
from mirrorctl.formats import toml
from mirrorctl.i18n import N_
from mirrorctl.results import CUSTOM, Change, EnvPlan, FileEdit, Finding, Label, Setting, Source, ToolState
from mirrorctl.targets import decode, encode, read_bytes, refused
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target, on_path
from mirrorctl.urls import host_port, is_plain_http

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "pipenv"
SOURCE_NAME = "mirrorctl"
PYPI = "https://pypi.org/simple"
#: pipenv/utils/internet.py ``is_pypi_url``: the URLs PIPENV_PYPI_MIRROR replaces (observed: with and without
#: the trailing slash; a mirror's URL is never replaced).
PYPI_URL = r"^http[s]?://pypi(?:\.python)?\.org/simple[/]?$"

MESSAGES = {
    "pipenv.no-pipfile": N_("no Pipfile at {path}: nothing to change; the Pipfile pipenv creates takes its source from "
                         "pip's index-url (so `mirrorctl use NAME --only pip` covers it)"),
    "pipenv.project-scope": N_("pipenv has no user-wide source: changed the project's {path}"),
    "pipenv.from-pip": N_("no [[source]] in {path}: pipenv uses pip's index-url, as `pip_conf_index_{section}`"),
    "pipenv.keyed": N_("packages {packages} name the source {source!r} ({url}): they still come from it"),
    "pipenv.env-default": N_("PIPENV_PYPI_MIRROR={mirror} is set in your environment: pipenv uses it instead of "
                          "its default source {url}"),
    "pipenv.lock": N_("Pipfile.lock records the sources it was locked from, and `pipenv sync` installs from those: "
                   "run `pipenv lock` (or `pipenv install`) to re-resolve through the new one"),
}


def pipfile() -> Path:
    env = os.environ.get("PIPENV_PIPFILE")
    return Path(env) if env else Path.cwd() / "Pipfile"


def is_pypi(url: str) -> bool:
    return bool(re.match(PYPI_URL, url))


def _line_of(text: str, nth: int) -> int | None:
    found = list(re.finditer(r"^[ \t]*\[\[\s*source\s*\]\]", text, re.MULTILINE))
    return text.count("\n", 0, found[nth].start()) + 1 if len(found) > nth else None


def _sources(document: Any, text: str, path: Path | None) -> list[Any]:
    if "source" not in document:
        return []
    sources = document["source"]
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise ConfigParseError(N_("source must be an array of tables ([[source]])"), path=path,
                               line=_line_of(text, 0))
    for number, source in enumerate(sources):
        if not isinstance(source.get("url"), str) or not isinstance(source.get("name"), str):
            raise ConfigParseError(N_("[[source]] needs a name and a url (strings)"), path=path,
                                   line=_line_of(text, number))
    return list(sources)


def _ours(sources: list[Any]) -> int | None:
    return next((n for n, s in enumerate(sources) if s["name"] == SOURCE_NAME), None)


def _table(url: str, name: str, verify: bool) -> Any:
    import tomlkit

    table = tomlkit.table()
    table.add("url", url)
    table.add("verify_ssl", verify)
    table.add("name", name)
    return table


def render_text(text: str, index_url: str | None, path: Path | None = None) -> str:
    """Point mirrorctl's source at ``index_url`` and put it first (None: remove it, or make a lone one pipenv's
    default). Sources with other names are left as they are. Raises ConfigParseError."""
    import tomlkit

    document = toml.load(text, path)
    sources = _sources(document, text, path)
    number = _ours(sources)
    if index_url is None:
        if number is None:
            return text
        if len(sources) == 1:
            source = document["source"][0]
            for key, value in (("url", PYPI), ("verify_ssl", True), ("name", "pypi")):
                if source.get(key) != value:
                    source[key] = value
        else:
            del document["source"][number]
    else:
        verify = not is_plain_http(index_url)
        if number is None:
            table = _table(index_url, SOURCE_NAME, verify)
            if sources:
                table.add(tomlkit.nl())  # the blank line pipenv keeps between tables
                document["source"].insert(0, table)
            else:  # before everything else, where pipenv writes it; the rest of the text as it was
                array = tomlkit.aot()
                array.append(_table(index_url, SOURCE_NAME, verify))
                head = tomlkit.document()
                head.add("source", array)
                added = toml.keep_newlines(text, toml.dump(head))
                newline = "\r\n" if "\r\n" in text else "\n"
                return added + newline + text if text.strip() else added
        else:
            source = document["source"][number]
            if source["url"] != index_url:
                source["url"] = index_url
            if source.get("verify_ssl") != verify:
                source["verify_ssl"] = verify
            if number != 0:  # first, where pipenv takes it as the index
                moved = document["source"][number]
                del document["source"][number]
                document["source"].insert(0, moved)
    rendered = toml.dump(document)
    return toml.keep_newlines(text, rendered if rendered.endswith("\n") else rendered + "\n")


# ---------------------------------------------------------------------------------------------------------
# What pipenv uses


class Index(NamedTuple):
    url: str
    name: str
    source: Source


def pip_default() -> Index | None:
    """The source pipenv takes from pip when the Pipfile has none (pipenv/project.py ``_parse_pip_conf_indexes``
    and ``Project.__init__``): every ``<section>.index-url`` of pip's files in pip's load order (a later file's
    value for the same section wins, its place stays) and ``PIP_INDEX_URL`` (section ``:env:``); the first,
    or the last one that is PyPI. None: pip has none (pipenv then uses PyPI)."""
    from mirrorctl.targets import _pipconf, load_layers

    env = os.environ
    found: dict[str, tuple[str, Source]] = {}
    files, _ = _pipconf.load_order()
    loaded = load_layers(NAME, (path for _variant, path in files),
                           lambda data, _text, path: _pipconf.values(data, path))
    for path, _text, values in loaded.layers:  # a file pip refuses: `mirrorctl current` reports it under pip
        for section, options in values.items():
            if "index-url" in options:
                found[section] = (options["index-url"].strip(), Source(path=path, section=section))
    if env.get("PIP_INDEX_URL"):
        found[":env:"] = (env["PIP_INDEX_URL"].strip(), Source(env="PIP_INDEX_URL"))
    chosen = None
    for section, (url, source) in found.items():
        if chosen is None or is_pypi(url):
            chosen = Index(url, f"pip_conf_index_{section}", source)
    return chosen


def _keyed(document: Any) -> dict[str, list[str]]:
    """Source name -> the packages (every category) that name it with ``index = "..."``."""
    keyed: dict[str, list[str]] = {}
    for category, packages in document.items():
        if category in ("source", "requires", "pipenv", "scripts") or not isinstance(packages, dict):
            continue
        for package, spec in packages.items():
            if isinstance(spec, dict) and isinstance(spec.get("index"), str):
                keyed.setdefault(spec["index"], []).append(str(package))
    return keyed


class Pipenv:
    name = NAME
    ecosystems = frozenset({"pypi"})
    scopes: tuple[str, ...] = ("project",)
    default_scope = "project"
    order = 60

    def locations(self, scope: str) -> list[Path]:
        """The Pipfile; with none here, ScopeUnavailable: pipenv has no user-wide source, so a change has no
        file to write (`pipenv install` creates one from pip's index-url)."""
        path = pipfile()
        if not path.exists():
            raise ScopeUnavailable(N_("no Pipfile in {folder}: pipenv has no user-wide source; run mirrorctl in "
                                      "the project's folder (a Pipfile pipenv creates takes pip's index-url, so "
                                      "`mirrorctl use NAME --only pip` covers it)"), folder=display_path(path.parent))
        return [path]

    def present(self) -> bool:
        return on_path("pipenv") or pipfile().exists()

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        url = profile.pypi.index_url if profile is not None and profile.pypi is not None else None
        return Rendered(render_text(text, url, context.path))

    def plan(self, profile: Profile | None, profiles: Sequence[Profile], scope: str = "user",
             force: bool = False) -> list[FileEdit]:
        path = pipfile()
        old = read_bytes(path)
        if old is None:
            return [FileEdit(NAME, path, None, None, findings=(
                Finding("pipenv.no-pipfile", "note", NAME, params={"path": path}),))]
        text = decode(old)
        new_text = self.render(text, profile, RenderContext(path, tuple(profiles))).text
        toml.load(new_text, path)
        before, after = _first_url(text, path), _first_url(new_text, path)
        changes = (Change(NAME, path, "[[source]] url", before, after),) if before != after else ()
        findings: tuple[Finding, ...] = ()
        if scope != "project" and new_text != text:
            findings = (Finding("pipenv.project-scope", "note", NAME, path, params={"path": path}),)
        return [FileEdit(NAME, path, old, encode(new_text), changes, findings)]

    def read(self, profiles: Sequence[Profile], overrides: Overrides | None = None,
             scope: str | None = None) -> ToolState:
        from mirrorctl.profiles import pypi_owner

        def owner(url: str) -> str:
            return pypi_owner(profiles, url) or CUSTOM

        path = pipfile()
        mirror = os.environ.get("PIPENV_PYPI_MIRROR")
        try:
            data = overrides[path] if overrides and path in overrides else read_bytes(path)
            text = decode(data) if data is not None else ""
            document = toml.values(text, path) if data is not None else {}
            sources = _sources(document, text, path)
        except MirrorctlError as exc:
            return ToolState(NAME, Label(None), (), (path,), (refused(NAME, path, exc),), path)
        findings: list[Finding] = []
        settings: list[Setting] = []
        if data is None:
            findings.append(Finding("pipenv.no-pipfile", "note", NAME, params={"path": path}))
        if not sources:  # pipenv's default source: pip's index-url, else PyPI (pipenv/project.py)
            default = pip_default() or Index(PYPI, "pypi", Source())
            if data is not None and default.name != "pypi":
                findings.append(Finding("pipenv.from-pip", "note", NAME, path,
                                        params={"path": path, "section": default.name[len("pip_conf_index_"):]}))
            index = Setting(NAME, f"source {default.name}", default.url, default.source, owner=owner(default.url))
            settings.append(index)
            if mirror:  # pipenv/utils/sources.py: the default source's URL, whatever it is
                index = Setting(NAME, "PIPENV_PYPI_MIRROR", mirror, Source(env="PIPENV_PYPI_MIRROR"),
                                owner=owner(mirror))
                settings.insert(0, index)
                findings.append(Finding("pipenv.env-default", "warning", NAME,
                                        params={"mirror": mirror, "url": default.url}))
            return ToolState(NAME, Label(index.owner), tuple(settings), (path,) if data is not None else (),
                             tuple(findings), path, present=data is not None or on_path("pipenv"))
        keyed = _keyed(document)
        for number, source in enumerate(sources):
            url = str(source["url"])
            settings.append(Setting(NAME, f"source {source['name']}", url,
                                    Source(path=path, section=f"source {source['name']}", line=_line_of(text, number)),
                                    owner=owner(url)))
            if number and keyed.get(source["name"]):
                findings.append(Finding("pipenv.keyed", "note", NAME, path, _line_of(text, number), params={
                    "packages": ", ".join(keyed[source["name"]]), "source": source["name"], "url": url}))
        index = settings[0]
        if mirror and is_pypi(index.value):
            findings.append(Finding("env-overrides", "warning", NAME,
                                    params={"variable": f"PIPENV_PYPI_MIRROR={mirror}",
                                            "files": "Pipfile [[source]] that is PyPI"}))
            index = Setting(NAME, "PIPENV_PYPI_MIRROR", mirror, Source(env="PIPENV_PYPI_MIRROR"), owner=owner(mirror))
            settings.insert(0, index)
        return ToolState(NAME, Label(index.owner), tuple(settings), (path,), tuple(findings), path)

    def env(self, profile: Profile) -> EnvPlan:
        """``PIPENV_PYPI_MIRROR``: pipenv swaps it for pypi.org in every source (pipenv/environments.py,
        pipenv/utils/resolver.py), so a Pipfile that names pypi.org fetches from the mirror.

        For plain http also ``PIP_TRUSTED_HOST``: pipenv 2026.10.3 passes no ``--trusted-host`` for the mirror
        source, and the pip it runs ignores the index ("not a trusted or secure host") unless pip's own variable
        says so (observed in tests/test_env_run.py).
        """
        if profile.pypi is None:
            return EnvPlan(NAME, profile.name)
        variables = {"PIPENV_PYPI_MIRROR": profile.pypi.index_url}
        if is_plain_http(profile.pypi.index_url):
            variables["PIP_TRUSTED_HOST"] = host_port(profile.pypi.index_url)
        return EnvPlan(NAME, profile.name, variables)

    def run_env(self, profile: Profile, profiles: Sequence[Profile]) -> EnvPlan:
        return self.env(profile)

    def checks(self, state: ToolState) -> list[Finding]:
        return []

    def hints(self) -> list[Finding]:
        return [Finding("pipenv.lock", "hint", NAME)]


def _first_url(text: str, path: Path | None) -> str | None:
    sources = _sources(toml.load(text, path), text, path)
    return str(sources[0]["url"]) if sources else None


TARGET: Target = Pipenv()
