"""The one line an error gets on stderr, and its exit code: every error that is not click's ends here."""

from __future__ import annotations

import os
from typing import Any

from mirrorctl.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, MirrorctlError, NothingInScope, display_path
from mirrorctl.output.common import message


def error_line(error: BaseException) -> tuple[str, int]:
    """What to print for ``error`` (without a trailing newline) and the exit code."""
    if isinstance(error, KeyboardInterrupt):
        return "mirrorctl: interrupted", EXIT_INTERRUPTED
    if isinstance(error, NothingInScope):
        reasons = "; ".join(f"{f.tool}: {message(f)}" for f in error.skipped if f.code.startswith("scope-"))
        text = f"--scope {error.scope}: no tool to configure" + (f" ({reasons})" if reasons else "")
        return f"mirrorctl: error: {text}", error.exit_code
    if isinstance(error, MirrorctlError):
        return f"mirrorctl: error: {error}", error.exit_code
    if isinstance(error, OSError):  # the file system said no somewhere unexpected: name the path, say what
        where = f"{display_path(error.filename)}: " if error.filename else _lost_cwd()
        return f"mirrorctl: error: {where}{error.strerror or error}; nothing was changed", 1
    return (f"mirrorctl: internal error: {type(error).__name__}: {error}\n"
            "this is a bug in mirrorctl; run the same command with --debug for the traceback"), EXIT_INTERNAL


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
        return "the current directory no longer exists: "
    return ""
