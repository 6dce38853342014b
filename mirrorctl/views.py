"""What the two read-only commands print, and how every error that is not click's is reported.

Click-free, shared by the click commands (:mod:`mirrorctl.cli`) and the entry point's fast path
(:mod:`mirrorctl.launch`), so both say exactly the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from mirrorctl.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, MirrorctlError


def _emit(text: str, *, err: bool = False) -> None:
    from mirrorctl.output import emit

    emit(text, err=err)


def show_list(*, as_json: bool) -> int:
    """`mirrorctl list`: print, and return the exit code (1 when a tool or profile is broken)."""
    from mirrorctl import core, output

    result = core.list_profiles()
    _emit(output.to_json(output.list_json(result)) if as_json else output.list_text(result))
    return 1 if any(s.broken for s in result.states) or result.findings else 0


def show_current(*, only: Sequence[str] | None, scope: str | None, as_json: bool) -> int:
    """`mirrorctl current`: print, and return the exit code (1 when a tool cannot use its configuration)."""
    from mirrorctl import core, output

    states = core.current(only=only or None, scope=scope)
    _emit(output.to_json(output.current_json(states)) if as_json else output.current_text(states))
    return 1 if any(s.broken for s in states) else 0


def report(error: BaseException) -> int:
    """One line on stderr for an error that is not click's; returns the exit code."""
    if isinstance(error, KeyboardInterrupt):
        return interrupted()
    if isinstance(error, MirrorctlError):
        _emit(f"mirrorctl: error: {error}", err=True)
        return error.exit_code
    if isinstance(error, OSError):  # the file system said no somewhere unexpected: name the path, say what
        from mirrorctl.errors import display_path

        where = f"{display_path(error.filename)}: " if error.filename else _lost_cwd()
        _emit(f"mirrorctl: error: {where}{error.strerror or error}; nothing was changed", err=True)
        return 1
    _emit(f"mirrorctl: internal error: {type(error).__name__}: {error}\n"
          "this is a bug in mirrorctl; run the same command with --debug for the traceback", err=True)
    return EXIT_INTERNAL


def interrupted() -> int:
    """Ctrl-C: one line, exit 130. A second Ctrl-C while this is said is ignored (it would be a traceback)."""
    import contextlib
    import signal

    with contextlib.suppress(ValueError):  # not the main thread (an embedding program's worker): it keeps its own
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _emit("mirrorctl: interrupted", err=True)
    return EXIT_INTERRUPTED


def _lost_cwd() -> str:
    """A path for an error that names none: the usual one is a working directory deleted under the shell."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        return "the current directory no longer exists: "
    return ""
