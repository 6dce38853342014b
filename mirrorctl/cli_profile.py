"""The click layer of `mirrorctl profile`: its group and subcommands, imported only when that command runs (or its
help is shown), so `mirrorctl --help` and every other command never load it.

:func:`profile_group` builds the group; :mod:`mirrorctl.cli` passes in its group class and parameter types (and
lists the group in `mirrorctl --help` from a summary of its help), so this module does not import the CLI module
back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mirrorctl.i18n import N_, _

JSON_HELP = N_("Print JSON.")


def _print(text: str) -> None:
    from mirrorctl.output.common import emit

    emit(text)


def _print_json(value: Any) -> None:
    from mirrorctl.output.common import to_json

    _print(to_json(value))


def profile_group(group_class: type[click.Group], tools: click.ParamType, profile: click.ParamType) -> click.Group:
    """`mirrorctl profile` with its subcommands (add, remove, show, export, import, edit)."""
    PROFILE = profile

    @click.group("profile", cls=group_class)
    def group() -> None:
        """Add, remove and show profiles (your own live in MIRRORCTL_HOME/profiles or the user config dir)."""

    @group.command("add")
    @click.argument("name")
    @click.option("--pypi", metavar="URL", help=N_("The PyPI simple index, e.g. https://pypi.example.org/simple"))
    @click.option("--anaconda", metavar="BASE", help=N_("Anaconda base, e.g. https://mirror.example.org/anaconda"))
    @click.option("--channel", "channels", multiple=True, metavar="NAME",
                  help=N_("A cloud channel BASE/cloud carries (repeatable; default conda-forge, bioconda, pytorch)."))
    @click.option("--title", help=N_("A human-readable title."))
    @click.option("--replace", is_flag=True, help=N_("Replace your profile of that name, or shadow a built-in one."))
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def profile_add(name: str, pypi: str | None, anaconda: str | None, channels: tuple[str, ...],
                    title: str | None, replace: bool, as_json: bool) -> None:
        """Create a user profile NAME (backed up like any change; `mirrorctl restore` undoes it).

        BASE expands to BASE/pkgs/{main,r,msys2} for default_channels and BASE/cloud for custom_channels.

        \b
        Example:
          mirrorctl profile add campus --pypi https://pypi.campus.edu/simple --anaconda https://mirror.campus.edu/anaconda
        """
        from mirrorctl import profile_changes
        from mirrorctl.output import profiles

        result = profile_changes.add_profile(name=name, pypi=pypi, anaconda=anaconda, title=title,
                                             channels=channels, replace=replace)
        _print_json(profiles.profile_change_json(result)) if as_json else _print(profiles.profile_change_text(result))

    @group.command("remove")
    @click.argument("name", type=PROFILE)
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def profile_remove(name: str, as_json: bool) -> None:
        """Delete the user profile NAME (built-in profiles cannot be removed; `mirrorctl restore` brings it back).

        \b
        Example:
          mirrorctl profile remove campus
        """
        from mirrorctl import profile_changes
        from mirrorctl.output import profiles

        result = profile_changes.remove_profile(name=name)
        _print_json(profiles.profile_change_json(result)) if as_json else _print(profiles.profile_change_text(result))

    @group.command("show")
    @click.argument("name", type=PROFILE)
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def profile_show(name: str, as_json: bool) -> None:
        """Show every URL of profile NAME and how sure we are of each.

        \b
        Example:
          mirrorctl profile show ustc
        """
        from mirrorctl.output import profiles
        from mirrorctl.profiles import load_profiles

        shown = load_profiles().get(name)
        _print_json(profiles.profile_show_json(shown)) if as_json else _print(profiles.profile_text(shown))

    @group.command("export")
    @click.argument("names", nargs=-1, required=True, type=PROFILE)
    @click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                  help=N_("Write to FILE instead of standard output."))
    @click.option("--json", "as_json", is_flag=True, help=N_("Print JSON (the TOML as a string)."))
    def profile_export(names: tuple[str, ...], output: str | None, as_json: bool) -> None:
        """Print profile NAME (or a catalogue of several) as TOML a colleague can `mirrorctl profile import`.

        \b
        Examples:
          mirrorctl profile export campus > campus.toml
          mirrorctl profile export tuna ustc --output lab-mirrors.toml
        """
        from mirrorctl import profile_changes
        from mirrorctl.output import profiles

        text = profile_changes.export_profiles(names=names)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        _print_json(profiles.export_json(list(names), text)) if as_json else _print(text)

    @group.command("import")
    @click.argument("source", metavar="FILE|URL|-")
    @click.option("--replace", "--yes", "-y", "replace", is_flag=True,
                  help=N_("Replace profiles of the same name without asking."))
    @click.option("--name", metavar="NAME",
                  help=N_("The name for the profile (a mirrorz description or a single profile)."))
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def profile_import(source: str, replace: bool, name: str | None, as_json: bool) -> None:
        """Add the profiles in FILE, an https URL, or standard input (-): one profile or a catalogue of them, as
        `profile export` prints; or a mirror site's mirrorz description (the JSON CERNET mirror sites publish),
        which becomes one unverified profile for its PyPI and Anaconda mirrors.

        A profile whose name is taken is replaced only after you agree (or with --replace); with no terminal to
        ask on, that is an error. Backed up like any change: `mirrorctl restore` undoes it.

        \b
        Examples:
          mirrorctl profile import lab-mirrors.toml
          mirrorctl profile export tuna | ssh lab mirrorctl profile import -
          mirrorctl profile import https://mirrors.ustc.edu.cn/static/json/mirrorz.json --name ustc-site
        """
        from mirrorctl import profile_changes
        from mirrorctl.output import profiles

        text = sys.stdin.read() if source == "-" else None
        interactive = source != "-" and sys.stdin.isatty() and sys.stdout.isatty() and not as_json

        def ask(taken: str) -> bool:
            return click.confirm(_("profile {name!r} exists; replace it?").format(name=taken), default=False)

        result = profile_changes.import_profiles(source=source, text=text, replace=replace,
                                                 confirm=ask if interactive else None, name=name)
        _print_json(profiles.import_json(result)) if as_json else _print(profiles.import_text(result))

    @group.command("edit")
    @click.argument("name", type=PROFILE)
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def profile_edit(name: str, as_json: bool) -> None:
        """Open your copy of profile NAME in $VISUAL or $EDITOR (a built-in one is copied first) and check it on save.

        If the saved file is not a valid profile, the editor opens again with the error on its first line; save it
        unchanged to give up. Backed up like any change.
        """
        from mirrorctl import profile_changes
        from mirrorctl.output import profiles

        def run_editor(path: Path) -> None:
            click.edit(filename=str(path))

        result = profile_changes.edit_profile(name=name, run_editor=run_editor)
        _print_json(profiles.profile_change_json(result)) if as_json else _print(profiles.profile_change_text(result))

    return group
