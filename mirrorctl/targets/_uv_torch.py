"""uv's project form of a PyTorch build for `mirrorctl torch --write` (used by the uv tool module only, and only
by that command).

uv's --torch-backend hard-codes download.pytorch.org (astral-sh/uv crates/uv-torch/src/backend.rs), so a mirror is
written the way uv's PyTorch guide does it by hand: an explicit [[tool.uv.index]] (used only by the packages that
name it) and [tool.uv.sources] entries pointing torch, torchvision and torchaudio at it. A flat page (find-links)
is an index with format = "flat" (uv docs/concepts/indexes.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrorctl.errors import ConfigParseError
from mirrorctl.i18n import N_

if TYPE_CHECKING:
    from mirrorctl.torch.model import Install


def _torch_index_table(install: Install) -> dict[str, Any] | None:
    source = install.source
    if source.kind == "pypi" or not source.url:
        return None
    table: dict[str, Any] = {"name": install.index_name, "url": source.url}
    if source.kind == "find-links":
        table["format"] = "flat"
    table["explicit"] = True
    return table


def render_torch(document: Any, install: Install, path: Path | None) -> str:
    """The pins, the index and the sources in a loaded pyproject.toml ``document``; the new text."""
    import tomlkit

    project = document.get("project")
    if project is None:
        raise ConfigParseError(N_("has no [project] table: not a project uv can sync"), path=path)
    dependencies = project.get("dependencies")
    if dependencies is None:
        dependencies = tomlkit.array()
        project["dependencies"] = dependencies
    names = {name for name, _ in install.pins()}
    keep = [d for d in list(dependencies) if re.split(r"[\s\[<>=!~;@(]", str(d), maxsplit=1)[0].lower()
            .replace("_", "-") not in names]
    dependencies.clear()
    for item in keep:
        dependencies.append(item)
    for name, pinned in install.pins():
        dependencies.append(f"{name}=={pinned.split('+')[0]}")
    dependencies.multiline(True)
    table = _torch_index_table(install)
    tool = document.get("tool")
    if tool is None and table is None:
        return tomlkit.dumps(document)
    if tool is None:
        tool = document.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.get("uv")
    if uv is None and table is None:
        return tomlkit.dumps(document)
    if uv is None:
        uv = tool.setdefault("uv", tomlkit.table())
    indexes = uv.get("index")
    if indexes is not None:
        kept = [entry for entry in indexes if entry.get("name") != install.index_name]
        indexes.clear()
        for entry in kept:
            indexes.append(entry)
    sources = uv.get("sources")
    if sources is not None:
        for name in names:
            if name in sources:
                del sources[name]
    if table is not None:
        if indexes is None:
            indexes = tomlkit.aot()
            if len(uv):
                uv.add(tomlkit.nl())  # a blank line after the user's own [tool.uv] keys
            uv["index"] = indexes
        indexes.append(table)
        if sources is None:
            sources = tomlkit.table()
            uv["sources"] = sources
        for name, _ in install.pins():
            entry = tomlkit.inline_table()
            entry["index"] = install.index_name
            sources[name] = entry
    return tomlkit.dumps(document)
