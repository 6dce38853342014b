"""The click layer: parse options, call one core function, render its result. Nothing else lives here.

Heavy modules (httpx, ruamel.yaml, tomlkit) are imported inside the commands that need them, so that
``mirrorctl --help`` costs little more than starting Python and importing click.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mirrorctl import __version__
from mirrorctl.errors import EXIT_INTERRUPTED, EXIT_USAGE, MirrorctlError


def tool_names() -> list[str]:
    from mirrorctl.targets.base import tool_names as names  # not at import: `--help` needs no registry

    return names()


class _ToolName(click.ParamType):
    """A tool name, checked against the tool modules present when the command runs (not at import)."""

    name = "tool"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(tool_names()) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        names = tool_names()
        if value not in names:
            self.fail(f"unknown tool {value!r} (choose from {', '.join(names)})", param, ctx)
        return str(value)


TOOLS = _ToolName()
ONLY_HELP = "Only this tool (repeatable)."
SCOPE_CHOICE = click.Choice(["user", "venv", "env", "system", "project"])
SCOPE_HELP = ("Which files: user (default; your own), venv (the active virtualenv), env (the active conda "
              "environment), system (for every user, /etc ...), project (the project in the current directory). "
              "Tools without that scope are skipped.")


def _print(text: str, *, err: bool = False) -> None:
    from mirrorctl.output.common import emit

    emit(text, err=err)


def _print_json(value: Any) -> None:
    from mirrorctl.output.common import to_json

    _print(to_json(value))


class _Group(click.Group):
    """Every error of every command ends here: one line (or a traceback with --debug) and an exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv  # accepted anywhere, also after the subcommand
        argv = [a for a in argv if a != "--debug"]
        try:
            code = super().main(argv, "mirrorctl", complete_var, standalone_mode=False, **extra)
        except Exception as error:
            if debug:
                _print_traceback()
            code = _report(error)
        except KeyboardInterrupt:
            if debug:
                _print_traceback()
            _print("mirrorctl: interrupted", err=True)
            code = EXIT_INTERRUPTED
        sys.exit(code if isinstance(code, int) else 0)


def _print_traceback() -> None:
    """--debug: the whole traceback, through the same masking as every other output (URLs carry tokens)."""
    import traceback

    _print(traceback.format_exc().rstrip("\n"), err=True)


def _report(error: Exception) -> int:
    """One line on stderr for ``error``; returns the exit code."""
    if isinstance(error, click.exceptions.Abort):
        _print("mirrorctl: interrupted", err=True)
        return EXIT_INTERRUPTED
    if isinstance(error, click.ClickException):  # usage errors: the same one-line format, exit 2
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            command = " ".join(["mirrorctl", *error.ctx.command_path.split()[1:]])
            hint = f" (see `{command} --help`)"
        _print(f"mirrorctl: error: {error.format_message()}{hint}", err=True)
        return int(error.exit_code) if error.exit_code else EXIT_USAGE
    from mirrorctl.views import report

    return report(error)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mirrorctl")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors (also after the "
              "command).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Point every Python package tool you have at a fast mirror, see what each really uses, and undo it.

    \b
      mirrorctl list                 profiles, and which one each tool uses
      mirrorctl use tuna --dry-run   show the change as a diff
      mirrorctl use tuna             switch every tool (backed up first)
      mirrorctl current              what is in effect, from which file
      mirrorctl restore              put the files back byte for byte

    \b
    Exit codes: 0 ok, 1 error, 2 usage, 70 internal error (a bug), 130 interrupted.
    """
    if ctx.invoked_subcommand is None:
        _print(ctx.get_help())
        ctx.exit(0)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """List every profile and mark the one each tool uses.

    \b
    Example:
      mirrorctl list
    """
    from mirrorctl.views import show_list

    code = show_list(as_json=as_json)
    if code:
        sys.exit(code)


@cli.command()
@click.argument("name", required=False)
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--dry-run", is_flag=True, help="Print a unified diff per file and write nothing.")
@click.option("--fastest", is_flag=True, help="Benchmark the mirrors and switch each tool to its fastest one.")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
              help="With --fastest: seconds allowed per mirror.")
@click.option("--samples", type=click.IntRange(1, 20), default=3, show_default=True,
              help="With --fastest: requests per mirror (at least).")
@click.option("--from", "candidates", multiple=True, metavar="NAME",
              help="With --fastest: consider only these profiles (repeatable).")
@click.option("--by", type=click.Choice(["install", "latency"]), default="install", show_default=True,
              help="With --fastest: rank by estimated install time (pages x latency + bytes / bandwidth; "
                   "downloads up to 2 MB from the leading mirrors) or by latency alone.")
@click.option("--scope", type=SCOPE_CHOICE, help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def use(name: str | None, only: tuple[str, ...], dry_run: bool, fastest: bool, timeout: float, samples: int,
        candidates: tuple[str, ...], by: str, scope: str | None, as_json: bool) -> None:
    """Switch every tool to the profile NAME (or, with --fastest, to the fastest healthy mirror).

    A tool is switched when its configuration file exists or it is on PATH, and always when named with --only.

    Every file is backed up before it is written; `mirrorctl restore` undoes the change.

    \b
    Examples:
      mirrorctl use tuna --dry-run
      mirrorctl use ustc --json
      mirrorctl use tuna --scope venv
      mirrorctl use --fastest
    """
    from mirrorctl import core
    from mirrorctl.errors import UsageError
    from mirrorctl.output import change

    if fastest and name:
        raise UsageError("give a profile NAME or --fastest, not both")
    if not fastest and not name:
        raise UsageError("give a profile NAME (see `mirrorctl list`) or --fastest")
    if candidates and not fastest:
        raise UsageError("--from goes with --fastest")
    if fastest:
        from mirrorctl import bench

        choice, result = core.use_fastest(candidates=candidates, only=only or None, samples=samples,
                                          timeout=timeout, by=by, dry_run=dry_run, scope=scope,
                                          progress=None if as_json else sys.stderr)
        if as_json:
            _print_json({**change.change_json(result), "fastest": bench.choice_json(choice)})
        else:
            _print(bench.choice_text(choice) + change.change_text(result))
        return
    result = core.use(name=str(name), only=only or None, dry_run=dry_run, scope=scope)
    if as_json:
        _print_json(change.change_json(result))
    else:
        _print(change.change_text(result))


@cli.command("bench")
@click.argument("names", nargs=-1)
@click.option("--only", type=TOOLS, multiple=True, help="Probe only the indexes this tool uses (repeatable).")
@click.option("--samples", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Requests per mirror (at least; fast mirrors take more while slow ones finish).")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
              help="Seconds allowed per mirror; the whole bench ends soon after.")
@click.option("--by", type=click.Choice(["latency", "install"]), default="latency", show_default=True,
              help="install: also download up to 2 MB of a real package file from the leading mirrors and "
                   "rank by estimated install time.")
@click.option("--throughput", is_flag=True, help="Same as --by install.")
@click.option("--no-upstream", is_flag=True,
              help="Do not ask pypi.org / Anaconda for the freshness reference (private networks).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_command(names: tuple[str, ...], only: tuple[str, ...], samples: int, timeout: float, by: str,
                  throughput: bool, no_upstream: bool, as_json: bool) -> None:
    """Measure mirrors concurrently and rank them, fastest first (all profiles unless NAMES are given).

    Each mirror gets several requests on a kept-alive connection for a small real file (one project's simple
    page, a Range of `noarch/repodata.json`); answers are validated, so a portal page that says 200 is a
    failure, and a mirror whose index lags the others is flagged stale. * marks what is in effect.

    \b
    Examples:
      mirrorctl bench
      mirrorctl bench tuna ustc bfsu --samples 5
    """
    from mirrorctl import bench
    from mirrorctl.probe.report import format_table, to_json, traffic_text

    measured = bench.bench(names=names, only=only or None, samples=samples, timeout=timeout, by=by,
                           throughput=throughput, upstream=not no_upstream, progress=None if as_json else sys.stderr)
    if as_json:
        _print_json(to_json(measured.results, by=measured.by))
    else:
        _print(format_table(measured.results, measured.in_effect, by=measured.by) + "\n"
               + traffic_text(measured.results))
    if not any(r.ok for r in measured.results):
        raise MirrorctlError("no mirror answered correctly; check the network (or a proxy setting)")


@cli.command()
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--scope", type=SCOPE_CHOICE,
              help="Show the tools that have this scope, as `use --scope` would write it: its file, and what "
                   "beats it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def current(only: tuple[str, ...], scope: str | None, as_json: bool) -> None:
    """Show what each tool really uses, which file (and scope) each value comes from, and what overrides it.

    \b
    Examples:
      mirrorctl current --json
      mirrorctl current --scope venv
    """
    from mirrorctl.views import show_current

    code = show_current(only=only, scope=scope, as_json=as_json)
    if code:
        sys.exit(code)


@cli.command()
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--dry-run", is_flag=True, help="Print a unified diff per file and write nothing.")
@click.option("--scope", type=SCOPE_CHOICE, help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reset(only: tuple[str, ...], dry_run: bool, scope: str | None, as_json: bool) -> None:
    """Take the mirror settings out so every tool uses its upstream default.

    Every other setting and comment stays. Backed up first, like `use`.

    \b
    Example:
      mirrorctl reset --only conda
    """
    from mirrorctl import core
    from mirrorctl.output import change

    result = core.reset(only=only or None, dry_run=dry_run, scope=scope)
    _print_json(change.change_json(result)) if as_json else _print(change.change_text(result))


@cli.command()
@click.argument("backup_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def restore(backup_id: str | None, as_json: bool) -> None:
    """Put the files back exactly as they were before the latest change (or before BACKUP_ID).

    Same bytes, same mode; a file that did not exist is removed again. Run it again to step further back.

    \b
    Examples:
      mirrorctl restore
      mirrorctl restore 20261124-053212
    """
    from mirrorctl import core
    from mirrorctl.output import backups as backups_output

    result = core.restore(snapshot_id=backup_id)
    if as_json:
        _print_json(backups_output.restore_json(result))
    else:
        _print(backups_output.restore_text(result))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def backups(as_json: bool) -> None:
    """List the backups mirrorctl keeps, newest first.

    \b
    Example:
      mirrorctl backups
    """
    from mirrorctl import core
    from mirrorctl.output import backups as backups_output

    snapshots = core.backups()
    if as_json:
        _print_json(backups_output.backups_json(snapshots))
    else:
        _print(backups_output.backups_text(snapshots))


@cli.group()
def profile() -> None:
    """Add, remove and show profiles (your own live in MIRRORCTL_HOME/profiles or the user config dir)."""


@profile.command("add")
@click.argument("name")
@click.option("--pypi", metavar="URL", help="The PyPI simple index, e.g. https://pypi.example.org/simple")
@click.option("--anaconda", metavar="BASE", help="Anaconda base, e.g. https://mirror.example.org/anaconda")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="A cloud channel BASE/cloud carries (repeatable; default conda-forge, bioconda, pytorch).")
@click.option("--title", help="A human-readable title.")
@click.option("--replace", is_flag=True, help="Replace your profile of that name, or shadow a built-in one.")
def profile_add(name: str, pypi: str | None, anaconda: str | None, channels: tuple[str, ...],
                title: str | None, replace: bool) -> None:
    """Create a user profile NAME (backed up like any change; `mirrorctl restore` undoes it).

    BASE expands to BASE/pkgs/{main,r,msys2} for default_channels and BASE/cloud for custom_channels.

    \b
    Example:
      mirrorctl profile add campus --pypi https://pypi.campus.edu/simple --anaconda https://mirror.campus.edu/anaconda
    """
    from mirrorctl import core
    from mirrorctl.output import profiles

    _print(profiles.profile_change_text(core.add_profile(name=name, pypi=pypi, anaconda=anaconda, title=title,
                                                       channels=channels, replace=replace)))


@profile.command("remove")
@click.argument("name")
def profile_remove(name: str) -> None:
    """Delete the user profile NAME (built-in profiles cannot be removed; `mirrorctl restore` brings it back).

    \b
    Example:
      mirrorctl profile remove campus
    """
    from mirrorctl import core
    from mirrorctl.output import profiles

    _print(profiles.profile_change_text(core.remove_profile(name=name)))


@profile.command("show")
@click.argument("name")
def profile_show(name: str) -> None:
    """Show every URL of profile NAME and how sure we are of each.

    \b
    Example:
      mirrorctl profile show ustc
    """
    from mirrorctl.output import profiles
    from mirrorctl.profiles import load_profiles

    _print(profiles.profile_text(load_profiles().get(name)))


def main() -> None:
    """Every command through click (the console script is :func:`mirrorctl.launch.main`)."""
    cli.main(prog_name="mirrorctl")
