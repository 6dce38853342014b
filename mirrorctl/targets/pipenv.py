"""pipenv: the ``[[source]]`` tables of the project's ``Pipfile`` (``$PIPENV_PIPFILE``, else ./Pipfile).

pipenv has no user-wide index setting of its own, so this tool has the "project" scope only (core's default
"user" scope is taken as "the project in the current directory, if any"). The first ``[[source]]`` is the index
pipenv installs from; later ones serve only packages that name them (``index = "..."``).

mirrorctl's source is the first ``[[source]]`` whose URL is PyPI or a known mirror, or that is named
``mirrorctl``: ``use`` sets its ``url`` and ``verify_ssl`` (false only for plain http, as pipenv itself writes)
and keeps its ``name``, so packages that say ``index = "pypi"`` keep working. With no such source, one named
``mirrorctl`` is put first. ``reset`` gives that source back pipenv's own default form, as a new Pipfile has it
(observed with pipenv 2026.10): ``url = "https://pypi.org/simple"``, ``verify_ssl = true``, ``name = "pypi"``.
Every other source is kept. Observed too: a Pipfile that pipenv creates takes its source from pip's index-url
(``name = "pip_conf_index_global"``), so with no Pipfile yet, ``mirrorctl use`` for pip covers pipenv's next one.
``PIPENV_PYPI_MIRROR`` replaces pypi.org URLs at run time and is reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.errors import ConfigParseError, MirrorctlError
from mirrorctl.formats import toml
from mirrorctl.results import CUSTOM, Change, EnvPlan, FileEdit, Finding, Label, Setting, Source, ToolState
from mirrorctl.targets import decode, encode, read_bytes, refused
from mirrorctl.targets.base import Overrides, RenderContext, Rendered, Target
from mirrorctl.urls import host_port, is_plain_http, normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "pipenv"
SOURCE_NAME = "mirrorctl"
PYPI = "https://pypi.org/simple"

MESSAGES = {
    "pipenv.no-pipfile": "no Pipfile at {path}: nothing to change; a Pipfile pipenv creates copies pip's "
                         "index-url (so `mirrorctl use NAME --only pip` covers it)",
    "pipenv.project-scope": "pipenv has no user-wide source: changed the project's {path}",
}


def pipfile() -> Path:
    env = os.environ.get("PIPENV_PIPFILE")
    return Path(env) if env else Path.cwd() / "Pipfile"


def _line_of(text: str, nth: int) -> int | None:
    found = list(re.finditer(r"^[ \t]*\[\[\s*source\s*\]\]", text, re.MULTILINE))
    return text.count("\n", 0, found[nth].start()) + 1 if len(found) > nth else None


def _sources(document: Any, text: str, path: Path | None) -> list[Any]:
    if "source" not in document:
        return []
    sources = document["source"]
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise ConfigParseError("source must be an array of tables ([[source]])", path=path,
                               line=_line_of(text, 0))
    for number, source in enumerate(sources):
        if not isinstance(source.get("url"), str) or not isinstance(source.get("name"), str):
            raise ConfigParseError("[[source]] needs a name and a url (strings)", path=path,
                                   line=_line_of(text, number))
    return list(sources)


def _owned(sources: list[Any], profiles: Sequence[Profile]) -> int | None:
    from mirrorctl.profiles import pypi_owner

    for number, source in enumerate(sources):
        url = str(source["url"])
        if source["name"] == SOURCE_NAME or normalize(url) == normalize(PYPI) or pypi_owner(profiles, url):
            return number
    return None


def render_text(text: str, index_url: str | None, path: Path | None = None,
                profiles: Sequence[Profile] = ()) -> str:
    """Point mirrorctl's source at ``index_url`` (None: pipenv's default PyPI source). Raises ConfigParseError."""
    import tomlkit

    document = toml.load(text, path)
    sources = _sources(document, text, path)
    number = _owned(sources, profiles)
    url = index_url or PYPI
    verify = not is_plain_http(url)
    if number is None:
        if index_url is None:
            return text
        table = tomlkit.table()
        table.add("url", url)
        table.add("verify_ssl", verify)
        table.add("name", SOURCE_NAME)
        if sources:
            table.add(tomlkit.nl())  # the blank line pipenv keeps between tables
            document["source"].insert(0, table)
        else:
            array = tomlkit.aot()
            array.append(table)
            document.add("source", array)
    else:
        source = document["source"][number]
        if source["url"] != url:
            source["url"] = url
        if source.get("verify_ssl") != verify:
            source["verify_ssl"] = verify
        if index_url is None and source["name"] == SOURCE_NAME and not any(s["name"] == "pypi" for s in sources):
            source["name"] = "pypi"
    rendered = toml.dump(document)
    return toml.keep_newlines(text, rendered if rendered.endswith("\n") else rendered + "\n")


def _first_url(text: str, path: Path | None) -> str | None:
    sources = _sources(toml.load(text, path), text, path)
    return str(sources[0]["url"]) if sources else None


class Pipenv:
    name = NAME
    ecosystems = frozenset({"pypi"})
    scopes: tuple[str, ...] = ("project",)
    order = 60

    def locations(self, scope: str) -> list[Path]:
        return [pipfile()]

    def present(self) -> bool:
        """A Pipfile: pipenv on PATH alone gives mirrorctl no file to write."""
        return pipfile().exists()

    def render(self, text: str, profile: Profile | None, context: RenderContext) -> Rendered:
        url = profile.pypi.index_url if profile is not None and profile.pypi is not None else None
        return Rendered(render_text(text, url, context.path, context.profiles))

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

        path = pipfile()
        try:
            data = overrides[path] if overrides and path in overrides else read_bytes(path)
            if data is None:
                return ToolState(NAME, Label(None), findings=(
                    Finding("pipenv.no-pipfile", "note", NAME, params={"path": path}),), present=False)
            text = decode(data)
            sources = _sources(toml.values(text, path), text, path)
        except MirrorctlError as exc:
            return ToolState(NAME, Label(None), (), (path,), (refused(NAME, path, exc),), path)
        settings = []
        for number, source in enumerate(sources):
            url = str(source["url"])
            settings.append(Setting(NAME, f"source {source['name']}", url,
                                    Source(path=path, section=f"source {source['name']}", line=_line_of(text, number)),
                                    owner=pypi_owner(profiles, url) or CUSTOM))
        index = settings[0] if settings else Setting(NAME, "source (default)", PYPI, Source(),
                                                     owner=pypi_owner(profiles, PYPI) or CUSTOM)
        findings: list[Finding] = []
        owner = index.owner
        mirror = os.environ.get("PIPENV_PYPI_MIRROR")
        if mirror and normalize(index.value) == normalize(PYPI):
            findings.append(Finding("env-overrides", "warning", NAME,
                                    params={"variable": f"PIPENV_PYPI_MIRROR={mirror}", "files": "Pipfile"}))
            owner = pypi_owner(profiles, mirror) or CUSTOM
            settings.insert(0, Setting(NAME, "PIPENV_PYPI_MIRROR", mirror, Source(env="PIPENV_PYPI_MIRROR"),
                                       owner=owner))
        return ToolState(NAME, Label(owner), tuple(settings), (path,), tuple(findings), path)

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
        return []


TARGET: Target = Pipenv()
