"""The click layer of `mirrorctl env` and `mirrorctl run`, imported only when one of them runs (or shows its help).

Built on demand by :mod:`mirrorctl.cli`, which passes in its command class and parameter types (and lists these
commands in `mirrorctl --help` from a summary of their help), so this module does not import the CLI module back.
"""

from __future__ import annotations

import sys

import click

from mirrorctl.i18n import N_, _

SHELLS = ["sh", "fish", "powershell", "cmd", "dotenv", "dockerfile", "github"]
ONLY_HELP = N_("Only this tool (repeatable).")


def _print(text: str, *, err: bool = False) -> None:
    from mirrorctl.output.common import emit

    emit(text, err=err)


def env_command(group_class: type[click.Group], tools: click.ParamType, profile: click.ParamType) -> click.Command:
    """`mirrorctl env`."""
    command_class = group_class.command_class or click.Command
    TOOLS, PROFILE = tools, profile

    @click.command("env", cls=command_class)
    @click.argument("name", required=False, type=PROFILE)
    @click.option("--fastest", is_flag=True, help=N_("Benchmark the mirrors first and give each tool its fastest one "
                  "(as `use --fastest`)."))
    @click.option("--from", "candidates", multiple=True, metavar="NAME",
                  help=N_("With --fastest: consider only these profiles (repeatable)."))
    @click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
                  help=N_("With --fastest: seconds allowed per mirror."))
    @click.option("--only", type=TOOLS, multiple=True, help=ONLY_HELP)
    @click.option("--shell", "fmt", type=click.Choice(SHELLS), help=N_("sh (default; also bash, zsh, dash), fish, "
                  "powershell (default on Windows), cmd (a batch file), dotenv, dockerfile (ENV lines), github "
                  "(lines for $GITHUB_ENV)."))
    @click.option("--unset", is_flag=True, help=N_("Print the lines that undo it (NAME optional: then every variable "
                  "any profile sets)."))
    @click.option("--json", "as_json", is_flag=True, help=N_("Print the variables as JSON."))
    def env_command(name: str | None, fastest: bool, candidates: tuple[str, ...], timeout: float,
                    only: tuple[str, ...], fmt: str | None, unset: bool, as_json: bool) -> None:
        """Print the environment variables that point each tool at profile NAME, with no config file at all.

        For CI jobs, Dockerfiles and shells. Only variables each tool really reads; what a tool cannot take from
        the environment (poetry, pixi, mamba; conda channels on several bases) is said in a comment line and on
        stderr. Values are quoted for the format so they reach the program byte for byte.

        Credentials in a profile's URLs are printed UNMASKED here (the only command that does so), because the
        variables need them; mind where the output goes.

        \b
        Examples:
          eval "$(mirrorctl env tuna)"
          mirrorctl env tuna --shell fish | source
          mirrorctl env tuna --shell dockerfile >> Dockerfile
          mirrorctl env tuna --shell github >> "$GITHUB_ENV"
          eval "$(mirrorctl env --unset)"
        """
        from mirrorctl import core
        from mirrorctl.errors import UsageError
        from mirrorctl.output import env as env_output

        if fastest and name:
            raise UsageError(N_("give a profile NAME or --fastest, not both"))
        if candidates and not fastest:
            raise UsageError(N_("--from goes with --fastest"))
        fmt = fmt or env_output.default_format()
        if unset and not name and not fastest:
            result = core.every_variable(only=only or None)
        elif not fastest and not name:
            raise UsageError(N_("give a profile NAME (see `mirrorctl list`) or --fastest"))
        elif fastest:
            from mirrorctl.output import progress

            choice = core.fastest_choices(candidates=candidates, only=only or None, timeout=timeout,
                                          on_result=None if as_json else progress.counter(sys.stderr))
            result = core.environment(choices=choice.profiles)
            if not as_json:
                from mirrorctl.output import bench

                _print(bench.choice_text(choice), err=True)
        else:
            result = core.environment(name=name, only=only or None)
        if as_json:
            env_output.write(env_output.to_json(env_output.env_json(result)))
            return
        text = env_output.env_text(result, fmt, unset=unset)  # every value checked before anything is printed
        for line in env_output.notes(result.unexpressed) if not unset else []:
            _print(_("mirrorctl: not set: {what}").format(what=line), err=True)
        if only:
            for line in env_output.skipped_lines(result):
                _print(f"mirrorctl: {line}", err=True)
        env_output.write(text)

    return env_command


def run_command(group_class: type[click.Group], tools: click.ParamType, profile: click.ParamType) -> click.Command:
    """`mirrorctl run`."""
    command_class = group_class.command_class or click.Command

    @click.command("run", cls=command_class,
                   context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
    @click.option("--fastest", is_flag=True, help=N_("Benchmark the mirrors first and give each tool its fastest one."))
    @click.option("--from", "candidates", multiple=True, metavar="NAME",
                  help=N_("With --fastest: consider only these profiles (repeatable)."))
    @click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
                  help=N_("With --fastest: seconds allowed per mirror."))
    @click.option("--verbose", "-v", is_flag=True, help=N_("Say on stderr what is set (credentials masked) before the "
                  "command starts."))
    @click.argument("words", nargs=-1, type=click.UNPROCESSED, metavar="NAME -- CMD [ARGS]...")
    def run_command(fastest: bool, candidates: tuple[str, ...], timeout: float, verbose: bool,
                    words: tuple[str, ...]) -> None:
        """Run one command through profile NAME without changing any file you own.

        pip, uv, pdm and pipenv get environment variables; conda gets a temporary private condarc (CONDARC) and
        mamba a temporary .mambarc (MAMBARC), removed when the command ends. The command keeps the terminal
        (stdin, stdout, stderr), gets the signals sent to mirrorctl, and its exit status is mirrorctl's. No backup,
        no lock, nothing printed by mirrorctl unless --verbose.

        \b
        Examples:
          mirrorctl run tuna -- pip install numpy
          mirrorctl run ustc -- conda install numpy
          mirrorctl run --fastest -- uv pip install torch
        """
        from mirrorctl import core, runner
        from mirrorctl.errors import UsageError
        from mirrorctl.output import env as env_output

        if candidates and not fastest:
            raise UsageError(N_("--from goes with --fastest"))
        words_ = list(words)
        if words_[:1] == ["--"]:
            words_ = words_[1:]
        name = None
        if not fastest:
            if not words_ or words_[0].startswith("-"):
                raise UsageError(N_("give a profile NAME (see `mirrorctl list`) or --fastest, then -- and the command"))
            name = words_.pop(0)
            if words_[:1] == ["--"]:
                words_ = words_[1:]
        if not words_:
            raise UsageError(N_("give the command to run after --, e.g. `mirrorctl run tuna -- COMMAND ARGS...`"))
        if fastest:
            from mirrorctl.output import progress

            choice = core.fastest_choices(candidates=candidates, timeout=timeout,
                                          on_result=progress.counter(sys.stderr) if verbose else None)
            plans = core.run_plans(choices=choice.profiles)
            if verbose:
                from mirrorctl.output import bench

                _print(bench.choice_text(choice), err=True)
        else:
            plans = core.run_plans(name=name)

        def announce(files: dict[str, str]) -> None:
            if verbose:
                _print("\n".join(env_output.run_lines(plans, files)), err=True)

        try:
            code = runner.run(plans, words_, announce=announce)
        except runner.CommandNotFound as missing:
            _print(env_output.command_not_runnable(missing.command, missing.reason) if missing.reason
                   else env_output.command_not_found(missing.command), err=True)
            code = missing.exit_code
        sys.exit(code)

    return run_command
