"""`mirrorctl env` and `mirrorctl run`: the lines a shell, a CI job or a Dockerfile needs, quoted for each.

Every format is one quoting rule, written from the parser that reads it:

- ``sh``: POSIX single quotes; a ``'`` becomes ``'\\''``. Nothing inside single quotes is special to dash, bash or
  zsh (not ``$``, backticks, ``\\``, ``!``: history expansion never runs in ``eval``).
- ``fish``: single quotes, where only ``\\'`` and ``\\\\`` are escapes (fish-shell doc "Quotes").
- ``powershell``: single quotes, where a quote is written twice; PowerShell also takes the typographic quotes
  U+2018..U+201B as single quotes, so those are doubled too.
- ``cmd``: lines for a batch file, ``set "NAME=value"``; ``%`` is doubled (a batch file expands ``%`` before
  anything else), and outside the quotes a value's own ``"`` opens, ``^ & | < > ( )`` are escaped with ``^``.
  Delayed expansion (``!``) is off unless the script turns it on.
- ``dotenv``: single quotes as python-dotenv reads them (``\\'`` and ``\\\\`` are the escapes). python-dotenv
  expands ``${NAME}`` even there, with no escape, so a value containing ``${`` is refused. ``docker run
  --env-file`` does not unquote at all: give it ``github`` lines.
- ``dockerfile``: ``ENV NAME=value`` with the sh rule: buildkit's lexer (moby/buildkit
  frontend/dockerfile/shell/lex.go ``processSingleQuote``) takes single-quoted text as-is, with no ``$``
  expansion, and ``\\'`` outside quotes is a literal quote. (With ``# escape=`` set to a backtick this breaks.)
- ``github``: ``NAME=value`` lines for ``$GITHUB_ENV``, which takes everything after the first ``=`` literally.

No format carries a line break safely (``$GITHUB_ENV`` would need a heredoc, a batch file cannot), so a value with
one (or a NUL) is refused. Values are printed unmasked: credentials in a profile URL are the point here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mirrorctl.errors import MirrorctlError, UsageError
from mirrorctl.output.common import document, finding_json, message, to_json
from mirrorctl.results import EnvPlan, EnvResult, Finding

FORMATS = ("sh", "fish", "powershell", "cmd", "dotenv", "dockerfile", "github")
#: Formats that describe a file which can only set variables: --unset has nothing to print for them.
SET_ONLY = ("dotenv", "dockerfile", "github")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


__all__ = ["FORMATS", "default_format", "env_json", "env_text", "notes", "run_lines", "set_line", "to_json",
           "unset_line", "write"]


def write(text: str) -> None:
    """Standard output WITHOUT the credential masking of :func:`~mirrorctl.output.common.emit`: `env` is the
    one command whose point is to hand the full URLs (tokens included) to the shell."""
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def default_format() -> str:
    import os

    return "powershell" if os.name == "nt" else "sh"


def _check(name: str, value: str, fmt: str) -> None:
    if not _NAME.match(name):
        raise MirrorctlError(f"{name!r} is not a variable name every shell accepts")
    for bad, what in (("\n", "a line break"), ("\r", "a carriage return"), ("\0", "a NUL byte")):
        if bad in value:
            raise MirrorctlError(f"the value of {name} contains {what}, which {fmt} lines cannot carry safely; "
                                 "fix the profile's URL")


def _sh(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _fish(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell(value: str) -> str:
    return "'" + "".join(c + c if c in _PS_QUOTES else c for c in value) + "'"


def _cmd(value: str) -> str:
    """The text between ``set "NAME=`` and the closing quote, for a batch file (see the module docstring)."""
    out = []
    quoted = True  # `set "` opened a quote
    for c in value:
        if c == "%":
            out.append("%%")
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "^&|<>()":
            out.append("^")
        out.append(c)
    return "".join(out)


def _dotenv(value: str) -> str:
    if "${" in value:  # python-dotenv expands ${NAME} even in single quotes and has no escape for it
        raise MirrorctlError("a value contains ${, which dotenv readers (python-dotenv) expand even in quotes; "
                             "use another format")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def set_line(fmt: str, name: str, value: str) -> str:
    _check(name, value, fmt)
    if fmt == "sh":
        return f"export {name}={_sh(value)}"
    if fmt == "fish":
        return f"set -gx {name} {_fish(value)}"
    if fmt == "powershell":
        return f"$env:{name} = {_powershell(value)}"
    if fmt == "cmd":
        return f'set "{name}={_cmd(value)}"'
    if fmt == "dotenv":
        return f"{name}={_dotenv(value)}"
    if fmt == "dockerfile":
        return f"ENV {name}={_sh(value)}"
    if fmt == "github":
        return f"{name}={value}"
    raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def unset_line(fmt: str, name: str) -> str:
    if fmt == "sh":
        return f"unset {name}"
    if fmt == "fish":
        return f"set -e {name}"
    if fmt == "powershell":
        return f"Remove-Item Env:{name} -ErrorAction SilentlyContinue"
    if fmt == "cmd":
        return f'set "{name}="'
    if fmt in SET_ONLY:
        raise UsageError(f"--unset: a {fmt} file can only set variables; delete its lines instead")
    raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def comment_line(fmt: str, text: str) -> str | None:
    """A comment the format ignores, or None where it has none ($GITHUB_ENV refuses any other line)."""
    text = " ".join(text.split())
    if fmt == "github":
        return None
    if fmt == "cmd":
        return "REM " + text.replace("%", "%%")
    return "# " + text


# ---------------------------------------------------------------------------------------------------------
# `mirrorctl env`


def notes(findings: Iterable[Finding]) -> list[str]:
    """One line per thing the variables cannot carry: ``tool: sentence``."""
    return [f"{f.tool}: {message(f)}" for f in findings]


def env_text(result: EnvResult, fmt: str, *, unset: bool = False) -> str:
    """The lines to evaluate: a comment per thing not expressed (where the format has comments), then one line
    per variable, in tool order. ``unset``: the lines that remove the same variables."""
    lines = []
    for note in notes(() if unset else result.unexpressed):
        comment = comment_line(fmt, "mirrorctl: not set: " + note)
        if comment is not None:
            lines.append(comment)
    for name, value in result.variables.items():
        lines.append(unset_line(fmt, name) if unset else set_line(fmt, name, value))
    return "\n".join(lines) + ("\n" if lines else "")


def _plan_json(plan: EnvPlan) -> dict[str, Any]:
    return {"profile": plan.profile, "variables": dict(plan.variables),
            "unexpressed": [finding_json(f) for f in plan.unexpressed]}


def env_json(result: EnvResult) -> dict[str, Any]:
    return document("env", variables=result.variables, tools={p.tool: _plan_json(p) for p in result.plans},
                    skipped=[finding_json(f) for f in result.skipped])


def skipped_lines(result: EnvResult) -> list[str]:
    return [f"{f.tool}: {message(f)}" for f in result.skipped]


# ---------------------------------------------------------------------------------------------------------
# `mirrorctl run --verbose`


def run_lines(plans: Iterable[EnvPlan], files: dict[str, str]) -> list[str]:
    """What --verbose tells before the command starts: each variable (credentials masked by emit), each
    temporary file, and what could not be carried."""
    lines = []
    for plan in plans:
        for name, value in plan.variables.items():
            lines.append(f"mirrorctl: {plan.tool}: {name}={value}")
        for file in plan.files:
            lines.append(f"mirrorctl: {plan.tool}: {file.variable}={files.get(file.variable, '')} (temporary)")
        lines += [f"mirrorctl: {line}" for line in notes(plan.unexpressed)]
    return lines


def command_not_found(command: str) -> str:
    return f"mirrorctl: {command}: command not found"


def command_not_runnable(command: str, reason: str) -> str:
    return f"mirrorctl: {command}: {reason}"
