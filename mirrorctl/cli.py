"""The click layer: parse options, call one core function, render its result. Nothing else lives here.

Heavy modules (httpx, ruamel.yaml, tomlkit) are imported inside the commands that need them, so that
``mirrorctl --help`` costs little more than starting Python and importing click.
"""

from __future__ import annotations

import sys

import click

from mirrorctl import __version__
from mirrorctl.errors import EXIT_INTERRUPTED, MirrorctlError
from mirrorctl.targets import tool_names

TOOLS = click.Choice(tool_names())


class _UserError(click.ClickException):
    """A MirrorctlError on its way out: one line on stderr, credentials masked, the error's own exit code."""

    def __init__(self, error: MirrorctlError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click declares it on the class only

    def show(self, file=None) -> None:
        from mirrorctl.output import emit

        emit(f"mirrorctl: error: {self.message}", err=True)


class _Group(click.Group):
    """Catches every MirrorctlError in one place; ``--debug`` lets the traceback through instead."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MirrorctlError as error:
            if ctx.params.get("debug"):
                raise
            raise _UserError(error) from None
        except KeyboardInterrupt:
            if ctx.params.get("debug"):
                raise
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _print(text: str) -> None:
    from mirrorctl.output import emit

    emit(text)


def _print_json(value) -> None:
    from mirrorctl.output import to_json

    _print(to_json(value))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mirrorctl")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Point pip and conda at a fast package mirror, see what is really in effect, and undo it.

    \b
      mirrorctl list                 profiles, and which one pip and conda use
      mirrorctl use tuna --dry-run   show the change as a diff
      mirrorctl use tuna             switch pip and conda (backed up first)
      mirrorctl current              what is in effect, from which file
      mirrorctl restore              put the files back byte for byte
    """


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """List every profile and mark the one pip and conda use.

    \b
    Example:
      mirrorctl list
    """
    from mirrorctl import core, output

    result = core.list_profiles()
    if as_json:
        _print_json(output.list_json(result))
    else:
        _print(output.list_text(result))


@cli.command()
@click.argument("name", required=False)
@click.option("--only", type=TOOLS, help="Change one tool only.")
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def use(name: str | None, only: str | None, dry_run: bool, fastest: bool, timeout: float, samples: int,
        candidates: tuple[str, ...], by: str, as_json: bool) -> None:
    """Switch pip and conda to the profile NAME (or, with --fastest, to the fastest healthy mirror).

    Every file is backed up before it is written; `mirrorctl restore` undoes the change.

    \b
    Examples:
      mirrorctl use tuna --dry-run
      mirrorctl use ustc --only pip
      mirrorctl use --fastest
    """
    from mirrorctl import core, output
    from mirrorctl.errors import UsageError

    if fastest == bool(name):
        raise UsageError("give a profile NAME or --fastest (not both)")
    if candidates and not fastest:
        raise UsageError("--from goes with --fastest")
    if fastest:
        from mirrorctl import bench

        choice = bench.choose_fastest(names=candidates, only=only, samples=samples, timeout=timeout, by=by,
                                      progress=sys.stderr)
        if not as_json:
            _print(bench.choice_text(choice))
        result = core.use_many(choices=choice.profiles, dry_run=dry_run)
    else:
        result = core.use(name=str(name), only=only, dry_run=dry_run)
    if as_json:
        _print_json(output.change_json(result))
    else:
        _print(output.change_text(result))


@cli.command("bench")
@click.argument("names", nargs=-1)
@click.option("--only", type=click.Choice(["pypi", "conda"]), help="Probe one kind of index only.")
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
def bench_command(names: tuple[str, ...], only: str | None, samples: int, timeout: float, by: str,
                  throughput: bool, no_upstream: bool, as_json: bool) -> None:
    """Measure mirrors concurrently and rank them, fastest first (all profiles unless NAMES are given).

    Each mirror gets several requests on a kept-alive connection for a small real file (the simple page of
    `pip`, a Range of `noarch/repodata.json`); answers are validated, so a portal page that says 200 is a
    failure, and a mirror whose index lags the others is flagged stale. * marks what is in effect.

    \b
    Examples:
      mirrorctl bench
      mirrorctl bench tuna ustc bfsu --only pypi --samples 5
    """
    from mirrorctl import bench
    from mirrorctl.probe.report import format_table, to_json, traffic_text

    measured = bench.bench(names=names, only=only, samples=samples, timeout=timeout, by=by, throughput=throughput,
                           upstream=not no_upstream, progress=None if as_json else sys.stderr)
    if as_json:
        _print_json(to_json(measured.results, by=measured.by))
    else:
        _print(format_table(measured.results, measured.in_effect, by=measured.by) + "\n"
               + traffic_text(measured.results))
    if not any(r.ok for r in measured.results):
        raise MirrorctlError("no mirror answered correctly; check the network (or a proxy setting)")


@cli.command()
@click.option("--only", type=TOOLS, help="Show one tool only.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def current(only: str | None, as_json: bool) -> None:
    """Show what pip and conda really use, which file each value comes from, and what overrides it.

    \b
    Example:
      mirrorctl current --json
    """
    from mirrorctl import core, output

    states = core.current(only=only)
    if as_json:
        _print_json({s.target: output.state_json(s) for s in states})
    else:
        _print(output.current_text(states))


@cli.command()
@click.option("--only", type=TOOLS, help="Reset one tool only.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff per file and write nothing.")
def reset(only: str | None, dry_run: bool) -> None:
    """Take the mirror settings out so pip and conda use their upstream defaults.

    Every other setting and comment stays. Backed up first, like `use`.

    \b
    Example:
      mirrorctl reset --only conda
    """
    from mirrorctl import core, output

    _print(output.change_text(core.reset(only=only, dry_run=dry_run)))


@cli.command()
@click.argument("backup_id", required=False)
def restore(backup_id: str | None) -> None:
    """Put the files back exactly as they were before the latest change (or before BACKUP_ID).

    Same bytes, same mode; a file that did not exist is removed again. Run it again to step further back.

    \b
    Examples:
      mirrorctl restore
      mirrorctl restore 20261124-053212
    """
    from mirrorctl import core, output

    _print(output.restore_text(core.restore(snapshot_id=backup_id)))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def backups(as_json: bool) -> None:
    """List the backups mirrorctl keeps, newest first.

    \b
    Example:
      mirrorctl backups
    """
    from mirrorctl import core, output

    snapshots = core.backups()
    if as_json:
        _print_json([s.to_json() for s in snapshots])
    else:
        _print(output.backups_text(snapshots))


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
def profile_add(name: str, pypi: str | None, anaconda: str | None, channels: tuple[str, ...],
                title: str | None) -> None:
    """Create a user profile NAME.

    BASE expands to BASE/pkgs/{main,r,msys2} for default_channels and BASE/cloud for custom_channels.

    \b
    Example:
      mirrorctl profile add campus --pypi https://pypi.campus.edu/simple --anaconda https://mirror.campus.edu/anaconda
    """
    from mirrorctl import output
    from mirrorctl.profiles import add_user_profile

    created = add_user_profile(name, pypi=pypi, anaconda=anaconda, title=title, channels=channels)
    _print(f"added profile {created.name} ({created.path})\n" + output.profile_text(created))


@profile.command("remove")
@click.argument("name")
def profile_remove(name: str) -> None:
    """Delete the user profile NAME (built-in profiles cannot be removed).

    \b
    Example:
      mirrorctl profile remove campus
    """
    from mirrorctl.profiles import remove_user_profile

    _print(f"removed {remove_user_profile(name)}")


@profile.command("show")
@click.argument("name")
def profile_show(name: str) -> None:
    """Show every URL of profile NAME and how sure we are of each.

    \b
    Example:
      mirrorctl profile show ustc
    """
    from mirrorctl import output
    from mirrorctl.profiles import load_profiles

    _print(output.profile_text(load_profiles().get(name)))


def main() -> None:
    cli(prog_name="mirrorctl")
