"""The click layer: parse options, call one core function, render its result. Nothing else lives here.

Heavy modules (httpx, ruamel.yaml, tomlkit) are imported inside the commands that need them, so that
``mirrorctl --help`` costs little more than starting Python and importing click.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from mirrorctl import __version__, i18n
from mirrorctl.errors import EXIT_USAGE, MirrorctlError
from mirrorctl.i18n import N_, _

if TYPE_CHECKING:
    from collections.abc import Callable

i18n.translate_click()


def tool_names() -> list[str]:
    from mirrorctl.targets.base import tool_names as names  # not at import: `--help` needs no registry

    return names()


class _BadParameter(click.BadParameter):
    """click's "Invalid value for '--only'": our error's sentence, worded when shown (in the user's language)."""

    def __init__(self, error: MirrorctlError, param: click.Parameter | None, ctx: click.Context | None) -> None:
        super().__init__(error.message, ctx=ctx, param=param)
        self.error = error

    def format_message(self) -> str:
        from mirrorctl.output.errors import error_text

        self.message = error_text(self.error)  # type: ignore[misc]
        return super().format_message()


class _ToolName(click.ParamType):
    """A tool name, checked against the tool modules present when the command runs (not at import)."""

    name = "tool"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(tool_names()) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from mirrorctl.errors import UsageError
        from mirrorctl.targets.base import canonical_tool

        try:
            return canonical_tool(str(value))
        except UsageError as error:
            raise _BadParameter(error, param, ctx) from None

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(name) for name in tool_names() if name.startswith(incomplete.lower())]


class _ProfileName(click.ParamType):
    """A profile name or alias; checked by the core when the command runs, completed from the profiles here."""

    name = "profile"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from mirrorctl.completion import profile_names

        return profile_names(incomplete)


class _BackupId(click.ParamType):
    name = "backup_id"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from mirrorctl.completion import backup_ids

        return backup_ids(incomplete)


TOOLS = _ToolName()
PROFILE = _ProfileName()
ONLY_HELP = N_("Only this tool (repeatable).")
SCOPE_CHOICE = click.Choice(["user", "venv", "env", "system", "project"])
SCOPE_HELP = N_("Which files: user (default; your own), venv (the active virtualenv), env (the active conda "
                "environment), system (for every user, /etc ...), project (the project in the current directory). "
                "Tools without that scope are skipped.")
JSON_HELP = N_("Print JSON.")
DRY_RUN_HELP = N_("Print a unified diff per file and write nothing.")
FORCE_HELP = N_("Also replace a read-only (chmod a-w) config file; it keeps its mode.")  # reset's; use has its own


def _print(text: str, *, err: bool = False) -> None:
    from mirrorctl.output.common import emit

    emit(text, err=err)


def _print_json(value: Any) -> None:
    from mirrorctl.output.common import to_json

    _print(to_json(value))


class _Translated(click.Command):
    """Help in the user's language: the command's help and its options' help are msgids, translated when shown."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        saved: list[tuple[Any, str | None]] = [(self, self.help)]
        saved += [(p, p.help) for p in self.get_params(ctx) if isinstance(p, click.Option)]
        try:
            for owner, text in saved:
                owner.help = _help(text)
            super().format_help(ctx, formatter)
        finally:
            for owner, text in saved:
                owner.help = text

    def get_short_help_str(self, limit: int = 45) -> str:
        saved = self.help
        try:
            self.help = _help(saved)
            return super().get_short_help_str(limit)
        finally:
            self.help = saved


def _help(text: str | None) -> str | None:
    """A help text as click shows it (``inspect.cleandoc``, up to a form feed), translated."""
    if not text:
        return text
    import inspect

    return _(inspect.cleandoc(text).partition("\f")[0])


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past click (which would print an empty line and raise Abort)."""


class _Group(_Translated, click.Group):
    """Every error of every command ends here: one line (or a traceback with --debug) and an exit code.

    A command in :data:`LAZY` lives in its own module, imported only when it runs or shows its own help."""

    command_class = _Translated
    group_class = type
    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]] | None = None, **extra: Any) -> None:
        super().__init__(*args, **extra)
        #: name -> (module, the function that builds the command, its summary), see :data:`LAZY`.
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            import importlib

            module, builder, _summary = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), builder)(_Group, TOOLS, PROFILE), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's list of commands, with a lazy command's row made from its help text alone (not imported)."""
        rows: list[tuple[str, click.Command | None]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None and name not in self.lazy:
                continue
            if command is not None and command.hidden:
                continue
            rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in rows)
        shown = []
        for name, command in rows:
            if command is None:
                summary = _Translated(name, help=self.lazy[name][2]).get_short_help_str(limit)  # as the real one
            else:
                summary = command.get_short_help_str(limit)
            shown.append((name, summary))
        with formatter.section(_("Commands")):
            formatter.write_dl(shown)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            raise _Interrupted() from interrupt

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv  # accepted anywhere, also after the subcommand
        argv = [a for a in argv if a != "--debug"]
        wanted = i18n.lang_argument(argv)  # accepted anywhere too; a value click would refuse is left to click
        if wanted in i18n.LANGUAGES:
            i18n.set_language(wanted)
            argv = i18n.strip_lang(argv)
        if "_MIRRORCTL_COMPLETE" in os.environ:  # a shell asking for completions: PowerShell's class is ours
            import mirrorctl.completion  # noqa: F401
        as_json = "--json" in argv  # then an error is a JSON document on stdout too, with the same exit code
        try:
            code = super().main(argv, "mirrorctl", complete_var, standalone_mode=False, **extra)
        except _Interrupted:
            if debug:
                _print_traceback()
            from mirrorctl.views import interrupted

            code = interrupted(as_json=as_json)
        except Exception as error:
            if debug:
                _print_traceback()
            code = _report(error, as_json=as_json)
        except KeyboardInterrupt as interrupt:
            if debug:
                _print_traceback()
            from mirrorctl.views import report

            code = report(interrupt, as_json=as_json)
        sys.exit(code if isinstance(code, int) else 0)


def _print_traceback() -> None:
    """--debug: the whole traceback, through the same masking as every other output (URLs carry tokens)."""
    import traceback

    _print(traceback.format_exc().rstrip("\n"), err=True)


def _report(error: Exception, *, as_json: bool = False) -> int:
    """One line on stderr for ``error`` (and with --json the error as JSON on stdout); returns the exit code."""
    from mirrorctl.views import report, report_line

    if isinstance(error, click.exceptions.Abort):
        return report(KeyboardInterrupt(), as_json=as_json)
    if isinstance(error, click.ClickException):  # usage errors: the same one-line format, exit 2
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            command = " ".join(["mirrorctl", *error.ctx.command_path.split()[1:]])
            hint = _(" (see `{command} --help`)").format(command=command)
        code = int(error.exit_code) if error.exit_code else EXIT_USAGE
        with i18n.english():  # --json is never translated
            english = f"mirrorctl: error: {error.format_message()}"
        report_line(error, _("mirrorctl: error: {message}").format(message=error.format_message() + hint), code,
                    as_json=as_json, english=english)
        return code
    return report(error, as_json=as_json)


#: Commands built in their own module (see :class:`_Group`): the first paragraph of each one's help is here, so
#: `mirrorctl --help` lists them without importing them (tests/test_cli.py checks it matches the command's own).
LAZY = {
    "env": ("mirrorctl.cli_env", "env_command", N_("Print the environment variables that point each tool at profile "
                                                  "NAME, with no config file at all.")),
    "profile": ("mirrorctl.cli_profile", "profile_group", N_("Add, remove and show profiles (your own live in "
                                                             "MIRRORCTL_HOME/profiles or the user config dir).")),
    "run": ("mirrorctl.cli_env", "run_command", N_("Run one command through profile NAME without changing any file "
                                                  "you own.")),
    "torch": ("mirrorctl.cli_torch", "torch_command", N_("The right PyTorch build for this machine (or another), "
                                                         "from the fastest source that has it.")),
}


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]},
             lazy=LAZY)
@click.version_option(__version__, prog_name="mirrorctl")
@click.option("--lang", type=click.Choice(i18n.LANGUAGES), expose_value=False,
              help=N_("Language of the output: zh (Simplified Chinese) or en (also after the command; default: "
                      "MIRRORCTL_LANG, then the locale). --json is always English."))
@click.option("--debug", is_flag=True, help=N_("Show full tracebacks instead of one-line errors (also after the "
              "command)."))
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Point every Python package tool you have at a fast mirror, see what each really uses, and undo it.

    \b
      mirrorctl list                 profiles, and which one each tool uses
      mirrorctl use tuna --dry-run   show the change as a diff
      mirrorctl use tuna             switch every tool (backed up first)
      mirrorctl current              what is in effect, from which file
      mirrorctl restore              put the files back byte for byte
      mirrorctl torch                the right PyTorch build for this machine, and where from

    \b
    Exit codes: 0 ok, 1 error, 2 usage, 70 internal error (a bug), 130 interrupted.
    """
    if ctx.invoked_subcommand is None:
        _print(ctx.get_help())
        ctx.exit(0)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
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
@click.argument("name", required=False, type=PROFILE)
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@click.option("--fastest", is_flag=True, help=N_("Benchmark the mirrors and switch each tool to its fastest one."))
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
              help=N_("With --fastest: seconds allowed per mirror."))
@click.option("--samples", type=click.IntRange(1, 20), default=3, show_default=True,
              help=N_("With --fastest: requests per mirror (at least)."))
@click.option("--from", "candidates", multiple=True, metavar="NAME",
              help=N_("With --fastest: consider only these profiles (repeatable)."))
@click.option("--by", type=click.Choice(["install", "latency"]), default="install", show_default=True,
              help=N_("With --fastest: rank by estimated install time (pages x latency + bytes / bandwidth; "
                   "downloads up to 2 MB from the leading mirrors) or by latency alone."))
@click.option("--scope", type=SCOPE_CHOICE, help=SCOPE_HELP)
@click.option("--force", is_flag=True, help=N_("Replace a source you wrote (a named index in a project file) that "
              "would otherwise still win; without it, `use` leaves it and exits 1. Also replaces a read-only "
              "(chmod a-w) config file, which keeps its mode."))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def use(name: str | None, only: tuple[str, ...], dry_run: bool, fastest: bool, timeout: float, samples: int,
        candidates: tuple[str, ...], by: str, scope: str | None, force: bool, as_json: bool) -> None:
    """Switch every tool to the profile NAME (or, with --fastest, to the fastest healthy mirror).

    A tool is switched when its configuration file exists or it is on PATH, and always when named with --only.
    A project's files (pyproject.toml, Pipfile) change only with --scope project or when the tool is named
    with --only. Exit 1 when a tool is not fully switched (a source or variable of yours still wins).

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
        raise UsageError(N_("give a profile NAME or --fastest, not both"))
    if not fastest and not name:
        if as_json or not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise UsageError(N_("give a profile NAME (see `mirrorctl list`) or --fastest"))
        name = _pick_profile(only=only, timeout=timeout)
    if candidates and not fastest:
        raise UsageError(N_("--from goes with --fastest"))
    if fastest:
        from mirrorctl.output import progress

        choice, result = core.use_fastest(candidates=candidates, only=only or None, samples=samples,
                                          timeout=timeout, by=by, dry_run=dry_run, scope=scope,
                                          on_result=None if as_json else progress.counter(sys.stderr), force=force)
        from mirrorctl.output import bench

        if as_json:
            _print_json({**change.change_json(result), "fastest": bench.choice_json(choice)})
        else:
            _print(bench.choice_text(choice) + change.change_text(result))
    else:
        result = core.use(name=str(name), only=only or None, dry_run=dry_run, scope=scope, force=force)
        if as_json:
            _print_json(change.change_json(result))
        else:
            _print(change.change_text(result))
    if result.unswitched and not dry_run:
        sys.exit(1)


def _pick_profile(*, only: tuple[str, ...], timeout: float) -> str:
    """`use` with no NAME on a terminal: the picker, with latency figures from a background bench."""
    from mirrorctl import core
    from mirrorctl.picker import Cancelled, Row, pick

    listed = core.list_profiles()
    from mirrorctl.output.common import title_text
    from mirrorctl.output.state import covers_text

    rows = [Row(p.name, p.aliases, covers_text(p), title_text(p),
                tuple(s.tool for s in listed.states if s.present and s.label.name == p.name))
            for p in listed.profiles]
    pypi_heard: set[str] = set()

    def measure(report: Callable[[str, str], None]) -> None:
        def on_result(result: Any, done: int, total: int) -> None:  # the PyPI figure when a profile has both
            if result.target == "pypi" or result.profile not in pypi_heard:
                report(result.profile, f"{result.latency_ms:.0f} ms" if result.ok and result.latency_ms else "failed")
            if result.target == "pypi":
                pypi_heard.add(result.profile)

        core.bench(only=only or None, samples=2, timeout=timeout, by="latency", on_result=on_result)

    try:
        return pick(rows, measure=measure)
    except Cancelled:
        _print(_("cancelled; nothing was written"), err=True)
        sys.exit(130)


@cli.command("bench")
@click.argument("names", nargs=-1, type=PROFILE)
@click.option("--only", type=TOOLS, multiple=True, help=N_("Probe only the indexes this tool uses (repeatable)."))
@click.option("--samples", type=click.IntRange(1, 20), default=3, show_default=True,
              help=N_("Requests per mirror (at least; fast mirrors take more while slow ones finish)."))
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
              help=N_("Seconds allowed per mirror; the whole bench ends soon after."))
@click.option("--by", type=click.Choice(["latency", "install"]), default="latency", show_default=True,
              help=N_("install: also download up to 2 MB of a real package file from the leading mirrors and "
                   "rank by estimated install time."))
@click.option("--throughput", is_flag=True, help=N_("Same as --by install."))
@click.option("--no-upstream", is_flag=True,
              help=N_("Do not ask pypi.org / Anaconda for the freshness reference (private networks)."))
@click.option("--no-color", is_flag=True, help=N_("No colour (also: NO_COLOR set, or output not a terminal)."))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def bench_command(names: tuple[str, ...], only: tuple[str, ...], samples: int, timeout: float, by: str,
                  throughput: bool, no_upstream: bool, no_color: bool, as_json: bool) -> None:
    """Measure mirrors concurrently and rank them, fastest first (all profiles unless NAMES are given).

    Each mirror gets several requests on a kept-alive connection for a small real file (one project's simple
    page, a Range of `noarch/repodata.json`); answers are validated, so a portal page that says 200 is a
    failure, and a mirror whose index lags the others is flagged stale. * marks what is in effect.

    \b
    Examples:
      mirrorctl bench
      mirrorctl bench tuna ustc bfsu --samples 5
    """
    from mirrorctl import core
    from mirrorctl.output import progress

    live = None if as_json else progress.rows(sys.stdout)
    measured = core.bench(names=names, only=only or None, samples=samples, timeout=timeout,
                          by="install" if throughput else by, upstream=not no_upstream, on_result=live)
    from mirrorctl.output import bench

    if live is not None:
        live.clear()
    if as_json:
        _print_json(bench.to_json(measured.results, by=measured.by))
        for line in bench.findings_lines(measured):
            _print(line, err=True)
    else:
        from mirrorctl.output.common import use_colour

        _print(bench.bench_text(measured, colour=use_colour(no_color=no_color)))
    if not any(r.ok for r in measured.results):
        raise MirrorctlError(N_("no mirror answered correctly; check the network (or a proxy setting)"))


@cli.command()
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--scope", type=SCOPE_CHOICE,
              help=N_("Show the tools that have this scope, as `use --scope` would write it: its file, and what "
                   "beats it."))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
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
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@click.option("--scope", type=SCOPE_CHOICE, help=SCOPE_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def reset(only: tuple[str, ...], dry_run: bool, scope: str | None, force: bool, as_json: bool) -> None:
    """Take the mirror settings out so every tool uses its upstream default.

    Every other setting and comment stays. Backed up first, like `use`.

    \b
    Example:
      mirrorctl reset --only conda
    """
    from mirrorctl import core
    from mirrorctl.output import change

    result = core.reset(only=only or None, dry_run=dry_run, scope=scope, force=force)
    _print_json(change.change_json(result)) if as_json else _print(change.change_text(result))


@cli.command()
@click.argument("backup_id", required=False, type=_BackupId())
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
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
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
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


@cli.command()
@click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
@click.option("--offline", is_flag=True,
              help=N_("Do not contact the mirrors (checks files, variables and state only)."))
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
              help=N_("Seconds allowed for the mirrors to answer."))
@click.option("--clean", is_flag=True, help=N_("Remove what an interrupted mirrorctl left behind (temp files next "
              "to config files, unfinished backup folders), nothing else."))
@click.option("--no-color", is_flag=True, help=N_("No colour (also: NO_COLOR set, or output not a terminal)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
def doctor(only: tuple[str, ...], offline: bool, timeout: float, clean: bool, no_color: bool, as_json: bool) -> None:
    """Find out why installs are slow, wrong or failing, and print the command that fixes each thing.

    Read-only (except --clean): every tool's files and variables, what overrides what, TLS and proxies,
    mirrorctl's own backups, and (unless --offline) whether each mirror in effect answers, is a real index and is
    up to date. Exit 0 when nothing is an error, 1 when something is.

    \b
    Examples:
      mirrorctl doctor
      mirrorctl doctor --offline --only pip
    """
    from mirrorctl.doctor import diagnose
    from mirrorctl.output import doctor as doctor_output
    from mirrorctl.output.common import use_colour

    report = diagnose(only=only or None, offline=offline, timeout=timeout, clean=clean)
    if as_json:
        _print_json(doctor_output.doctor_json(report))
    else:
        _print(doctor_output.doctor_text(report, colour=use_colour(no_color=no_color)))
    if report.errors:
        sys.exit(1)


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish", "powershell"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL: commands, options, profile names, backup IDs, tools, scopes.

    \b
    Install it once:
      bash        mirrorctl completion bash > ~/.local/share/bash-completion/completions/mirrorctl
      zsh         eval "$(mirrorctl completion zsh)"    (in ~/.zshrc)
      fish        mirrorctl completion fish > ~/.config/fish/completions/mirrorctl.fish
      PowerShell  mirrorctl completion powershell >> $PROFILE
    """
    from mirrorctl.completion import script

    _print(script(cli, shell))


def main() -> None:
    """Every command through click (the console script is :func:`mirrorctl.launch.main`)."""
    cli.main(prog_name="mirrorctl")
