"""uv: the pure rendering of a uv.toml or a pyproject.toml's ``[tool.uv]`` (tomlkit round trip) and the changes it
makes, loaded only when a change is planned. Used by the uv tool module only; see its docstring for what mirrorctl
writes and owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.formats import toml
from mirrorctl.results import CUSTOM, Change
from mirrorctl.targets._uv_settings import PYTHON_MIRROR_KEY, load, validate
from mirrorctl.targets._uv_settings import default_entries as _default_entries
from mirrorctl.targets._uv_settings import mine as _mine
from mirrorctl.targets._uv_settings import owned as _owned
from mirrorctl.targets._uv_settings import python_mirror_owner as _python_mirror_owner
from mirrorctl.urls import normalize

if TYPE_CHECKING:
    from mirrorctl.profiles import Profile

NAME = "uv"


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


def settings_of(text: str, path: Path) -> Any:
    """The uv settings in a file's text: the whole uv.toml, or pyproject.toml's ``[tool.uv]``."""
    document = toml.load(text, path)
    if path.name == "pyproject.toml":
        return toml.plain(document).get("tool", {}).get("uv", {})
    return document


def changes(path: Path, old_text: str, new_text: str, profiles: Sequence[Profile]) -> tuple[Change, ...]:
    old, new = settings_of(old_text, path), settings_of(new_text, path)

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
