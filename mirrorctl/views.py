"""What the two read-only commands print, and how every error that is not click's is reported.

Click-free, shared by the click commands (:mod:`mirrorctl.cli`) and the entry point's fast path
(:mod:`mirrorctl.launch`), so both say exactly the same.
"""

from __future__ import annotations

from collections.abc import Sequence


def _emit(text: str, *, err: bool = False) -> None:
    from mirrorctl.output.common import emit

    emit(text, err=err)


def show_list(*, as_json: bool) -> int:
    """`mirrorctl list`: print, and return the exit code (1 when a tool or profile is broken)."""
    from mirrorctl import core
    from mirrorctl.output import common, state

    result = core.list_profiles()
    _emit(common.to_json(state.list_json(result)) if as_json else state.list_text(result))
    return 1 if any(s.broken for s in result.states) or result.findings else 0


def show_current(*, only: Sequence[str] | None, scope: str | None, as_json: bool) -> int:
    """`mirrorctl current`: print, and return the exit code (1 when a tool cannot use its configuration)."""
    from mirrorctl import core
    from mirrorctl.output import common, state

    states = core.current(only=only or None, scope=scope)
    _emit(common.to_json(state.current_json(states)) if as_json else state.current_text(states))
    return 1 if any(s.broken for s in states) else 0


def report(error: BaseException, *, as_json: bool = False) -> int:
    """One line on stderr for an error that is not click's (and, with --json, the error as JSON on stdout);
    returns the exit code."""
    if isinstance(error, KeyboardInterrupt):
        _ignore_interrupts()
    from mirrorctl.output.errors import error_line

    text, code = error_line(error)
    report_line(error, text, code, as_json=as_json)
    return code


def interrupted(*, as_json: bool = False) -> int:
    """Ctrl-C: one line, exit 130 (with ``as_json`` also the JSON document), whatever was running."""
    return report(KeyboardInterrupt(), as_json=as_json)


def _ignore_interrupts() -> None:
    """A second Ctrl-C while the first is reported is ignored: it would be a traceback."""
    import contextlib
    import signal

    with contextlib.suppress(ValueError):  # not the main thread (an embedding program's worker): it keeps its own
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def report_line(error: BaseException, text: str, code: int, *, as_json: bool) -> None:
    """Print an error already worded: the line on stderr, and with ``as_json`` the JSON document on stdout."""
    _emit(text, err=True)
    if as_json:
        from mirrorctl.output.common import to_json
        from mirrorctl.output.errors import error_json

        _emit(to_json(error_json(error, text.splitlines()[0], code)))
