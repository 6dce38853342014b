"""The one line an error gets on stderr, and its exit code: every error that is not click's ends here."""

from __future__ import annotations

import os
from typing import Any

from mirrorctl.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, MirrorctlError, NothingInScope, Sentence, display_path
from mirrorctl.i18n import _
from mirrorctl.output.common import message, sentence_text


def _error(text: str) -> str:
    return _("mirrorctl: error: {message}").format(message=text)


def error_text(error: MirrorctlError) -> str:
    """The error's sentence in the user's language, after where it is (``~/.condarc line 3: ``)."""
    try:
        params = {key: sentence_text(value) if isinstance(value, Sentence) else value
                  for key, value in error.params.items()}
        text = _(error.template).format(**params) if params else _(error.template)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: say it in English
        text = error.message
    if error.path is None:
        return text
    where = display_path(error.path)
    if error.line is not None:
        where += _(" line {line}").format(line=error.line)
    return where + _(": ") + text


def error_line(error: BaseException) -> tuple[str, int]:
    """What to print for ``error`` (without a trailing newline) and the exit code."""
    if isinstance(error, KeyboardInterrupt):
        return _("mirrorctl: interrupted"), EXIT_INTERRUPTED
    if isinstance(error, NothingInScope):
        reasons = "; ".join(f"{f.tool}: {message(f)}" for f in error.skipped if f.code.startswith("scope-"))
        text = _("--scope {scope}: no tool to configure").format(scope=error.scope) + (f" ({reasons})" if reasons
                                                                                       else "")
        return _error(text), error.exit_code
    if isinstance(error, MirrorctlError):
        return _error(error_text(error)), error.exit_code
    if isinstance(error, OSError):  # the file system said no somewhere unexpected: name the path, say what
        where = f"{display_path(error.filename)}: " if error.filename else _lost_cwd()
        return _error(_("{where}{reason}; nothing was changed").format(where=where,
                                                                       reason=error.strerror or error)), 1
    return (_("mirrorctl: internal error: {error}").format(error=f"{type(error).__name__}: {error}") + "\n"
            + _("this is a bug in mirrorctl; run the same command with --debug for the traceback")), EXIT_INTERNAL


def error_json(error: BaseException, text: str, code: int) -> dict[str, Any]:
    """An error as a `--json` document on stdout, so a script reads every outcome from one stream."""
    from mirrorctl.output.common import document
    from mirrorctl.urls import mask_credentials

    kind = ("interrupted" if code == EXIT_INTERRUPTED else "internal" if code == EXIT_INTERNAL
            else "usage" if code == 2 else "user")
    path = getattr(error, "path", None) if isinstance(error, MirrorctlError) else getattr(error, "filename", None)
    return document("error", error={
        "type": kind,
        "exit_code": code,
        "message": mask_credentials(text.removeprefix("mirrorctl: error: ").removeprefix("mirrorctl: ")),
        "path": os.path.abspath(path) if path else None,
        "line": getattr(error, "line", None) if isinstance(error, MirrorctlError) else None,
    })


def _lost_cwd() -> str:
    """A path for an error that names none: the usual one is a working directory deleted under the shell."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        return _("the current directory no longer exists: ")
    return ""
