"""Build hook: compile the gettext catalogues (``mirrorctl/locale/*/LC_MESSAGES/*.po``) into ``.mo`` files.

The repository carries only the ``.po`` sources (text translators edit); the binary ``.mo`` is built here, with
Babel, for every wheel and for the editable install (``pip install -e .``), where it is written next to its
``.po`` (``.gitignore`` keeps it out of git). A ``.po`` that does not parse fails the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def compile_catalogues(root: Path) -> list[Path]:
    """Compile every ``.po`` under ``root/mirrorctl/locale`` into the ``.mo`` beside it; returns the ``.mo`` paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    built = []
    for po in sorted((root / "mirrorctl" / "locale").glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, abort_invalid=True)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        built.append(mo)
    return built


class CatalogueHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for mo in compile_catalogues(root):
            if version != "editable":  # the editable install reads the package from the checkout itself
                build_data["force_include"][str(mo)] = mo.relative_to(root).as_posix()
