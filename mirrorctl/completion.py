"""Shell completion (part of the click layer): the scripts `mirrorctl completion SHELL` prints, and what each
argument completes to.

bash, zsh and fish use click's own machinery (``click.shell_completion``): the script calls ``mirrorctl`` back with
``_MIRRORCTL_COMPLETE`` set, and click answers from the command tree. PowerShell is not in click, so a
:class:`PowerShellComplete` class adds it the way click's docs describe (``add_completion_class``), answering in the
same ``type<TAB>value<TAB>help`` lines as the fish script.
"""

from __future__ import annotations

import os
from typing import Any

import click
from click.shell_completion import CompletionItem, ShellComplete, add_completion_class, split_arg_string

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETE_VAR = "_MIRRORCTL_COMPLETE"


class PowerShellComplete(ShellComplete):
    """PowerShell (5.1 and 7): a native argument completer that calls mirrorctl back with the words so far."""

    name = "powershell"
    source_template = r"""
Register-ArgumentCompleter -Native -CommandName %(prog_name)s -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.ToString()
    $env:COMP_WORDS = $line.Substring(0, [Math]::Min($cursorPosition - $commandAst.Extent.StartOffset, $line.Length))
    $env:COMP_CWORD = $wordToComplete
    $env:%(complete_var)s = "powershell_complete"
    %(prog_name)s | ForEach-Object {
        $type, $value, $help = $_ -split "`t", 3
        if ($type -eq "plain") {
            $text = if ($help) { $help } else { $value }
            [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $text)
        }
    }
    Remove-Item Env:%(complete_var)s, Env:COMP_WORDS, Env:COMP_CWORD -ErrorAction SilentlyContinue
}
"""

    def get_completion_args(self) -> tuple[list[str], str]:
        words = split_arg_string(os.environ.get("COMP_WORDS", ""))
        incomplete = os.environ.get("COMP_CWORD", "")
        args = words[1:]
        if incomplete and args and args[-1] == incomplete:
            args.pop()
        return args, incomplete

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.type}\t{item.value}\t{item.help or ''}"


add_completion_class(PowerShellComplete)


def script(command: click.Command, shell: str, prog_name: str = "mirrorctl") -> str:
    """The completion script for ``shell``: source it (or save it where the shell loads completions from)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:  # click.Choice has already refused anything else
        raise click.UsageError(f"no completion for {shell!r}")
    return cls(command, {}, prog_name, COMPLETE_VAR).source()


def profile_names(incomplete: str) -> list[CompletionItem]:
    """Profile names (built-in and yours) starting with ``incomplete``, each with its title and aliases as help.

    An alias is offered only when no name matches, so ``t<TAB>`` gives ``tencent tuna`` rather than every spelling
    of TUNA, while ``tsi<TAB>`` still completes ``tsinghua``.
    """
    from mirrorctl.profiles import load_profiles

    typed = incomplete.lower()
    profiles = load_profiles().profiles
    items = [CompletionItem(p.name, help=_help(p)) for p in profiles if p.name.startswith(typed)]
    if not items:
        items = [CompletionItem(alias, help=_help(p)) for p in profiles for alias in p.aliases
                 if alias.startswith(typed)]
    return sorted(items, key=lambda item: str(item.value))


def _help(profile: Any) -> str:
    aliases = f" ({', '.join(profile.aliases)})" if profile.aliases else ""
    return f"{profile.title}{aliases}"


def backup_ids(incomplete: str) -> list[CompletionItem]:
    """Backup IDs for `restore`, newest first, each with the command it was taken before."""
    from mirrorctl import core
    from mirrorctl.errors import MirrorctlError

    try:
        snapshots = core.backups()
    except (MirrorctlError, OSError):  # a broken store must not print a traceback into the shell at <TAB>
        return []
    return [CompletionItem(s.id, help=f"before `{s.reason}`") for s in snapshots if s.id.startswith(incomplete)]
